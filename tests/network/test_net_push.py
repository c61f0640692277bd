"""The push engine on in-memory devices: batches, verification, rollback, batch stop, journal, resume,
idempotency. The same engine runs against real FRR routers in test_net_lab.py."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from net_helpers import FakeNetwork, fixture

from govctl.network.intent import build
from govctl.network.journal import Journal
from govctl.network.models import DeviceTarget, PushPolicy, Status
from govctl.network.push import Rollout, batches, rollback_run
from govctl.network.render import render

POLICY = PushPolicy(parallel=4, verify_timeout=0.0)


def _setup(tmp_path: Path):  # noqa: ANN202
    inv, plan = fixture()
    intents = build(inv, plan)
    configs = {n: render(i, "frr").text for n, i in intents.items()}
    before = {n: f"hostname {n}\n" for n in intents}
    net = FakeNetwork(intents, configs, before)
    targets = {n: DeviceTarget(node=n, platform="frr", host="2001:db8:fffd::1") for n in intents}
    return intents, configs, net, targets


def _rollout(tmp_path: Path, intents, configs, net, targets, policy=POLICY, run_id="run1"):  # noqa: ANN001,ANN202
    journal = Journal(run_id, root=tmp_path)
    return Rollout(intents, configs, targets, net.factory, journal, policy, platform="frr"), journal


def test_batches_canary_then_tiers_core_outwards():
    inv, plan = fixture()
    intents = build(inv, plan)
    plan_ = batches(list(intents), intents, PushPolicy(canary=1))
    assert plan_[0] == ["example-core1"]
    tiers = [{intents[n].tier for n in b} for b in plan_[1:]]
    assert tiers == [{"province"}, {"city"}, {"county"}, {"town"}]
    split = batches(list(intents), intents, PushPolicy(canary=0, batch_size=3))
    assert all(len(b) <= 3 for b in split) and sum(map(len, split)) == len(intents)


def test_push_changes_everything_then_nothing(tmp_path: Path):
    intents, configs, net, targets = _setup(tmp_path)
    rollout, journal = _rollout(tmp_path, intents, configs, net, targets)
    first = rollout.run(list(intents))
    assert first.counts() == {"changed": len(intents)} and not first.failed
    assert all(net.running[n] == configs[n] for n in intents)
    assert all(c.ok for r in first.results for c in r.checks)
    second, _ = _rollout(tmp_path, intents, configs, net, targets, run_id="run2")
    again = second.run(list(intents))
    assert again.counts() == {"unchanged": len(intents)}
    assert not [e for e in net.log[len(intents) * 2:] if e[1] == "commit"]


def test_failed_verification_rolls_back_exactly_and_others_stay(tmp_path: Path):
    intents, configs, net, targets = _setup(tmp_path)
    net.broken_after_commit.add("alpha-west-town01-r1")
    rollout, journal = _rollout(tmp_path, intents, configs, net, targets)
    result = rollout.run(list(intents))
    bad = next(r for r in result.results if r.node == "alpha-west-town01-r1")
    assert bad.status == Status.rolled_back and "ipv6-addresses" in bad.error
    assert net.running["alpha-west-town01-r1"] == "hostname alpha-west-town01-r1\n"
    assert all(net.running[n] == configs[n] for n in intents if n != "alpha-west-town01-r1")
    steps = [s.step for s in journal.steps() if s.node == "alpha-west-town01-r1"]
    assert steps == ["start", "compared", "saved", "commit-intent", "committed", "verify-failed", "rolled-back",
                     "result"]
    assert journal.before("alpha-west-town01-r1") == "hostname alpha-west-town01-r1\n"
    assert (journal.dir / "before" / "alpha-west-town01-r1.cfg").stat().st_mode & 0o077 == 0


def test_a_rollback_inside_the_push_keeps_a_foreign_line_added_after_the_commit(tmp_path: Path):
    """Verification fails after the commit; meanwhile a line govctl does not own appeared on the device.
    The push's own rollback gives back govctl's part only, like `net rollback`: that line stays."""
    intents, configs, net, targets = _setup(tmp_path)
    node = "alpha-west-town01-r1"
    net.broken_after_commit.add(node)
    foreign = "ip route 198.51.100.77/32 blackhole\n"

    def hook(n: str, step: str) -> None:
        if n == node and step == "committed":
            net.running[node] += foreign

    journal = Journal("run1", root=tmp_path)
    result = Rollout(intents, configs, targets, net.factory, journal, POLICY, platform="frr", hook=hook).run(
        list(intents))
    assert next(r for r in result.results if r.node == node).status == Status.rolled_back
    assert net.running[node] == f"hostname {node}\n" + foreign


def test_refused_commit_is_restored_and_unreachable_device_untouched(tmp_path: Path):
    intents, configs, net, targets = _setup(tmp_path)
    net.refuse_commit.add("beta-north-town01-r1")
    net.unreachable.add("alpha-west-town02-r1")
    rollout, _ = _rollout(tmp_path, intents, configs, net, targets, PushPolicy(parallel=4, verify_timeout=0,
                                                                               max_fail_share=0.5))
    result = rollout.run(list(intents))
    status = {r.node: r.status for r in result.results}
    assert status["beta-north-town01-r1"] == Status.rolled_back
    assert net.running["beta-north-town01-r1"] == "hostname beta-north-town01-r1\n"  # half-applied undone
    assert status["alpha-west-town02-r1"] == Status.failed
    assert net.running["alpha-west-town02-r1"] == "hostname alpha-west-town02-r1\n"
    assert sorted(result.failed_hosts) == ["alpha-west-town02-r1", "beta-north-town01-r1"]


def test_a_batch_over_the_failure_share_stops_the_run(tmp_path: Path):
    intents, configs, net, targets = _setup(tmp_path)
    net.unreachable.update(n for n, i in intents.items() if i.tier == "county")
    rollout, journal = _rollout(tmp_path, intents, configs, net, targets)
    result = rollout.run(list(intents))
    assert "more than 20%" in result.stopped
    towns = [r for r in result.results if intents[r.node].tier == "town"]
    assert towns and all(r.status == Status.skipped for r in towns)
    assert all(net.running[r.node] == f"hostname {r.node}\n" for r in towns)
    assert any(s.step == "stopped" for s in journal.steps())


def test_canary_failure_stops_before_anything_else_changes(tmp_path: Path):
    intents, configs, net, targets = _setup(tmp_path)
    configs = {**configs, "example-core1": configs["example-core1"] + "BOGUS\n"}
    rollout, _ = _rollout(tmp_path, intents, configs, net, targets)
    result = rollout.run(list(intents))
    assert result.results[0].status == Status.failed and "BOGUS" in result.results[0].error
    assert result.stopped.startswith("batch 0 (canary)")
    assert not [e for e in net.log if e[1] == "commit"]


def test_dry_run_changes_nothing(tmp_path: Path):
    intents, configs, net, targets = _setup(tmp_path)
    rollout, _ = _rollout(tmp_path, intents, configs, net, targets,
                          PushPolicy(canary=0, dry_run=True, verify_timeout=0))
    result = rollout.run(list(intents))
    assert result.counts() == {"would-change": len(intents)}
    assert all(r.diff.startswith("+ ") for r in result.results)
    assert all(net.running[n] == f"hostname {n}\n" for n in intents)


def test_resume_skips_finished_devices_and_rollback_undoes_a_run(tmp_path: Path):
    intents, configs, net, targets = _setup(tmp_path)
    net.unreachable.update(n for n, i in intents.items() if i.tier == "town")
    rollout, journal = _rollout(tmp_path, intents, configs, net, targets,
                                PushPolicy(parallel=4, verify_timeout=0, max_fail_share=1.0))
    rollout.run(list(intents))
    net.unreachable.clear()
    done = {n: s for n, s in journal.final_status().items() if s in ("changed", "unchanged")}
    assert len(done) == sum(1 for i in intents.values() if i.tier != "town")
    commits_before = sum(1 for e in net.log if e[1] == "commit")
    again = Rollout(intents, configs, targets, net.factory, journal, POLICY, platform="frr").run(list(intents), done)
    assert sum(1 for e in net.log if e[1] == "commit") - commits_before == sum(
        1 for i in intents.values() if i.tier == "town")
    assert not again.failed
    undone = rollback_run(Journal("run1", root=tmp_path, create=False), targets, net.factory)
    assert {r.status for r in undone} == {Status.rolled_back} and len(undone) == len(intents)
    assert all(net.running[n] == f"hostname {n}\n" for n in intents)
    assert Journal("run1", root=tmp_path, create=False).committed_not_undone() == []


def test_unknown_run_is_an_input_error(tmp_path: Path):
    from govctl.network.errors import UnknownDevice

    with pytest.raises(UnknownDevice, match="no run 'nope'"):
        Journal("nope", root=tmp_path, create=False)


def test_journal_steps_are_on_disk_when_recorded_and_concurrent_ones_share_fsyncs(tmp_path: Path, monkeypatch):
    import os

    from fsync_gate import FsyncGate

    journal = Journal("run-sync", root=tmp_path)
    path = journal.dir / "journal.jsonl"
    # a disk under load: the first fsync lasts until each of the 16 devices has journaled its first step
    gate = FsyncGate(path, 16, os.fsync)
    synced_lines = gate.synced
    monkeypatch.setattr(os, "fsync", gate)
    covered: list[bool] = []

    def device(i: int) -> None:
        for step in ("start", "compared", "saved", "committed"):
            journal.record(f"r{i}", step)
            # this device's line was written before the last fsync that has finished started
            mine = [n for n, line in enumerate(path.read_text().splitlines(), 1) if f'"r{i}"' in line][-1]
            covered.append(bool(synced_lines) and max(synced_lines) >= mine)

    threads = [threading.Thread(target=device, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    steps = journal.steps()
    assert len(steps) == 64 and all(covered)
    assert [s.step for s in steps if s.node == "r3"] == ["start", "compared", "saved", "committed"]
    assert gate.held.is_set() and not gate.timed_out
    assert len(synced_lines) <= 64 - 14  # shared: the fsync after the held one covers the 15 lines written meanwhile


# ---------------------------------------------------------------- crashes: write-ahead intent and recovery

class Crash(BaseException):
    """The controller dies: nothing after this point of the run happens (not an Exception, so no
    handler of the engine catches it)."""


NODE = "alpha-west-town01-r1"


def _crash_at(tmp_path: Path, step: str, device_after: str):  # noqa: ANN202
    """Push everything, but the controller dies right after journaling ``step`` for NODE. What NODE
    then holds is ``device_after``: 'before' (the commit never arrived), 'intended' (the router
    finished applying after the controller died, without saving to startup), 'half' (neither)."""
    intents, configs, net, targets = _setup(tmp_path)

    def hook(node: str, done: str) -> None:
        if node == NODE and done == step:
            if device_after == "intended":
                net.running[NODE] = configs[NODE]
            elif device_after == "half":
                net.running[NODE] = net.running[NODE] + configs[NODE].splitlines()[4] + "\n"  # a prefix-list line
            raise Crash

    journal = Journal("run1", root=tmp_path)
    rollout = Rollout(intents, configs, targets, net.factory, journal, PushPolicy(parallel=1, verify_timeout=0),
                      platform="frr", hook=hook)
    with pytest.raises(Crash):
        rollout.run(list(intents))
    return intents, configs, net, targets


@pytest.mark.parametrize("device_after", ["before", "intended", "half"])
def test_rollback_after_a_crash_at_the_intent_restores_whatever_the_device_did(tmp_path: Path, device_after: str):
    intents, configs, net, targets = _crash_at(tmp_path, "commit-intent", device_after)
    journal = Journal("run1", root=tmp_path, create=False)
    assert journal.final_status()[NODE] == "commit-intent"
    results = rollback_run(journal, targets, net.factory)
    assert {r.status for r in results} == {Status.rolled_back}
    assert NODE in {r.node for r in results}
    for n in intents:
        assert net.running[n] == net.startup[n] == f"hostname {n}\n", n
    restores = [e for e in net.log if e == (NODE, "restore")]
    assert len(restores) == (0 if device_after == "before" else 1)  # read first: nothing sent when unchanged


def test_resume_finds_a_device_applied_behind_the_journal_records_and_saves_it(tmp_path: Path):
    intents, configs, net, targets = _crash_at(tmp_path, "commit-intent", "intended")
    net.startup[NODE] = f"hostname {NODE}\n"  # the router applied but never saved
    journal = Journal("run1", root=tmp_path, create=False)
    done = {n: st for n, st in journal.final_status().items() if st in ("changed", "unchanged")}
    assert NODE not in done
    rollout = Rollout(intents, configs, targets, net.factory, journal, POLICY, platform="frr")
    result = rollout.run(list(intents), done)
    assert not result.failed
    mine = next(r for r in result.results if r.node == NODE)
    assert mine.status == Status.changed
    assert net.startup[NODE] == configs[NODE]
    assert (NODE, "save") in net.log
    steps = [s.step for s in journal.steps() if s.node == NODE]
    assert steps[-5:] == ["compared", "committed", "startup-saved", "verified", "result"]
    assert [s.detail for s in journal.steps() if s.node == NODE and s.step == "committed"] == [{"recovered": True}]
    checks = rollout.final_check(list(intents))
    assert {c.status for c in checks} == {Status.changed}
    # and the rollback of the resumed run takes that device back too
    undone = rollback_run(Journal("run1", root=tmp_path, create=False), targets, net.factory)
    assert NODE in {r.node for r in undone} and {r.status for r in undone} == {Status.rolled_back}
    assert all(net.running[n] == net.startup[n] == f"hostname {n}\n" for n in intents)


def test_resume_of_a_half_applied_device_finishes_it_and_keeps_the_first_checkpoint(tmp_path: Path):
    intents, configs, net, targets = _crash_at(tmp_path, "commit-intent", "half")
    journal = Journal("run1", root=tmp_path, create=False)
    done = {n: st for n, st in journal.final_status().items() if st in ("changed", "unchanged")}
    result = Rollout(intents, configs, targets, net.factory, journal, POLICY, platform="frr").run(list(intents), done)
    assert not result.failed and net.running[NODE] == configs[NODE]
    assert journal.before(NODE) == f"hostname {NODE}\n"  # not the half-way config the resume found
    rollback_run(journal, targets, net.factory)
    assert net.running[NODE] == f"hostname {NODE}\n"


def test_a_rollback_that_leaves_a_device_different_fails_naming_it_and_the_lines(tmp_path: Path):
    intents, configs, net, targets = _setup(tmp_path)
    rollout, journal = _rollout(tmp_path, intents, configs, net, targets)
    rollout.run(list(intents))
    from net_helpers import FakeDevice

    left = configs[NODE].splitlines()[4]  # a line of govctl's own scope (a prefix list the intent names)
    assert left.startswith("ipv6 prefix-list ")

    class Liar(FakeDevice):
        def restore(self, config: str) -> None:  # says done, leaves one line of govctl's scope behind
            super().restore(config)
            if self.node == NODE:
                self.net.running[NODE] += left + "\n"

    results = rollback_run(journal, targets, lambda t: Liar(net, t.node))
    bad = [r for r in results if r.status == Status.rollback_failed]
    assert [r.node for r in bad] == [NODE]
    assert "running config (govctl's owned scope" in bad[0].error
    assert "differs from the saved one by 1 lines" in bad[0].error and left in bad[0].error
    # run again with an honest driver: the device is restored and the rollback is complete
    again = rollback_run(journal, targets, net.factory)
    assert {r.status for r in again} == {Status.rolled_back}
    assert net.running[NODE] == f"hostname {NODE}\n"


def test_a_rollback_that_cannot_read_a_device_back_fails(tmp_path: Path):
    intents, configs, net, targets = _setup(tmp_path)
    rollout, journal = _rollout(tmp_path, intents, configs, net, targets)
    rollout.run(list(intents))
    from net_helpers import FakeDevice

    class Vanishes(FakeDevice):
        def restore(self, config: str) -> None:
            super().restore(config)
            if self.node == NODE:
                self.net.unreachable.add(NODE)

    results = rollback_run(journal, targets, lambda t: Vanishes(net, t.node))
    assert [r.node for r in results if r.status == Status.rollback_failed] == [NODE]


# ------------------------------------------------------------ the next batch prepared ahead (prefetch)


def test_the_next_batch_is_read_ahead_but_committed_only_after_the_current_batch_passed(tmp_path: Path):
    import threading

    intents, configs, net, targets = _setup(tmp_path)
    plan_ = batches(list(intents), intents, POLICY)
    first, second = plan_[0], plan_[1]
    opened_ahead = threading.Event()

    def hook(node: str, step: str) -> None:
        # the canary holds its verification until the next batch's sessions are open (or 5 s pass)
        if node in first and step == "committed":
            opened_ahead.wait(5)

    real_open = net.factory

    def factory(target: DeviceTarget):  # noqa: ANN202
        dev = real_open(target)
        own = dev.open

        def open_() -> None:
            own()
            if target.node in second and sum(1 for e in net.log if e == (target.node, "open")) == 1:
                if all((n, "open") in net.log for n in second):
                    opened_ahead.set()

        dev.open = open_  # type: ignore[method-assign]
        return dev

    journal = Journal("ahead", root=tmp_path)
    rollout = Rollout(intents, configs, targets, factory, journal, POLICY, platform="frr", hook=hook)
    result = rollout.run(list(intents))
    assert result.counts() == {"changed": len(intents)}
    assert opened_ahead.is_set(), "the next batch's sessions were not opened while the canary ran"
    log = net.log
    last_first_commit = max(i for i, e in enumerate(log) if e[0] in first and e[1] == "commit")
    first_second_commit = min(i for i, e in enumerate(log) if e[0] in second and e[1] == "commit")
    assert last_first_commit < first_second_commit
    steps = journal.steps()
    canary_done = max(i for i, s in enumerate(steps) if s.node in first and s.step == "result")
    assert all(i > canary_done for i, s in enumerate(steps) if s.node in second and s.step == "commit-intent")
    prepared = {s.node for s in steps if s.step == "compared" and s.detail.get("prepared")}
    assert set(second) <= prepared and not (set(first) & prepared)  # the first batch has nothing before it


def test_a_device_changed_after_it_was_read_ahead_is_read_and_diffed_again(tmp_path: Path):
    intents, configs, net, targets = _setup(tmp_path)
    plan_ = batches(list(intents), intents, POLICY)
    first, second = plan_[0], plan_[1]
    victim = second[0]
    read_ahead = threading.Event()  # the victim's read-ahead has read its running config
    waited: list[bool] = []

    def factory(target: DeviceTarget):  # noqa: ANN202
        dev = net.factory(target)
        own = dev.get_config

        def get_config(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            out = own(*args, **kwargs)
            if target.node == victim:
                read_ahead.set()
            return out

        dev.get_config = get_config  # type: ignore[method-assign]
        return dev

    def hook(node: str, step: str) -> None:
        if node in first and step == "verified" and not waited:
            # the read-ahead runs while the first batch verifies; the change by hand comes after it
            waited.append(read_ahead.wait(60))
            net.running[victim] += "ipv6 route 2001:db8:eeee::/48 blackhole\n"  # by hand, meanwhile

    journal = Journal("changed", root=tmp_path)
    rollout = Rollout(intents, configs, targets, factory, journal, POLICY, platform="frr", hook=hook)
    assert rollout.run(list(intents)).counts() == {"changed": len(intents)}
    assert waited == [True], "the victim was not read ahead while the first batch verified"
    compared = {s.node: s.detail.get("prepared") for s in journal.steps() if s.step == "compared"}
    assert compared[victim] is False
    # what the journal saved as the device's config before the commit is the one it really had
    assert journal.before(victim) == f"hostname {victim}\nipv6 route 2001:db8:eeee::/48 blackhole\n"


def test_prefetch_off_opens_each_batch_in_its_own_turn(tmp_path: Path):
    from dataclasses import replace

    intents, configs, net, targets = _setup(tmp_path)
    rollout, journal = _rollout(tmp_path, intents, configs, net, targets, policy=replace(POLICY, prefetch=False))
    assert rollout.run(list(intents)).counts() == {"changed": len(intents)}
    assert not [s for s in journal.steps() if s.step == "compared" and s.detail.get("prepared")]
    plan_ = batches(list(intents), intents, POLICY)
    log = net.log
    for before_, after in zip(plan_, plan_[1:]):
        last = max(i for i, e in enumerate(log) if e[0] in before_ and e[1] == "commit")
        assert all(i > last for i, e in enumerate(log) if e[0] in after and e[1] == "open")


def test_the_next_batch_is_read_only_once_the_current_batch_has_committed(tmp_path: Path):
    """Reading and diffing a whole tier ahead competes for the cores with the current batch's commits (its
    critical path): the next batch's sessions open only once every device of the current one is past its
    commit, during its verification."""
    intents, configs, net, targets = _setup(tmp_path)
    plan_ = batches(list(intents), intents, POLICY)
    journal = Journal("order", root=tmp_path)
    Rollout(intents, configs, targets, net.factory, journal, POLICY, platform="frr").run(list(intents))
    order = [e for e in net.log if e[1] in ("open", "commit")]
    for current, following in zip(plan_, plan_[1:]):
        last_commit = max(order.index((n, "commit")) for n in current)
        first_open = min(order.index((n, "open")) for n in following)
        assert first_open > last_commit, (current, following)
    prepared = [s for s in journal.steps() if s.step == "compared" and s.detail.get("prepared")]
    assert {s.node for s in prepared} == {n for b in plan_[1:] for n in b}  # and every later device was read ahead
