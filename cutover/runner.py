"""Run a cutover plan step by step with a journal; roll back automatically on a failed post-check.

The runner knows the plan's steps and the journal; what a step does to devices is an
``Executor`` (the lab's here; a device-driver executor plugs in behind the same contract).
Order of every run: pre-checks -> save every touched device's config (fsync'd) -> baseline
probes -> changes -> new circuits beside the old line -> converged (the new path checked before any
traffic moves) -> swing (make before break) -> post-checks (+ isolation, + nothing else changed)
-> observe -> point of no return. A failure before the point of no return rolls back every begun step in
reverse and proves the rollback: configs equal the saved ones, the baseline holds again.
"""
from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from govctl.core import statedir
from govctl.cutover.errors import CutoverFailed, JournalError, ManualStepPending
from govctl.cutover.journal import Journal, lock_path
from govctl.cutover.models import CutoverPlan, Probe, Step

NO_DEVICE = {"precheck", "baseline", "converge", "postcheck", "observe"}


class Executor(Protocol):
    """What a step does to the network. Every method raises ``CutoverFailed`` on a device failure.

    ``carries_out_manual_steps``: the executor itself does the people's steps (the lab plays the carrier);
    otherwise the runner asks for each manual step's confirmation (``Options.confirm``) and journals it.
    """

    carries_out_manual_steps: bool

    def devices(self) -> list[str]:
        """Devices whose configuration is saved before the first change (and restored by a rollback)."""

    def check_access(self) -> None:
        """Every device answers (login, a show command)."""

    def running(self, device: str) -> str: ...

    def do(self, step: Step, undo: bool) -> None:
        """Carry out one plan step, or its reversal."""

    def restore(self, device: str, saved: str) -> str:
        """Bring a device back to ``saved`` by a computed replace; returns the tool's output."""

    def probe(self, probe: Probe) -> tuple[bool, str]: ...

    def isolation(self) -> list[tuple[str, bool, str]]:
        """Extra checks that the VPN carries nothing it must not: (id, ok, detail)."""

    def converged(self) -> list[tuple[str, bool, str]]:
        """Make before break: wait (bounded) until the new path has converged where the executor can read it
        (sessions, installed routes); (id, ok, detail) per check. The plan's readiness probes follow."""

    def others(self) -> dict[str, str]:
        """Everything the cutover must not change, as comparable text."""

    def observe(self, minutes: int) -> None: ...


@dataclass
class Options:
    inject: str | None = None  # a lab fault to inject before the post-checks (rehearsal)
    crash_after: str | None = None  # test hook: SIGKILL ourselves once this step is journaled done
    stop_before_no_return: bool = False  # end the run (successfully) before the point of no return
    # a manual step (carrier circuit move) is done: how it was confirmed ("--yes", "prompt", ...) or None
    confirm: Callable[[Step, bool], str | None] | None = None


def rollback_id(step: Step) -> str:
    """The id a manual step's reversal is confirmed by (the plan's rollback step)."""
    return f"rollback-{step.id}"


def _confirm_manual(ex: Executor, step: Step, undo: bool, journal: Journal, confirm: Callable[[Step, bool], str | None]
                    | None) -> None:
    """A person's step is only taken as done when someone says so; the confirmation is journaled."""
    if not step.manual or getattr(ex, "carries_out_manual_steps", False):
        return
    sid = rollback_id(step) if undo else step.id
    how = confirm(step, undo) if confirm is not None else None
    if not how:
        journal.append("note", sid, detail_text="waiting for the manual step to be confirmed", waiting=True)
        raise ManualStepPending(
            f"manual step '{sid}' ({step.owner}) is not confirmed: when it is done, "
            f"`govctl cutover {'rollback' if undo else 'resume'} NETWORK --confirm-manual {sid}` "
            "(or answer the prompt)")
    journal.append("note", sid, detail_text=f"manual step confirmed ({how})", confirmed=how, undo=undo)


@dataclass
class Outcome:
    run: str
    state: str  # done | rolled-back | stopped | failed
    message: str
    checks: list[dict[str, Any]] = field(default_factory=list)


def _checks(ex: Executor, probes: tuple[Probe, ...], phase: str, journal: Journal) -> list[dict[str, Any]]:
    """Every probe, concurrently (each waits for convergence on its own); journaled in the plan's order."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(ex.probe, probes))
    results = []
    for p, (ok, detail) in zip(probes, outcomes):
        journal.append("check", p.id, "ok" if ok else "failed", phase=phase, detail_text=detail)
        results.append({"phase": phase, "id": p.id, "ok": ok, "detail": detail})
    return results


def _ready(plan: CutoverPlan, ex: Executor, journal: Journal) -> list[dict[str, Any]]:
    """Make before break: the new path, checked before any traffic moves. What the executor can read of the
    network's convergence (it waits for it, bounded), then the plan's readiness probes (each site to its PE over
    its new circuit, retried while the last change may still be converging)."""
    results = []
    for cid, ok, detail in ex.converged():
        journal.append("check", cid, "ok" if ok else "failed", phase="ready", detail_text=detail)
        results.append({"phase": "ready", "id": cid, "ok": ok, "detail": detail})
    return results + _checks(ex, plan.readiness, "ready", journal)


def _attach(ex: Executor, journal: Journal) -> None:
    """Executors that announce their commits in the journal (``attach``) get this run's."""
    attach = getattr(ex, "attach", None)
    if callable(attach):
        attach(journal)


def recover(ex: Executor, journal: Journal) -> list[str]:
    """Settle every commit the journal announced (an intent) but never saw end: a crash came in between, so
    the device is unknown until read. The executor's ``recover(intent)`` reads it and decides (its checkpoint:
    nothing applied; the change: applied; neither: taken back to the checkpoint, or a restore finished) and
    journals the outcome. Returns the devices that could not be read (still unknown)."""
    settle = getattr(ex, "recover", None)
    unknown: list[str] = []
    for intent in journal.unsettled():
        device = str(intent.detail.get("device"))
        if settle is None:
            unknown.append(device)
            continue
        try:
            settle(intent)
        except CutoverFailed as exc:
            journal.append("note", intent.step, detail_text=f"{device}: interrupted commit not settled, the "
                                                            f"device could not be read: {exc}", device=device)
            unknown.append(device)
    return unknown


def execute(plan: CutoverPlan, ex: Executor, journal: Journal, opts: Options, *, start: dict[str, Any],
            fault: Any = None) -> Outcome:
    """Run (or resume) ``plan``. ``start`` is stored in the first record so resume/rollback can rebuild the plan.

    A resume first settles every commit a crash interrupted (``recover``): the first unfinished step is then
    redone from a known state (a device holding the whole change is left as it is, one holding part of it is
    taken back to the step's checkpoint first)."""
    _attach(ex, journal)
    if not journal.records():
        journal.append("start", detail_text=f"cutover of {plan.network}", pid=os.getpid(), **start)
    elif journal.ended() is not None:
        raise JournalError(f"run {journal.run} already ended ({journal.ended().status}): nothing to resume")  # type: ignore[union-attr]
    if journal.rolled_back() or any(r.event == "rollback" for r in journal.records()):
        raise JournalError(f"run {journal.run} was partly rolled back: finish with `govctl cutover rollback`")
    unknown = recover(ex, journal)
    if unknown:
        raise CutoverFailed(f"cannot resume: an interrupted commit left {', '.join(sorted(set(unknown)))} in an "
                            "unknown state and it cannot be read now; resume (or roll back) once it answers")
    done = {k for k, v in journal.step_status().items() if v == "done"}
    checks: list[dict[str, Any]] = []
    for step in plan.steps:
        if step.id in done:
            continue
        if step.id == plan.point_of_no_return and opts.stop_before_no_return:
            journal.append("end", status="ok", state="stopped", detail_text="stopped before the point of no return")
            return Outcome(journal.run, "stopped", "all post-checks passed; stopped before the point of no return",
                           checks)
        _confirm_manual(ex, step, False, journal, opts.confirm)
        journal.append("step", step.id, "begin", minutes=step.minutes)
        t0 = time.monotonic()
        try:
            failed = _step(plan, ex, journal, step, checks, opts, fault)
        except CutoverFailed as exc:
            journal.append("step", step.id, "failed", time.monotonic() - t0, error=str(exc))
            return _fail(plan, ex, journal, step, str(exc), checks, fault, opts.confirm)
        if failed:
            journal.append("step", step.id, "failed", time.monotonic() - t0, error=failed)
            return _fail(plan, ex, journal, step, failed, checks, fault, opts.confirm)
        journal.append("step", step.id, "done", time.monotonic() - t0, minutes=step.minutes)
        if opts.crash_after == step.id:
            os.kill(os.getpid(), signal.SIGKILL)
    journal.append("end", status="ok", state="done")
    return Outcome(journal.run, "done", f"cutover of {plan.network} done", checks)


def _step(plan: CutoverPlan, ex: Executor, journal: Journal, step: Step, checks: list[dict[str, Any]],
          opts: Options, fault: Any) -> str | None:
    """One forward step; returns a failure text for a failed check (device errors raise)."""
    if step.id == "precheck":
        ex.check_access()
    elif step.id == "baseline":
        for d in ex.devices():
            journal.save_config(d, ex.running(d))
        journal.save_blob("others", ex.others())
        res = _checks(ex, plan.baseline, "baseline", journal)
        checks += res
        bad = [r["id"] for r in res if not r["ok"]]
        if bad:
            return f"baseline does not hold before any change ({', '.join(bad)}): nothing was touched"
    elif step.id == "converge":
        res = _ready(plan, ex, journal)
        checks += res
        bad = [r["id"] for r in res if not r["ok"]]
        if bad:
            return f"the new path is not ready ({', '.join(bad)}): no traffic was moved"
    elif step.id == "postcheck":
        if opts.inject and fault is not None:
            fault.inject(opts.inject)
            journal.append("note", step.id, detail_text=f"fault injected for the rehearsal: {opts.inject}")
        res = _checks(ex, plan.postchecks, "post", journal)
        for cid, ok, detail in ex.isolation():
            journal.append("check", cid, "ok" if ok else "failed", phase="post", detail_text=detail)
            res.append({"phase": "post", "id": cid, "ok": ok, "detail": detail})
        before, after = journal.blob("others"), ex.others()
        changed = sorted(k for k in before if before[k] != after.get(k))
        ok = not changed
        detail = "other VPNs, the public zone, the carrier and the cloud border unchanged" if ok else \
            f"changed: {', '.join(changed)}"
        journal.append("check", "nothing-else-changed", "ok" if ok else "failed", phase="post", detail_text=detail)
        res.append({"phase": "post", "id": "nothing-else-changed", "ok": ok, "detail": detail})
        checks += res
        bad = [r["id"] for r in res if not r["ok"]]
        if bad:
            return f"post-check failed: {', '.join(bad)}"
    elif step.id == "observe":
        ex.observe(step.minutes)
    else:
        ex.do(step, undo=False)
    return None


def _fail(plan: CutoverPlan, ex: Executor, journal: Journal, step: Step, why: str,
          checks: list[dict[str, Any]], fault: Any = None,
          confirm: Callable[[Step, bool], str | None] | None = None) -> Outcome:
    if step.id == "baseline" or step.id == "precheck":
        journal.append("end", status="failed", state="failed", detail_text=why)
        return Outcome(journal.run, "failed", f"{why}; no device was changed", checks)
    if _past_no_return(plan, journal):
        journal.append("end", status="failed", state="failed", detail_text=why)
        return Outcome(journal.run, "failed", f"{why}; past the point of no return: no automatic rollback", checks)
    out = rollback(plan, ex, journal, reason=why, fault=fault, confirm=confirm)
    out.checks = checks + out.checks
    return out


def _past_no_return(plan: CutoverPlan, journal: Journal) -> bool:
    return plan.point_of_no_return in journal.step_status()


def rollback(plan: CutoverPlan, ex: Executor, journal: Journal, *, reason: str, fault: Any = None,
             confirm: Callable[[Step, bool], str | None] | None = None) -> Outcome:
    """Undo every begun step in reverse, then prove it: saved configs back exactly, baseline holds again."""
    if _past_no_return(plan, journal):
        raise JournalError(f"run {journal.run} passed the point of no return ({plan.point_of_no_return}): "
                           "roll back by hand from the saved configurations in "
                           f"{journal.saved_dir}")
    _attach(ex, journal)
    status = journal.step_status()
    if "baseline" not in status or status["baseline"] != "done":
        journal.append("end", status="ok", state="rolled-back", detail_text="nothing was changed")
        return Outcome(journal.run, "rolled-back", "nothing was changed", [])
    recover(ex, journal)  # a device still unknown is restored (or reported) by the final comparison below
    if fault is not None:
        # the rehearsal's injected fault is outside the change: clear it so the baseline can be proven
        for f in list(fault.st.faults):
            fault.clear(f)
            journal.append("note", None, detail_text=f"rehearsal fault cleared: {f}")
    journal.append("rollback", None, "begin", reason=reason)
    undone = journal.rolled_back()
    for step in reversed(plan.steps):
        if step.id in NO_DEVICE or step.id not in status or step.id in undone:
            continue
        _confirm_manual(ex, step, True, journal, confirm)
        t0 = time.monotonic()
        journal.append("rollback", step.id, "begin")
        try:
            ex.do(step, undo=True)
            journal.append("rollback", step.id, "done", time.monotonic() - t0)
        except CutoverFailed as exc:
            # an undo that fails is not fatal: the saved configuration is restored below
            journal.append("rollback", step.id, "failed", time.monotonic() - t0, error=str(exc))
    checks: list[dict[str, Any]] = []
    exact = True
    differs: dict[str, str] = {}
    # every device the run touched: the plan's, and any a commit was announced to (found by a resume, say);
    # each read from the device now and compared, text for text, with the config saved before the change
    for d in sorted(set(ex.devices()) | journal.touched()):
        detail = ""
        try:
            saved = journal.saved_config(d)
        except JournalError as exc:
            same_now, ok, exact, detail = False, False, False, str(exc)
        else:
            try:
                left = _drift(ex, d, saved)
                same_now = not left
                if not same_now:
                    exact = False
                    ex.restore(d, saved)
                    left = _drift(ex, d, saved)
                    ok = not left
                    detail = "restored from the saved config" if ok else \
                        f"differs from the saved config: {_lines(left)}"
            except CutoverFailed as exc:
                # one unreachable device must not keep the others from being restored; a later rollback retries
                same_now, ok, exact, detail = False, False, False, f"not restored: {exc}"
        if not same_now:
            if not ok:
                differs[d] = detail
            journal.append("check", f"config-{d}", "ok" if ok else "failed", phase="rollback", detail_text=detail)
            checks.append({"phase": "rollback", "id": f"config-{d}", "ok": ok, "detail": detail})
        else:
            journal.append("check", f"config-{d}", "ok", phase="rollback", detail_text="identical to the saved config")
            checks.append({"phase": "rollback", "id": f"config-{d}", "ok": True,
                           "detail": "identical to the saved config"})
    checks += _checks(ex, plan.baseline, "rollback", journal)
    before, after = journal.blob("others"), ex.others()
    changed = sorted(k for k in before if before[k] != after.get(k))
    same = not changed
    detail = "" if same else f"changed since the baseline: {', '.join(changed)}"
    journal.append("check", "nothing-else-changed", "ok" if same else "failed", phase="rollback", detail_text=detail)
    checks.append({"phase": "rollback", "id": "nothing-else-changed", "ok": same, "detail": detail})
    ok = all(c["ok"] for c in checks)
    state = "rolled-back" if ok else "failed"
    journal.append("end", status="ok" if ok else "failed", state=state, reason=reason,
                   exact_undo=exact)
    msg = (f"{reason}; rolled back: every device's configuration is the saved one"
           f"{' (by the rendered undo alone)' if exact else ''}, baseline reachability restored") if ok else \
        f"{reason}; ROLLBACK INCOMPLETE" + "".join(f"; {d}: {why}" for d, why in sorted(differs.items())) + \
        "".join(f"; {c['id']} failed" + (f" ({c['detail']})" if c["detail"] else "")
                for c in checks if not c["ok"] and not c["id"].startswith("config-")) + \
        f"; see `govctl cutover status {plan.network}`"
    return Outcome(journal.run, state, msg, checks)


def _drift(ex: Executor, device: str, saved: str) -> str:
    """How ``device`` differs from ``saved`` now ('' when identical), read from the device, never from the
    journal: the executor's own fresh read (``drift``) where it has one, else ``running``."""
    drift = getattr(ex, "drift", None)
    if callable(drift):
        return str(drift(device, saved))
    from govctl.cutover.devices import line_drift

    return line_drift(saved, ex.running(device))


def _lines(drift: str, shown: int = 6) -> str:
    """A drift as one line: how many lines differ, and the first few."""
    lines = drift.strip("\n").splitlines()
    more = f" (+{len(lines) - shown} more)" if len(lines) > shown else ""
    return f"{len(lines)} line{'s' if len(lines) != 1 else ''} differ: " + " | ".join(lines[:shown]) + more


def report(plan: CutoverPlan | None, journal: Journal) -> dict[str, Any]:
    """The journal as a table: every step's status, estimate and measured time; the run's state."""
    recs = journal.records()
    start = journal.start()
    end = journal.ended()
    state = end.detail.get("state", "?") if end else "interrupted"
    waiting = recs[-1].step if end is None and recs[-1].event == "note" and recs[-1].detail.get("waiting") else None
    if waiting:
        state = "waiting"  # for a person to confirm a manual step: resume (or rollback) with its confirmation
    if end is None and start.get("network") and _locked(journal, str(start["network"])):
        state = "running"
    steps: dict[str, dict[str, Any]] = {}
    for r in recs:
        if r.event in ("step", "rollback") and r.step:
            key = r.step if r.event == "step" else f"rollback {r.step}"
            row = steps.setdefault(key, {"step": key, "status": "", "minutes": r.detail.get("minutes"),
                                         "seconds": None})
            row["status"] = r.status
            if r.seconds is not None:
                row["seconds"] = r.seconds
            if r.detail.get("minutes") is not None:
                row["minutes"] = r.detail["minutes"]
    if plan is not None:
        for s in plan.steps:
            steps.setdefault(s.id, {"step": s.id, "status": "pending", "minutes": s.minutes, "seconds": None})
            steps[s.id]["minutes"] = s.minutes
    checks = [{"phase": r.detail.get("phase", ""), "id": r.step, "ok": r.status == "ok",
               "detail": r.detail.get("detail_text", "")} for r in recs if r.event == "check"]
    # commits a crash interrupted: those devices are unknown until a resume or rollback reads them
    unsettled = sorted({str(r.detail.get("device")) for r in journal.unsettled()})
    message = end.detail.get("detail_text") or end.detail.get("reason", "") if end else \
        (f"waiting for manual step '{waiting}' to be confirmed" if waiting else "")
    if unsettled and state != "running":
        message = (message + "; " if message else "") + \
            f"interrupted commit on {', '.join(unsettled)}: unknown until `resume` or `rollback` reads it"
    return {"run": journal.run, "network": start.get("network"), "state": state, "journal": str(journal.path),
            "steps": list(steps.values()), "checks": checks, "unsettled": unsettled, "message": message}


def _locked(journal: Journal, network: str) -> bool:
    """A live process holds the network's run lock (a crashed one released it with its death)."""
    inventory = journal.start().get("inventory")  # the lock is the inventory's, wherever the journal is
    if not inventory and not statedir.overridden():
        return False  # a journal written by hand or by an old version: no lock to look at
    return statedir.holder(lock_path(Path(inventory) if inventory else None, network)) is not None


def run_one(plan: CutoverPlan, ex: Executor, journal: Journal, step_id: str, *, start: dict[str, Any],
            opts: Options | None = None, fault: Any = None) -> dict[str, Any]:
    """One step on its own (the Ansible module's unit of work): journaled like ``execute``, no automatic rollback.

    A failure raises ``CutoverFailed``; the playbook's ``rescue`` then calls ``rollback``.
    """
    if not journal.records():
        journal.append("start", detail_text=f"cutover of {plan.network} (step by step)", pid=os.getpid(), **start)
    if journal.ended() is not None:
        raise JournalError(f"run {journal.run} already ended")
    _attach(ex, journal)
    unknown = recover(ex, journal)
    if unknown:
        raise CutoverFailed(f"an interrupted commit left {', '.join(sorted(set(unknown)))} in an unknown state "
                            "and it cannot be read now")
    try:
        step = plan.step(step_id)
    except KeyError:
        raise JournalError(f"no step '{step_id}' in the plan of {plan.network}") from None
    status = journal.step_status()
    if status.get(step_id) == "done":
        return {"step": step_id, "changed": False, "status": "done"}
    missing = [s.id for s in plan.steps[: plan.steps.index(step)] if status.get(s.id) != "done"]
    if missing:
        raise JournalError(f"step '{step_id}' comes after unfinished step(s): {', '.join(missing)}")
    _confirm_manual(ex, step, False, journal, (opts or Options()).confirm)
    journal.append("step", step.id, "begin", minutes=step.minutes)
    t0 = time.monotonic()
    checks: list[dict[str, Any]] = []
    try:
        failed = _step(plan, ex, journal, step, checks, opts or Options(), fault)
    except CutoverFailed as exc:
        journal.append("step", step.id, "failed", time.monotonic() - t0, error=str(exc))
        raise
    if failed:
        journal.append("step", step.id, "failed", time.monotonic() - t0, error=failed)
        raise CutoverFailed(failed)
    journal.append("step", step.id, "done", time.monotonic() - t0, minutes=step.minutes)
    if step_id == plan.steps[-1].id:
        journal.append("end", status="ok", state="done")
    return {"step": step_id, "changed": step.id not in NO_DEVICE, "status": "done",
            "seconds": round(time.monotonic() - t0, 3), "minutes": step.minutes, "checks": checks}
