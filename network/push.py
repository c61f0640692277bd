"""The transactional rollout: per device load -> compare -> commit -> verify -> rollback, in batches.

Order is the one a network engineer uses: a canary first, then tier by tier from the core
outwards (province, city, county, town), each batch in parallel with a bound. A batch in which
more than ``max_fail_share`` of the devices fail stops the run; the devices not reached are
reported as skipped. Every step is journaled before the next one starts.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from govctl.network.drivers.base import DeviceDriver
from govctl.inventory.errors import GovctlError
from govctl.network.errors import DeviceError
from govctl.network.journal import Journal
from govctl.network.models import Check, DeviceIntent, DeviceResult, DeviceTarget, PushPolicy, RunResult, Status
from govctl.network.verify import device_checks, wait_checks

TIER_ORDER = ("province", "city", "county", "town")
DriverFactory = Callable[[DeviceTarget], DeviceDriver]
Hook = Callable[[str, str], None]  # (node, step) after each journaled step; tests inject faults here


def batches(nodes: list[str], intents: dict[str, DeviceIntent], policy: PushPolicy) -> list[list[str]]:
    """Canary batch, then one batch per tier (split by ``batch_size`` if set), core outwards."""
    ordered = sorted(nodes, key=lambda n: TIER_ORDER.index(intents[n].tier))  # stable within a tier
    out: list[list[str]] = []
    if policy.canary and len(ordered) > policy.canary:
        out.append(ordered[:policy.canary])
        ordered = ordered[policy.canary:]
    for tier in TIER_ORDER:
        members = [n for n in ordered if intents[n].tier == tier]
        size = policy.batch_size or len(members) or 1
        out += [members[i:i + size] for i in range(0, len(members), size)]
    return [b for b in out if b]


class Rollout:
    def __init__(self, intents: dict[str, DeviceIntent], configs: dict[str, str],
                 targets: dict[str, DeviceTarget], factory: DriverFactory, journal: Journal,
                 policy: PushPolicy, platform: str | None = None, hook: Hook | None = None,
                 ready: set[str] | None = None, revert_in: int | None = None) -> None:
        self.intents, self.configs, self.targets = intents, configs, targets
        self.factory, self.journal, self.policy = factory, journal, policy
        self.platform = platform
        self.hook = hook
        self.ready: set[str] = set(ready or ())
        self._lock = threading.Lock()
        # commit-confirm: a device that loses management mid-change heals itself
        self.revert_in = revert_in
        # False: commit and stop there (the Ansible playbook verifies in a task of its own, so that
        # block/rescue does the rollback)
        self.verify_after_commit = True

    def _step(self, node: str, step: str, **detail: object) -> None:
        self.journal.record(node, step, **detail)
        if self.hook:
            self.hook(node, step)

    def run(self, nodes: list[str], done: dict[str, str] | None = None) -> RunResult:
        start = time.monotonic()
        plan = batches(nodes, self.intents, self.policy)
        self.journal.write_meta({"batches": plan, "policy": self.policy.__dict__})
        results: list[DeviceResult] = []
        stopped = ""
        batch_seconds: list[float] = []
        done = done or {}
        for bi, batch in enumerate(plan):
            if stopped:
                results += [DeviceResult(n, Status.skipped, bi) for n in batch]
                continue
            todo = [n for n in batch if n not in done]
            results += [DeviceResult(n, Status(done[n]), bi, error="done in an earlier attempt of this run")
                        for n in batch if n in done]
            self.ready.update(n for n in batch if n in done)
            t0 = time.monotonic()
            self._step("", "batch", index=bi, nodes=todo)
            with ThreadPoolExecutor(max_workers=max(1, self.policy.parallel)) as pool:
                batch_results = list(pool.map(lambda n: self.one(n, bi), todo))
            batch_seconds.append(time.monotonic() - t0)
            results += batch_results
            failed = sum(1 for r in batch_results if r.failed)
            if todo and failed / len(todo) > self.policy.max_fail_share:
                stopped = (f"batch {bi} ({'canary' if bi == 0 and self.policy.canary else 'tier'}): "
                           f"{failed} of {len(todo)} failed, more than {self.policy.max_fail_share:.0%}")
                self._step("", "stopped", reason=stopped)
        return RunResult(self.journal.run_id, results, stopped, time.monotonic() - start, batch_seconds)

    def one(self, node: str, batch: int) -> DeviceResult:
        t0 = time.monotonic()
        res = self._one(node, batch)
        res.seconds = round(time.monotonic() - t0, 3)
        self._step(node, "result", status=res.status.value, error=res.error, seconds=res.seconds,
                   checks=[c.__dict__ for c in res.checks])
        return res

    def _one(self, node: str, batch: int) -> DeviceResult:
        config = self.configs[node]
        self.journal.save_intended(node, config)
        self._step(node, "start", batch=batch)
        try:
            driver = self.factory(self.targets[node])
            driver.open()
        except (DeviceError, GovctlError) as exc:
            self._step(node, "connect-failed", error=str(exc))
            return DeviceResult(node, Status.failed, batch, error=str(exc))
        try:
            return self._transaction(driver, node, config, batch)
        finally:
            driver.close()

    def _transaction(self, driver: DeviceDriver, node: str, config: str, batch: int) -> DeviceResult:
        try:
            driver.load_replace_candidate(config)
            diff = driver.compare_config()
        except DeviceError as exc:
            self._step(node, "load-failed", error=str(exc))
            return DeviceResult(node, Status.failed, batch, error=str(exc))
        self._step(node, "compared", lines=diff.count("\n"))
        if not diff:
            driver.discard_config()
            with self._lock:
                self.ready.add(node)
            return DeviceResult(node, Status.unchanged, batch)
        if self.policy.dry_run:
            driver.discard_config()
            return DeviceResult(node, Status.would_change, batch, diff=diff)
        try:
            before = driver.get_config()
        except DeviceError as exc:
            self._step(node, "save-failed", error=str(exc))
            return DeviceResult(node, Status.failed, batch, diff=diff, error=str(exc))
        self.journal.save_before(node, before)
        self._step(node, "saved")
        try:
            driver.commit_config(message=f"govctl {self.journal.run_id}", revert_in=self.revert_in)
            self._step(node, "committed", revert_in=self.revert_in)
        except DeviceError as exc:
            self._step(node, "commit-failed", error=str(exc))
            return self._undo(driver, node, before, batch, diff, str(exc), [])
        if not self.verify_after_commit:
            return DeviceResult(node, Status.changed, batch, diff=diff)
        try:
            with self._lock:
                ready = set(self.ready)
            intent = self.intents[node]
            checks = wait_checks(
                lambda early: device_checks(driver, intent, self.intents, ready,
                                            self.platform or intent.platform, stop_early=early),
                self.policy.verify_timeout)
            remaining = driver.compare_config()
            checks.insert(0, Check("config-applied", not remaining,
                                   "running config matches the intent" if not remaining
                                   else f"{remaining.count(chr(10))} lines still differ"))
        except Exception as exc:  # noqa: BLE001 - whatever breaks after a commit, the device goes back
            self._step(node, "verify-error", error=str(exc))
            return self._undo(driver, node, before, batch, diff, str(exc), [])
        failed = [c for c in checks if not c.ok]
        if failed:
            self._step(node, "verify-failed", checks=[c.__dict__ for c in failed])
            return self._undo(driver, node, before, batch, diff,
                              "; ".join(f"{c.name}: {c.detail}" for c in failed), checks)
        try:
            if driver.has_pending_commit():
                driver.confirm_commit()
        except DeviceError as exc:
            self._step(node, "confirm-failed", error=str(exc))
            return self._undo(driver, node, before, batch, diff, str(exc), checks)
        self._step(node, "verified")
        with self._lock:
            self.ready.add(node)
        return DeviceResult(node, Status.changed, batch, diff=diff, checks=checks)

    def _undo(self, driver: DeviceDriver, node: str, before: str, batch: int, diff: str, why: str,
              checks: list[Check]) -> DeviceResult:
        try:
            driver.discard_config()
            restore = getattr(driver, "restore", None)
            if restore is not None:
                restore(before)
            else:
                driver.rollback()
            self._step(node, "rolled-back")
            return DeviceResult(node, Status.rolled_back, batch, diff=diff, error=why, checks=checks)
        except DeviceError as exc:
            note = (f"; the device restores its previous config itself within {self.revert_in} s "
                    "(commit-confirm)") if self.revert_in and driver.has_pending_commit() else ""
            self._step(node, "rollback-failed", error=str(exc), self_revert=bool(note))
            return DeviceResult(node, Status.rollback_failed, batch, diff=diff,
                                error=f"{why}; rollback: {exc}{note}", checks=checks)


def rollback_run(journal: Journal, targets: dict[str, DeviceTarget], factory: DriverFactory,
                 parallel: int = 10) -> list[DeviceResult]:
    """Undo a run: every device it committed (and did not already restore) gets its saved config back."""
    nodes = [n for n in journal.committed_not_undone() if n in targets]
    journal.record("", "rollback-run", nodes=nodes)

    def undo(node: str) -> DeviceResult:
        t0 = time.monotonic()
        before = journal.before(node)
        if before is None:
            return DeviceResult(node, Status.failed, error="no saved config in the journal")
        try:
            driver = factory(targets[node])
            driver.open()
            try:
                restore = getattr(driver, "restore", None)
                if restore is None:
                    driver.load_replace_candidate(before)
                    driver.commit_config(message=f"govctl rollback {journal.run_id}")
                else:
                    restore(before)
            finally:
                driver.close()
        except (DeviceError, GovctlError) as exc:
            journal.record(node, "restore-failed", error=str(exc))
            return DeviceResult(node, Status.rollback_failed, error=str(exc), seconds=time.monotonic() - t0)
        journal.record(node, "restored")
        return DeviceResult(node, Status.rolled_back, seconds=round(time.monotonic() - t0, 3))

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return list(pool.map(undo, list(reversed(nodes))))
