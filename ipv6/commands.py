"""`govctl ipv6 ...` (plan, show, export): the IPv6 address plan on the command line."""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from govctl.core.clikit import (InventoryArg, JsonOpt, RowsOpt, deprecated, detailed_exitcode_opt, emit_json, err,
                                handle_errors, out)
from govctl.source import load, plan_ipv6
from govctl.core.errors import ChangesPresent, InputError, RuntimeFailure

app = typer.Typer(no_args_is_help=True, help="IPv6 address plan: allocate, show, export.")


@app.command("plan")
@handle_errors
def ipv6_plan(
    inventory: InventoryArg = None,
    write: Annotated[bool, typer.Option("--write", help="Pin the plan in <inventory>/ipv6-allocations.yaml.")] = False,
    prune: Annotated[bool, typer.Option("--prune", help="With --write: drop pins of things no longer there.")] = False,
    detailed_exitcode: Annotated[bool, detailed_exitcode_opt("new allocations are not yet pinned")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Allocate prefixes for everything new; show what would be pinned, and pin it with --write.

    Existing pins never move, so adding a city, county or tenant never renumbers anything.

    Example: `govctl ipv6 plan inventories/guangdong --write`
    """
    from govctl.ipv6.store import write_allocations

    if prune and not write:
        raise InputError("--prune only makes sense with --write")
    loaded, shown = load(inventory)
    p = plan_ipv6(loaded)
    new = p.new
    if as_json:
        emit_json({"inventory": shown, "new": [{"key": a.key, "kind": a.kind.value, "prefix": a.prefix}
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
        raise ChangesPresent(f"{len(new)} new allocation(s) not yet pinned (`govctl ipv6 plan --write` pins them)")


@app.command("show")
@handle_errors
def ipv6_show(
    inventory: InventoryArg = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind (city, county, town, tenant, subnet, "
                                                  "loopback, p2p, management, ...).")] = None,
    match: Annotated[str | None, typer.Option(help="Only keys containing this text.")] = None,
    rows_shown: RowsOpt = 50,
    limit: Annotated[int | None, deprecated("--limit", use="--rows", metavar="N")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the plan: a summary per kind and pool, then the allocations themselves.

    Example: `govctl ipv6 show inventories/guangdong --kind city`
    """
    from govctl.ipv6.models import Kind

    if limit is not None:
        if limit < 0:
            raise InputError(f"--limit: at least 0 (got {limit})")
        rows_shown = limit
    if kind is not None and kind not in {k.value for k in Kind}:
        raise InputError(f"--kind: unknown kind '{kind}' (expected one of: {', '.join(k.value for k in Kind)})")
    loaded, shown = load(inventory)
    p = plan_ipv6(loaded)
    rows = [a for a in p.allocations.values()
            if (kind is None or a.kind.value == kind) and (match is None or match in a.key)]
    if as_json:
        emit_json([{"key": a.key, "kind": a.kind.value, "prefix": a.prefix, "parent": a.parent,
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
    shown_rows = rows if rows_shown == 0 else rows[:rows_shown]
    for a in shown_rows:
        detail.add_row(a.key, a.prefix, "yes" if a.pinned else "new")
    out.print(detail)
    if len(shown_rows) < len(rows):
        out.print(f"... {len(rows) - len(shown_rows)} more (use --rows 0, --kind or --match)", highlight=False)


@app.command("export")
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
    loaded, shown = load(inventory)
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
