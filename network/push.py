"""The transactional rollout: per device load -> compare -> commit -> verify -> rollback, in batches.

Order is the one a network engineer uses: a canary first, then tier by tier from the core
outwards (province, city, county, town), each batch in parallel with a bound. A batch in which
more than ``max_fail_share`` of the devices fail stops the run; the devices not reached are
reported as skipped. Every step is journaled before the next one starts.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from govctl.network.drivers.base import DeviceDriver
from govctl.core.errors import GovctlError
from govctl.network.errors import DeviceError
from govctl.network.journal import Journal
from govctl.network.models import Check, DeviceIntent, DeviceResult, DeviceTarget, PushPolicy, RunResult, Status
from govctl.network.platforms import Platform
from govctl.network.platforms import get as get_platform
from govctl.network.platforms.scope import rollback_candidate
from govctl.network.verify import device_checks, wait_checks

TIER_ORDER = ("province", "city", "county", "town")
DriverFactory = Callable[[DeviceTarget], DeviceDriver]
Hook = Callable[[str, str], None]  # (node, step) after each journaled step; tests inject faults here


@contextmanager
def _session(factory: DriverFactory, target: DeviceTarget) -> Iterator[DeviceDriver]:
    """A session to the device, closed however the block ends (a failed open has nothing to close)."""
    driver = factory(target)
    driver.open()
    try:
        yield driver
    finally:
        driver.close()


@dataclass
class Prepared:
    """A device's session opened ahead of its batch: the running config it read and the change."""

    driver: DeviceDriver
    running: str
    diff: str


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
                 ready: set[str] | None = None, revert_in: int | None = None,
                 planned: dict[str, tuple[str, str]] | None = None) -> None:
        self.intents, self.configs, self.targets = intents, configs, targets
        # a reviewed plan's devices: node -> (sha256 of the running config its change was computed from,
        # that change). Such a device is committed only while it still runs that config, with that change
        self.planned = planned
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
        # devices an earlier attempt of this run may have changed (resume after a crash), and those of
        # them that may still have a commit-confirm timer running on the device
        self.earlier: set[str] = set(journal.touched())
        self.armed: set[str] = journal.armed()
        # the current batch's devices not yet past their commit, and what starts once none is left
        self._waiting: set[str] = set()
        self._start_next: Callable[[], None] | None = None

    def _step(self, node: str, step: str, **detail: object) -> None:
        self.journal.record(node, step, **detail)
        if node and step in ("committed", "result"):
            self._past_commit(node)
        if self.hook:
            self.hook(node, step)

    def _after_commits(self, nodes: list[str], start: Callable[[], None]) -> None:
        """Call ``start`` once every one of ``nodes`` has committed or finished (at once if none is left)."""
        with self._lock:
            self._waiting, self._start_next = set(nodes), start
        if not nodes:
            self._past_commit("")

    def _past_commit(self, node: str) -> None:
        with self._lock:
            self._waiting.discard(node)
            start = self._start_next if not self._waiting else None
            if start is not None:
                self._start_next = None
        if start is not None:
            start()

    def run(self, nodes: list[str], done: dict[str, str] | None = None) -> RunResult:
        start = time.monotonic()
        plan = batches(nodes, self.intents, self.policy)
        self.journal.write_meta({"batches": plan, "policy": self.policy.__dict__})
        results: list[DeviceResult] = []
        stopped = ""
        batch_seconds: list[float] = []
        done = done or {}
        # the next batch's sessions, opened, read and diffed while the current batch verifies (read
        # only: its commits start only after the current batch has passed). Not earlier: reading and
        # diffing a whole tier competes for the cores with the current batch's commits, which are its
        # critical path; its verification is mostly waiting for the routers to converge.
        ahead = self.policy.prefetch and not self.policy.dry_run
        prep = ThreadPoolExecutor(max_workers=max(1, self.policy.parallel)) if ahead else None
        pending: dict[str, Future[Prepared | None]] = {}
        try:
            for bi, batch in enumerate(plan):
                if stopped:
                    results += [DeviceResult(n, Status.skipped, bi) for n in batch]
                    continue
                todo = [n for n in batch if n not in done]
                results += [DeviceResult(n, Status(done[n]), bi, error="done in an earlier attempt of this run")
                            for n in batch if n in done]
                self.ready.update(n for n in batch if n in done)
                mine = {n: pending.pop(n) for n in todo if n in pending}
                if prep is not None and bi + 1 < len(plan):
                    # not a device an earlier attempt may have left changed or armed: recovery reads those
                    # in their own turn, after disarming
                    ahead_of = [n for n in plan[bi + 1] if n not in done and n not in self.earlier
                                and n not in self.armed]

                    def read_ahead(nodes: list[str] = ahead_of, pool: ThreadPoolExecutor = prep) -> None:
                        # runs in the thread of the batch's last device past its commit, before that
                        # device's turn returns: complete before the next batch looks for it
                        pending.update({n: pool.submit(self._prepare, n) for n in nodes})

                    self._after_commits(todo, read_ahead)
                t0 = time.monotonic()
                self._step("", "batch", index=bi, nodes=todo)
                with ThreadPoolExecutor(max_workers=max(1, self.policy.parallel)) as pool:
                    batch_results = list(pool.map(lambda n, b=bi, m=mine: self.one(n, b, m.get(n)), todo))
                batch_seconds.append(time.monotonic() - t0)
                results += batch_results
                failed = sum(1 for r in batch_results if r.failed)
                if todo and failed / len(todo) > self.policy.max_fail_share:
                    stopped = (f"batch {bi} ({'canary' if bi == 0 and self.policy.canary else 'tier'}): "
                               f"{failed} of {len(todo)} failed, more than {self.policy.max_fail_share:.0%}")
                    self._step("", "stopped", reason=stopped)
        finally:
            for future in pending.values():  # prepared for a batch that never ran: close the sessions
                ready = future.result()
                if ready is not None:
                    ready.driver.close()
            if prep is not None:
                prep.shutdown(wait=True)
        return RunResult(self.journal.run_id, results, stopped, time.monotonic() - start, batch_seconds)

    def _prepare(self, node: str) -> Prepared | None:
        """A session to ``node`` with its running config read and the change computed; None when any of
        it fails (the device's own turn then does it again and reports the error)."""
        try:
            driver = self.factory(self.targets[node])
            driver.open()
        except Exception:  # noqa: BLE001 - reported by the device's own turn
            return None
        if self.planned is not None:
            return Prepared(driver, "", "")  # the session only: the plan holds the change, the turn checks it
        try:
            driver.load_replace_candidate(self.configs[node])
            diff = driver.compare_config()
            return Prepared(driver, driver.get_config(), diff)
        except Exception:  # noqa: BLE001 - reported by the device's own turn
            driver.close()
            return None

    def one(self, node: str, batch: int, prepared: Future[Prepared | None] | None = None) -> DeviceResult:
        t0 = time.monotonic()
        res = self._one(node, batch, prepared)
        res.seconds = round(time.monotonic() - t0, 3)
        self._step(node, "result", status=res.status.value, error=res.error, seconds=res.seconds,
                   checks=[c.__dict__ for c in res.checks])
        return res

    def _one(self, node: str, batch: int, prepared: Future[Prepared | None] | None = None) -> DeviceResult:
        config = self.configs[node]
        self.journal.save_intended(node, config)
        self._step(node, "start", batch=batch)
        ready = prepared.result() if prepared is not None else None
        if ready is not None:
            driver = ready.driver
        else:
            try:
                driver = self.factory(self.targets[node])
                driver.open()
            except (DeviceError, GovctlError) as exc:
                self._step(node, "connect-failed", error=str(exc))
                return DeviceResult(node, Status.failed, batch, error=str(exc))
        try:
            return self._transaction(driver, node, config, batch, ready)
        finally:
            driver.close()

    def _transaction(self, driver: DeviceDriver, node: str, config: str, batch: int,
                     ready: Prepared | None = None) -> DeviceResult:
        if node in self.armed and not self.policy.dry_run:
            disarm(driver, self.journal, node)
        try:
            if self.planned is not None:
                diff = self._planned_change(driver, node, config)
            elif ready is not None and driver.reread_config() == ready.running:
                diff = ready.diff  # the device is as it was when the change was computed: it stands
            else:
                ready = None
                driver.load_replace_candidate(config)
                diff = driver.compare_config()
        except DeviceError as exc:
            self._step(node, "load-failed", error=str(exc))
            return DeviceResult(node, Status.failed, batch, error=str(exc))
        self._step(node, "compared", lines=diff.count("\n"), prepared=ready is not None)
        if not diff:
            try:
                before = self._applied_earlier(driver, node)
            except DeviceError as exc:
                self._step(node, "load-failed", error=str(exc))
                return DeviceResult(node, Status.failed, batch, error=str(exc))
            if before is None:
                driver.discard_config()
                with self._lock:
                    self.ready.add(node)
                return DeviceResult(node, Status.unchanged, batch)
            diff = "# applied by an earlier attempt of this run (found on the device)\n"
        elif self.policy.dry_run:
            driver.discard_config()
            return DeviceResult(node, Status.would_change, batch, diff=diff)
        else:
            try:
                # an earlier attempt's checkpoint wins: the device may be half-way now
                before = self.journal.save_before(node, driver.get_config())
            except (DeviceError, OSError) as exc:
                self._step(node, "save-failed", error=str(exc))
                return DeviceResult(node, Status.failed, batch, diff=diff, error=str(exc))
            self._step(node, "saved")
            # write-ahead: on disk before the device hears of the commit
            self._step(node, "commit-intent", checkpoint=f"before/{node}.cfg", sha256=_digest(before),
                       revert_in=self.revert_in)
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

    def _planned_change(self, driver: DeviceDriver, node: str, config: str) -> str:
        """The plan's change of ``node``, staged, while the device runs the config the plan computed it
        from; else ``DeviceError`` and the device stays untouched. Not compared again: the same running
        config, candidate and code (the plan checks its code version) give the same change, and every
        driver's commit computes it from the running config it reads then."""
        assert self.planned is not None  # noqa: S101 - only called for a plan's push
        running_sha256, change = self.planned[node]
        now = _digest(driver.reread_config())
        if now != running_sha256:
            raise DeviceError(node, "plan", f"running config changed since the plan (sha256 {now[:12]}, the plan's "
                                            f"{running_sha256[:12]}): not pushed")
        driver.load_replace_candidate(config)
        return change

    def _applied_earlier(self, driver: DeviceDriver, node: str) -> str | None:
        """The device already runs the intent. If an earlier attempt of this run sent it (the
        controller died before journaling the outcome, or the device finished after it died), that
        is this run's change: journaled as committed, so rollback undoes it, and saved to startup,
        which the interrupted attempt may not have reached. Returns the run's checkpoint then."""
        before = self.journal.before(node) if node in self.earlier else None
        if before is None or not driver.running_drift(before):
            return None
        self._step(node, "committed", recovered=True)
        if driver.startup_drift(driver.get_config()):
            driver.save_config()
            self._step(node, "startup-saved")
        return before

    def final_check(self, nodes: list[str], parallel: int = 10) -> list[DeviceResult]:
        """The end of a resume: every device read again in a new session runs its intended config
        and has saved it as its startup config (a device found applied by the resume, or caught
        mid-commit by the crash, might not have). A device whose startup lags is saved now."""
        def one(node: str) -> DeviceResult:
            try:
                with _session(self.factory, self.targets[node]) as driver:
                    driver.load_replace_candidate(self.configs[node])
                    left = driver.compare_config()
                    driver.discard_config()
                    if left:
                        raise DeviceError(node, "check", f"running config differs from the intended one by "
                                                         f"{left.count(chr(10))} lines:\n{_head(left)}")
                    if driver.startup_drift(driver.get_config()):
                        driver.save_config()
                        self._step(node, "startup-saved")
                        lag = driver.startup_drift(driver.get_config())
                        if lag:
                            raise DeviceError(node, "check", f"startup config still differs by "
                                                             f"{lag.count(chr(10))} lines after saving")
            except (DeviceError, GovctlError) as exc:
                self._step(node, "check-failed", error=str(exc))
                return DeviceResult(node, Status.failed, error=str(exc))
            self._step(node, "checked")
            return DeviceResult(node, Status.changed)

        with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
            return list(pool.map(one, nodes))

    def _undo(self, driver: DeviceDriver, node: str, before: str, batch: int, diff: str, why: str,
              checks: list[Check]) -> DeviceResult:
        """Give ``node`` back govctl's part of its saved config, as ``net rollback`` does: a line outside
        it that changed since the commit (an operator, an agent on the device) stays as it is now."""
        try:
            driver.discard_config()
            platform = get_platform(self.targets[node].platform)
            target = (before if platform is None else
                      rollback_candidate(driver.reread_config(), before, self.configs[node], platform))
            driver.restore(target)
            self._step(node, "rolled-back")
            return DeviceResult(node, Status.rolled_back, batch, diff=diff, error=why, checks=checks)
        except DeviceError as exc:
            note = (f"; the device restores its previous config itself within {self.revert_in} s "
                    "(commit-confirm)") if self.revert_in and driver.has_pending_commit() else ""
            self._step(node, "rollback-failed", error=str(exc), self_revert=bool(note))
            return DeviceResult(node, Status.rollback_failed, batch, diff=diff,
                                error=f"{why}; rollback: {exc}{note}", checks=checks)


def disarm(driver: DeviceDriver, journal: Journal, node: str) -> None:
    """Stop a commit-confirm timer a dead controller may have left running on the device (confirm from
    this new session), so the device cannot change by itself while recovery reads and decides. A device
    with no timer running answers the confirm as a no-op; one that refuses it is read as it is."""
    try:
        driver.confirm_commit()
        journal.record(node, "disarmed")
    except DeviceError as exc:
        journal.record(node, "disarm-failed", error=str(exc))


def _digest(config: str) -> str:
    return hashlib.sha256(config.encode()).hexdigest()


def _head(diff: str, lines: int = 8) -> str:
    rows = diff.splitlines()
    return "\n".join(rows[:lines] + ([f"... {len(rows) - lines} more"] if len(rows) > lines else []))


def rollback_run(journal: Journal, targets: dict[str, DeviceTarget], factory: DriverFactory,
                 parallel: int = 10) -> list[DeviceResult]:
    """Undo a run within govctl's scope: every device it may have changed (an intent to commit was
    journaled, whatever followed: a crash can leave a device changed with no outcome on record) is read
    and, unless govctl's part of it already equals the saved config's, given that part back
    (``scope.rollback_candidate``: the owned scope and the lines the run rendered, from the saved
    config; every other line as the device has it now, so what an operator changed outside that
    scope since the push stays). Then every one of them is read again in a new session: a device
    counts as rolled back only if govctl's part of its running config equals the saved config's and
    its startup config equals that running config. Safe to run again after any interruption."""
    touched = journal.touched()
    armed = journal.armed()
    nodes = [n for n in touched if n in targets]
    journal.record("", "rollback-run", nodes=nodes, scope=ROLLBACK_SCOPE)
    lost = [DeviceResult(n, Status.rollback_failed, error="no longer in the inventory: cannot reach it to restore")
            for n in touched if n not in targets]

    def undo(node: str) -> DeviceResult:
        t0 = time.monotonic()
        saved = _saved(journal, node, targets[node])
        if isinstance(saved, str):
            return DeviceResult(node, Status.rollback_failed, error=saved)
        try:
            with _session(factory, targets[node]) as driver:
                if node in armed:
                    disarm(driver, journal, node)
                target = _restored_part(driver, saved)
                drift = driver.running_drift(target)
                if drift:
                    journal.record(node, "restore-intent", checkpoint=f"before/{node}.cfg",
                                   sha256=_digest(saved[0]), lines=drift.count("\n"), scope=ROLLBACK_SCOPE)
                    driver.restore(target)
                    journal.record(node, "restored")
                else:
                    if driver.startup_drift(target):
                        driver.save_config()
                    journal.record(node, "restored", already=True)
        except (DeviceError, GovctlError) as exc:
            journal.record(node, "restore-failed", error=str(exc))
            return DeviceResult(node, Status.rollback_failed, error=str(exc), seconds=time.monotonic() - t0)
        return DeviceResult(node, Status.rolled_back, seconds=round(time.monotonic() - t0, 3))

    def check(res: DeviceResult) -> DeviceResult:
        if res.status != Status.rolled_back:
            return res
        node = res.node
        saved = _saved(journal, node, targets[node])
        if isinstance(saved, str):
            return DeviceResult(node, Status.rollback_failed, error=saved)
        try:
            with _session(factory, targets[node]) as driver:
                # govctl's part of the device now, made equal to the saved one: the device must run it
                target = _restored_part(driver, saved)
                running, startup = driver.running_drift(target), driver.startup_drift(target)
        except (DeviceError, GovctlError) as exc:
            journal.record(node, "rollback-check-failed", error=str(exc))
            return DeviceResult(node, Status.rollback_failed, error=f"could not read it back: {exc}")
        wrong = [f"govctl's part of the running config ({ROLLBACK_SCOPE}) differs from the saved one by "
                 f"{running.count(chr(10))} lines:\n{_head(running)}" if running else "",
                 f"startup config differs from the running config with govctl's part restored by "
                 f"{startup.count(chr(10))} lines" if startup else ""]
        why = "; ".join(w for w in wrong if w)
        journal.record(node, "rollback-checked", ok=not why, compared=ROLLBACK_SCOPE,
                       running_lines=running.count("\n"), startup_lines=startup.count("\n"))
        if why:
            return DeviceResult(node, Status.rollback_failed, error=why, seconds=res.seconds)
        return res

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        restored = list(pool.map(undo, list(reversed(nodes))))
        return lost + list(pool.map(check, restored))


# what a rollback restores and its final check compares, in the journal's and the user's words
ROLLBACK_SCOPE = "govctl's owned scope and the lines the run rendered; every other line as the device has it now"


def _restored_part(driver: DeviceDriver, saved: tuple[str, str, Platform]) -> str:
    """The device's running config with govctl's part as ``saved`` (from ``_saved``) has it."""
    before, intended, platform = saved
    return rollback_candidate(driver.get_config(), before, intended, platform)


def _saved(journal: Journal, node: str, target: DeviceTarget) -> tuple[str, str, Platform] | str:
    """(saved config, config the run pushed, platform) of ``node``, or why a rollback cannot use them."""
    before = journal.before(node)
    if before is None:
        return "no saved config in the journal"
    pushed = journal.dir / "intended" / f"{node}.cfg"  # written before the commit intent (``Rollout._one``)
    if not pushed.is_file():
        return f"no pushed config in the journal ({pushed}): govctl's part of the device is unknown"
    platform = get_platform(target.platform)
    if platform is None:
        return f"unknown platform {target.platform!r}"
    return before, pushed.read_text(encoding="utf-8"), platform
