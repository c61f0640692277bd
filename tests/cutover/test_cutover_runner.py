"""Runner and journal without a lab: a fake network whose devices hold text configs and answer probes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cutover_fixtures import NOW, inv_dir  # noqa: F401 - inv_dir is a fixture
from govctl.inventory.validate import load_valid
from govctl.ipv6.planner import plan as ipv6_plan
from govctl.cutover.errors import CutoverFailed, JournalError
from govctl.cutover.journal import Journal, RunLock
from govctl.cutover.models import Probe, Step
from govctl.cutover.planner import plan_cutover
from govctl.cutover.runner import Options, execute, report, rollback, run_one


class FakeNetwork:
    """Devices are config strings; the VPN 'works' once every step is applied; undo restores the exact text."""

    carries_out_manual_steps = True  # it moves its 'ce' itself, as the lab does

    def __init__(self, plan, fail_on: str | None = None, break_undo: str | None = None,  # noqa: ANN001
                 stuck: bool = False) -> None:
        self.plan, self.fail_on, self.break_undo, self.stuck = plan, fail_on, break_undo, stuck
        self.cfg = {n: f"hostname {n}\n" for n in plan.touched_nodes} | {"ce": "ce old line\n"}
        self.applied: list[str] = []
        self.restored: list[str] = []

    def devices(self) -> list[str]:
        return sorted(self.cfg)

    def check_access(self) -> None: ...

    def running(self, device: str) -> str:
        return self.cfg[device]

    def do(self, step: Step, undo: bool) -> None:
        if not undo and step.id == self.fail_on:
            raise CutoverFailed(f"{step.node}: configuration rejected")
        dev = step.node or "ce"
        marker = f"! {step.id}\n"
        if undo:
            if step.id == self.break_undo:
                self.cfg[dev] += "! leftover\n"  # an undo that leaves something behind
            self.cfg[dev] = self.cfg[dev].replace(marker, "")
            if step.id in self.applied:  # a step that failed half-way is undone too
                self.applied.remove(step.id)
        else:
            self.cfg[dev] += marker
            self.applied.append(step.id)

    def restore(self, device: str, saved: str) -> str:
        self.cfg[device] = saved
        self.restored.append(device)
        return ""

    def probe(self, p: Probe) -> tuple[bool, str]:
        swung = any(s.startswith("swing-") for s in self.applied)
        if p.source == "public" or p.source.startswith("other:"):
            return (True, "isolated")
        if p.target.startswith("cloud:"):
            return (swung and "access-example-core1" in self.applied, "")
        if p.target.startswith("circuit:"):  # the PE end of a site's new circuit: there once the circuit is up
            return (f"circuit-{p.target[len('circuit:'):]}" in self.applied, "")
        return (True, "")

    def isolation(self) -> list[tuple[str, bool, str]]:
        return [("isolation-import", True, "")]

    def converged(self) -> list[tuple[str, bool, str]]:
        pes = [s.id for s in self.plan.steps if s.node and s.phase.value == "prepare"]
        ok = not self.stuck and all(s in self.applied for s in pes)
        return [("converged-vpn", ok, "sessions up, routes installed" if ok else "a session stays down")]

    def others(self) -> dict[str, str]:
        return {"oth": "routes"}

    def observe(self, minutes: int) -> None: ...


@pytest.fixture
def plan(inv_dir: Path):  # noqa: ANN201, F811
    loaded = load_valid(inv_dir)
    return plan_cutover(loaded.inventory, ipv6_plan(loaded.inventory), "health-net", now=NOW, origins=loaded.origins)


def test_a_full_run_is_journaled_with_timings(plan, tmp_path: Path) -> None:  # noqa: ANN001
    net, j = FakeNetwork(plan), Journal.create(tmp_path, plan.network)
    out = execute(plan, net, j, Options(), start={"network": plan.network})
    assert out.state == "done"
    rep = report(plan, j)
    assert rep["state"] == "done" and all(s["status"] == "done" for s in rep["steps"])
    assert all(s["seconds"] is not None and s["minutes"] for s in rep["steps"])
    lines = j.path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["event"] == "start" and json.loads(lines[-1])["event"] == "end"
    assert (j.saved_dir / "alpha-r1.conf").read_text() == "hostname alpha-r1\n"  # saved before any change


def test_a_failed_push_rolls_back_exactly_what_was_begun(plan, tmp_path: Path) -> None:  # noqa: ANN001
    net, j = FakeNetwork(plan, fail_on="access-alpha-r2"), Journal.create(tmp_path, plan.network)
    before = dict(net.cfg)
    out = execute(plan, net, j, Options(), start={})
    assert out.state == "rolled-back" and net.cfg == before and not net.applied
    undone = [r.step for r in j.records() if r.event == "rollback" and r.status == "done"]
    assert undone[0] == "access-alpha-r2" and undone[-1] == "prepare-alpha-r1"  # reverse order, the failed one too


def test_a_new_path_that_does_not_converge_moves_no_traffic(plan, tmp_path: Path) -> None:  # noqa: ANN001
    net, j = FakeNetwork(plan, stuck=True), Journal.create(tmp_path, plan.network)
    before = dict(net.cfg)
    out = execute(plan, net, j, Options(), start={})
    assert out.state == "rolled-back" and "no traffic was moved" in out.message and net.cfg == before
    status = j.step_status()
    assert status["converge"] == "failed" and not any(s.startswith("swing-") for s in status)
    failed = [r.step for r in j.records() if r.event == "check" and r.status == "failed"]
    assert failed == ["converged-vpn"]  # the circuits answered (readiness probes); the VPN did not converge
    undone = [r.step for r in j.records() if r.event == "rollback" and r.status == "done"]
    assert undone[:2] == [s.id for s in reversed(plan.steps) if s.id.startswith("circuit-")]


def test_an_undo_that_leaves_something_is_caught_and_restored(plan, tmp_path: Path) -> None:  # noqa: ANN001
    net = FakeNetwork(plan, fail_on="swing-乙市卫健局", break_undo="prepare-alpha-r2")
    before = dict(net.cfg)
    out = execute(plan, net, Journal.create(tmp_path, plan.network), Options(), start={})
    assert out.state == "rolled-back" and net.cfg == before and net.restored == ["alpha-r2"]
    assert "by the rendered undo alone" not in out.message


def test_a_failed_baseline_touches_nothing(plan, tmp_path: Path) -> None:  # noqa: ANN001
    net = FakeNetwork(plan)
    net.probe = lambda p: (False, "down")  # type: ignore[method-assign]
    out = execute(plan, net, Journal.create(tmp_path, plan.network), Options(), start={})
    assert out.state == "failed" and "nothing was touched" in out.message and not net.applied


def test_interrupted_run_resumes_from_the_first_unfinished_step(plan, tmp_path: Path) -> None:  # noqa: ANN001
    net, j = FakeNetwork(plan), Journal.create(tmp_path, plan.network)
    for s in plan.steps[:5]:
        run_one(plan, net, j, s.id, start={})
    j.append("step", plan.steps[5].id, "begin")  # the process died inside step 6
    assert report(plan, j)["state"] == "interrupted"
    with pytest.raises(JournalError, match="unfinished"):
        run_one(plan, net, j, plan.steps[7].id, start={})
    out = execute(plan, net, j, Options(), start={})
    assert out.state == "done" and net.applied.count(plan.steps[5].id) == 1
    with pytest.raises(JournalError, match="point of no return"):
        rollback(plan, net, j, reason="too late")
    with pytest.raises(JournalError, match="already ended"):
        execute(plan, net, j, Options(), start={})


def test_rollback_after_a_crash_undoes_a_half_done_step(plan, tmp_path: Path) -> None:  # noqa: ANN001
    net, j = FakeNetwork(plan), Journal.create(tmp_path, plan.network)
    before = dict(net.cfg)
    for s in plan.steps[:4]:
        run_one(plan, net, j, s.id, start={})
    out = rollback(plan, net, j, reason="operator")
    assert out.state == "rolled-back" and net.cfg == before


def test_torn_last_line_is_ignored_but_damage_elsewhere_is_not(plan, tmp_path: Path) -> None:  # noqa: ANN001
    j = Journal.create(tmp_path, plan.network)
    j.append("start", network=plan.network)
    j.append("step", "precheck", "begin")
    with open(j.path, "a", encoding="utf-8") as fh:
        fh.write('{"run": "x", "seq": 2, "at"')  # power cut mid-write
    assert len(j.records()) == 2
    j.path.write_text('garbage\n' + j.path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(JournalError, match="damaged"):
        j.records()


def test_one_run_per_network_at_a_time(tmp_path: Path) -> None:
    import os

    from govctl.core.statedir import StateLocked

    with RunLock(tmp_path, "health-net"):
        with pytest.raises(StateLocked, match=f"another cutover of health-net is running .*pid {os.getpid()}"):
            with RunLock(tmp_path, "health-net"):
                pass
        with RunLock(tmp_path, "finance-net"):
            pass
