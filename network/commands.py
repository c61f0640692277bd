"""`govctl net ...` (render, diff, push, verify, rollback, runs) and `govctl lab ...` (up, status, down)."""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.table import Table

from govctl.core.clikit import (DeviceOpt, InventoryArg, InventoryOpt, JsonOpt, LimitOpt, YesOpt, detailed_exitcode_opt,
                           emit_json, err, handle_errors, out, plan_or_inventory, progress, resolve_inventory)
from govctl.core.errors import ChangesPresent

net_app = typer.Typer(no_args_is_help=True, help="Extranet device configs: render, diff, push (transactional), "
                                                 "verify, rollback.")
lab_app = typer.Typer(no_args_is_help=True, help="The router lab: the inventory's extranet as FRR routers in "
                                                 "network namespaces, reached over SSH (needs root).")

LabOpt = Annotated[bool, typer.Option("--lab", help="Address the lab's routers (see `govctl lab up`) instead of "
                                                    "production devices.")]

_STYLE = {"changed": "green", "unchanged": "dim", "would-change": "yellow", "failed": "red",
          "rolled-back": "magenta", "rollback-failed": "bold red", "skipped": "dim", "verified": "green"}


def _context(inventory: Path | None, lab: bool):  # noqa: ANN202 - workflow.Context, imported lazily
    from govctl.network.workflow import load

    directory, shown = resolve_inventory(inventory)
    return load(directory, shown, lab=lab)


def _select(ctx: Any, limit: str | None, device: list[str] | None) -> list[str]:
    """The devices a command works on: --limit globs (all when not given), narrowed to --device exact ids."""
    from govctl.network.errors import UnknownDevice

    names = ctx.select(limit)
    if device:
        unknown = [d for d in device if d not in ctx.intents]
        if unknown:
            raise UnknownDevice(f"--device: no extranet node {', '.join(unknown)} in this "
                                f"{'lab' if ctx.lab else 'inventory'}")
        names = [n for n in names if n in set(device)]
        if not names:
            raise UnknownDevice(f"--device {', '.join(device)} and --limit {limit!r}: no device is in both")
    return names


def _results_table(title: str, rows: list[Any], show_batch: bool = True) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("device")
    if show_batch:
        table.add_column("batch", justify="right")
    table.add_column("result")
    table.add_column("seconds", justify="right")
    table.add_column("checks / error", overflow="fold")
    for r in rows:
        status = r.status.value
        detail = r.error or ", ".join(f"{c.name} {'ok' if c.ok else 'FAIL'}" for c in r.checks)
        cells = [r.node] + ([str(r.batch)] if show_batch else []) + [
            f"[{_STYLE.get(status, '')}]{status}[/]", f"{r.seconds:.1f}", detail.replace("[", "\\[")]
        table.add_row(*cells)
    return table


# ---------------------------------------------------------------- net render


@net_app.command("render")
@handle_errors
def render_cmd(
    inventory: InventoryArg = None,
    device: DeviceOpt = None,
    limit: LimitOpt = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write <device>.cfg files here.")] = None,
    platform: Annotated[str | None, typer.Option(help="Render for this platform instead of each node's own.")] = None,
    lab: LabOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Render the intended configuration of every extranet device from the inventory and IPv6 plan.

    Example: `govctl net render --device alpha-r1` prints one config; `govctl net render --out configs/`
    writes all of them for review in git.
    """
    from govctl.network.render import render

    ctx = _context(inventory, lab)
    names = _select(ctx, limit, device)
    if device and not limit:
        names = list(dict.fromkeys(device))  # in the order given
    t0 = time.perf_counter()
    rendered = {n: render(ctx.intents[n], platform or ctx.platform) for n in names}
    seconds = time.perf_counter() - t0
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for n, r in rendered.items():
            (out_dir / f"{n}.cfg").write_text(r.text, encoding="utf-8")
    if as_json:
        emit_json({"seconds": round(seconds, 3), "devices": [
            {"node": n, "platform": r.platform, "lines": r.text.count("\n"),
             **({"file": str(out_dir / f"{n}.cfg")} if out_dir else {"config": r.text})}
            for n, r in rendered.items()]})
        return
    if out_dir is None:
        for n, r in rendered.items():
            if len(rendered) > 1:
                out.print(f"[bold]### {n} ({r.platform})[/]", highlight=False)
            out.print(r.text, end="", markup=False, highlight=False)
        return
    counts: dict[str, int] = {}
    for r in rendered.values():
        counts[r.platform] = counts.get(r.platform, 0) + 1
    summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
    out.print(f"wrote {len(rendered)} configs ({summary}) to {out_dir} in {seconds:.2f} s", highlight=False)


# ---------------------------------------------------------------- net diff / push


def _policy(parallel: int, canary: int, max_fail: float, batch_size: int, verify_timeout: float,
            dry_run: bool, prefetch: bool = True) -> Any:
    from govctl.network.errors import InputError
    from govctl.network.models import PushPolicy

    if not 0 <= max_fail <= 1:
        raise InputError(f"--max-fail: a share between 0 and 1 (got {max_fail})")
    if parallel < 1:
        raise InputError(f"--parallel: at least 1 (got {parallel})")
    return PushPolicy(parallel=parallel, canary=canary, max_fail_share=max_fail, batch_size=batch_size,
                      verify_timeout=verify_timeout, dry_run=dry_run, prefetch=prefetch)


@net_app.command("diff")
@handle_errors
def diff_cmd(
    inventory: InventoryArg = None,
    lab: LabOpt = False,
    limit: LimitOpt = None,
    device: DeviceOpt = None,
    parallel: Annotated[int, typer.Option(help="Devices at a time.")] = 10,
    detailed_exitcode: Annotated[bool, detailed_exitcode_opt("any device would change")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Compare each device's running config with its intended config; change nothing.

    Example: `govctl net diff --lab --limit 'alpha-*'`
    """
    from govctl.network.errors import PushFailed

    result = _run(_select_in(inventory, lab, limit, device), lab, limit, _policy(parallel, 0, 1.0, 0, 0, True),
                  resume=None, revert_in=None)
    _report(result, as_json, "diff", show_diff=True)
    unread = [r.node for r in result.results if r.status.value == "failed"]
    if unread:  # a device that could not be read is not "in sync": CI must not read it so
        raise PushFailed(f"could not read {len(unread)} of {len(result.results)} device(s): {', '.join(unread[:10])}")
    changing = [r.node for r in result.results if r.status.value == "would-change"]
    if detailed_exitcode and changing:
        raise ChangesPresent(f"{len(changing)} device(s) would change: {', '.join(changing[:10])}")


@net_app.command("plan")
@handle_errors
def plan_cmd(
    inventory: InventoryArg = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the plan to this file, for `govctl net "
                                                                 "push FILE` (and an approval).")] = None,
    lab: LabOpt = False,
    limit: LimitOpt = None,
    device: DeviceOpt = None,
    parallel: Annotated[int, typer.Option(help="Devices read at a time.")] = 10,
    detailed_exitcode: Annotated[bool, detailed_exitcode_opt("any device would change")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Read each device once and record the change a push would make: per device the intended config, its
    scoped change and reversal, and a digest of the running config it was computed from; beside them
    digests of the inventory files and of govctl's code, and the options. Changes nothing.

    Example: `govctl net plan --limit 'alpha-*' --out alpha.plan`, review it, then `govctl net push alpha.plan`
    """
    from govctl.network import planfile

    plan, _ = _make_plan(inventory, lab, limit, device, parallel)
    digest = planfile.write(out_file, plan) if out_file is not None else ""
    rows = planfile.summary_rows(plan.devices)
    if as_json:
        emit_json({"plan": str(out_file) if out_file else None, "body_sha256": digest or None,
                   "inventory": plan.inventory, "code": plan.code, "options": plan.options,
                   "devices": [{"node": d.node, "platform": d.platform, "running_sha256": d.running_sha256,
                                "changes": d.changes, "change": d.change} for d in plan.devices]})
    else:
        for d in plan.changing:
            out.print(f"[bold]--- {d.node}[/]", highlight=False)
            out.print(d.change, end="", markup=False, highlight=False)
        out.print(_plan_table(plan, rows))
        if out_file is not None:
            out.print(f"plan written to {out_file} (sha256 {digest[:16]}): push it with `govctl net push "
                      f"{out_file}`", highlight=False)
    if detailed_exitcode and rows:
        raise ChangesPresent(f"{len(rows)} device(s) would change: {', '.join(r[0] for r in rows[:10])}")


def _make_plan(inventory: Path | None, lab: bool, limit: str | None, device: list[str] | None,
               parallel: int) -> tuple[Any, Any]:
    """(plan, context): one pass over the selected devices (``planning.make``), credentials checked first."""
    from govctl.network.drivers import registry
    from govctl.network.drivers.credentials import preflight
    from govctl.network.planning import load_context, make

    directory, shown = resolve_inventory(inventory)
    ctx, files = load_context(directory, shown, lab)
    nodes = _select(ctx, limit, device)
    preflight(ctx.targets[n] for n in nodes)  # vault problems are bad input: before any device
    options: dict[str, object] = {"lab": lab, "limit": limit, "devices": list(device or [])}
    with progress("plan", len(nodes)) as step:
        return make(ctx, files, nodes, registry.driver_for, parallel, options, step=lambda n: step(n)), ctx


def _plan_table(plan: Any, rows: list[tuple[str, int, int]]) -> Table:
    table = Table(title=f"would change ({len(rows)} of {len(plan.devices)} devices)")
    for col in ("device", "+ lines", "- lines"):
        table.add_column(col, justify="left" if col == "device" else "right")
    for node, plus, minus in rows[:40]:
        table.add_row(node, str(plus), str(minus))
    if len(rows) > 40:
        table.add_row(f"... {len(rows) - 40} more", "", "")
    return table


@net_app.command("push")
@handle_errors
def push_cmd(
    inventory: Annotated[Path | None, plan_or_inventory("govctl net plan --out", "push")] = None,
    plan_file: Annotated[Path | None, typer.Option("--plan", help="Push exactly this plan file.")] = None,
    lab: LabOpt = False,
    limit: LimitOpt = None,
    device: DeviceOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Load and compare only (same as `net diff`).")] = False,
    parallel: Annotated[int, typer.Option(help="Devices pushed at a time within a batch.")] = 10,
    canary: Annotated[int, typer.Option(help="Devices in the first, canary batch (0: none).")] = 1,
    max_fail: Annotated[float, typer.Option("--max-fail", help="Stop when a batch's failed share exceeds this.")] = 0.2,
    batch_size: Annotated[int, typer.Option(help="Split each tier into batches of this size (0: whole tier).")] = 0,
    verify_timeout: Annotated[float, typer.Option(help="Seconds a device has to pass verification.")] = 60.0,
    revert_in: Annotated[int | None, typer.Option(help="Commit-confirm: the device reverts by itself after "
                                                       "this many seconds unless verified (FRR, IOS; H3C in whole "
                                                       "minutes).")] = None,
    resume: Annotated[str | None, typer.Option(help="Continue an interrupted run: skip devices it finished.")] = None,
    prefetch: Annotated[bool, typer.Option(help="Open, read and diff the next batch's devices while the current "
                                                "batch commits and verifies (its commits still wait for it).")] = True,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Push the intended configs: canary, then tier by tier; verify each device; roll back failures.

    With a plan file (`govctl net push FILE`, or --plan FILE) it pushes exactly that plan's changes, with
    the plan's inventory, devices and --lab; every device is read first and the push refuses (exit 2,
    nothing changed) when any device's running config, an inventory file or govctl's code moved since.
    Without one, on production devices (without --lab) every selected device is read once into a plan,
    shown as a summary, and that plan is pushed when confirmed; --yes pushes without asking (automation).
    Without a terminal and without --yes it refuses (exit 2). Every step is journaled (`govctl net
    runs`); `govctl net rollback RUN_ID` undoes a run.
    Example: `govctl net plan --out change.plan` then `govctl net push change.plan`;
    `govctl net push --lab` then again to see nothing change.
    """
    from govctl.network.errors import InputError, PushFailed

    policy = _policy(parallel, canary, max_fail, batch_size, verify_timeout, dry_run, prefetch)
    if inventory is not None and plan_file is None and inventory.is_file():
        plan_file, inventory = inventory, None  # a file is a plan; an inventory is a directory
    if plan_file is not None:
        if inventory is not None or lab or limit or device or dry_run or resume:
            raise InputError("net push FILE: the plan fixes the inventory, --lab, --limit and --device, and is "
                             "itself the dry run; --resume continues a run without a plan: give only the plan")
        result, probes = _push_plan_file(plan_file, policy, revert_in)
    elif not (lab or dry_run or yes or resume):
        shown = _confirm_push(inventory, limit, device, parallel)
        if shown is None:
            return
        result, probes = _push_plan(*shown, policy, revert_in, "the plan shown")
    else:
        selected = _select_in(inventory, lab, limit, device)
        with _lab_probes(selected[0] if lab and not dry_run else None) as running:
            result = _run(selected, lab, limit, policy, resume, revert_in)
        probes = running.results if running else None
    _report(result, as_json, "push", show_diff=dry_run, probes=probes)
    if result.failed:
        raise PushFailed(f"run {result.run_id}: {len(result.failed_hosts)} device(s) failed"
                         + (f"; stopped: {result.stopped}" if result.stopped else ""))


def _select_in(inventory: Path | None, lab: bool, limit: str | None, device: list[str] | None) -> Any:
    """(context, devices) of the options: the context loaded once for both."""
    ctx = _context(inventory, lab)
    return ctx, _select(ctx, limit, device)


def _push_plan_file(path: Path, policy: Any, revert_in: int | None) -> tuple[Any, Any]:
    from govctl.network import planfile
    from govctl.network.planning import load_for_push

    plan = planfile.read(path)
    return _push_plan(plan, load_for_push(plan, str(path)), policy, revert_in, str(path))


def _push_plan(plan: Any, ctx: Any, policy: Any, revert_in: int | None, source: str) -> tuple[Any, Any]:
    """Push ``plan`` on ``ctx``, the context it was checked against."""
    lab = bool(plan.options.get("lab"))
    nodes = [d.node for d in plan.devices]
    with _lab_probes(ctx if lab else None) as running:
        limit = plan.options.get("limit")
        result = _run((ctx, nodes), lab, limit if isinstance(limit, str) else None, policy, None, revert_in,
                      plan=plan, source=source)
    return result, running.results if running else None


def _interactive() -> bool:
    """A person can answer a question on stdin."""
    import sys

    return sys.stdin.isatty()


def _confirm_push(inventory: Path | None, limit: str | None, device: list[str] | None,
                  parallel: int) -> tuple[Any, Any] | None:
    """Production: read every selected device once into a plan, show what would change, and ask. Returns
    (plan, context): that plan is what is pushed (a device that moved since is refused); None when nothing
    would change. Refuses without a terminal (a pipeline passes --yes)."""
    from govctl.network.errors import InputError
    from govctl.network.planfile import inventory_digests
    from govctl.network.planning import check_static

    if not _interactive():
        raise InputError("net push: production devices are changed only after confirmation, and stdin is not a "
                         "terminal: pass --yes (-y) to push without asking (see the change first with `govctl net "
                         "diff`), or --lab for the lab; nothing was changed")
    plan, ctx = _make_plan(inventory, False, limit, device, parallel)  # exit 1 when a device cannot be read
    rows = _plan_rows(plan)
    err.print(_plan_table(plan, rows))
    err.print(f"{sum(r[1] for r in rows)} lines added, {sum(r[2] for r in rows)} removed; govctl changes only its "
              "own scope of each device (README: vendor support). Full diff: `govctl net plan`.", highlight=False)
    if not rows:
        err.print("nothing to push: every device already runs its intended config", highlight=False)
        return None
    if not typer.confirm(f"Push to {len(rows)} device(s)?", default=False, err=True):
        raise InputError("net push: not confirmed at the prompt; nothing was changed")
    # the prompt waited for a person: an inventory file edited meanwhile is refused, as for a plan file
    check_static(plan, ctx, inventory_digests(ctx.directory), "the plan shown", rendered=False)
    return plan, ctx


def _plan_rows(plan: Any) -> list[tuple[str, int, int]]:
    from govctl.network import planfile

    return planfile.summary_rows(plan.devices)


def _run(selected: tuple[Any, list[str]], lab: bool, limit: str | None, policy: Any, resume: str | None,
         revert_in: int | None, plan: Any = None, source: str = "") -> Any:
    """One run of the rollout over ``selected`` (context, devices). With ``plan``: its intended configs and
    changes, every device read and checked against it first (refused before any is touched)."""
    from contextlib import nullcontext

    from govctl.core import statedir
    from govctl.network.drivers.credentials import preflight
    from govctl.network.drivers.registry import driver_for
    from govctl.network.journal import Journal, new_run_id, runs_dir
    from govctl.network.planning import check_devices
    from govctl.network.push import Rollout, batches

    ctx, nodes = selected
    preflight(ctx.targets[n] for n in nodes)  # vault problems are bad input: before any journal or device
    if plan is not None:
        configs = {d.node: d.intended for d in plan.devices}
        planned = {d.node: (d.running_sha256, d.change) for d in plan.devices}
    else:
        configs, planned = {n: c for n, c in ctx.configs().items() if n in nodes}, None
    # one push or rollback per inventory at a time (a dry run changes nothing: no lock)
    with statedir.lock(ctx.directory, "net", "net push") if not policy.dry_run else nullcontext():
        if plan is not None:
            with progress("check", len(nodes)) as step:
                check_devices(plan, ctx, driver_for, policy.parallel, source, step=lambda n: step(n))
        done: dict[str, str] = {}
        if resume:
            journal = Journal(resume, root=runs_dir(ctx.directory), create=False)
            done = {n: s for n, s in journal.final_status().items() if s in ("changed", "unchanged")}
        else:
            journal = Journal(new_run_id(), root=runs_dir(ctx.directory))
        journal.write_meta({"run_id": journal.run_id, "inventory": str(ctx.directory.resolve()), "lab": lab,
                            "limit": limit, "dry_run": policy.dry_run, "started": time.time(),
                            **({"plan": source, "plan_sha256": plan.body_sha256 or None} if plan else {})})
        batch_plan = batches(nodes, ctx.intents, policy)
        where = {n: f"batch {i + 1}/{len(batch_plan)}" for i, batch in enumerate(batch_plan) for n in batch}
        with progress("diff" if policy.dry_run else "push", len([n for n in nodes if n not in done])) as step:
            # the bar names the batch each device belongs to as it finishes: batches and devices as they go
            rollout = Rollout(ctx.intents, configs, ctx.targets, driver_for, journal, policy, ctx.platform,
                              hook=lambda node, what: step(f"{where.get(node, '')} {node}")
                              if what == "result" and node else None,
                              revert_in=revert_in, planned=planned)
            result = rollout.run(nodes, done)
        if resume and not policy.dry_run:
            # a resume ends by proving the whole run is in place: intended config running and saved
            from govctl.network.models import Status

            ok = [r.node for r in result.results if r.status in (Status.changed, Status.unchanged)]
            checked = {c.node: c for c in rollout.final_check(ok, policy.parallel)}
            for r in result.results:
                c = checked.get(r.node)
                if c is not None and c.failed:
                    r.status, r.error = Status.failed, c.error
        journal.write_meta({"finished": time.time(), "result": result.as_dict()})
    return result


@contextmanager
def _lab_probes(ctx: Any) -> Iterator[Any]:
    """While a lab change runs on ``ctx`` (a lab's context): IPv4 and IPv6 flows between the lab's edges
    (``labs.routers.probes``); their results are in ``.results`` afterwards. ``ctx`` None: nothing (None)."""
    if ctx is None:
        yield None
        return
    from govctl.labs.routers import probes

    # after the change, up to 5 s more until every flow delivers again: users feel the convergence
    # that follows the command too (the goal: service back within 5 s)
    with probes.probing(probes.for_lab(ctx.lab, ctx.plan), settle=5.0) as running:
        yield running


def _probes_table(results: list[Any]) -> Table:
    table = Table(title="what users felt (probes every 10 ms between edges)", title_justify="left")
    for col in ("flow", "sent", "lost", "longest gap ms"):
        table.add_column(col, justify="left" if col == "flow" else "right")
    for r in results:
        colour = "red" if r.lost else "green"
        table.add_row(r.name, str(r.sent), f"[{colour}]{r.lost}[/]", f"{r.longest_gap_ms:.0f}")
    return table


def _report(result: Any, as_json: bool, what: str, show_diff: bool = False, probes: list[Any] | None = None) -> None:
    if as_json:
        emit_json({**result.as_dict(), **({"probes": [p.as_dict() for p in probes]} if probes is not None else {})})
        return
    if show_diff:
        for r in result.results:
            if r.diff:
                out.print(f"[bold]--- {r.node}[/]", highlight=False)
                out.print(r.diff, end="", markup=False, highlight=False)
    out.print(_results_table(f"{what} run {result.run_id}", result.results))
    counts = ", ".join(f"{v} {k}" for k, v in sorted(result.counts().items()))
    batches = " ".join(f"{s:.1f}" for s in result.batch_seconds)
    out.print(f"{counts} in {result.seconds:.1f} s (batches: {batches} s)", highlight=False)
    if probes:
        out.print(_probes_table(probes))
    if result.stopped:
        err.print(f"[bold red]stopped:[/] {result.stopped}", highlight=False)


# ---------------------------------------------------------------- net verify


@net_app.command("verify")
@handle_errors
def verify_cmd(
    inventory: InventoryArg = None,
    lab: LabOpt = False,
    limit: LimitOpt = None,
    device: DeviceOpt = None,
    parallel: Annotated[int, typer.Option(help="Devices checked at a time.")] = 10,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for convergence.")] = 60.0,
    as_json: JsonOpt = False,
) -> None:
    """Check the network runs the intent: OSPFv3 Full on every link, routes to every loopback, iBGP to the
    route reflectors Established, ping6 from every loopback to every other.

    Example: `govctl net verify --lab --json`
    """
    from govctl.network.errors import PushFailed
    from govctl.network.verify import verify_network

    ctx = _context(inventory, lab)
    nodes = _select(ctx, limit, device)
    t0 = time.monotonic()
    results = verify_network(ctx, nodes, parallel, timeout)
    seconds = time.monotonic() - t0
    failed = [r.node for r in results if r.status.value != "verified"]
    if as_json:
        emit_json({"seconds": round(seconds, 3), "failed": failed, "results": [r.as_dict() for r in results]})
    else:
        out.print(_results_table("verify", results, show_batch=False))
        out.print(f"{len(results) - len(failed)} of {len(results)} devices verified in {seconds:.1f} s",
                  highlight=False)
    if failed:
        raise PushFailed(f"verification failed on {len(failed)} device(s): {', '.join(failed[:10])}")


# ---------------------------------------------------------------- net rollback / runs


@net_app.command("rollback")
@handle_errors
def rollback_cmd(
    run_id: Annotated[str, typer.Argument(help="The run to undo (see `govctl net runs`).")],
    inventory: InventoryArg = None,
    lab: LabOpt = False,
    parallel: Annotated[int, typer.Option(help="Devices restored at a time.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Restore every device a run committed to the config it had before (saved in the run's journal).

    Example: `govctl net rollback 20261125T153000Z-1a2b --lab`
    """
    from govctl.network.drivers.registry import driver_for
    from govctl.network.errors import PushFailed
    from govctl.core import statedir
    from govctl.network.journal import Journal, runs_dir
    from govctl.network.push import rollback_run

    given = None if inventory is None and statedir.overridden() else resolve_inventory(inventory)[0]
    journal = Journal(run_id, root=runs_dir(given), create=False)
    meta = journal.meta()
    lab = lab or bool(meta.get("lab"))
    if inventory is None and meta.get("inventory"):
        inventory = Path(meta["inventory"])
    ctx = _context(inventory, lab)
    with statedir.lock(ctx.directory, "net", "net rollback"), _lab_probes(ctx if lab else None) as probes:
        results = rollback_run(journal, ctx.targets, driver_for, parallel)
    felt = probes.results if probes else None
    if as_json:
        emit_json({"run_id": run_id, "results": [r.as_dict() for r in results],
                   **({"probes": [p.as_dict() for p in felt]} if felt is not None else {})})
    else:
        out.print(_results_table(f"rollback of {run_id}", results, show_batch=False))
        if not results:
            out.print("nothing to roll back: the run sent no commit to any device")
        if felt:
            out.print(_probes_table(felt))
    bad = [r for r in results if r.status.value != "rolled-back"]
    if bad:
        raise PushFailed(f"rollback of {run_id} incomplete: {len(bad)} device(s) not on their saved config:\n"
                         + "\n".join(f"  {r.node}: {r.error}" for r in bad))


@net_app.command("runs")
@handle_errors
def runs_cmd(
    run_id: Annotated[str | None, typer.Argument(help="Show this run's journal step by step.")] = None,
    inventory: InventoryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List push runs from the journal, or show one run's steps.

    Example: `govctl net runs -i inventories/guangdong` then `govctl net runs 20261125T153000Z-1a2b -i ...`
    """
    from govctl.core import statedir
    from govctl.network.journal import Journal, list_runs, runs_dir

    # --state-dir / $GOVCTL_STATE_DIR name the state directory itself; else the inventory's
    root = runs_dir(None if statedir.overridden() and inventory is None else resolve_inventory(inventory)[0])
    if run_id is None:
        rows = []
        for rid in list_runs(root):
            journal = Journal(rid, root=root, create=False)
            meta = journal.meta()
            counts = (meta.get("result") or {}).get("counts", {})
            if not counts:  # a run without a summary (an Ansible play, an interrupted push)
                for status in journal.final_status().values():
                    counts[status] = counts.get(status, 0) + 1
            rows.append({"run_id": rid, "lab": meta.get("lab"), "dry_run": meta.get("dry_run"),
                         "finished": bool(meta.get("finished")), "counts": counts,
                         "stopped": (meta.get("result") or {}).get("stopped", "")})
        if as_json:
            emit_json(rows)
            return
        table = Table("run", "lab", "finished", "results", "stopped")
        for r in rows:
            table.add_row(r["run_id"], str(r["lab"]), str(r["finished"]),
                          ", ".join(f"{v} {k}" for k, v in r["counts"].items()), r["stopped"])
        out.print(table)
        return
    journal = Journal(run_id, root=root, create=False)
    steps = journal.steps()
    if as_json:
        emit_json([s.__dict__ for s in steps])
        return
    table = Table("time", "device", "step", "detail", title=f"journal of {run_id}", title_justify="left")
    for s in steps:
        detail = ", ".join(f"{k}={v}" for k, v in s.detail.items() if k != "checks" and v not in ("", None, []))
        table.add_row(time.strftime("%H:%M:%S", time.gmtime(s.ts)), s.node, s.step, detail.replace("[", "\\["))
    out.print(table)


# ---------------------------------------------------------------- lab


@lab_app.command("up")
@handle_errors
def lab_up(
    inventory: InventoryArg = None,
    max_nodes: Annotated[int | None, typer.Option("--max-nodes", help="Build a representative subset: "
                                                                       "this many routers, core first.")] = None,
    wait: Annotated[bool, typer.Option(help="Return once today's IPv4 network has converged: every lab link's "
                                            "OSPFv2 adjacency Full, every iBGP IPv4 session Established.")] = True,
    wait_timeout: Annotated[float, typer.Option("--wait-timeout", min=1,
                                                help="Seconds to wait for convergence (exit 1 after).")] = 180,
    as_json: JsonOpt = False,
) -> None:
    """Build the inventory's extranet as FRR routers (one network namespace each) running today's
    IPv4-only config, with sshd on a lab-only management bridge, and wait until it has converged.

    Example: `sudo govctl lab up --max-nodes 20 && govctl net push --lab`
    """
    from govctl.inventory.validate import load_valid
    from govctl.ipv6.planner import plan as ipv6_plan
    from govctl.labs.routers import runner
    from govctl.labs.routers.baseline import render as render_baseline
    from govctl.labs.routers.topology import build_topology
    from govctl.network.workflow import lab_options

    directory, shown = resolve_inventory(inventory)
    inv = load_valid(directory, shown).inventory
    plan = ipv6_plan(inv)
    topo = build_topology(inv, plan, max_nodes)
    from govctl.network.models import LabState

    probe = LabState(inventory="", name=inv.name, directory="", bridge="", bridge_address="", prefix="",
                     nodes=[], links=[], created_dirs=[], started=0, ipv4_links=topo.ipv4_links,
                     ipv4_loopbacks=topo.ipv4_loopbacks, ipv4_unnumbered=topo.ipv4_unnumbered)
    # today's network: IPv4 routing (OSPFv2, iBGP, statics, departments' prefixes) and management lines
    baseline = render_baseline(topo, plan, lab_options(probe, "ipv4"))
    t0 = time.monotonic()
    with progress("lab up", len(topo.nodes)) as step:
        state = runner.up(inv, plan, baseline, Path(directory), max_nodes, on_node=step)
    seconds = time.monotonic() - t0
    converged = None
    if wait:
        from govctl.labs.routers.convergence import wait_converged

        with progress("converging", len(state.nodes)) as step:
            shown = [0]  # routers the bar shows converged; it never goes back

            def advance(left: int) -> None:
                for _ in range(len(state.nodes) - left - shown[0]):
                    step()
                shown[0] = max(shown[0], len(state.nodes) - left)

            converged = wait_converged(state, wait_timeout, on_pass=advance)
    if as_json:
        emit_json({"name": state.name, "routers": len(state.nodes), "links": len(state.links),
                   "seconds": round(seconds, 2),
                   "converged_seconds": None if converged is None else round(seconds + converged, 2),
                   "bridge": state.bridge, "prefix": state.prefix, "directory": state.directory})
        return
    out.print(f"lab '{state.name}' up: {len(state.nodes)} FRR routers, {len(state.links)} links, management "
              f"{state.prefix} on {state.bridge}, in {seconds:.1f} s"
              + ("" if converged is None else f"; converged {seconds + converged:.1f} s after the start"
                 + (" (IPv4 links unnumbered)" if state.ipv4_unnumbered else "")), highlight=False)
    out.print("next: govctl net push --lab   (then: govctl net verify --lab, govctl lab down)", highlight=False)


@lab_app.command("status")
@handle_errors
def lab_status(inventory: InventoryArg = None, as_json: JsonOpt = False) -> None:
    """Show the lab's routers: namespace, management address, running daemons, OSPFv3 neighbours Full.

    Example: `govctl lab status --json`
    """
    from govctl.inventory.validate import load_valid
    from govctl.labs.routers import runner

    directory, shown = resolve_inventory(inventory)
    inv = load_valid(directory, shown).inventory
    rows = runner.status(inv.name)
    if as_json:
        emit_json(rows)
        return
    table = Table("router", "netns", "mgmt", "daemons", "OSPFv3 Full", title=f"lab {inv.name}",
                  title_justify="left")
    for r in rows:
        daemons = cast(list[str], r["daemons"])
        colour = "green" if len(daemons) == len(runner.DAEMONS) + 1 else "red"  # the daemons and sshd
        table.add_row(str(r["node"]), str(r["netns"]), str(r["mgmt"]),
                      f"[{colour}]{' '.join(daemons)}[/]", str(r["ospf6_full"]))
    out.print(table)


@lab_app.command("down")
@handle_errors
def lab_down(inventory: InventoryArg = None, as_json: JsonOpt = False) -> None:
    """Remove the lab: its processes (by their pid files), namespaces, bridge and files; nothing else.

    Example: `govctl lab down`
    """
    from govctl.inventory.validate import load_valid
    from govctl.labs.routers import runner

    directory, shown = resolve_inventory(inventory)
    inv = load_valid(directory, shown).inventory
    runner.preflight()
    removed = runner.down(inv.name)
    if as_json:
        emit_json(removed)
        return
    out.print(f"lab '{inv.name}' down: {removed['namespaces']} namespaces and {removed['processes']} "
              "processes removed", highlight=False)
