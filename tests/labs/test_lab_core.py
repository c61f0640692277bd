"""The lab core's process rules without a lab: which process is a lab's (pids get reused, daemons leave
zombies), how teardown stops them, and how host tools fail. The labs themselves are tested by the lab modules
(tests/labs/routers/test_net_lab*.py, tests/cutover/test_cutover_*lab.py)."""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from govctl.labs import core
from govctl.network.errors import LabError

NS = "gltest-001"


def _daemon(*argv: str, ignore_term: bool = False) -> subprocess.Popen[bytes]:
    """A child that looks like a lab process: ``argv`` on its command line."""
    code = "import signal, time\n"
    if ignore_term:
        code += "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    code += "print('ready', flush=True)\ntime.sleep(60)\n"
    proc = subprocess.Popen([sys.executable, "-c", code, *argv], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    return proc


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for p in started:
        p.kill()
        p.wait()


def test_a_process_is_ours_only_while_it_runs_and_names_the_lab(procs: list[subprocess.Popen[bytes]]) -> None:
    p = _daemon("-d", "-N", NS, "-f", "/dev/null")
    procs.append(p)
    assert core.ours(p.pid, core.frr_marker(NS))
    # another router whose name this one's begins with is not this router
    assert not core.ours(p.pid, core.frr_marker("gltest-00"))
    assert not core.ours(p.pid, core.frr_marker("gltest-0011"))
    p.kill()
    time.sleep(0.2)  # exited, not reaped: a zombie still has its pid and is no longer a lab's process
    assert core.zombie(p.pid)
    assert not core.ours(p.pid, core.frr_marker(NS))
    p.wait()
    assert not core.ours(p.pid, core.frr_marker(NS))


def test_stop_terminates_kills_the_stubborn_and_spares_strangers(tmp_path: Path,
                                                                  procs: list[subprocess.Popen[bytes]]) -> None:
    polite, stubborn, stranger = _daemon("-N", NS), _daemon("-N", NS, ignore_term=True), _daemon("-N", "other")
    procs += [polite, stubborn, stranger]
    files = []
    for name, p in (("polite", polite), ("stubborn", stubborn), ("stranger", stranger)):
        (tmp_path / f"{name}.pid").write_text(f"{p.pid}\n")
        files.append((tmp_path / f"{name}.pid", core.frr_marker(NS)))
    files.append((tmp_path / "absent.pid", core.frr_marker(NS)))
    t0 = time.monotonic()
    assert core.stop(files, grace=1.0) == 2
    assert polite.wait(timeout=5) == -signal.SIGTERM
    assert stubborn.wait(timeout=5) == -signal.SIGKILL
    assert time.monotonic() - t0 >= 1.0  # the stubborn one had its grace
    assert stranger.poll() is None and core.ours(stranger.pid, core.frr_marker("other"))


def test_wait_pid_reads_a_pid_file_written_later_and_gives_up_naming_it(tmp_path: Path) -> None:
    late = tmp_path / "zebra.pid"
    def write_later() -> None:
        # a plain sleep, not threading.Timer: a Timer's timed condition wait never returns under libfaketime's
        # shifted clock (the CI's faketime run, tools/test step 6)
        time.sleep(0.2)
        late.write_text("4242\n")

    threading.Thread(target=write_later, daemon=True).start()
    assert core.wait_pid(late, timeout=5) == 4242
    with pytest.raises(LabError, match="never.pid did not appear within 0 s"):
        core.wait_pid(tmp_path / "never.pid", timeout=0.1)


def test_host_tools_fail_as_lab_errors_with_their_words() -> None:
    assert core.run([sys.executable, "-c", "print('hi')"]) == "hi\n"
    with pytest.raises(LabError, match="exited 3: no such router"):
        core.run([sys.executable, "-c", "import sys; sys.stderr.write('no such router'); sys.exit(3)"])
    assert core.run([sys.executable, "-c", "import sys; sys.exit(3)"], check=False) == ""
    with pytest.raises(LabError, match="timed out after 0 s"):
        core.run([sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.2)


def test_the_login_shell_is_one_script_entered_from_outside_when_asked() -> None:
    assert core.SHELL.is_file()
    assert core.labshell(NS) == f"/bin/sh {core.SHELL} {NS}"
    assert core.labshell(NS, enter=True) == f"/bin/sh {core.SHELL} --enter {NS}"
    # what a login (and its commit-confirm timer) shows on its command line after entering
    assert core.shell_marker(NS) in f"/bin/sh {core.SHELL} {NS} "
