"""govctl: the command line. The only place that turns exceptions into messages and exit codes.

Exit codes: 0 success; 1 a runtime failure (device, cloud, filesystem);
2 invalid input or usage (inventory, CSV, flags); 3 changes present (with
--detailed-exitcode); 4 policy violations.
"""
from __future__ import annotations

import functools
import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from govctl.inventory.errors import AllocationError, GovctlError, InputError, InventoryInvalid, Problem, RuntimeFailure

EXIT_OK, EXIT_FAILURE, EXIT_INPUT, EXIT_CHANGES, EXIT_POLICY = 0, 1, 2, 3, 4

HERE = Path(__file__).resolve().parent
DEFAULT_INVENTORY = HERE / "inventories" / "example"

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

app = typer.Typer(name="govctl", no_args_is_help=True, add_completion=False, rich_markup_mode="markdown",
                  help="Infrastructure as code for a provincial e-government cloud and extranet.\n\n"
                       "Exit codes: 0 ok, 1 runtime failure, 2 invalid input or usage, 3 changes present "
                       "(--detailed-exitcode), 4 policy violations.")
ipv6_app = typer.Typer(no_args_is_help=True, help="IPv6 address plan: allocate, show, export.")
app.add_typer(ipv6_app, name="ipv6")

InventoryArg = Annotated[
    Path | None,
    typer.Argument(help="Inventory directory (default: the bundled inventories/example).", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(fn: F) -> F:
    """Turn the project's exceptions into a message on stderr and a distinct exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InventoryInvalid as exc:
            _print_problems(exc.problems)
            err.print(f"[bold red]{exc.summary()}[/]", highlight=False)
            raise typer.Exit(EXIT_INPUT) from None
        except InputError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
            raise typer.Exit(EXIT_INPUT) from None
        except RuntimeFailure as exc:
            err.print(f"[bold red]failed:[/] {exc}", highlight=False)
            raise typer.Exit(EXIT_FAILURE) from None
        except GovctlError as exc:  # pragma: no cover - every subclass is one of the above
            err.print(f"[bold red]failed:[/] {exc}", highlight=False)
            raise typer.Exit(EXIT_FAILURE) from None

    return wrapper  # type: ignore[return-value]


def _print_problems(problems: list[Problem]) -> None:
    for p in problems:
        colour = "red" if p.severity == "error" else "yellow"
        err.print(f"[{colour}]{_escape(p.render())}[/]", highlight=False)


def _escape(text: str) -> str:
    return text.replace("[", "\\[")


def _inventory(path: Path | None) -> tuple[Path, str]:
    if path is None:
        return DEFAULT_INVENTORY, "inventories/example"
    return path, str(path)


def _load(path: Path | None):  # noqa: ANN202 - Loaded, imported lazily to keep --help fast
    from govctl.inventory.validate import load_valid

    directory, shown = _inventory(path)
    return load_valid(directory, shown), shown


def _emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


# ---------------------------------------------------------------- validate


@app.command()
@handle_errors
def validate(inventory: InventoryArg = None, as_json: JsonOpt = False) -> None:
    """Check an inventory's shape and the plans' rules; report every problem with file, line and key.

    Warnings (e.g. not yet dual-stack) do not fail; any error exits 2. Nothing is written.

    Example: `govctl validate inventories/guangdong --json`
    """
    from govctl.inventory.validate import validate as run
    from govctl.ipv6.planner import plan

    directory, shown = _inventory(inventory)
    report = run(directory, shown)
    problems = list(report.problems)
    ipv6_count = 0
    if report.loaded is not None and not report.errors:
        try:
            p = plan(report.loaded.inventory)
            ipv6_count = len(p.allocations)
            problems += [report.loaded.origins.in_file(
                             "ipv6-allocations.yaml", ("allocations", k),
                             "pinned allocation of something no longer in the inventory (kept reserved; "
                             "`govctl ipv6 plan --write --prune` frees it)", v, severity="warning")
                         for k, v in p.stale.items()]
        except AllocationError as exc:
            problems.append(_allocation_problem(report.loaded, exc))
    errors = [p for p in problems if p.severity == "error"]
    stats = _stats(report.loaded.inventory) if report.loaded is not None else {}
    if ipv6_count:
        stats["ipv6_allocations"] = ipv6_count
    if as_json:
        _emit_json({"inventory": shown, "valid": not errors, "stats": stats,
                    "problems": [p.as_dict() for p in problems]})
    else:
        _print_problems(problems)
        warnings = len(problems) - len(errors)
        summary = ", ".join(f"{v} {k}" for k, v in stats.items())
        if errors:
            err.print(f"[bold red]{shown}: {len(errors)} error(s), {warnings} warning(s)[/]", highlight=False)
        else:
            out.print(f"[green]{shown}: valid[/] ({warnings} warning(s)); {summary}", highlight=False)
    if errors:
        raise typer.Exit(EXIT_INPUT)


def plan_ipv6(loaded: Any) -> Any:
    """The IPv6 plan of a loaded inventory; a planning failure becomes a located inventory error."""
    from govctl.ipv6.planner import plan

    try:
        return plan(loaded.inventory)
    except AllocationError as exc:
        raise InventoryInvalid([_allocation_problem(loaded, exc)]) from None


def _allocation_problem(loaded: Any, exc: AllocationError) -> Problem:
    """Locate a planning failure: the pinned line at fault, else the pools in ipv6.yaml."""
    if exc.key is not None:
        return loaded.origins.in_file("ipv6-allocations.yaml", ("allocations", exc.key), str(exc))
    return loaded.origins.in_file("ipv6.yaml", ("pools",), str(exc))


def _stats(inv: Any) -> dict[str, int]:
    kinds = Counter(p.kind.value for p in inv.platforms)
    divisions = Counter(t.value for t in inv.divisions().values())
    return {
        "cities": divisions.get("city", 0),
        "counties": divisions.get("county", 0),
        "towns": divisions.get("town", 0),
        "sites": len(inv.sites.sites),
        "platforms": len(inv.platforms),
        "industry_platforms": kinds.get("industry", 0),
        "municipal_platforms": kinds.get("municipal", 0),
        "departments": len(inv.departments),
        "tenants": len(inv.tenants),
        "extranet_nodes": len(inv.nodes),
        "extranet_links": len(inv.links),
        "dedicated_networks": len(inv.dedicated_networks),
        "systems": len(inv.systems),
    }


# ---------------------------------------------------------------- rules


@app.command()
@handle_errors
def rules(as_json: JsonOpt = False) -> None:
    """List the plans' rules that `validate` checks: id, severity, source.

    Example: `govctl rules --json`
    """
    from govctl.inventory.rules import RULES

    rows = [{"id": r.id, "severity": r.severity, "title": r.title, "source": r.source} for r in RULES]
    if as_json:
        _emit_json(rows)
        return
    table = Table("id", "severity", "rule", "source")
    for r in rows:
        table.add_row(r["id"], r["severity"], r["title"], r["source"])
    out.print(table)


# ---------------------------------------------------------------- ipv6


@ipv6_app.command("plan")
@handle_errors
def ipv6_plan(
    inventory: InventoryArg = None,
    write: Annotated[bool, typer.Option("--write", help="Pin the plan in <inventory>/ipv6-allocations.yaml.")] = False,
    prune: Annotated[bool, typer.Option("--prune", help="With --write: drop pins of things no longer there.")] = False,
    detailed_exitcode: Annotated[bool, typer.Option("--detailed-exitcode",
                                                    help="Exit 3 when new allocations are not yet pinned.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Allocate prefixes for everything new; show what would be pinned, and pin it with --write.

    Existing pins never move, so adding a city, county or tenant never renumbers anything.

    Example: `govctl ipv6 plan inventories/guangdong --write`
    """
    from govctl.ipv6.store import write_allocations

    if prune and not write:
        raise InputError("--prune only makes sense with --write")
    loaded, shown = _load(inventory)
    p = plan_ipv6(loaded)
    new = p.new
    if as_json:
        _emit_json({"inventory": shown, "new": [{"key": a.key, "kind": a.kind.value, "prefix": a.prefix}
                                                for a in new],
                    "stale": p.stale, "written": write})
    else:
        by_kind = Counter(a.kind.value for a in new)
        table = Table("kind", "new allocations", "example", title=f"IPv6 plan for {shown}")
        for kind, n in sorted(by_kind.items()):
            first = next(a for a in new if a.kind.value == kind)
            table.add_row(kind, str(n), f"{first.key} = {first.prefix}")
        if new:
            out.print(table)
        out.print(f"{len(new)} new, {len(p.allocations) - len(new)} pinned, {len(p.stale)} stale", highlight=False)
    if write:
        target = write_allocations(loaded.directory, p, prune=prune)
        if not as_json:
            out.print(f"[green]wrote {target}[/]", highlight=False)
    elif new and detailed_exitcode:
        raise typer.Exit(EXIT_CHANGES)


@ipv6_app.command("show")
@handle_errors
def ipv6_show(
    inventory: InventoryArg = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind (city, county, town, tenant, subnet, "
                                                  "loopback, p2p, management, ...).")] = None,
    match: Annotated[str | None, typer.Option(help="Only keys containing this text.")] = None,
    limit: Annotated[int, typer.Option(min=0, help="Show at most this many rows (0: all).")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Show the plan: a summary per kind and pool, then the allocations themselves.

    Example: `govctl ipv6 show inventories/guangdong --kind city`
    """
    from govctl.ipv6.models import Kind

    if kind is not None and kind not in {k.value for k in Kind}:
        raise InputError(f"--kind: unknown kind '{kind}' (expected one of: {', '.join(k.value for k in Kind)})")
    loaded, shown = _load(inventory)
    p = plan_ipv6(loaded)
    rows = [a for a in p.allocations.values()
            if (kind is None or a.kind.value == kind) and (match is None or match in a.key)]
    if as_json:
        _emit_json([{"key": a.key, "kind": a.kind.value, "prefix": a.prefix, "parent": a.parent,
                     "pinned": a.pinned} for a in rows])
        return
    summary = Table("kind", "count", "length", "pinned", title=f"IPv6 plan of {shown}")
    lengths = loaded.inventory.ipv6.lengths
    for k in Kind:
        these = p.of_kind(k)
        if these:
            summary.add_row(k.value, str(len(these)), f"/{getattr(lengths, k.value)}",
                            str(sum(a.pinned for a in these)))
    out.print(summary)
    detail = Table("key", "prefix", "pinned")
    shown_rows = rows if limit == 0 else rows[:limit]
    for a in shown_rows:
        detail.add_row(a.key, a.prefix, "yes" if a.pinned else "new")
    out.print(detail)
    if len(shown_rows) < len(rows):
        out.print(f"... {len(rows) - len(shown_rows)} more (use --limit 0, --kind or --match)", highlight=False)


@ipv6_app.command("export")
@handle_errors
def ipv6_export(
    inventory: InventoryArg = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    output: Annotated[Path | None, typer.Option("--out", help="Write here instead of stdout.")] = None,
) -> None:
    """Export every allocation as CSV or JSON for IPAM tools (NetBox import, spreadsheets).

    Example: `govctl ipv6 export inventories/hubei --format json --out hubei-ipv6.json`
    """
    from govctl.ipv6.store import to_csv, to_json

    if fmt not in ("csv", "json"):
        raise InputError(f"--format: expected csv or json, got '{fmt}'")
    if output is not None and output.is_dir():
        raise InputError(f"--out: {output} is a directory; give a file name")
    loaded, shown = _load(inventory)
    p = plan_ipv6(loaded)
    text = to_csv(p) if fmt == "csv" else to_json(p, shown) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RuntimeFailure(f"cannot write {output}: {exc.strerror}") from exc
    err.print(f"wrote {len(p.allocations)} allocations to {output}", highlight=False)


# ---------------------------------------------------------------- other domains
# Each domain keeps its commands in <area>/commands.py, registered on `app` (or a
# sub-app mounted on it) with `handle_errors` from here. Imported last because
# they import this module. One line per domain:
# (mount lines below)
import govctl.stacks.commands  # noqa: E402,F401
import govctl.migration.commands  # noqa: E402,F401
import govctl.network.cutover.commands  # noqa: E402,F401
import govctl.network.commands  # noqa: E402,F401
import govctl.stacks.livecloud.commands  # noqa: E402,F401


def _quiet_library_threads() -> None:
    """paramiko's transport thread logs a lost or refused connection as a traceback through its
    logger (printed by Python's last-resort handler) besides the device's one-line DeviceError;
    a library thread dying of an exception would print another. Neither reaches the terminal."""
    import logging
    import threading

    for name in ("paramiko", "netmiko"):
        logging.getLogger(name).addHandler(logging.NullHandler())
        logging.getLogger(name).propagate = False

    def one_line(args: threading.ExceptHookArgs) -> None:
        first = (str(args.exc_value).strip().splitlines() or [""])[0]
        name = args.thread.name if args.thread is not None else "?"
        sys.stderr.write(f"govctl: thread {name}: {args.exc_type.__name__}{': ' + first if first else ''}\n")

    threading.excepthook = one_line


def main() -> None:
    _quiet_library_threads()
    app()


if __name__ == "__main__":
    main()
