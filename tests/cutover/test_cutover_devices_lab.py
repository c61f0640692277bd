"""`govctl cutover run` without --lab: the DeviceExecutor against the lab's FRR routers over SSH.

The lab here is only the network: every router gets an sshd on an out-of-band management
namespace and is addressed like a production device (a device overlay with its management
address, platform frr, the lab's key and known_hosts). Steps are FRR driver transactions
(frr-reload compare / commit with commit-confirm / confirm), probes are the driver's ping from
the probe points, restores are replaces with the saved configuration. What the lab still decides
is the rendering: its FRR variant (one routing instance per VPN), since this kernel has no VRF.
The people's steps (the carrier's new circuit beside the old line, the department's CE moving its traffic onto
it) are done by the test, as they would be, and confirmed like a person.
"""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from cutover_fixtures import ROOT, make_inventory, require_ssh_lab

pytestmark = pytest.mark.lab

require_ssh_lab()

from govctl.inventory.validate import load_valid  # noqa: E402
from govctl.ipv6.planner import plan as ipv6_plan  # noqa: E402
from govctl.cutover.devices import DeviceExecutor, load_overlay  # noqa: E402
from govctl.cutover.journal import Journal  # noqa: E402
from govctl.cutover.lab import Lab, circuit_config, device_overlay, lab_render, swing_config  # noqa: E402
from govctl.cutover.planner import plan_cutover  # noqa: E402
from govctl.cutover.runner import Options, Outcome, execute, rollback  # noqa: E402
from govctl.network.workflow import production_targets  # noqa: E402

NETWORK = "health-net"
AT = "2036-12-05T01:00:00+08:00"  # inside health-net's window


def govctl(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from govctl.cli import main; main()", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


class World:
    """The inventory, the plan, the SSH lab, its device overlay and every router's config before the test."""

    def __init__(self, tmp: Path) -> None:
        from datetime import datetime

        self.tmp = tmp
        self.inv = make_inventory(tmp)
        self.loaded = load_valid(self.inv)
        self.plan = plan_cutover(self.loaded.inventory, ipv6_plan(self.loaded.inventory), NETWORK,
                                 now=datetime.fromisoformat(AT), origins=self.loaded.origins)
        self.lab = Lab.up(self.plan, ssh=True)
        self.overlay_path = tmp / "devices.yaml"
        self.write_overlay(device_overlay(self.lab.st))
        self.before = self.configs()
        self.journals = tmp / "journals"
        self.circuits = [s.id for s in self.plan.steps if s.id.startswith("circuit-")]
        self.swings = [s.id for s in self.plan.steps if s.id.startswith("swing-")]

    def write_overlay(self, data: dict) -> Path:
        self.overlay_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return self.overlay_path

    def configs(self) -> dict[str, str]:
        """Every router's running config, read locally (vtysh in its namespace), not through the driver."""
        return {name: self.lab.running(name) for name in self.lab.st.instances}

    def bring_up_circuits(self, undo: bool = False) -> None:
        """What the carrier and the department do first: each site's new circuit up beside the old line (or
        released)."""
        for sid in self.circuits:
            ce, text = circuit_config(self.lab.st, self.plan, sid[len("circuit-"):], undo=undo)
            self.lab.apply(ce, text)

    def move_traffic(self, undo: bool = False) -> None:
        """What the department does at a swing: its CE routes via the PE (or back via the old line)."""
        for sid in self.swings:
            ce, text = swing_config(self.lab.st, self.plan, sid[len("swing-"):], undo=undo)
            self.lab.apply(ce, text)

    def executor(self, **kw) -> DeviceExecutor:  # noqa: ANN003
        overlay = load_overlay(self.overlay_path, self.plan,
                               production_targets(self.loaded.inventory, ipv6_plan(self.loaded.inventory)))
        return DeviceExecutor(self.plan, overlay, observe_seconds=1, **kw)

    def execute(self, render: Callable[..., Any]) -> tuple[Journal, Outcome]:
        """The plan run in this process under a new journal, each step typing what ``render`` gives."""
        journal = Journal.create(self.journals, NETWORK)
        ex = self.executor(render=render).attach(journal)
        try:
            return journal, execute(self.plan, ex, journal, Options(), start={"network": NETWORK, "lab": False})
        finally:
            ex.close()

    def run(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return govctl("cutover", "run", NETWORK, str(self.inv), "--devices", str(self.overlay_path), "--at", AT,
                      "--journal-dir", str(self.journals), "--observe-seconds", "1", *extra)

    def status(self) -> dict:
        r = govctl("cutover", "status", NETWORK, "--journal-dir", str(self.journals), "--json")
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    try:
        yield w
    finally:
        ssh_dir = w.lab.st.ssh_dir
        w.lab.down()
        # down removes everything the lab started: sshd retitles itself, so look for its config path anywhere
        left = [pid for pid in os.listdir("/proc") if ssh_dir and pid.isdigit() and _cmdline_has(pid, ssh_dir)]
        assert not left, f"lab down left sshd processes behind: {left}"


def _cmdline_has(pid: str, needle: str) -> bool:
    try:
        return needle in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def _undone_exactly(journal: Journal) -> None:
    """Every begun step was undone on its devices (FRR: back to the step's checkpoint, by a replace), and that
    alone gave back every saved config: the final restore had nothing to do."""
    undos = [r for r in journal.records() if r.event == "rollback" and r.step and r.status != "begin"]
    assert undos and all(r.status == "done" for r in undos), [(r.step, r.status, r.detail) for r in undos]
    end = journal.ended()
    assert end is not None and end.detail["exact_undo"] is True


def _journal_files(journals: Path) -> list[Path]:
    return [p for p in journals.rglob("*") if p.is_file()]


def test_failed_post_check_rolls_every_device_back_exactly(world: World) -> None:
    # the new circuits are up, --yes confirms every people's step, but no one moves the traffic: the new path is
    # ready, yet the sites (still on the old line) cannot reach the cloud over the VPN
    world.bring_up_circuits()
    r = world.run("--yes", "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    rep = json.loads(r.stdout)
    assert rep["state"] == "rolled-back", rep["message"]
    failed = {c["id"] for c in rep["checks"] if not c["ok"]}
    assert failed and all(c.startswith("cloud-") for c in failed), failed
    steps = {s["step"]: s["status"] for s in rep["steps"]}
    assert steps["converge"] == "done" and steps["postcheck"] == "failed"
    ready = [c for c in rep["checks"] if c["phase"] == "ready"]
    assert ready and all(c["ok"] and "from " in c["detail"] for c in ready), ready  # pinged on the devices
    rolled = {c["id"]: c["ok"] for c in rep["checks"] if c["phase"] == "rollback"}
    assert {"config-alpha-r1", "config-alpha-r2", "config-example-core1"} <= set(rolled)
    assert all(rolled.values()), rolled
    assert any(k.startswith("site-") for k in rolled)  # the baseline over the old line is proven again
    world.bring_up_circuits(undo=True)
    assert world.configs() == world.before  # every router, read locally: exactly as before
    journal = Journal.latest(world.journals, NETWORK)
    _undone_exactly(journal)
    notes = [(r.step, r.detail.get("confirmed")) for r in journal.records() if r.event == "note"]
    # each people's step confirmed, forwards and (by the rollback) back
    manual = world.circuits + world.swings
    assert sorted(notes) == sorted([(s, "--yes") for s in manual] + [(f"rollback-{s}", "--yes") for s in manual])
    assert journal.start()["lab"] is False and journal.start()["devices"] == str(world.overlay_path)
    saved = journal.saved_dir
    assert sorted(p.name for p in saved.iterdir()) == ["alpha-r1.conf", "alpha-r2.conf", "example-core1.conf"]
    assert stat.S_IMODE(saved.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in saved.iterdir())
    key = (Path(world.lab.st.ssh_dir) / "id_ed25519").read_text()
    secret = key.strip().splitlines()[1]
    assert not any(secret in p.read_text(errors="replace") for p in _journal_files(world.journals))


def test_a_new_path_that_is_not_up_moves_no_traffic(world: World) -> None:
    # --yes confirms the new circuits, but nobody brings them up: the readiness probes fail, no traffic moves
    r = world.run("--yes", "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    rep = json.loads(r.stdout)
    assert rep["state"] == "rolled-back" and "no traffic was moved" in rep["message"], rep["message"]
    failed = {c["id"] for c in rep["checks"] if not c["ok"]}
    assert failed == {pr.id for pr in world.plan.readiness}, failed
    steps = {s["step"]: s["status"] for s in rep["steps"]}
    assert steps["converge"] == "failed" and all(v == "pending" for k, v in steps.items() if k.startswith("swing-"))
    assert world.configs() == world.before
    _undone_exactly(Journal.latest(world.journals, NETWORK))


def test_manual_steps_wait_for_confirmation_then_resume_and_rollback(world: World) -> None:
    r = world.run()  # no --yes, no tty: the run stops at the first new circuit, resumable
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"manual step '{world.circuits[0]}'" in r.stderr and "--confirm-manual" in r.stderr
    st = world.status()
    assert st["state"] == "waiting" and world.circuits[0] in st["message"]
    done = [s["step"] for s in st["steps"] if s["status"] == "done"]
    assert done[-1] == "access-example-core1" and world.circuits[0] not in done
    world.bring_up_circuits()
    confirm = [a for sid in world.circuits for a in ("--confirm-manual", sid)]
    r = govctl("cutover", "resume", NETWORK, "--journal-dir", str(world.journals), *confirm)
    # the new path is checked, then the run waits for the department to move the first site's traffic
    assert r.returncode == 1 and f"manual step '{world.swings[0]}'" in r.stderr, r.stdout + r.stderr
    st = world.status()
    assert {s["step"]: s["status"] for s in st["steps"]}["converge"] == "done"
    world.move_traffic()
    confirm = [a for sid in world.swings for a in ("--confirm-manual", sid)]
    r = govctl("cutover", "resume", NETWORK, "--journal-dir", str(world.journals), *confirm)
    # post-checks pass over the extranet; the point of no return is a manual step nobody confirmed
    assert r.returncode == 1 and "manual step 'teardown-carrier'" in r.stderr, r.stdout + r.stderr
    st = world.status()
    steps = {s["step"]: s["status"] for s in st["steps"]}
    assert steps["postcheck"] == "done" and steps["observe"] == "done" and "teardown-carrier" not in steps
    post = [c for c in st["checks"] if c["phase"] == "post"]
    assert post and all(c["ok"] for c in post), post
    assert any(c["id"].startswith("cloud-") for c in post) and any(c["id"].startswith("isolated-") for c in post)
    assert all("from " in c["detail"] for c in post if c["id"] != "nothing-else-changed")  # measured on devices
    after = world.configs()
    assert after["pe0"] != world.before["pe0"]  # the VPN is on the PEs
    r = govctl("cutover", "rollback", NETWORK, "--journal-dir", str(world.journals))
    assert r.returncode == 1 and f"manual step 'rollback-{world.swings[-1]}'" in r.stderr, r.stdout + r.stderr
    world.move_traffic(undo=True)
    world.bring_up_circuits(undo=True)
    confirm = [a for sid in world.circuits + world.swings for a in ("--confirm-manual", f"rollback-{sid}")]
    r = govctl("cutover", "rollback", NETWORK, "--journal-dir", str(world.journals), "--json", *confirm)
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["state"] == "rolled-back"
    assert world.configs() == world.before
    _undone_exactly(Journal.latest(world.journals, NETWORK))


def test_a_rejected_line_leaves_no_device_half_configured(world: World) -> None:
    render = lab_render(world.lab.st, world.plan)

    def broken(step, undo):  # noqa: ANN001, ANN202
        out = render(step, undo)
        if step.id == "access-alpha-r2" and not undo:
            out = [(d, t + "interface a9999\n ip address 203.0.113.300/31\nexit\n") for d, t in out]
        return out

    journal, outcome = world.execute(broken)
    assert outcome.state == "rolled-back", outcome.message
    failed = [r for r in journal.records() if r.event == "step" and r.status == "failed"]
    assert [r.step for r in failed] == ["access-alpha-r2"]
    assert "alpha-r2" in failed[0].detail["error"] and "rejected" in failed[0].detail["error"]
    assert all(c["ok"] for c in outcome.checks if c["phase"] == "rollback")
    assert world.configs() == world.before
    _undone_exactly(journal)


def _kill_sshd(lab: Lab, instance: str) -> None:
    """The router's sshd and every session it serves (children of the listener this lab started)."""
    pid = lab.sshd_pid(instance)
    kids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and
            _ppid(int(p.name)) == pid]
    for k in [pid, *kids]:
        try:
            os.kill(k, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _start_sshd(lab: Lab, instance: str) -> None:
    cfg = Path(lab.st.ssh_dir) / instance / "sshd_config"
    subprocess.run(["ip", "netns", "exec", lab.st.oob, "/usr/sbin/sshd", "-f", str(cfg)], check=True)
    time.sleep(0.3)


def test_a_device_lost_mid_change_is_restored_once_it_answers_again(world: World) -> None:
    render = lab_render(world.lab.st, world.plan)
    inst = world.lab.st.pe_of["example-core1"]

    def losing(step, undo):  # noqa: ANN001, ANN202
        if step.id == "access-example-core1" and not undo:
            _kill_sshd(world.lab, inst)  # its management goes away after its first change
        return render(step, undo)

    journal, outcome = world.execute(losing)
    assert outcome.state == "failed" and "ROLLBACK INCOMPLETE" in outcome.message
    checks = {c["id"]: c for c in outcome.checks if c["phase"] == "rollback"}
    assert not checks["config-example-core1"]["ok"] and "not restored" in checks["config-example-core1"]["detail"]
    assert checks["config-alpha-r1"]["ok"] and checks["config-alpha-r2"]["ok"]
    now = world.configs()
    assert {k: v for k, v in now.items() if k != inst} == {k: v for k, v in world.before.items() if k != inst}
    assert now[inst] != world.before[inst]  # its VPN is still there: it could not be reached
    _start_sshd(world.lab, inst)
    ex = world.executor().attach(journal)
    try:
        again = rollback(world.plan, ex, journal, reason="device reachable again")
    finally:
        ex.close()
    assert again.state == "rolled-back", again.message
    assert world.configs() == world.before


def test_unreachable_device_or_wrong_credentials_fail_before_any_change(world: World) -> None:
    data = device_overlay(world.lab.st)
    # an on-link management address nobody holds (never via a default route)
    data["devices"]["alpha-r2"]["host"] = str(world.lab.st.mgmt["pe1"]).rsplit(":", 1)[0] + ":ff"
    world.write_overlay(data)
    r = world.run("--yes")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "alpha-r2: connect: unreachable" in r.stdout + r.stderr and "nothing was changed" in r.stdout + r.stderr
    assert world.status()["state"] == "failed"
    assert world.configs() == world.before

    other_key = world.tmp / "not-the-key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other_key)], check=True)
    data = device_overlay(world.lab.st)
    data["devices"]["example-core1"]["credentials"] = f"file:{other_key}"
    world.write_overlay(data)
    r = world.run("--yes")
    assert r.returncode == 1 and "example-core1: connect: authentication failed" in r.stdout + r.stderr, \
        r.stdout + r.stderr
    assert world.configs() == world.before

    data = device_overlay(world.lab.st)
    data["devices"]["alpha-r1"]["credentials"] = "env:GOVCTL_TEST_UNSET_SECRET"
    world.write_overlay(data)
    runs = len(list(world.journals.glob("*.jsonl")))
    r = world.run("--yes")
    assert r.returncode == 2 and "GOVCTL_TEST_UNSET_SECRET is not set" in r.stderr, r.stdout + r.stderr
    assert len(list(world.journals.glob("*.jsonl"))) == runs  # refused before a journal was even started
    assert world.configs() == world.before
