"""Where govctl keeps state (govctl.core.statedir): one rule for every command, and the lock on an inventory."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from govctl.core import statedir
from govctl.core.errors import RuntimeFailure


def test_the_state_directory_is_beside_the_inventory_from_any_working_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("GOVCTL_STATE_DIR")
    inv = tmp_path / "inv"
    inv.mkdir()
    monkeypatch.chdir(tmp_path)
    here = statedir.root(Path("inv"))
    monkeypatch.chdir(inv)
    assert statedir.root(Path(".")) == here == inv / ".govctl"
    assert statedir.area(Path("."), "runs") == inv / ".govctl" / "runs"
    with pytest.raises(ValueError, match="unknown state area"):
        statedir.area(inv, "plans")


def test_the_option_beats_the_environment_which_beats_the_rule(tmp_path: Path, monkeypatch) -> None:
    inv = tmp_path / "inv"
    monkeypatch.setenv("GOVCTL_STATE_DIR", str(tmp_path / "env"))
    assert statedir.root(inv) == tmp_path / "env"
    statedir.set_override(tmp_path / "opt")
    try:
        assert statedir.area(inv, "cutover") == tmp_path / "opt" / "cutover"
    finally:
        statedir.set_override(None)
    assert statedir.root(inv) == tmp_path / "env"


def test_an_inventory_inside_an_installed_package_keeps_its_state_in_the_users_state_dir(tmp_path: Path,
                                                                                         monkeypatch) -> None:
    monkeypatch.delenv("GOVCTL_STATE_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    inv = tmp_path / "lib" / "site-packages" / "govctl" / "inventories" / "example"
    inv.mkdir(parents=True)
    root = statedir.root(inv)
    assert root.parent == tmp_path / "xdg" / "govctl" and root.name.startswith("example-")
    other = tmp_path / "venv2" / "site-packages" / "govctl" / "inventories" / "example"
    assert statedir.root(other) != root  # two installs never share runs


def test_the_labs_are_host_wide(monkeypatch) -> None:
    monkeypatch.delenv("GOVCTL_LAB_DIR", raising=False)
    assert statedir.lab_dir() == Path("/var/lib/govctl/lab")
    monkeypatch.setenv("GOVCTL_LAB_DIR", "/tmp/lab")
    assert statedir.lab_dir() == Path("/tmp/lab")


HOLDER = """
import sys, time
from pathlib import Path
from govctl.core import statedir
with statedir.lock(Path(sys.argv[1]), "net", "net push"):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_run_is_refused_naming_the_holders_pid_and_start_time(tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    inv.mkdir()
    first = subprocess.Popen([sys.executable, "-c", HOLDER, str(inv)], stdout=subprocess.PIPE, text=True,
                             env=os.environ.copy())
    try:
        assert first.stdout is not None and first.stdout.readline().strip() == "held"
        with pytest.raises(statedir.StateLocked) as refused:
            with statedir.lock(inv, "net", "net push"):
                pytest.fail("the lock was taken twice")
        msg = str(refused.value)
        assert f"pid {first.pid}" in msg and "another net push is running" in msg
        assert re.search(r"started \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", msg)
        assert isinstance(refused.value, RuntimeFailure)  # exit 1
        with statedir.lock(inv, "apply", "apply"):  # another kind of run is not blocked
            pass
        assert statedir.holder(statedir.lock_path(inv, "net")).pid == first.pid  # type: ignore[union-attr]
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    # the holder died without cleaning up: its lock file is still there, and is taken over
    path = statedir.lock_path(inv, "net")
    assert path.exists() and statedir.holder(path) is None
    with statedir.lock(inv, "net", "net rollback"):
        assert statedir.holder(path).command == "net rollback"  # type: ignore[union-attr]
    assert statedir.holder(path) is None


def test_cutover_status_finds_the_run_from_any_directory(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from govctl.cli import app
    from govctl.cutover.journal import Journal, journals_dir

    monkeypatch.delenv("GOVCTL_STATE_DIR")
    inv = tmp_path / "inv"
    inv.mkdir()
    (inv / "province.yaml").write_text("{}\n")  # enough to be found as the current directory's inventory
    j = Journal.create(journals_dir(None, inv), "health-net")
    j.append("start", network="health-net", inventory=str(inv))
    assert j.directory == inv / ".govctl" / "cutover"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOVCTL_INVENTORY", str(inv))
    r = CliRunner().invoke(app, ["cutover", "status", "health-net", "--json"])
    assert r.exit_code == 0, r.output
    assert '"state": "interrupted"' in r.stdout and j.run in r.stdout
    monkeypatch.chdir(inv)
    monkeypatch.delenv("GOVCTL_INVENTORY")
    r = CliRunner().invoke(app, ["cutover", "status", "health-net", "--json"])
    assert r.exit_code == 0 and j.run in r.stdout, r.output


def test_net_runs_finds_an_inventorys_runs_from_any_directory(tmp_path: Path, monkeypatch) -> None:
    """`net runs` takes the inventory as an option (its positional argument is a run id), so the runs of
    `govctl net push inventories/x` are listed from wherever the user stands."""
    import json

    from typer.testing import CliRunner

    from govctl.cli import app
    from govctl.network.journal import Journal

    monkeypatch.delenv("GOVCTL_STATE_DIR")
    monkeypatch.delenv("GOVCTL_INVENTORY", raising=False)
    inv = tmp_path / "inv"
    inv.mkdir()
    (inv / "province.yaml").write_text("province: {}\n", encoding="utf-8")
    Journal("20261201T000000Z-00aa", root=statedir.area(inv, "runs")).record("r1", "start", batch=0)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    r = CliRunner().invoke(app, ["net", "runs", "-i", str(inv), "--json"])
    assert r.exit_code == 0, r.output
    assert [row["run_id"] for row in json.loads(r.stdout)] == ["20261201T000000Z-00aa"]
    r = CliRunner().invoke(app, ["net", "runs", "20261201T000000Z-00aa", "--inventory", str(inv), "--json"])
    assert r.exit_code == 0 and "r1" in r.stdout
    r = CliRunner().invoke(app, ["net", "runs", "--json"])  # no inventory here, none named
    assert r.exit_code == 2 and "no inventory" in r.output
