"""`govctl cutover ...`: plan, document, rehearse and run a dedicated-network cutover (专网割接)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from govctl.core.clikit import (AsOfOpt, InventoryArg, JsonOpt, as_of_time, deprecated, either, emit_json, err,
                                handle_errors, out)
from govctl.source import load, plan_ipv6
from govctl.core.errors import InputError, RuntimeFailure

cutover_app = typer.Typer(no_args_is_help=True, help="Dedicated-network cutover (专网割接): plan, document, "
                                                     "rehearse on the lab, run with a journal, resume, roll back.")

NetworkArg = Annotated[str, typer.Argument(help="Dedicated network id (dedicated_networks.yaml), e.g. health-net.")]
AtOpt = Annotated[str | None, deprecated("--at", use="--as-of", metavar="WHEN")]
LangOpt = Annotated[str, typer.Option("--lang", help="zh or en.")]
JournalDirOpt = Annotated[Path, typer.Option("--journal-dir", help="Where run journals are kept.")]
DEFAULT_JOURNALS = Path("<state dir>") / "cutover"  # the inventory's state directory (govctl.core.statedir)


def _now(at: str | None) -> datetime:
    return as_of_time(at)


def _plan(inventory: Path | None, network: str, at: str | None, check_window: bool = True):  # noqa: ANN202
    from govctl.cutover.planner import plan_cutover

    loaded, shown = load(inventory)
    p = plan_cutover(loaded.inventory, plan_ipv6(loaded), network, now=_now(at), origins=loaded.origins,
                     check_window=check_window)
    return p, loaded, shown


@cutover_app.command("plan")
@handle_errors
def plan_cmd(
    network: NetworkArg,
    inventory: InventoryArg = None,
    as_of: AsOfOpt = None,
    at: AtOpt = None,
    configs: Annotated[bool, typer.Option("--configs", help="Also print every device's change and rollback.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Compute the cutover of one dedicated network: pre-checks, the VPN on each PE, steps, post-checks, rollback.

    Refuses (exit 2, nothing touched) an unknown network, overlapping prefixes in the target VPN, a window in the
    past or inside a change freeze, a target node that is not a PE, or a department with a classified system.

    Example: `govctl cutover plan health-net --configs`
    """
    p, _, shown = _plan(inventory, network, either(as_of, at, "--as-of", "--at"))
    if as_json:
        emit_json({"inventory": shown, **p.as_dict()})
        return
    head = Table("", "", title=f"Cutover of {p.network} ({p.name}) from {shown}", show_header=False)
    head.add_row("department", f"{p.department_name} ({p.department})")
    head.add_row("VPN", f"{p.vpn} RD {p.rd} access type {p.access_type}")
    head.add_row("window", f"{p.window_start} .. {p.window_end}")
    head.add_row("PEs", ", ".join(f"{x.node} ({x.platform}, {x.role})" for x in p.pes))
    head.add_row("estimate", f"{p.minutes} min, point of no return at T+{p.minutes_to_no_return} min "
                             f"({p.point_of_no_return})")
    out.print(head)
    checks = Table("pre-check", "result", "detail")
    for c in p.prechecks:
        checks.add_row(c.id, "[green]pass[/]" if c.passed else "[red]FAIL[/]", c.detail)
    out.print(checks)
    steps = Table("#", "step", "phase", "owner", "device", "min", title="steps")
    for i, s in enumerate(p.steps, 1):
        mark = " [bold red](point of no return)[/]" if s.id == p.point_of_no_return else ""
        steps.add_row(str(i), s.id + mark, s.phase.value, s.owner, s.node or ("manual" if s.manual else "-"),
                      str(s.minutes))
    out.print(steps)
    ready = Table("before traffic moves (converge)", "from", "to", "expect")
    for pr in p.readiness:
        ready.add_row(pr.id, pr.source, pr.target_prefix, "reach")
    out.print(ready)
    probes = Table("post-check", "from", "to", "expect")
    for pr in p.postchecks:
        probes.add_row(pr.id, pr.source, pr.target_prefix, "reach" if pr.expect else "no reach")
    out.print(probes)
    out.print(f"rollback: {len(p.rollback)} steps ({', '.join(s.id for s in p.rollback)})", highlight=False)
    for w in p.warnings:
        err.print(f"[yellow]warning:[/] {w}", highlight=False)
    if configs:
        for c in p.changes:
            out.print(f"\n[bold]{c.node} ({c.platform}) {c.feature}[/]", highlight=False)
            out.print(c.apply, markup=False, highlight=False)
            out.print(f"[dim]-- rollback of {c.feature}[/]")
            out.print(c.rollback, markup=False, highlight=False)


@cutover_app.command("doc")
@handle_errors
def doc_cmd(
    network: NetworkArg,
    inventory: InventoryArg = None,
    lang: LangOpt = "zh",
    output: Annotated[Path | None, typer.Option("--out", help="Write here (.md; .docx if python-docx is "
                                                              "installed) instead of stdout.")] = None,
    as_of: AsOfOpt = None,
    at: AtOpt = None,
    no_configs: Annotated[bool, typer.Option("--no-configs", help="Leave out the configuration appendix.")] = False,
) -> None:
    """Write the change-board document (scope, window, impact, steps with owners and timings, checks, rollback,
    point of no return, contacts) in Chinese or English.

    Example: `govctl cutover doc health-net --lang en --out docs/cutover/health-net.en.md`
    """
    from govctl.cutover.document import render_document

    if lang not in ("zh", "en"):
        raise InputError(f"--lang: expected zh or en, got '{lang}'")
    if output is not None and output.is_dir():
        raise InputError(f"--out: {output} is a directory; give a file name")
    p, _, _ = _plan(inventory, network, either(as_of, at, "--as-of", "--at"))
    text = render_document(p, lang, with_configs=not no_configs)
    if output is None:
        out.print(text, markup=False, highlight=False, end="")
        return
    try:
        if output.suffix == ".docx":
            from govctl.cutover.document import write_docx

            write_docx(text, output)
        else:
            output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RuntimeFailure(f"cannot write {output}: {exc.strerror}") from exc
    err.print(f"wrote {output}", highlight=False)


def _print_report(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(report)
        return
    table = Table("step", "status", "estimate (min)", "took (s)", title=f"run {report['run']}: {report['state']}")
    for s in report["steps"]:
        table.add_row(s["step"], s["status"], "" if s.get("minutes") is None else str(s["minutes"]),
                      "" if s.get("seconds") is None else f"{s['seconds']:.2f}")
    out.print(table)
    for c in report.get("checks", []):
        colour = "green" if c["ok"] else "red"
        out.print(f"[{colour}]{'ok ' if c['ok'] else 'FAIL'}[/] {c['phase']}: {c['id']} {c.get('detail', '')}",
                  highlight=False)
    if report.get("message"):
        out.print(report["message"], highlight=False)


# ---------------------------------------------------------------- running a cutover


def _plan_digest(p: Any) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(p.as_dict(), sort_keys=True, default=str, ensure_ascii=False)
                          .encode()).hexdigest()[:16]


def _lab_for(p: Any, create: bool):  # noqa: ANN202
    from govctl.cutover.lab import Lab, preflight

    why = preflight()
    if why:
        raise RuntimeFailure(why)
    lab = Lab.attach(p.network)
    if lab is None:
        if not create:
            raise InputError(f"no cutover lab is up for '{p.network}' (it is built by `govctl cutover run "
                             f"{p.network} --lab` or `rehearse --keep-lab`)")
        lab = Lab.up(p)
    return lab


DevicesOpt = Annotated[Path | None, typer.Option(
    "--devices", help="Device overlay (YAML): how to reach each device (host, platform, username, credentials as "
                      "env:VAR or file:PATH, known_hosts), the probe points the checks run from, the devices to "
                      "watch. Default for reaching a PE: its inventory management address and credentials.")]
ConfirmOpt = Annotated[list[str] | None, typer.Option(
    "--confirm-manual", help="A manual step that is done (a new circuit up, a site's traffic moved), e.g. "
                             "circuit-SITE, swing-SITE or rollback-swing-SITE; repeatable. Otherwise asked at the "
                             "prompt.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Confirm every manual step without asking (automation that "
                                                    "moves the circuits itself).")]
ObserveOpt = Annotated[float | None, typer.Option(hidden=True, help="Test hook: observe this many seconds.")]


def _confirmer(confirmed: list[str] | None, yes: bool):  # noqa: ANN202 - runner's Options.confirm
    """Manual steps are confirmed by --yes, --confirm-manual STEP, or a person at the prompt; never assumed."""
    import sys

    from govctl.cutover.runner import rollback_id

    ids = set(confirmed or ())

    def confirm(step: Any, undo: bool) -> str | None:
        sid = rollback_id(step) if undo else step.id
        if yes:
            return "--yes"
        if sid in ids:
            return f"--confirm-manual {sid}"
        if sys.stdin.isatty():
            what = f"Has {step.owner} moved the circuit back ({sid})?" if undo else \
                f"{step.title_en} ({step.owner}): done?"
            return "confirmed at the prompt" if typer.confirm(what, default=False) else None
        return None
    return confirm


def _device_executor(p: Any, loaded: Any, devices: Path | None, observe_seconds: float | None = None):  # noqa: ANN202
    """The production executor: drivers on the inventory's PEs (or the overlay's addresses), checked up front."""
    from govctl.cutover.devices import device_executor

    if devices is None:
        raise InputError(f"a device run of '{p.network}' needs --devices FILE: the probe points its baseline and "
                         "post-checks are measured from (README: cutover on real devices)")
    return device_executor(p, loaded, devices, observe_seconds)


def _executor_for(journal: Any, p: Any):  # noqa: ANN202
    """The executor a journaled run was started with (resume and rollback continue on the same devices)."""
    start = journal.start()
    if start.get("lab"):
        from govctl.cutover.lab import LabExecutor

        return LabExecutor(_lab_for(p, create=False), p)
    loaded, _ = load(Path(start["inventory"]))
    return _device_executor(p, loaded, Path(start["devices"]), start.get("observe_seconds")).attach(journal)


def _site_flows(lb: Any, most: int = 8) -> list[Any]:
    """The department's own traffic on the cutover lab: site to site, IPv4 and IPv6, between the addresses its
    sites hold (on the CEs), what the probes of ``network.lab.probes`` send during a lab run or rollback."""
    from govctl.labs.routers.probes import Flow

    st = lb.st
    sites = sorted(k for k in st.sources if k.startswith("site:"))
    flows = []
    for a in sites:
        for b in sites:
            for fam, family in (("v4", "ipv4"), ("v6", "ipv6")):
                src, dst = st.sources[a], st.targets.get(b, {})
                if a != b and fam in src and fam in dst:
                    flows.append(Flow(f"{family} {a} -> {b}", family, a, st.instances[src["ns"]].netns, src[fam],
                                      b, st.instances[dst["ns"]].netns, dst[fam]))
    return flows[:most]


@contextmanager
def _felt(lb: Any) -> Iterator[Any]:
    """Probes between the department's sites while a lab run or rollback changes the lab (results after it)."""
    from govctl.labs.routers.probes import probing

    with probing(_site_flows(lb), settle=5.0) as running:
        yield running


def _finish(outcome: Any, journal: Any, p: Any, as_json: bool,
            ok_states: tuple[str, ...] = ("done", "stopped"), probes: list[Any] | None = None) -> None:
    from govctl.cutover.runner import report

    rep = report(p, journal)
    rep["message"] = outcome.message
    if probes is not None:
        rep["probes"] = [r.as_dict() for r in probes]
    _print_report(rep, as_json)
    if probes and not as_json:
        table = Table("flow", "sent", "lost", "longest gap ms", title="what the department felt (probes every 10 ms)")
        for r in probes:
            table.add_row(r.name, str(r.sent), str(r.lost), f"{r.longest_gap_ms:.0f}")
        out.print(table)
    if outcome.state not in ok_states:
        from govctl.cutover.errors import CutoverFailed

        raise CutoverFailed(f"run {journal.run} of '{p.network}' ended {outcome.state}"
                            f"{': ' + outcome.message if outcome.message else ''}")


@cutover_app.command("run")
@handle_errors
def run_cmd(
    network: NetworkArg,
    inventory: InventoryArg = None,
    lab: Annotated[bool, typer.Option("--lab", help="Run on the cutover lab (built if not up; left up for "
                                                    "status/resume/rollback; remove with `lab-down`).")] = False,
    devices: DevicesOpt = None,
    confirm_manual: ConfirmOpt = None,
    yes: YesOpt = False,
    observe_seconds: ObserveOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Run outside the maintenance window.")] = False,
    stop_before_no_return: Annotated[bool, typer.Option(
        "--stop-before-no-return", help="End after the post-checks and observation, before the point of no "
                                        "return.")] = False,
    as_of: AsOfOpt = None,
    at: AtOpt = None,
    journal_dir: JournalDirOpt = DEFAULT_JOURNALS,
    crash_after: Annotated[str | None, typer.Option(hidden=True, help="Test hook: SIGKILL after this step.")] = None,
    inject: Annotated[str | None, typer.Option(hidden=True, help="Lab fault before the post-checks.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the cutover in its window: every step journaled (fsync'd), automatic rollback on a failed post-check.

    Without `--lab` the steps run on the real devices through the drivers (FRR over SSH, NAPALM for huawei_vrp
    and ios): configs saved first, each step a load/compare/commit-confirm transaction, probes from the
    `--devices` overlay's probe points, manual steps (carrier circuit moves) confirmed at the prompt, by
    `--confirm-manual STEP` or `--yes`. Refuses outside the window unless `--force`; refuses (exit 2) whatever
    `plan` refuses, and unknown devices or unset credentials, before any device is touched. After a crash or an
    unconfirmed manual step: `govctl cutover status|resume|rollback NETWORK`.

    Example: `govctl cutover run health-net --devices devices.yaml --confirm-manual swing-乙市卫健局`
    """
    from govctl.cutover.errors import OutsideWindow
    from govctl.cutover.journal import Journal, RunLock, journals_dir
    from govctl.cutover.lab import LabExecutor
    from govctl.cutover.runner import Options, execute

    at = either(as_of, at, "--as-of", "--at")
    p, loaded, _ = _plan(inventory, network, at)
    journal_dir = journals_dir(journal_dir, loaded.directory)
    now = _now(at)
    if not force and not (p.window_start and p.window_start <= now <= p.window_end):
        raise OutsideWindow(f"{network}: now ({now.isoformat(timespec='minutes')}) is outside the window "
                            f"{p.window_start} .. {p.window_end}; wait for it or use --force")
    if lab and devices is not None:
        raise InputError("--lab and --devices: choose one (the lab's own executor, or devices through the drivers)")
    if not lab:
        _device_run(p, loaded, network, devices, journal_dir, at, confirm_manual, yes, observe_seconds,
                    stop_before_no_return, crash_after, as_json)
        return
    with RunLock(loaded.directory, network, "cutover run"):
        _refuse_unfinished(journal_dir, network)
        from govctl.cutover.lab import Lab

        old = Lab.attach(network)
        if old is not None:
            old.down()  # a finished run left the lab cut over: every run starts from the old network
        lb = _lab_for(p, create=True)
        journal = Journal.create(journal_dir, network)
        start = {"network": network, "inventory": str(loaded.directory), "at": at, "lab": True,
                 "check_window": True, "plan": _plan_digest(p)}
        ex = LabExecutor(lb, p)
        with _felt(lb) as felt:
            outcome = execute(p, ex, journal, Options(inject=inject, crash_after=crash_after,
                                                      stop_before_no_return=stop_before_no_return),
                              start=start, fault=ex)
    _finish(outcome, journal, p, as_json, probes=felt.results)


def _refuse_unfinished(journal_dir: Path, network: str) -> None:
    """A new run must not start over an interrupted one: its devices are half-way and its journal knows where."""
    from govctl.cutover.journal import Journal

    try:
        last = Journal.latest(journal_dir, network)
    except InputError:
        return  # no run yet
    if last is not None and last.ended() is None:
        raise InputError(f"run {last.run} of '{network}' is unfinished: `govctl cutover resume {network}` or "
                         f"`govctl cutover rollback {network}` first")


def _device_run(p: Any, loaded: Any, network: str, devices: Path | None, journal_dir: Path, at: str | None,
                confirm_manual: list[str] | None, yes: bool, observe_seconds: float | None,
                stop_before_no_return: bool, crash_after: str | None, as_json: bool) -> None:
    from govctl.cutover.devices import overlay_summary
    from govctl.cutover.journal import Journal, RunLock
    from govctl.cutover.runner import Options, execute

    ex = _device_executor(p, loaded, devices, observe_seconds)  # bad overlay / unset credentials: exit 2 here
    with RunLock(loaded.directory, network, "cutover run"):
        _refuse_unfinished(journal_dir, network)
        journal = Journal.create(journal_dir, network)
        start = {"network": network, "inventory": str(loaded.directory), "at": at, "lab": False,
                 "check_window": True, "plan": _plan_digest(p), "observe_seconds": observe_seconds,
                 **overlay_summary(ex.overlay)}
        ex.attach(journal)
        try:
            options = Options(crash_after=crash_after, stop_before_no_return=stop_before_no_return,
                              confirm=_confirmer(confirm_manual, yes))
            outcome = execute(p, ex, journal, options, start=start)
        finally:
            ex.close()
    _finish(outcome, journal, p, as_json)


def _reopen(network: str, run: str | None, journal_dir: Path):  # noqa: ANN202
    from govctl.cutover.journal import Journal

    journal = Journal.named(journal_dir, run) if run else Journal.latest(journal_dir, network)
    start = journal.start()
    if start.get("network") != network:
        raise InputError(f"run {journal.run} is a cutover of '{start.get('network')}', not '{network}'")
    p, _, _ = _plan(Path(start["inventory"]), network, start.get("at"), check_window=start.get("check_window", True))
    if _plan_digest(p) != start.get("plan"):
        raise InputError(f"the inventory changed since run {journal.run} started: its plan is no longer the one "
                         "being executed; roll back or resume with the inventory as it was")
    return journal, p


RunOpt = Annotated[str | None, typer.Option("--run", help="Run id (default: the network's latest run).")]


@cutover_app.command("resume")
@handle_errors
def resume_cmd(network: NetworkArg, run: RunOpt = None, journal_dir: JournalDirOpt = DEFAULT_JOURNALS,
               confirm_manual: ConfirmOpt = None, yes: YesOpt = False, as_json: JsonOpt = False) -> None:
    """Continue an interrupted run from its first unfinished step (the journal says which), on the lab or the
    devices it started on; a run waiting for a manual step continues once it is confirmed.

    Example: `govctl cutover resume health-net --confirm-manual swing-乙市卫健局`
    """
    from govctl.cutover.journal import RunLock, journals_dir, run_inventory
    from govctl.cutover.runner import Options, execute

    journal_dir = journals_dir(journal_dir, None)
    with RunLock(run_inventory(journal_dir, network, run), network, "cutover resume"):
        journal, p = _reopen(network, run, journal_dir)
        ex = _executor_for(journal, p)
        try:
            outcome = execute(p, ex, journal, Options(confirm=_confirmer(confirm_manual, yes)), start=journal.start(),
                              fault=ex if journal.start().get("lab") else None)
        finally:
            getattr(ex, "close", lambda: None)()
    _finish(outcome, journal, p, as_json)


@cutover_app.command("rollback")
@handle_errors
def rollback_cmd(network: NetworkArg, run: RunOpt = None, journal_dir: JournalDirOpt = DEFAULT_JOURNALS,
                 confirm_manual: ConfirmOpt = None, yes: YesOpt = False, as_json: JsonOpt = False) -> None:
    """Undo an interrupted or finished run (before its point of no return) and prove it: every device's config
    equals the one saved before the change, and the baseline reachability holds again.

    Example: `govctl cutover rollback health-net`
    """
    from govctl.cutover.errors import JournalError
    from govctl.cutover.journal import RunLock, journals_dir, run_inventory
    from govctl.cutover.runner import rollback

    journal_dir = journals_dir(journal_dir, None)
    with RunLock(run_inventory(journal_dir, network, run), network, "cutover rollback"):
        journal, p = _reopen(network, run, journal_dir)
        end = journal.ended()
        if end is not None and end.detail.get("state") in ("rolled-back",):
            raise JournalError(f"run {journal.run} is already rolled back")
        ex = _executor_for(journal, p)
        on_lab = bool(journal.start().get("lab"))
        try:
            with _felt(ex.lab) if on_lab else nullcontext() as felt:
                outcome = rollback(p, ex, journal, reason="rollback requested", fault=ex if on_lab else None,
                                   confirm=_confirmer(confirm_manual, yes))
        finally:
            getattr(ex, "close", lambda: None)()
    _finish(outcome, journal, p, as_json, ok_states=("rolled-back",), probes=felt.results if felt else None)


@cutover_app.command("status")
@handle_errors
def status_cmd(network: NetworkArg, run: RunOpt = None, journal_dir: JournalDirOpt = DEFAULT_JOURNALS,
               as_json: JsonOpt = False) -> None:
    """Show a run from its journal: state (running, interrupted, done, rolled-back, failed), each step's status,
    estimate and measured time, and every check.

    Example: `govctl cutover status health-net --json`
    """
    from govctl.cutover.journal import Journal, journals_dir
    from govctl.cutover.runner import report

    journal_dir = journals_dir(journal_dir, None)
    journal = Journal.named(journal_dir, run) if run else Journal.latest(journal_dir, network)
    _print_report(report(None, journal), as_json)


@cutover_app.command("lab-down")
@handle_errors
def lab_down_cmd(network: NetworkArg) -> None:
    """Remove the cutover lab of a network (namespaces, FRR instances, state file).

    Example: `govctl cutover lab-down health-net`
    """
    from govctl.cutover.lab import Lab

    lab = Lab.attach(network)
    if lab is None:
        out.print(f"no cutover lab is up for '{network}'", highlight=False)
        return
    lab.down()
    out.print(f"removed the cutover lab of '{network}'", highlight=False)


@cutover_app.command("rehearse")
@handle_errors
def rehearse_cmd(
    network: NetworkArg,
    inventory: InventoryArg = None,
    no_fault: Annotated[bool, typer.Option("--no-fault", help="Skip the deliberately failed first attempt.")] = False,
    keep_lab: Annotated[bool, typer.Option("--keep-lab", help="Leave the lab up afterwards.")] = False,
    journal_dir: JournalDirOpt = DEFAULT_JOURNALS,
    as_json: JsonOpt = False,
) -> None:
    """Rehearse the whole cutover on a lab built for it: first with a deliberately failed post-check (the cloud
    border loses its return route) that must roll back automatically and restore every device exactly, then a
    clean run to the end; per-step timings against the plan's estimates. The window is not enforced.

    Example: `govctl cutover rehearse health-net`
    """
    from govctl.cutover.journal import Journal, RunLock, journals_dir
    from govctl.cutover.lab import Lab, LabExecutor
    from govctl.cutover.runner import Options, execute, report

    p, loaded, _ = _plan(inventory, network, None, check_window=False)
    journal_dir = journals_dir(journal_dir, loaded.directory)
    for w in p.warnings:
        err.print(f"[yellow]warning:[/] {w}", highlight=False)
    results: list[dict[str, Any]] = []
    ok = True
    with RunLock(loaded.directory, network, "cutover rehearse"):
        lab = Lab.up(p)
        try:
            attempts = ([("with-fault", "cloud-return-route", "rolled-back")] if not no_fault else []) + \
                [("clean", None, "done")]
            for label, fault, want in attempts:
                journal = Journal.create(journal_dir, network)
                start = {"network": network, "inventory": str(loaded.directory), "at": None, "lab": True,
                         "check_window": False, "plan": _plan_digest(p), "rehearsal": label}
                ex = LabExecutor(lab, p)
                outcome = execute(p, ex, journal, Options(inject=fault), start=start, fault=ex)
                rep = report(p, journal)
                rep["attempt"], rep["expected"], rep["message"] = label, want, outcome.message
                results.append(rep)
                ok = ok and outcome.state == want
        finally:
            if not keep_lab:
                lab.down()
    if as_json:
        emit_json({"network": network, "ok": ok, "attempts": results})
    else:
        for rep in results:
            out.print(f"\n[bold]attempt '{rep['attempt']}'[/] (expected: {rep['expected']})", highlight=False)
            _print_report(rep, False)
        out.print(f"\nrehearsal {'[green]passed[/]' if ok else '[red]FAILED[/]'}", highlight=False)
    if not ok:
        from govctl.cutover.errors import CutoverFailed

        failed = [r["attempt"] for r in results if r["state"] != r["expected"]]
        raise CutoverFailed(f"rehearsal of '{network}' failed: attempt(s) {', '.join(failed)} did not end as "
                            "expected")
