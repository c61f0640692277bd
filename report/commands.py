"""`govctl report`: the province against its plan's targets, as a table, a chart and a self-contained HTML page."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from govctl.core.clikit import AsOfOpt, InventoryArg, JsonOpt, detailed_exitcode_opt, emit_json, handle_errors, out
from govctl.core.errors import ChangesPresent
from govctl.migration.commands import JournalOpt, MigrationContext, SheetOpt, SystemsOpt, as_of_date
from govctl.migration.errors import MigrationInputError

app = typer.Typer()  # the top-level `govctl report`


@app.command("report")
@handle_errors
def report_cmd(
    inventory: InventoryArg = None,
    chart: Annotated[Path | None, typer.Option("--chart", help="Also draw a chart: a .png or .svg file.")] = None,
    html_file: Annotated[Path | None, typer.Option(
        "--html", help="Also write a self-contained HTML report (targets, cloud, extranet, IPv6 plan, migration, "
                       "last plan and audit) that opens with no network.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of the HTML report and chart: zh or en.")] = "zh",
    audit: Annotated[Path | None, typer.Option(
        "--audit", help="The output of `govctl audit --json` to show in the HTML report (audits keep no "
                        "state).")] = None,
    systems: SystemsOpt = None,
    sheet: SheetOpt = None,
    as_of: AsOfOpt = None,
    journal: JournalOpt = None,
    detailed_exitcode: Annotated[bool, detailed_exitcode_opt("a target is not met")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Where the province stands against its plan's targets: systems on the cloud, provincial and city
    departments on the cloud, dedicated networks integrated, extranet nodes and tenant networks on IPv6.

    Example: `govctl report inventories/guangdong --chart guangdong.png --html guangdong.html`
    """
    from govctl.migration.report import build_report, write_chart
    from govctl.report.i18n import T

    if chart is not None and chart.suffix.lower() not in (".png", ".svg"):
        raise MigrationInputError(f"--chart {chart}: expected a .png or .svg file name")
    T(lang)  # a bad --lang fails before anything is read
    audit_doc = None
    if audit is not None:
        from govctl.report.sources import read_audit

        audit_doc = read_audit(audit)
    ctx = MigrationContext(inventory, systems, sheet, journal)
    rep = build_report(ctx.inv, ctx.source.systems, ctx.statuses, as_of_date(as_of))
    if chart is not None:
        write_chart(rep, chart, lang)
    if html_file is not None:
        write_html(ctx, rep, html_file, lang, audit_doc, as_of)
    if as_json:
        data = rep.as_dict()
        data["chart"] = str(chart) if chart else None
        data["html"] = str(html_file) if html_file else None
        emit_json(data)
    else:
        table = Table("measure", "done", "of", "share", "target", "met", "gap",
                      title=f"{rep.province}: progress against {rep.plan or 'the plan'} (targets due "
                            f"{rep.target_year}; as of {rep.as_of})")
        for mt in rep.metrics:
            met = {True: Text("yes", style="green"), False: Text("no", style="red"), None: Text("-")}[mt.met]
            table.add_row(mt.title, str(mt.done), str(mt.total),
                          "-" if mt.share is None else f"{100 * mt.share:.1f}%",
                          "-" if mt.target is None else f"{100 * mt.target:.0f}%", met, str(mt.gap or ""))
        out.print(table)
        out.print(Text("systems by status: " + ", ".join(f"{k} {v}" for k, v in rep.statuses.items())))
        for written in (chart, html_file):
            if written is not None:
                out.print(Text(f"wrote {written}", style="green"))
    unmet = [mt.title for mt in rep.metrics if mt.met is False]
    if detailed_exitcode and unmet:
        raise ChangesPresent(f"{len(unmet)} target(s) not met: {'; '.join(unmet)}")


def write_html(ctx: MigrationContext, rep: object, path: Path, lang: str, audit_doc: dict | None,
               as_of: str | None) -> None:
    from govctl.source import plan_ipv6
    from govctl.migration.assess import assess
    from govctl.migration.models import AssessSettings, EVENT_STATUS, WaveSettings
    from govctl.migration.waves import plan_waves
    from govctl.report import html, sources, views

    migrated_on = {}
    for e in ctx.entries:  # the day of each system's latest move to "migrated" (a rollback undoes it)
        if EVENT_STATUS[e.event] == "migrated":
            migrated_on[e.system] = e.at.date()
        else:
            migrated_on.pop(e.system, None)
    day = as_of_date(as_of)
    src = sources.gather(ctx.loaded, ctx.shown, plan_ipv6(ctx.loaded), ctx.statuses, migrated_on, audit_doc, day)
    assessment = assess(ctx.inv, ctx.source, AssessSettings(as_of=day), ctx.statuses)
    waves = plan_waves(ctx.inv, assessment, WaveSettings(), ctx.source.locator)
    built = views.build(src, rep, waves, lang)  # type: ignore[arg-type]
    html.write(path, html.render(built, ctx.inv.province.name, ctx.shown, day.isoformat(), lang))
