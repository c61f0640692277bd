"""`govctl plan`, `govctl apply`, `govctl stacks`: the cloud step on the command line."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from govctl.core.clikit import (InventoryArg, JsonOpt, StackOpt, YesOpt, emit_json, handle_errors, out, progress)
from govctl.source import load
from govctl.core.errors import ChangesPresent, InputError, PolicyViolations, RuntimeFailure

app = typer.Typer()
StateDirOpt = Annotated[Path, typer.Option("--state-dir", help="govctl's state directory: snapshots, graph "
                                                               "cache, default local backend.")]
DEFAULT_STATE_DIR = Path("<inventory>/.govctl")  # govctl.core.statedir's rule; shown as the default in --help


def _stack_state(state_dir: Path, directory: Path) -> Path:
    """Where plan/apply keep snapshots, graph cache and the default local backend: the ``stacks`` area of the
    inventory's state directory; ``--state-dir DIR`` here names the state directory, as the global one does."""
    from govctl.core import statedir

    return statedir.area(directory, "stacks") if state_dir == DEFAULT_STATE_DIR else state_dir / "stacks"


def _source(inventory: Path | None) -> tuple[Any, Path]:
    from govctl.ipv6.planner import plan
    from govctl.stacks.engine import Source

    loaded, shown = load(inventory)
    return Source(loaded.inventory, plan(loaded.inventory), shown), loaded.directory


@app.command("plan")
@handle_errors
def plan_cmd(
    inventory: InventoryArg = None,
    stack: StackOpt = None,
    base: Annotated[str | None, typer.Option("--base", help="Compare with the inventory at this git revision "
                                                            "(e.g. HEAD, origin/main): what a change does.")] = None,
    state: Annotated[Path | None, typer.Option("--state", help="Compare with this Pulumi state: a `pulumi stack "
                                                               "export` file, a local-backend checkpoint, or a "
                                                               "directory of them / a local backend.")] = None,
    state_dir: StateDirOpt = DEFAULT_STATE_DIR,
    live: Annotated[bool, typer.Option("--live", help="Run a real `pulumi preview` through the Automation API "
                                                      "(needs the Pulumi CLI and cloud credentials).")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a Markdown merge-request comment "
                                                              "(under 65,000 characters).")] = False,
    summary: Annotated[bool, typer.Option("--summary", help="Tables only, no per-resource lines.")] = False,
    detailed_exitcode: Annotated[bool, typer.Option("--detailed-exitcode",
                                                    help="Exit 3 when changes are present.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Re-run every stack; read and write no graph "
                                                              "cache.")] = False,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Parallel stack processes "
                                                                         "(default: CPU count).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show what would change in the cloud, offline: no Pulumi CLI, no credentials.

    Each stack's program runs under Pulumi's mock runtime; its resource graph is
    compared with `--base` (the inventory at a git revision), `--state` (a Pulumi
    state), or else the stack's local-backend checkpoint or last govctl snapshot
    under `--state-dir`, or else nothing (everything is a create). Policies are
    evaluated on the graph. Exit 4 on policy violations, 3 on changes with
    `--detailed-exitcode`.

    Example: `govctl plan --base origin/main --markdown --detailed-exitcode`
    """
    from govctl.stacks import engine, gitrev
    from govctl.stacks.render import markdown as to_markdown
    from govctl.stacks.render import print_plan
    from govctl.stacks.state import Store, read_states
    from govctl.inventory.validate import load_valid
    from govctl.ipv6.planner import plan as plan6

    if base is not None and state is not None:
        raise InputError("--base and --state: give one thing to compare with")
    if markdown and as_json:
        raise InputError("--markdown and --json: choose one output format")
    started = time.perf_counter()
    src, directory = _source(inventory)
    state_dir = _stack_state(state_dir, directory)
    stacks = engine.select(src.inventory, stack)
    if live:
        _live_preview(src.inventory, stacks, directory, state_dir)
        return
    # Read every input before running anything, so that bad input writes nothing.
    given = read_states(state) if state is not None else None
    store = None if no_cache else Store(state_dir, src.inventory.name)
    bases: dict[str, tuple[Any, str]] = {}
    if base is not None:
        with gitrev.inventory_at(directory, base) as old_dir:
            if old_dir is not None:
                old_loaded = load_valid(old_dir, f"{src.shown}@{base}")
                old = engine.Source(old_loaded.inventory, plan6(old_loaded.inventory), f"{src.shown}@{base}")
                old_stacks = [s for s in stacks if s in {p.id for p in old.inventory.platforms}]
                with progress(f"plan {base}", len(old_stacks)) as step:
                    for s, g in engine.graphs(old, old_stacks, store, workers, on_stack=step).items():
                        bases[s] = (g, f"git:{base}")
        for s in stacks:
            bases.setdefault(s, (None, f"git:{base} (stack absent there)"))
    elif given is not None:
        for s in stacks:
            bases[s] = (given[s], f"state:{state}") if s in given else (None, f"state:{state} (stack absent)")
    else:
        lookup = Store(state_dir, src.inventory.name)
        for s in stacks:
            cur = lookup.current(s)
            bases[s] = cur if cur is not None else (None, "nothing (no state yet)")
    with progress("plan", len(stacks)) as step:
        planned = engine.graphs(src, stacks, store, workers, on_stack=step)
    result = engine.compare(src, planned, bases, started, store)
    if as_json:
        emit_json(result.as_dict() | {"seconds": round(result.seconds, 3)})
    elif markdown:
        out.file.write(to_markdown(result))
    else:
        print_plan(result, out, details=not summary)
    if result.mandatory_violations:
        raise PolicyViolations(f"{len(result.mandatory_violations)} mandatory policy violation(s)")
    if detailed_exitcode and result.changed:
        changed = [d.stack for d in result.diffs if d.changes]
        raise ChangesPresent(f"changes in {len(changed)} stack(s): {', '.join(changed)}")


def _engine_line(line: str) -> None:
    """One line of the engine's streamed output, as it came (no markup, no highlighting)."""
    out.print(line, markup=False, highlight=False, soft_wrap=True)


def hub_first(inv: Any, stacks: list[str], directory: Path, state_dir: Path) -> list[str]:
    """The stacks in the order the engine must take them: the hub first, the federated ones after it (they read
    its outputs). A federated stack whose hub is neither applied nor in this run is refused before anything
    runs: one line saying to apply the hub first."""
    from govctl.stacks import live
    from govctl.stacks.program import hub_of

    hub = hub_of(inv).id
    ordered = [s for s in stacks if s == hub] + [s for s in stacks if s != hub]
    waiting = [s for s in ordered if s != hub]
    if waiting and hub not in ordered and not live.has_outputs(hub, directory, state_dir):
        raise live.HubNotApplied(f"stack{'s' if len(waiting) > 1 else ''} {', '.join(repr(w) for w in waiting)} "
                                 f"read{'' if len(waiting) > 1 else 's'} the hub stack '{hub}', which has not been "
                                 f"applied yet: apply the hub stack first (govctl apply --stack {hub}); "
                                 "nothing was changed")
    return ordered


def _live_preview(inv: Any, stacks: list[str], directory: Path, state_dir: Path) -> None:
    from govctl.stacks import live

    live.pulumi_command()  # fail at once, before touching anything, when the CLI is missing
    for s in hub_first(inv, stacks, directory, state_dir):
        summary = live.preview(s, directory, state_dir, on_output=_engine_line)
        out.print(f"[bold]{s}[/]: {summary}", highlight=False)


@app.command("apply")
@handle_errors
def apply_cmd(
    inventory: InventoryArg = None,
    stack: StackOpt = None,
    yes: YesOpt = False,
    state_dir: StateDirOpt = DEFAULT_STATE_DIR,
    continue_on_error: Annotated[bool, typer.Option(
        "--continue-on-error", help="Go on with every resource that does not depend on a failed one (`pulumi up "
                                    "--continue-on-error`); the run still fails, naming the first error.")] = False,
) -> None:
    """Make the cloud match the inventory: `pulumi up` per stack through the Automation API.

    Needs govctl's engine on PATH (the Pulumi CLI, language host and OpenStack plugin) and credentials:
    a clouds.yaml entry (OS_CLOUD; its auth_url and credentials are used, the inventory's regions select the
    endpoints) or OS_* variables. The hub (provincial) stack goes first; a federated stack whose hub was never
    applied is refused. Stack settings, the file backend and the passphrase are in the inventory's state
    directory. On success the offline snapshot is updated.

    Example: `govctl apply inventories/guangdong --stack gd-prov --yes`
    """
    from govctl.core import statedir
    from govctl.stacks import engine, live
    from govctl.stacks.state import Store

    live.pulumi_command()  # no CLI: exit 1 at once, nothing changed
    src, directory = _source(inventory)
    state_dir = _stack_state(state_dir, directory)
    stacks = hub_first(src.inventory, engine.select(src.inventory, stack), directory, state_dir)
    if not yes and not typer.confirm(f"Apply {len(stacks)} stack(s): {', '.join(stacks)}?", default=False):
        raise RuntimeFailure("cancelled, nothing changed")
    store = Store(state_dir, src.inventory.name)
    with statedir.lock(directory, "apply", "apply"), progress("apply", len(stacks)) as step:
        for s in stacks:  # one apply per inventory at a time (the lock); the hub first
            changes = live.up(s, directory, state_dir, on_output=_engine_line, continue_on_error=continue_on_error)
            out.print(f"[green]{s}[/]: {changes}", highlight=False)
            snap = engine.graphs(src, [s], store)[s]
            store.write_snapshot(snap)
            step(s)


@app.command("stacks")
@handle_errors
def stacks_cmd(inventory: InventoryArg = None, as_json: JsonOpt = False) -> None:
    """List the inventory's stacks (one per platform): kind, regions and their DR roles, tenants, references.

    Example: `govctl stacks inventories/guangdong --json`
    """
    from govctl.stacks.program import hub_of, regions_of

    loaded, shown = load(inventory)
    inv = loaded.inventory
    hub = hub_of(inv).id
    rows = []
    for p in inv.platforms:
        rows.append({"stack": p.id, "kind": p.kind.value, "name": p.name,
                     "regions": [f"{r.name} ({r.role.value})" for r in regions_of(inv, p)],
                     "tenants": sum(1 for t in inv.tenants if t.platform == p.id),
                     "references": [] if p.id == hub else [hub]})
    if as_json:
        emit_json(rows)
        return
    table = Table("stack", "kind", "name", "regions", "tenants", "reads", title=f"stacks of {shown}")
    for r in rows:
        table.add_row(r["stack"], r["kind"], r["name"], ", ".join(r["regions"]), str(r["tenants"]),
                      ", ".join(r["references"]) or "-")
    out.print(table)
