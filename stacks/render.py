"""A plan for people: rich tables and per-resource lines, or Markdown for a merge-request comment."""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from govctl.stacks.models import KINDS, Change, PlanResult, StackDiff

MARKDOWN_LIMIT = 65_000
SIGN = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}  # -/+ as Terraform marks a replacement
COLOUR = {"create": "green", "update": "yellow", "replace": "magenta", "delete": "red"}


def short_type(type_: str) -> str:
    """'openstack:networking/subnet:Subnet' -> 'networking.Subnet'; other types unchanged."""
    if type_.startswith("openstack:") and type_.count(":") == 2:
        _, mid, cls = type_.split(":")
        return f"{mid.split('/')[0]}.{cls}"
    return type_


def _value(v: Any) -> str:
    text = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def _counts(changes: list[Change], key: Any) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for c in changes:
        out[key(c)][c.kind] += 1
    return out


def _summary_line(d: StackDiff) -> str:
    src = " (cached)" if d.cached else ""
    return (f"{d.count('create')} to create, {d.count('update')} to update, {d.count('replace')} to replace, "
            f"{d.count('delete')} to delete; "
            f"{d.resources} resources planned{src}; compared with {d.base}")


def print_plan(result: PlanResult, console: Console, details: bool = True) -> None:
    for d in result.diffs:
        console.print(f"[bold]stack {escape(d.stack)}[/]: {escape(_summary_line(d))}", highlight=False, emoji=False)
        if not d.changes:
            console.print("  no changes", highlight=False, emoji=False)
            continue
        by_type = Table("type", *KINDS, title=f"{d.stack}: changes per type")
        for t, c in sorted(_counts(d.changes, lambda c: short_type(c.type)).items()):
            by_type.add_row(Text(t), *(str(c[k]) for k in KINDS))
        console.print(by_type)
        tenants = _counts([c for c in d.changes if c.tenant], lambda c: c.tenant)
        if tenants:
            by_tenant = Table("tenant", *KINDS, title=f"{d.stack}: changes per tenant")
            for t, c in sorted(tenants.items()):
                by_tenant.add_row(Text(t), *(str(c[k]) for k in KINDS))
            console.print(by_tenant)
        if details:
            for c in d.changes:
                console.print(f"  [{COLOUR[c.kind]}]{SIGN[c.kind]} {escape(short_type(c.type))} {escape(c.name)}[/]",
                              highlight=False, emoji=False)
                for ic in c.inputs:
                    console.print(f"      {escape(ic.key)}: {escape(_value(ic.old))} -> {escape(_value(ic.new))}"
                                  + (f" [magenta]# forces replacement ({escape(ic.forces)})[/]" if ic.forces else ""),
                                  highlight=False, emoji=False)
    for v in result.violations:
        colour = "red" if v.level == "mandatory" else "yellow"
        console.print(f"[{colour}]policy {v.policy} ({v.level})[/] {escape(v.stack)}: {escape(v.urn)}: "
                      f"{escape(v.message)}", highlight=False, emoji=False)
    total = {k: sum(d.count(k) for d in result.diffs) for k in KINDS}
    console.print(f"[bold]Plan:[/] {total['create']} to create, {total['update']} to update, {total['replace']} to "
                  f"replace, {total['delete']} to delete in {len(result.diffs)} stack(s); "
                  f"{len(result.mandatory_violations)} policy violation(s)",
                  highlight=False, emoji=False)


# What a reviewer must see first when the comment has to be cut: what is destroyed (deletes, and
# replacements where the engine reports them), then what changes in place, then what is added.
MARKDOWN_ORDER = (("delete", ("delete", "replace"), "to delete or replace"), ("update", ("update",), "to update"),
                  ("create", ("create",), "to create"))


def markdown(result: PlanResult, limit: int = MARKDOWN_LIMIT) -> str:
    """A merge-request comment under ``limit`` characters.

    The head is never cut: totals and one summary row per stack. Policy violations follow (mandatory
    first; the rest counted if they do not fit). Then the per-resource details, deletes first, then
    updates, then creates, each grouped by stack; when the limit is reached the open blocks are closed and
    a note says how many lines of each kind were left out.
    """
    total = {k: sum(d.count(k) for d in result.diffs) for k in KINDS}
    head = [f"### govctl plan: `{result.inventory}`", "",
            f"**{total['delete']} to delete, {total['replace']} to replace, {total['update']} to update, "
            f"{total['create']} to create** in {len(result.diffs)} stack(s)", "",
            "| stack | delete | replace | update | create | compared with |", "|---|---:|---:|---:|---:|---|"]
    head += [f"| {d.stack} | {d.count('delete')} | {d.count('replace')} | {d.count('update')} | {d.count('create')} "
             f"| {d.base} |" for d in result.diffs]
    text = "\n".join(head)
    if result.violations:
        text += "\n\n#### Policy violations\n"
        ordered = sorted(result.violations, key=lambda v: v.level != "mandatory")
        budget = max(0, (limit - len(text)) // 2)  # at most half of what is left; details need room too
        for i, v in enumerate(ordered):
            line = f"\n- **{v.policy}** ({v.level}) `{v.stack}`: {v.message}"
            if len(line) > budget - 80:
                text += f"\n- _and {len(ordered) - i} more violation(s); run `govctl plan` locally_"
                break
            text += line
            budget -= len(line)
    blocks: list[tuple[str, str, list[str]]] = []  # (kind, summary, lines)
    for kind, kinds, label in MARKDOWN_ORDER:
        for d in result.diffs:
            changes = [c for c in d.changes if c.kind in kinds]
            if not changes:
                continue
            lines: list[str] = []
            for c in changes:
                lines.append(f"{SIGN.get(c.kind, '!')} {short_type(c.type)} {c.name}")
                lines += [f"!     {ic.key}: {_value(ic.old)} -> {_value(ic.new)}"
                          + (f"  # forces replacement ({ic.forces})" if ic.forces else "") for ic in c.inputs]
            blocks.append((kind, f"{d.stack}: {len(changes)} {label}", lines))
    left: dict[str, int] = {}
    note_room = 200
    for kind, summary, lines in blocks:
        opening = f"\n\n<details><summary>{summary}</summary>\n\n```diff"
        closing = "\n```\n</details>"
        if left or len(text) + len(opening) + len(closing) + note_room > limit:
            left[kind] = left.get(kind, 0) + len(lines)
            continue
        text += opening
        for i, line in enumerate(lines):
            if len(text) + len(line) + 1 + len(closing) + note_room > limit:
                left[kind] = left.get(kind, 0) + len(lines) - i
                break
            text += "\n" + line
        text += closing
    if left:
        parts = ", ".join(f"{n} {kind}" for kind, n in left.items())
        text += (f"\n\n_Details truncated to stay under {limit:,} characters: {parts} line(s) left out "
                 "(deletes are listed first); run `govctl plan` locally for all._")
    return text + "\n"
