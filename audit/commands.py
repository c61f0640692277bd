"""`govctl audit`: the live cloud against the model, read-only."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from govctl.core.clikit import (InventoryArg, JsonOpt, StackOpt, deprecated, either, emit_json, handle_errors, out,
                                progress)
from govctl.source import load, plan_ipv6
from govctl.core.errors import ChangesPresent, InputError, PolicyViolations

if TYPE_CHECKING:
    from govctl.audit.models import AuditReport, FindingClass

app = typer.Typer()

CLASS_STYLE = {"violation": "bold red", "missing": "red", "drifted": "yellow", "unverifiable": "dim"}


@app.command()
@handle_errors
def audit(
    inventory: InventoryArg = None,
    stack: StackOpt = None,
    platform: Annotated[list[str] | None, deprecated("--platform", "-p", use="--stack/-s")] = None,
    cloud: Annotated[str | None,
                     typer.Option("--cloud", help="Cloud name in clouds.yaml (default: $OS_CLOUD).")] = None,
    region: Annotated[list[str] | None, typer.Option(
        "--region", help="MODEL=LIVE region name, glob allowed ('*=RegionOne' for a one-region lab).")] = None,
    physnet: Annotated[list[str] | None, typer.Option(
        "--physnet", help="MODEL=LIVE physical network name (e.g. 'strong-isolation=physnet1').")] = None,
    no_az_hints: Annotated[bool, typer.Option(
        "--no-az-hints", help="Do not compare availability-zone hints (a cloud that cannot hold them).")] = False,
    ignore_project: Annotated[list[str] | None, typer.Option(
        "--ignore-project", help="Operator projects that are not tenants (default: admin, service).")] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a Markdown report (for the assessor).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Compare the live OpenStack with the model: missing resources, drifted fields, rule violations.

    Read-only: only GET requests, each collection listed once in bulk. Credentials come from clouds.yaml
    (`OS_CLIENT_CONFIG_FILE`, `--cloud` / `OS_CLOUD`) and are never printed.
    Violations: SG rules opening management ports to the world, undeclared RBAC shares, projects or networks
    the inventory does not know, tenant or model external networks without IPv6, DR-graded tenants whose
    same-city or remote-DR resources (e.g. the DR target volume type grant, the Cinder quota there) are not
    in place. Exit 0 in sync, 3 missing/drifted, 4 violations, 2 bad input, 1 failure.

    Example: `govctl audit inventories/example --stack prov --cloud govctl-lab --region '*=RegionOne'`
    """
    from govctl.audit.audit import BUILTIN_PROJECTS, Auditor
    from govctl.audit.cloud import Cloud
    from govctl.audit.errors import UnknownPlatform
    from govctl.audit.graph import capture, items_of
    from govctl.audit.models import Profile

    platform = either(stack, platform, "--stack", "--platform")
    if markdown and as_json:
        raise InputError("--json and --markdown exclude each other")
    try:
        profile = Profile.parse(region, physnet, az_hints=not no_az_hints)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    name = cloud or os.environ.get("OS_CLOUD")
    if not name:
        raise InputError("no cloud given: pass --cloud NAME (a cloud in clouds.yaml) or set OS_CLOUD")
    loaded, shown = load(inventory)
    inv = loaded.inventory
    known = [p.id for p in inv.platforms]
    unknown = [p for p in platform or [] if p not in known]
    if unknown:
        raise UnknownPlatform(f"--stack: no platform {', '.join(repr(u) for u in unknown)} in {shown} "
                              f"(platforms: {', '.join(known)})")
    chosen = [p for p in known if not platform or p in platform]
    with progress("model", len(chosen)) as step:
        items = items_of(capture(inv, plan_ipv6(loaded), chosen, shown, on_stack=step), profile)
    api = Cloud(name)
    auditor = Auditor(api, profile, inv, chosen, name,
                      ignore_projects=tuple(ignore_project) if ignore_project else BUILTIN_PROJECTS)
    with progress(f"audit {name}", None) as step:
        report = auditor.run(items, on_step=step)
    if as_json:
        emit_json({"inventory": shown, **report.as_dict()})
    elif markdown:
        out.print(to_markdown(report, shown), markup=False, highlight=False)
    else:
        _table(report, shown)
    if report.of("violation"):
        raise PolicyViolations(f"{len(report.of('violation'))} violation(s) in the live cloud")
    if report.of("missing") or report.of("drifted"):
        raise ChangesPresent(f"{len(report.of('missing'))} missing, {len(report.of('drifted'))} drifted: the cloud "
                             "is not in sync with the model")


def _short(resource: str) -> str:
    return resource.rsplit("::", 1)[-1]


def _summary(r: AuditReport, shown: str) -> str:
    s = r.as_dict()["summary"]
    state = "in sync" if r.in_sync else "NOT in sync"
    return (f"{shown} vs cloud '{r.cloud}' ({', '.join(r.platforms)}): {state}; {r.matched}/{r.resources} "
            f"model resources found; {s['missing']} missing, {s['drifted']} drifted, {s['violation']} violations, "
            f"{s['unverifiable']} unverifiable; {r.api_calls} API calls in {r.seconds:.1f} s")


def _table(report: AuditReport, shown: str) -> None:
    findings = report.findings
    if findings:
        table = Table("class", "rule", "tenant", "resource", "finding", title=f"audit of {shown}")
        for f in findings:
            style = CLASS_STYLE.get(f.cls, "")
            short = _short(f.resource)
            message = f.message[len(short) + 2:] if f.message.startswith(short + ": ") else f.message
            table.add_row(f"[{style}]{f.cls}[/]", f.rule, f.tenant or "", short, message.replace("[", "\\["))
        out.print(table)
    out.print(_summary(report, shown), highlight=False)


def to_markdown(report: AuditReport, shown: str) -> str:
    """The report as Markdown: one table per class, violations first."""
    lines = [f"# Cloud audit: {shown}", "", _summary(report, shown), ""]
    titles: dict[FindingClass, str] = {
        "violation": "Rule violations", "missing": "Missing resources", "drifted": "Drifted fields",
        "unverifiable": "Not verifiable against this cloud"}
    for cls, title in titles.items():
        rows = report.of(cls)
        if not rows:
            continue
        lines += [f"## {title} ({len(rows)})", "", "| rule | tenant | resource | finding |", "|---|---|---|---|"]
        lines += [f"| {f.rule} | {f.tenant or ''} | `{_short(f.resource)}` | {f.message.replace('|', '/')} |"
                  for f in rows]
        lines.append("")
    return "\n".join(lines)

