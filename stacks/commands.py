"""`govctl plan`, `govctl apply`, `govctl stacks`: the cloud step on the command line."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from govctl.core.clikit import (InventoryArg, JsonOpt, StackOpt, YesOpt, detailed_exitcode_opt, emit_json, err,
                                handle_errors, out, plan_or_inventory, progress)
from govctl.source import load
from govctl.core.errors import ChangesPresent, InputError, PolicyViolations

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
    detailed_exitcode: Annotated[bool, detailed_exitcode_opt("changes are present")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Re-run every stack; read and write no graph "
                                                              "cache.")] = False,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Parallel stack processes "
                                                                         "(default: CPU count).")] = None,
    out_file: Annotated[Path | None, typer.Option(
        "--out", metavar="FILE", help="Save the plan (against the stacks' own state) for `govctl apply FILE`, which "
                                      "applies exactly it or refuses.")] = None,
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
    from govctl.stacks import engine
    from govctl.stacks.planning import offline_plan
    from govctl.stacks.render import markdown as to_markdown
    from govctl.stacks.render import print_plan

    if base is not None and state is not None:
        raise InputError("--base and --state: give one thing to compare with")
    if markdown and as_json:
        raise InputError("--markdown and --json: choose one output format")
    if out_file is not None and (base is not None or state is not None or live):
        raise InputError("--out saves the change against the stacks' own state, which apply changes: leave out "
                         "--base, --state and --live")
    src, directory = _source(inventory)
    state_dir = _stack_state(state_dir, directory)
    stacks = engine.select(src.inventory, stack)
    if live:
        _live_preview(src.inventory, stacks, directory, state_dir)
        return
    result = offline_plan(src, directory, state_dir, stacks, progress, base=base, state=state, no_cache=no_cache,
                          workers=workers)
    if out_file is not None:
        from govctl.stacks.applying import save

        digest = save(result, out_file, directory, state_dir)
        err.print(f"saved the plan to {out_file} (sha256 {digest[:12]}): `govctl apply {out_file}` applies exactly "
                  "it, or refuses if anything moved", highlight=False, markup=False)
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
    from govctl.stacks import engine, live

    live.pulumi_command()  # fail at once, before touching anything, when the CLI is missing
    for s in hub_first(inv, stacks, directory, state_dir):
        summary = live.preview(s, directory, state_dir, on_output=_engine_line,
                               policy_config=engine.policy_config(inv)).summary
        out.print(f"[bold]{s}[/]: {summary}", highlight=False)


@app.command("apply")
@handle_errors
def apply_cmd(
    inventory: Annotated[Path | None, plan_or_inventory("govctl plan --out", "apply")] = None,
    stack: StackOpt = None,
    yes: YesOpt = False,
    state_dir: StateDirOpt = DEFAULT_STATE_DIR,
    allow_destroy: Annotated[bool, typer.Option(
        "--allow-destroy", help="Allow deleting or replacing tenant data (networks, object containers, DNS zones), "
                                "which is protected otherwise.")] = False,
    continue_on_error: Annotated[bool, typer.Option(
        "--continue-on-error", help="Go on with every resource that does not depend on a failed one (`pulumi up "
                                    "--continue-on-error`); the run still fails, naming the first error.")] = False,
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", metavar="URN", help="Leave this resource as it is (`pulumi up --exclude`; repeatable), e.g. one "
                                         "whose cloud service is down; with a plan file, the rest of the plan must "
                                         "still be what the engine does.")] = None,
) -> None:
    """Make the cloud match the inventory through the real engine: per stack a preview, then `pulumi up` held to it.

    Given a plan file (`govctl plan --out FILE`), applies exactly that plan: it refuses, exit 2 and nothing
    changed, when the inventory, govctl's code or a stack's state moved since, or when the engine's preview
    differs from it. Given an inventory, shows each stack's preview (deletes and replacements first) and asks
    (--yes for CI). Deleting or replacing tenant data needs --allow-destroy.

    Needs govctl's engine on PATH (the Pulumi CLI, language host and OpenStack plugin) and credentials:
    a clouds.yaml entry (OS_CLOUD; its auth_url and credentials are used, the inventory's regions select the
    endpoints) or OS_* variables. The hub (provincial) stack goes first; a federated stack whose hub was never
    applied is refused. Stack settings, the file backend and the passphrase are in the inventory's state
    directory. On success the offline snapshot is updated.

    Example: `govctl plan inventories/guangdong --out gd.plan && govctl apply gd.plan`
    """
    from govctl.stacks import applying, engine, live, planfile

    options = applying.ApplyOptions(continue_on_error=continue_on_error, allow_destroy=allow_destroy,
                                    exclude=tuple(exclude or ()))

    def done(s: str, changes: dict[str, int]) -> None:
        out.print(f"[green]{s}[/]: {changes or 'no changes'}", highlight=False)

    if inventory is not None and inventory.is_file():
        if stack:
            raise InputError("--stack: a plan file names its stacks; make a plan of only those instead")
        plan = planfile.read(inventory)
        src, directory = _source(Path(plan.inventory))
        applying.apply_file(plan, src, directory, _stack_state(state_dir, directory), options, _engine_line, done)
        return
    live.pulumi_command()  # no CLI: exit 1 at once, nothing changed
    src, directory = _source(inventory)
    state_dir = _stack_state(state_dir, directory)
    stacks = hub_first(src.inventory, engine.select(src.inventory, stack), directory, state_dir)

    def confirm(question: str, lines: list[str]) -> bool:
        for line in lines:
            out.print(line, highlight=False, markup=False)
        return typer.confirm(question, default=False)

    # no progress bar of its own: the engine's lines are the progress (the offline check before it has one)
    applying.apply_inventory(src, directory, state_dir, stacks, options, _engine_line, None if yes else confirm,
                             done, progress)


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
