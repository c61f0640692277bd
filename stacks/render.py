"""A plan for people: rich tables and per-resource lines, or Markdown for a merge-request comment."""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from govctl.stacks.models import Change, PlanResult, StackDiff

MARKDOWN_LIMIT = 65_000
SIGN = {"create": "+", "update": "~", "delete": "-"}
COLOUR = {"create": "green", "update": "yellow", "delete": "red"}


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
    return (f"{d.count('create')} to create, {d.count('update')} to update, {d.count('delete')} to delete; "
            f"{d.resources} resources planned{src}; compared with {d.base}")


def print_plan(result: PlanResult, console: Console, details: bool = True) -> None:
    for d in result.diffs:
        console.print(f"[bold]stack {escape(d.stack)}[/]: {escape(_summary_line(d))}", highlight=False, emoji=False)
        if not d.changes:
            console.print("  no changes", highlight=False, emoji=False)
            continue
        by_type = Table("type", "create", "update", "delete", title=f"{d.stack}: changes per type")
        for t, c in sorted(_counts(d.changes, lambda c: short_type(c.type)).items()):
            by_type.add_row(Text(t), str(c["create"]), str(c["update"]), str(c["delete"]))
        console.print(by_type)
        tenants = _counts([c for c in d.changes if c.tenant], lambda c: c.tenant)
        if tenants:
            by_tenant = Table("tenant", "create", "update", "delete", title=f"{d.stack}: changes per tenant")
            for t, c in sorted(tenants.items()):
                by_tenant.add_row(Text(t), str(c["create"]), str(c["update"]), str(c["delete"]))
            console.print(by_tenant)
        if details:
            for c in d.changes:
                console.print(f"  [{COLOUR[c.kind]}]{SIGN[c.kind]} {escape(short_type(c.type))} {escape(c.name)}[/]",
                              highlight=False, emoji=False)
                for ic in c.inputs:
                    console.print(f"      {escape(ic.key)}: {escape(_value(ic.old))} -> {escape(_value(ic.new))}",
                                  highlight=False, emoji=False)
    for v in result.violations:
        colour = "red" if v.level == "mandatory" else "yellow"
        console.print(f"[{colour}]policy {v.policy} ({v.level})[/] {escape(v.stack)}: {escape(v.urn)}: "
                      f"{escape(v.message)}", highlight=False, emoji=False)
    total = {k: sum(d.count(k) for d in result.diffs) for k in ("create", "update", "delete")}
    console.print(f"[bold]Plan:[/] {total['create']} to create, {total['update']} to update, {total['delete']} to "
                  f"delete in {len(result.diffs)} stack(s); {len(result.mandatory_violations)} policy violation(s)",
                  highlight=False, emoji=False)


def markdown(result: PlanResult, limit: int = MARKDOWN_LIMIT) -> str:
    """A merge-request comment: summary table first, then details until the limit, then a truncation note."""
    total = {k: sum(d.count(k) for d in result.diffs) for k in ("create", "update", "delete")}
    head = [f"### govctl plan: `{result.inventory}`", "",
            f"**{total['create']} to create, {total['update']} to update, {total['delete']} to delete** "
            f"in {len(result.diffs)} stack(s)", "",
            "| stack | create | update | delete | compared with |", "|---|---:|---:|---:|---|"]
    head += [f"| {d.stack} | {d.count('create')} | {d.count('update')} | {d.count('delete')} | {d.base} |"
             for d in result.diffs]
    if result.violations:
        head += ["", "#### Policy violations", ""]
        head += [f"- **{v.policy}** ({v.level}) `{v.stack}`: {v.message}" for v in result.violations]
    body: list[str] = []
    for d in result.diffs:
        if not d.changes:
            continue
        body += ["", f"<details><summary>{d.stack}: {len(d.changes)} change(s)</summary>", "", "```diff"]
        for c in d.changes:
            body.append(f"{SIGN[c.kind]} {short_type(c.type)} {c.name}")
            body += [f"!     {ic.key}: {_value(ic.old)} -> {_value(ic.new)}" for ic in c.inputs]
        body += ["```", "</details>"]
    text = "\n".join(head)
    note = "\n\n_Details truncated to stay under {limit} characters: {n} more line(s); run `govctl plan` locally._"
    for i, line in enumerate(body):
        reserve = len(note) + 40
        if len(text) + len(line) + 1 + reserve > limit:
            if text.count("```") % 2 == 1:
                text += "\n```"
            if text.count("<details>") > text.count("</details>"):
                text += "\n</details>"
            return text + note.format(limit=limit, n=len(body) - i)
        text += "\n" + line
    return text + "\n"
