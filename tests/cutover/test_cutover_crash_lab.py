"""Crash consistency of a device cutover: the process dies (SIGKILL) at each journal boundary of a step and inside
the router's apply, then `cutover rollback` / `cutover resume` recover. After each, every router's running config
(vtysh in its namespace, cleaned as the driver cleans it) is compared byte for byte with what the journal says.

One SSH lab for the whole module, under its own network id (``crash-net``: the example's health-net renamed), so
its namespaces, tag, management /64 and state file cannot meet the other cutover lab tests' (health-net,
finance-net) or the rollout lab's. The kill is a wrapper around the real CLI in a child process (``python -c``:
patch a journal append or the SSH channel, then ``govctl.cli.main``): no fault hook in the product.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from cutover_fixtures import ROOT, make_inventory, require_ssh_lab

pytestmark = pytest.mark.lab

require_ssh_lab()

from govctl.inventory.validate import load_valid  # noqa: E402
from govctl.ipv6.planner import plan as ipv6_plan  # noqa: E402
from govctl.cutover.journal import Journal  # noqa: E402
from govctl.cutover.lab import Lab, _tag, device_overlay  # noqa: E402
from govctl.cutover.planner import plan_cutover  # noqa: E402
from govctl.network.platforms.frr.driver import clean_running  # noqa: E402

NETWORK = "crash-net"
AT = "2036-12-05T01:00:00+08:00"  # inside the (renamed) health-net's window
FIRST_DONE, TARGET = "prepare-alpha-r1", "prepare-alpha-r2"  # the step the process dies in; one is done before it

# Runs govctl with one kill point. argv: POINT STEP govctl-args... Points: "intent" (the step's intent record is
# fsync'd, nothing sent), "mid-apply" (the apply command and its script are sent, the answer not read: the
# router is applying), "unconfirmed" (committed with a commit-confirm timer, killed before the confirm),
# "outcome" (the commit's outcome record is written), "step-done" (the step's done record is written).
WRAPPER = r"""
import os, signal, sys, time
point, target = sys.argv[1], sys.argv[2]
sys.argv = ["govctl"] + sys.argv[3:]
import paramiko
from govctl.cutover.journal import Journal
from govctl.network.platforms.frr.driver import FrrDriver

armed = []
def die():
    os.kill(os.getpid(), signal.SIGKILL)

real_append = Journal.append
def append(self, event, step=None, status=None, seconds=None, **detail):
    rec = real_append(self, event, step, status, seconds, **detail)  # written and fsync'd
    if step == target:
        if event == "commit" and status == "intent":
            if point == "intent":
                die()
            armed.append(True)
        elif event == "commit" and status == "ok" and point == "outcome":
            die()
        elif event == "step" and status == "done" and point == "step-done":
            die()
    return rec
Journal.append = append

real_exec, real_shutdown = paramiko.Channel.exec_command, paramiko.Channel.shutdown_write
def exec_command(self, command):
    self._crash_command = command
    return real_exec(self, command)
def shutdown_write(self):
    real_shutdown(self)
    cmd = getattr(self, "_crash_command", "")
    if point == "mid-apply" and armed and cmd.startswith(("apply", "frr-reload --reload")):
        time.sleep(0.05)  # the script has arrived; the router's vtysh is at work
        die()
paramiko.Channel.exec_command, paramiko.Channel.shutdown_write = exec_command, shutdown_write

real_confirm = FrrDriver.confirm_commit
def confirm_commit(self):
    if point == "unconfirmed" and armed:
        die()
    return real_confirm(self)
FrrDriver.confirm_commit = confirm_commit

from govctl.cli import main
main()
"""


def govctl(*args: str, crash: tuple[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    code = WRAPPER if crash else "from govctl.cli import main; main()"
    pre = list(crash) if crash else []
    return subprocess.run([sys.executable, "-c", code, *pre, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


class Lab1:
    """The module's lab, its overlay, the routers' configs before anything, and the PEs' configs at the first
    new circuit of a clean run (what a finished resume must have put there)."""

    def __init__(self, tmp: Path) -> None:
        from datetime import datetime

        self.tmp = tmp
        self.inv = make_inventory(tmp, edit=lambda t: t.replace("id: health-net ", f"id: {NETWORK} "))
        loaded = load_valid(self.inv)
        self.plan = plan_cutover(loaded.inventory, ipv6_plan(loaded.inventory), NETWORK,
                                 now=datetime.fromisoformat(AT), origins=loaded.origins)
        self.lab = Lab.up(self.plan, ssh=True)
        self.overlay = tmp / "devices.yaml"
        self.overlay.write_text(yaml.safe_dump(device_overlay(self.lab.st), allow_unicode=True), encoding="utf-8")
        self.baseline = self.configs()
        self.node_of = {inst: node for node, inst in self.lab.st.pe_of.items()}
        self.cases = 0
        self.at_circuit: dict[str, str] = {}

    def configs(self) -> dict[str, str]:
        """Every router's running config read locally (vtysh in its namespace), cleaned as the driver cleans it."""
        return {n: clean_running(self.lab.vtysh(n, "show running-config")) for n in self.lab.st.instances}

    def journals(self) -> Path:
        self.cases += 1
        return self.tmp / f"j{self.cases}"

    def run(self, journals: Path, crash: tuple[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        # no --yes and no tty: a run (or resume) ends waiting at the first new circuit (exit 1, resumable)
        return govctl("cutover", "run", NETWORK, str(self.inv), "--devices", str(self.overlay), "--at", AT,
                      "--journal-dir", str(journals), "--observe-seconds", "1", crash=crash)

    def rollback(self, journals: Path) -> subprocess.CompletedProcess[str]:
        return govctl("cutover", "rollback", NETWORK, "--journal-dir", str(journals), "--json")

    def against_journal(self, journal: Journal) -> dict[str, bool]:
        """Per router: its running config equals, byte for byte, the journal's saved config (a PE the run
        touched) or the config it had before the module (every other router)."""
        now = self.configs()
        return {inst: now[inst] == (journal.saved_config(self.node_of[inst]) if inst in self.node_of
                                    else self.baseline[inst]) for inst in now}

    def revert_timers(self) -> list[int]:
        """Commit-confirm timers armed on this lab's routers (labshell's background restore), a moment after
        every session ended."""
        deadline = time.monotonic() + 3
        while True:
            found = [int(p) for p in os.listdir("/proc") if p.isdigit() and "labshell.sh" in _cmdline(p)
                     and f"{self.lab.st.tag}-" in _cmdline(p)]
            if not found or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    def reset(self) -> None:
        """Back to the module's baseline if a case left anything (it should not), so cases stay independent."""
        now = self.configs()
        for inst, text in now.items():
            if text != self.baseline[inst]:
                self.lab.restore(inst, self.baseline[inst])
        assert self.configs() == self.baseline


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").replace("\0", " ")
    except OSError:
        return ""


@pytest.fixture(scope="module")
def lab1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab1]:
    tag = _tag(NETWORK)
    assert tag not in {_tag("health-net"), _tag("finance-net")}  # never another cutover lab test's namespaces
    w = Lab1(tmp_path_factory.mktemp("crash"))
    try:
        yield w
    finally:
        ssh_dir = w.lab.st.ssh_dir
        w.lab.down()
        netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert not [ln for ln in netns.splitlines() if ln.startswith(f"{tag}-")], netns
        left = [p for p in os.listdir("/proc") if p.isdigit() and
                ((ssh_dir and ssh_dir in _cmdline(p)) or f" -N {tag}-" in _cmdline(p) or f"{tag}-" in _cmdline(p))]
        assert not left, [(p, _cmdline(p)) for p in left]  # no sshd, FRR daemon or revert timer left behind


def _records(journals: Path) -> list:  # noqa: ANN202
    return Journal.latest(journals, NETWORK).records()


def test_a_clean_run_waits_at_the_first_new_circuit_and_rolls_back_exactly(lab1: Lab1) -> None:
    j = lab1.journals()
    r = lab1.run(j)
    assert r.returncode == 1 and "manual step 'circuit-" in r.stderr, r.stdout + r.stderr
    lab1.at_circuit = {i: t for i, t in lab1.configs().items() if i in lab1.node_of}
    assert all(lab1.at_circuit[i] != lab1.baseline[i] for i in lab1.node_of)
    journal = Journal.latest(j, NETWORK)
    assert not journal.unsettled() and journal.touched() == set(lab1.plan.touched_nodes)
    r = lab1.rollback(j)
    assert r.returncode == 0, r.stdout + r.stderr
    assert all(lab1.against_journal(journal).values())
    lab1.reset()


@pytest.mark.parametrize("point", ["intent", "mid-apply", "unconfirmed", "outcome", "step-done"])
def test_killed_inside_a_step_then_rollback_restores_every_router(lab1: Lab1, point: str) -> None:
    j = lab1.journals()
    r = lab1.run(j, crash=(point, TARGET))
    assert r.returncode == -9, r.stdout + r.stderr  # SIGKILL: no handler, no cleanup ran
    recs = _records(j)
    last = recs[-1]
    if point in ("intent", "mid-apply", "unconfirmed"):
        # the intent is the last word: the device is unknown to the journal
        assert (last.event, last.step, last.status) == ("commit", TARGET, "intent"), last
        assert [u.seq for u in Journal.latest(j, NETWORK).unsettled()] == [last.seq]
    elif point == "outcome":
        assert (last.event, last.step, last.status) == ("commit", TARGET, "ok"), last
    else:
        assert (last.event, last.step, last.status) == ("step", TARGET, "done"), last
    if point == "unconfirmed":
        assert lab1.revert_timers(), "the dead run should have left a commit-confirm timer on the router"
    st = govctl("cutover", "status", NETWORK, "--journal-dir", str(j), "--json")
    assert st.returncode == 0 and json.loads(st.stdout)["state"] == "interrupted", st.stdout + st.stderr
    r = lab1.rollback(j)
    journal = Journal.latest(j, NETWORK)
    equal = lab1.against_journal(journal)
    assert (r.returncode == 0) == all(equal.values()), (r.stdout, r.stderr, equal)
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["state"] == "rolled-back"
    assert not journal.unsettled()
    recovered = [x for x in journal.records() if x.event == "commit" and x.detail.get("recovered")]
    assert len(recovered) == (1 if point in ("intent", "mid-apply", "unconfirmed") else 0), recovered
    if point == "intent":
        assert recovered[0].detail["found"] == "checkpoint"  # nothing had been sent
    print(f"{point}: recovery found {[x.detail['found'] for x in recovered]}")  # shown with -s
    assert not lab1.revert_timers()  # recovery stopped the dead run's timer: nothing changes the router later
    lab1.reset()


def test_killed_mid_apply_then_resume_finishes_the_steps_then_rollback(lab1: Lab1) -> None:
    assert lab1.at_circuit, "needs the clean run's configs at the first new circuit"
    j = lab1.journals()
    r = lab1.run(j, crash=("mid-apply", TARGET))
    assert r.returncode == -9, r.stdout + r.stderr
    r = govctl("cutover", "resume", NETWORK, "--journal-dir", str(j))
    # every PE step done again from a known state, then waiting for the carrier (resumable, exit 1)
    assert r.returncode == 1 and "manual step 'circuit-" in r.stderr, r.stdout + r.stderr
    journal = Journal.latest(j, NETWORK)
    assert not journal.unsettled()
    status = journal.step_status()
    assert all(status.get(s.id) == "done" for s in lab1.plan.steps[: lab1.plan.steps.index(
        next(s for s in lab1.plan.steps if s.manual))]), status
    now = lab1.configs()
    assert {i: now[i] for i in lab1.node_of} == lab1.at_circuit  # byte for byte what a run without a crash makes
    r = lab1.rollback(j)
    assert r.returncode == 0, r.stdout + r.stderr
    assert all(lab1.against_journal(journal).values())
    assert not lab1.revert_timers()
    lab1.reset()


def test_routers_changed_behind_the_journal_are_restored_or_named(lab1: Lab1) -> None:
    j = lab1.journals()
    r = lab1.run(j, crash=("intent", TARGET))
    assert r.returncode == -9, r.stdout + r.stderr
    # someone at the console: a line on the PE whose commit the journal announced (nothing was sent), and one
    # on the cloud border, a watched router outside the change
    pe, cld = lab1.lab.st.pe_of["alpha-r2"], "cld"
    for inst in (pe, cld):
        lab1.lab.vtysh(inst, "configure terminal", "ip prefix-list CRASH-BEHIND seq 5 permit 198.51.100.0/24")
    r = lab1.rollback(j)
    journal = Journal.latest(j, NETWORK)
    equal = lab1.against_journal(journal)
    # never exit 0 with a router still different; and a failure names it
    assert (r.returncode == 0) == all(equal.values()), (r.stdout, r.stderr, equal)
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"config:{lab1.lab.st.instances[cld].hostname}" in r.stdout, r.stdout
    recovered = [x for x in journal.records() if x.event == "commit" and x.detail.get("recovered")]
    assert [x.detail["found"] for x in recovered] == ["neither"]  # read, not believed: taken back to its checkpoint
    assert all(v for k, v in equal.items() if k != cld), equal  # the PE is exactly its saved config again
    assert not equal[cld]
    lab1.reset()
