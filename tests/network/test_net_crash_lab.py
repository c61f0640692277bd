"""Crash matrix on the router lab: the controller is killed (SIGKILL) at each journal step boundary of a
push, a rollback and a resume, and while a router is applying its change; then recovery runs. After
every case each router's running and startup configs are read from the router (vtysh, frr.conf) and
compared byte for byte with what the journal says: a rollback that exits 0 has given every router its
saved config back, running and startup; a resume that exits 0 has every router on its intended config
with the startup config saved.

The lab is its own (inventory 'crashnet', management /64 2001:db8:fffc::/64), six routers; two city
routers are pushed. The controller runs as a subprocess through a small wrapper that kills it right
after a chosen journal line is on disk, or right after the change was sent to the router and before
its answer is read: no fault hooks in the product.
"""
from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from capabilities import need_router_lab
from govctl.network.models import DeviceTarget
from net_helpers import alive, lab_configs, lab_inventory, lab_vtysh, router_lab_env, router_sessions, wait_for

pytestmark = pytest.mark.lab

NEEDS = ["/usr/lib/frr/zebra", "/usr/lib/frr/frr-reload.py", "/usr/sbin/sshd"]
PAIR = ("alpha-r1", "alpha-r2")  # pushed in this order (--parallel 1)
A, B = PAIR

# Kills the controller at a point of its run. argv: NODE POINT govctl-args...; POINT is a journal step
# (killed right after that step of NODE is on disk) or "apply" (killed once the change was sent to NODE's
# router and the router has applied it, before the controller reads its answer: the journal never learns
# of it). Prints nothing of its own.
WRAPPER = r"""
import os, signal, sys, time
node, point = sys.argv[1], sys.argv[2]
if point == "apply":
    from govctl.network.platforms.frr import driver as frr
    real = frr.FrrDriver._channel
    def channel(self, command, stdin, step, timeout):
        if self.target.node == node and command.startswith("apply"):
            chan = self._ssh.get_transport().open_session(timeout=8)
            chan.exec_command(command)
            chan.sendall(stdin.encode())
            chan.shutdown_write()
            # the router has the change: its answer starts once its vtysh has applied it (not a sleep, which
            # a loaded machine could outrun); the controller dies before reading that answer
            deadline = time.monotonic() + 60
            while not (chan.recv_ready() or chan.exit_status_ready()) and time.monotonic() < deadline:
                time.sleep(0.005)
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, command, stdin, step, timeout)
    frr.FrrDriver._channel = channel
else:
    from govctl.network import journal
    real = journal.Journal.record
    def record(self, n, step, **detail):
        real(self, n, step, **detail)
        if n == node and step == point:
            os.kill(os.getpid(), signal.SIGKILL)
    journal.Journal.record = record
from govctl.cli import main
sys.argv = ["govctl", *sys.argv[3:]]
main()
"""




class Lab:
    def __init__(self, inventory: Path, env: dict[str, str]) -> None:
        self.inventory, self.env = inventory, env
        self.netns: dict[str, str] = {}
        self.baseline: dict[str, tuple[str, str]] = {}

    def govctl(self, *args: str, kill: tuple[str, str] | None = None, timeout: float = 180
               ) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-c", WRAPPER, *(kill or ("", "")), *args]
        return subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout)

    def push(self, *extra: str, kill: tuple[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return self.govctl("net", "push", str(self.inventory), "--lab", "--limit", ",".join(PAIR), "--canary", "0",
                           "--parallel", "1", "--verify-timeout", "20", "--json", *extra, kill=kill)

    def rollback(self, run: str, kill: tuple[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return self.govctl("net", "rollback", run, str(self.inventory), "--lab", "--json", kill=kill)

    def vtysh(self, node: str, *commands: str) -> str:
        return lab_vtysh(self.netns[node], *commands)

    def read(self, node: str) -> tuple[str, str]:
        """(running, startup) as the router has them, in the form the journal saves."""
        return lab_configs(self.netns[node])

    def runs(self) -> set[str]:
        base = Path(self.env["GOVCTL_STATE_DIR"]) / "runs"
        return {p.name for p in base.iterdir()} if base.is_dir() else set()

    def journal(self, run: str):  # noqa: ANN201
        from govctl.network.journal import Journal

        return Journal(run, root=Path(self.env["GOVCTL_STATE_DIR"]) / "runs", create=False)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    need_router_lab(NEEDS)
    root = tmp_path_factory.mktemp("crash")
    inventory = lab_inventory(root, "crashnet", "2001:db8:fffc:")
    with router_lab_env(root, "crashnet") as env:
        from govctl.labs.routers import runner

        lab = Lab(inventory, env)
        up = lab.govctl("lab", "up", str(inventory), "--max-nodes", "6", "--json")
        assert up.returncode == 0, up.stdout + up.stderr
        state = runner.load_state("crashnet")
        lab.netns = {n.node: n.netns for n in state.nodes}
        for node in lab.netns:  # frr.conf as vtysh writes it, so startup and running compare as bytes
            lab.vtysh(node, "write memory")
        lab.baseline = {n: lab.read(n) for n in lab.netns}
        assert all(running == startup for running, startup in lab.baseline.values())
        yield lab


def _ssh_answers(target: DeviceTarget) -> bool:
    try:
        with socket.create_connection((target.host, target.port), timeout=2) as s:
            return s.recv(4).startswith(b"SSH-")
    except OSError:
        return False


def _new_run(lab: Lab, before: set[str]) -> str:
    (run,) = lab.runs() - before
    return run


def _assert_baseline(lab: Lab, run: str) -> None:
    """Every router runs and has saved exactly its config from before the run, and for the devices
    the run touched that is byte for byte the config the journal saved."""
    journal = lab.journal(run)
    for node in lab.netns:
        running, startup = lab.read(node)
        assert running == lab.baseline[node][0], f"{node}: running config is not the one from before the run"
        assert startup == lab.baseline[node][1], f"{node}: startup config is not the one from before the run"
        saved = journal.before(node)
        if saved is not None:
            assert running == saved, f"{node}: running config differs from the journal's saved config"


def _assert_intended(lab: Lab, run: str) -> None:
    """Both pushed routers run their intended config and have saved it (startup == running)."""
    from govctl.network.platforms.frr.driver import FrrDriver
    from govctl.network.workflow import load

    ctx = load(lab.inventory, lab=True)
    configs = ctx.configs()
    for node in PAIR:
        d = FrrDriver(ctx.targets[node], timeout=15)
        d.open()
        try:
            d.load_replace_candidate(configs[node])
            assert d.compare_config() == "", f"{node} is not on its intended config"
        finally:
            d.close()
        running, startup = lab.read(node)
        assert startup == running, f"{node}: startup config not saved"
        assert running != lab.baseline[node][0]
    assert (lab.journal(run).dir / "intended" / f"{A}.cfg").read_text() == configs[A]


def _rollback_ok(lab: Lab, run: str) -> dict[str, object]:
    rb = lab.rollback(run)
    assert rb.returncode == 0, rb.stdout + rb.stderr
    _assert_baseline(lab, run)
    return json.loads(rb.stdout)


@pytest.mark.parametrize("point", ["saved", "commit-intent", "apply", "committed", "verified", "result"])
def test_push_killed_then_rollback_restores_every_router(lab: Lab, point: str) -> None:
    before = lab.runs()
    killed = lab.push(kill=(A, point))
    assert killed.returncode == -9, killed.stdout + killed.stderr
    run = _new_run(lab, before)
    # what the router did once the controller was gone: nothing before the commit was sent; the whole
    # change once it was sent (the router finishes applying on its own: the case the journal missed).
    # Read it once the router is done: no session of A's is still running (an apply in flight finishes).
    wait_for(lambda: not router_sessions(lab.netns[A]), f"{A}'s sessions end after the controller was killed")
    changed = lab.read(A)[0] != lab.baseline[A][0]
    assert changed == (point not in ("saved", "commit-intent")), f"{A} after a kill at {point}: changed={changed}"
    out = _rollback_ok(lab, run)
    restored = {r["node"] for r in out["results"]}
    # a router the controller had announced a commit to is covered, whatever it did after the kill
    assert (A in restored) == (point != "saved"), out
    assert B not in restored
    steps = [s.step for s in lab.journal(run).steps() if s.node == A]
    if point != "saved":
        assert "rollback-checked" in steps and "restore-failed" not in steps


@pytest.mark.parametrize("point", ["commit-intent", "apply", "committed"])
def test_push_killed_then_resume_finishes_then_rollback_undoes_it_all(lab: Lab, point: str) -> None:
    before = lab.runs()
    assert lab.push(kill=(A, point)).returncode == -9
    run = _new_run(lab, before)
    resumed = lab.push("--resume", run)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    result = json.loads(resumed.stdout)
    assert {r["node"]: r["status"] for r in result["results"]} == {A: "changed", B: "changed"}
    _assert_intended(lab, run)
    steps = [s.step for s in lab.journal(run).steps() if s.node == A]
    assert steps.count("checked") == 1  # the resume's final read of the router
    out = _rollback_ok(lab, run)
    assert {r["node"] for r in out["results"]} == set(PAIR)


def test_resume_killed_too_then_resume_again(lab: Lab) -> None:
    before = lab.runs()
    assert lab.push(kill=(A, "apply")).returncode == -9
    run = _new_run(lab, before)
    assert lab.push("--resume", run, kill=(B, "apply")).returncode == -9
    again = lab.push("--resume", run)
    assert again.returncode == 0, again.stdout + again.stderr
    _assert_intended(lab, run)
    _rollback_ok(lab, run)


@pytest.mark.parametrize("point", ["restore-intent", "apply", "restored"])
def test_rollback_killed_then_rollback_again(lab: Lab, point: str) -> None:
    before = lab.runs()
    done = lab.push()
    assert done.returncode == 0, done.stdout + done.stderr
    run = _new_run(lab, before)
    # rollback restores in reverse order: B first, then A
    assert lab.rollback(run, kill=(B, point)).returncode == -9
    _rollback_ok(lab, run)


def test_a_router_changed_behind_the_journal_is_restored_or_named(lab: Lab) -> None:
    """Someone changes A by hand after the crash: a line outside govctl's scope (a static route) and one
    inside it (an IPv6 address on the loopback). The rollback gives back govctl's part only: the owned
    line goes (it is govctl's), the foreign one stays byte for byte (it is not govctl's to undo, whoever
    added it); everything else is A's saved config. And while A cannot be reached the rollback must not
    say done."""
    before = lab.runs()
    assert lab.push(kill=(A, "committed")).returncode == -9
    run = _new_run(lab, before)
    foreign, owned = "ipv6 route 2001:db8:ffff:ffff::/64 blackhole", "ipv6 address 2001:db8:ffff:fffe::1/128"
    lab.vtysh(A, "configure terminal", foreign, "interface lo", owned, "exit", "end", "write memory")
    subprocess.run(["ip", "-n", lab.netns[A], "link", "set", "mgmt0", "down"], check=True)
    try:
        failed = lab.rollback(run)
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert A in failed.stderr and "unreachable" in failed.stderr
    finally:
        subprocess.run(["ip", "-n", lab.netns[A], "link", "set", "mgmt0", "up"], check=True)
    # A answers on SSH again (its address is usable once the link is up and duplicate detection is done)
    from govctl.network.workflow import load

    target = load(lab.inventory, lab=True).targets[A]
    wait_for(lambda: _ssh_answers(target), f"{A} answers on SSH after its link came back")
    rb = lab.rollback(run)
    assert rb.returncode == 0, rb.stdout + rb.stderr
    assert {r["node"] for r in json.loads(rb.stdout)["results"]} == {A}
    running, startup = lab.read(A)
    assert startup == running
    assert foreign in running.splitlines(), "the rollback undid a line outside govctl's scope"
    assert "2001:db8:ffff:fffe::1" not in running, "the rollback left a line of govctl's scope"
    assert [x for x in running.splitlines() if x != foreign] == lab.baseline[A][0].splitlines()
    checked = [s.detail for s in lab.journal(run).steps() if s.node == A and s.step == "rollback-checked"]
    assert checked[-1]["ok"] and "owned scope" in checked[-1]["compared"]
    # the operator's line is theirs to remove: back to the lab's baseline for the next case
    lab.vtysh(A, "configure terminal", f"no {foreign}", "end", "write memory")
    _assert_baseline(lab, run)


def test_net_diff_exits_1_when_a_router_cannot_be_read(lab: Lab) -> None:
    subprocess.run(["ip", "-n", lab.netns[B], "link", "set", "mgmt0", "down"], check=True)
    try:
        r = lab.govctl("net", "diff", str(lab.inventory), "--lab", "--limit", ",".join(PAIR), "--json")
        assert r.returncode == 1, r.stdout + r.stderr
        assert B in r.stderr
    finally:
        subprocess.run(["ip", "-n", lab.netns[B], "link", "set", "mgmt0", "up"], check=True)


def test_a_commit_confirm_timer_left_by_the_dead_controller_is_stopped_by_the_resume(lab: Lab) -> None:
    """Killed between the commit (with --revert-in) and its confirmation: the router's timer would put
    the old config back by itself after the resume had journaled the device as done."""
    before = lab.runs()
    assert lab.push("--revert-in", "12", kill=(A, "committed")).returncode == -9
    run = _new_run(lab, before)
    pidfile = Path(f"/var/run/frr/{lab.netns[A]}/revert.pid")
    timer = int(pidfile.read_text())  # the dead controller left it armed
    assert alive(timer)
    # the lab knows the timer for its own (labs/core.py: its command line names this router's login shell),
    # so `lab status` shows it and `lab down` would stop it
    status = lab.govctl("lab", "status", str(lab.inventory), "--json")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "revert" in next(r["daemons"] for r in json.loads(status.stdout) if r["node"] == A)
    resumed = lab.push("--resume", run)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    # The timer's subshell ends when it is stopped or once it has put the old config back (after 12 s):
    # either way, when it is gone the router's config is final, and _assert_intended tells which it was.
    wait_for(lambda: not alive(timer), "the revert timer stopped or fired", timeout=120)
    assert not pidfile.exists()
    _assert_intended(lab, run)
    assert "disarmed" in [s.step for s in lab.journal(run).steps() if s.node == A]
    _rollback_ok(lab, run)
