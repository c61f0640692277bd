"""`govctl migrate ...` (assess, waves, status, record, import, export); `govctl report` is in govctl.report."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from govctl.core.clikit import (AsOfOpt, InventoryArg, JsonOpt, RowsOpt, as_of_time, deprecated, emit_json, err,
                                handle_errors, out)
from govctl.source import load
from govctl.migration.errors import MigrationInputError

migrate_app = typer.Typer(no_args_is_help=True,
                          help="Migration to the cloud (迁移上云): assess systems, plan waves, track progress.")

SystemsOpt = Annotated[Path | None, typer.Option(
    "--systems", help="Read systems from this .yaml/.csv/.xlsx instead of the inventory's systems.yaml.")]
SheetOpt = Annotated[str | None, typer.Option("--sheet",
                                              help="XLSX sheet (default: 系统清单/systems, else the first).")]
ZombieOpt = Annotated[int, typer.Option("--zombie-days", min=1, help="Unused this many days -> zombie candidate.")]
OrphanOpt = Annotated[int, typer.Option("--orphan-days", min=1,
                                        help="No dependants and unused this many days -> zombie candidate.")]
WeightsOpt = Annotated[str | None, typer.Option(
    "--weights", help="Score weights, e.g. size=30,deps=30,level=20,dr=20 (normalised to 100).")]
JournalOpt = Annotated[Path | None, typer.Option(
    "--journal", help="Migration journal (default: <state dir>/migration/journal.jsonl, the state dir being "
                    "<inventory>/.govctl or $GOVCTL_STATE_DIR).")]


def _txt(v: object) -> Text:
    return Text("" if v is None else str(v))


def _key_values(model: Any, spec: str | None, flag: str) -> Any:
    """``name=number,...`` -> the settings model, with a flag-named message for any mistake."""
    from pydantic import ValidationError

    if spec is None:
        return model()
    values: dict[str, float] = {}
    for part in spec.split(","):
        k, sep, v = part.partition("=")
        k = k.strip()
        if not sep or k not in model.model_fields:
            raise MigrationInputError(f"{flag}: '{part.strip()}' is not name=number with a name of: "
                                      f"{', '.join(model.model_fields)}")
        try:
            values[k] = float(v)
        except ValueError:
            raise MigrationInputError(f"{flag}: '{v.strip()}' is not a number (in '{part.strip()}')") from None
    try:
        return model(**values)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(x) for x in e["loc"])
        raise MigrationInputError(f"{flag}: {where + ': ' if where else ''}"
                                  f"{e['msg'].removeprefix('Value error, ')}") from None


def _weights(spec: str | None) -> Any:
    from govctl.migration.models import ScoreWeights

    return _key_values(ScoreWeights, spec, "--weights")


class MigrationContext:
    """Inventory, system list and journal, loaded once per command."""

    def __init__(self, inventory: Path | None, systems: Path | None, sheet: str | None,
                 journal: Path | None) -> None:
        from govctl.migration import journal as jr
        from govctl.migration.sources import InventoryContext, from_inventory, read_systems

        self.loaded, self.shown = load(inventory)
        self.inv = self.loaded.inventory
        if systems is not None:
            self.source = read_systems(systems, InventoryContext.of(self.inv), sheet)
            for notice in self.source.notices:
                err.print(Text(notice, style="yellow"))
        else:
            if sheet is not None:
                raise MigrationInputError("--sheet needs --systems FILE.xlsx")
            self.source = from_inventory(self.loaded, self.shown)
        self.journal_path = journal or jr.default_path(self.loaded.directory)  # appended to (govctl.core.statedir)
        self.journal_from = journal or jr.readable(self.loaded.directory)  # read: may be an older in-inventory one
        self.journal_shown = str(self.journal_from)
        self.entries = jr.read(self.journal_from, self.journal_shown)
        ids = {s.id for s in self.source.systems}
        self.statuses = {k: v for k, v in jr.statuses(self.entries).items() if k in ids}
        self.unknown_in_journal = sorted({e.system for e in self.entries} - ids)

    def warn_unknown_in_journal(self) -> None:
        if self.unknown_in_journal:
            err.print(Text(f"warning: journal names systems not in the list: {', '.join(self.unknown_in_journal)}",
                           style="yellow"))


def as_of_date(as_of: str | None) -> date:
    """Today's date for zombie detection and the report: --as-of's date, else today (UTC)."""
    return as_of_time(as_of).date()


def _assess(ctx: MigrationContext, as_of: str | None, zombie_days: int, orphan_days: int,
            weights: str | None) -> Any:
    from govctl.migration.assess import assess
    from govctl.migration.models import AssessSettings

    settings = AssessSettings(as_of=as_of_date(as_of), zombie_days=zombie_days, orphan_days=orphan_days,
                              weights=_weights(weights))
    return assess(ctx.inv, ctx.source, settings, ctx.statuses)


# ---------------------------------------------------------------- assess


@migrate_app.command("assess")
@handle_errors
def assess_cmd(
    inventory: InventoryArg = None,
    systems: SystemsOpt = None,
    sheet: SheetOpt = None,
    as_of: AsOfOpt = None,
    zombie_days: ZombieOpt = 365,
    orphan_days: OrphanOpt = 180,
    weights: WeightsOpt = None,
    only: Annotated[str | None, typer.Option(
        "--only", help="Only systems of this disposition: migrate, done, in_progress, retire, retired, stays, "
                       "blocked.")] = None,
    rows_shown: RowsOpt = 50,
    limit: Annotated[int | None, deprecated("--limit", use="--rows", metavar="N")] = None,
    journal: JournalOpt = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of the report: zh or en (JSON stays English)."
                                      )] = "en",
    as_json: JsonOpt = False,
) -> None:
    """Classify every system: placement (intranet / off the shared cloud / strong isolation / standard),
    target platform, required GB/T 20988 DR grade, difficulty score, and zombie candidates for retirement.

    Nothing is written.

    Example: `govctl migrate assess inventories/hubei --as-of 2026-11-25 --only retire`

    Example: `govctl migrate assess --systems migration/examples/systems.xlsx`
    """
    from govctl.migration.i18n import check, text_of, value
    from govctl.migration.models import Disposition

    check(lang)
    zh = lang == "zh"
    if limit is not None:
        if limit < 0:
            raise MigrationInputError(f"--limit: at least 0 (got {limit})")
        rows_shown = limit
    if only is not None and only not in {d.value for d in Disposition}:
        raise MigrationInputError(f"--only: unknown disposition '{only}' (expected one of: "
                                  f"{', '.join(d.value for d in Disposition)})")
    ctx = MigrationContext(inventory, systems, sheet, journal)
    a = _assess(ctx, as_of, zombie_days, orphan_days, weights)
    rows = [s for s in a.systems if only is None or s.disposition.value == only]
    if as_json:
        emit_json({"inventory": ctx.shown, "source": ctx.source.shown, "as_of": a.settings.as_of.isoformat(),
                    "summary": dict(Counter(s.disposition.value for s in a.systems)),
                    "cycles": a.cycles, "warnings": a.warnings, "systems": [s.as_dict() for s in rows]})
        return
    heads = (["部署位置", "系统数", "迁移", "已迁移", "迁移中", "建议下线（僵尸）", "保留原处", "无可用平台"] if zh else
             ["placement", "systems", "migrate", "done", "in progress", "retire (zombie)", "stays", "blocked"])
    summary = Table(*heads, title=f"{ctx.source.shown} 迁移评估（基准日 {a.settings.as_of}）" if zh
                    else f"Assessment of {ctx.source.shown} (as of {a.settings.as_of})")
    from govctl.migration.models import Placement

    for p in Placement:
        these = [s for s in a.systems if s.placement == p]
        if not these:
            continue
        c = Counter(s.disposition for s in these)
        summary.add_row(value("placement", p.value, lang), str(len(these)), str(c[Disposition.migrate]),
                        str(c[Disposition.done]), str(c[Disposition.in_progress]), str(c[Disposition.retire]),
                        str(c[Disposition.stays]), str(c[Disposition.blocked]))
    out.print(summary)
    by_platform = Counter(s.platform for s in a.systems if s.platform and s.disposition == Disposition.migrate)
    if by_platform:
        out.print(("各平台待迁移：" if zh else "to migrate by platform: ")
                  + ", ".join(f"{k} {v}" for k, v in sorted(by_platform.items())), highlight=False, markup=False)
    wide = out.width >= 160  # the name column only when there is room for the reasons too
    detail = Table()
    names = dict(zip(("system", "name", "department", "placement", "platform", "DR", "score", "disposition", "why"),
                     ("系统编号", "系统名称", "所属部门", "部署位置", "目标平台", "灾备等级", "难度", "处置", "原因")))
    for col in ("system", "name", "department", "placement", "platform", "DR", "score", "disposition"):
        if col != "name" or wide:
            detail.add_column(names[col] if zh else col, no_wrap=col not in ("name", "DR", "score"))
    detail.add_column(names["why"] if zh else "why", min_width=20)
    shown_rows = rows if rows_shown == 0 else rows[:rows_shown]
    for s in shown_rows:
        why = "; ".join(text_of(r, lang) for r in [*(s.kept_back or (s.platform_reason,)), *s.notes])
        cells: list[Any] = [_txt(s.id), _txt(s.name), _txt(s.department), value("placement", s.placement.value, lang),
                 _txt(s.platform or "-"), str(s.dr.grade), f"{s.score:.1f}",
                 value("disposition", s.disposition.value, lang), _txt(why)]
        if not wide:
            cells.pop(1)
        detail.add_row(*cells)
    out.print(detail)
    if len(shown_rows) < len(rows):
        out.print(f"... {len(rows) - len(shown_rows)} more (use --rows 0, --only or --json)", highlight=False)
    zombies = [s.id for s in a.systems if s.disposition == Disposition.retire]
    if zombies:
        more = f" ... (+{len(zombies) - 10}; --only retire)" if len(zombies) > 10 else ""
        out.print(Text((f"僵尸系统候选，建议下线而非迁移（{len(zombies)} 个）：" if zh else
                        f"zombie candidates, to retire rather than migrate ({len(zombies)}): ")
                       + f"{', '.join(zombies[:10])}{more}"))
    for c in a.cycles:
        out.print(Text(f"cycle (moves together): {' -> '.join(c)}"))
    for w in a.warnings:
        err.print(Text(f"warning: {w}", style="yellow"))
    ctx.warn_unknown_in_journal()


# ---------------------------------------------------------------- waves


@migrate_app.command("waves")
@handle_errors
def waves_cmd(
    inventory: InventoryArg = None,
    systems: SystemsOpt = None,
    sheet: SheetOpt = None,
    max_per_wave: Annotated[int, typer.Option("--max-per-wave", min=1, help="Systems per wave.")] = 20,
    window_hours: Annotated[float, typer.Option("--window-hours", min=0.1, help="Cutover window length.")] = 8.0,
    rate_gbps: Annotated[float, typer.Option("--rate-gbps", min=0.001,
                                             help="Line rate of the copy between old DC and cloud.")] = 10.0,
    efficiency: Annotated[float, typer.Option("--efficiency", min=0.01, max=1.0,
                                              help="Share of the line rate a bulk copy gets.")] = 0.8,
    start: Annotated[datetime | None, typer.Option("--start", formats=["%Y-%m-%d"],
                                                   help="First wave's date (default: as-of + 7 days).")] = None,
    every_days: Annotated[int, typer.Option("--every-days", min=1, help="Days between waves.")] = 7,
    sizing: Annotated[str | None, typer.Option(
        "--sizing", help="Cloud resources per migrated system for the quota changes, e.g. "
                         "cores=8,ram_gb=16,instances=4,volumes=4,volume_headroom=1.3 (volume GB = data x headroom).")
    ] = None,
    as_of: AsOfOpt = None,
    zombie_days: ZombieOpt = 365,
    orphan_days: OrphanOpt = 180,
    weights: WeightsOpt = None,
    output: Annotated[Path | None, typer.Option(
        "--out", help="Write waves.md, waves.docx (for the change board), waves.json, wave-NN/runbook.md + "
                        "changes.yaml and inventory/ here.")] = None,
    through: Annotated[int | None, typer.Option(
        "--through", min=1, help="Inventory changes of waves 1..N only (default: all waves).")] = None,
    write: Annotated[bool, typer.Option(
        "--write", help="Also apply the changes (tenants.yaml, systems.yaml) to the inventory in place, "
                        "keeping their comments and layout (a one-value change is a one-line diff).")] = False,
    journal: JournalOpt = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of waves.md, the runbooks and waves.docx: zh or en."
                                      )] = "en",
    chart: Annotated[Path | None, typer.Option(
        "--chart", help="Draw the waves on a calendar (freezes shaded, data vs window capacity): .png or .svg."
    )] = None,
    as_json: JsonOpt = False,
) -> None:
    """Plan migration waves: dependencies first, cycles together, easy systems first, each wave within
    its limits (systems, and data one window copies); with the tenant/quota changes each wave needs.

    Without --out/--write nothing is written. `govctl plan OUT/inventory` previews the changes.

    Example: `govctl migrate waves inventories/guangdong --max-per-wave 15 --window-hours 6 --out plan-gd`
    """
    from govctl.migration import files as fs
    from govctl.migration.i18n import check
    from govctl.migration.models import Sizing, WaveSettings
    from govctl.migration.render import plan_dict
    from govctl.migration.waves import plan_waves

    check(lang)
    if chart is not None and chart.suffix.lower() not in (".png", ".svg"):
        raise MigrationInputError(f"--chart {chart}: expected a .png or .svg file name")
    if output is not None:
        fs.check_output_dir(output)
    ctx = MigrationContext(inventory, systems, sheet, journal)
    a = _assess(ctx, as_of, zombie_days, orphan_days, weights)
    settings = WaveSettings(max_per_wave=max_per_wave, window_hours=window_hours, rate_gbps=rate_gbps,
                            efficiency=efficiency, start=start.date() if start else None, every_days=every_days,
                            sizing=_key_values(Sizing, sizing, "--sizing"))
    plan = plan_waves(ctx.inv, a, settings, ctx.source.locator)
    if through is not None and through > len(plan.waves):
        raise MigrationInputError(f"--through {through}: the plan has only {len(plan.waves)} wave(s)")
    applied = plan.waves[:through] if through else plan.waves
    if output is not None or write:
        from govctl.migration.deliver import write_waves

        write_waves(ctx, plan, a, applied, systems, output, write, lang)
    if chart is not None:
        from govctl.migration.chart import write_wave_chart

        write_wave_chart(plan, list(ctx.inv.province.change_freezes), chart, lang)
    if as_json:
        data = plan_dict(plan, a)
        data["written"] = {"out": str(output) if output else None, "inventory": write,
                           "chart": str(chart) if chart else None}
        emit_json(data)
        return
    table = Table("wave", "date", "systems", "data GB", "copy h", "platforms", "new tenants", "raised",
                  "warnings", title=f"Migration waves for {ctx.source.shown}")
    for w in plan.waves:
        plats = Counter(mv.platform for mv in w.moves)
        table.add_row(str(w.number), str(w.date or ""), str(len(w.moves)), f"{w.data_gb:,.0f}",
                      f"{w.copy_hours(settings):.1f}", _txt(", ".join(f"{k} {v}" for k, v in sorted(plats.items()))),
                      str(sum(c.action == "create" for c in w.changes)),
                      str(sum(c.action == "update" for c in w.changes)), str(len(w.warnings)))
    out.print(table)
    reasons = Counter(v.split(":")[0] if v.startswith(("zombie", "blocked")) else
                      "waits for a blocked dependency" if v.startswith("waits") else v
                      for v in plan.not_planned.values())
    planned = sum(len(w.moves) for w in plan.waves)
    out.print(f"{planned} systems in {len(plan.waves)} waves (limits: {settings.max_per_wave} systems, "
              f"{settings.window_gb:,.0f} GB per wave); not planned: {len(plan.not_planned)}", highlight=False)
    for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]):
        out.print(Text(f"  {v:5d}  {k}"))
    if output is not None:
        out.print(Text(f"wrote {output}/ (waves.md, {len(plan.waves)} runbooks, inventory/); preview: "
                       f"govctl plan {output}/inventory", style="green"))
    if write:
        out.print(Text(f"updated {ctx.shown}/tenants.yaml and systems.yaml", style="green"))
    if chart is not None:
        out.print(Text(f"wrote {chart}", style="green"))


# ---------------------------------------------------------------- progress


@migrate_app.command("record")
@handle_errors
def record_cmd(
    system: Annotated[str, typer.Argument(help="System id.")],
    event: Annotated[str, typer.Argument(help="started | migrated | rolled_back | retired")],
    inventory: InventoryArg = None,
    wave: Annotated[int | None, typer.Option("--wave", min=1, help="Wave number.")] = None,
    note: Annotated[str, typer.Option("--note", help="Free text (never a password).")] = "",
    by: Annotated[str, typer.Option("--by", help="Who did it.")] = "",
    at: Annotated[datetime | None, typer.Option("--at", help="When (default: now, UTC).")] = None,
    systems: SystemsOpt = None,
    sheet: SheetOpt = None,
    journal: JournalOpt = None,
) -> None:
    """Append one event to the migration journal (append-only JSON Lines).

    Example: `govctl migrate record oa migrated --wave 1 --by zhang.wei`
    """
    from govctl.migration import journal as jr
    from govctl.migration.assess import placement_of
    from govctl.migration.models import Event, JournalEntry

    try:
        ev = Event(event)
    except ValueError:
        raise MigrationInputError(f"unknown event '{event}' (expected one of: "
                                  f"{', '.join(e.value for e in Event)})") from None
    ctx = MigrationContext(inventory, systems, sheet, journal)
    found = next((s for s in ctx.source.systems if s.id == system), None)
    if found is None:
        raise MigrationInputError(f"no system '{system}' in {ctx.source.shown}")
    if ev in (Event.started, Event.migrated) and not placement_of(found).on_cloud:
        raise MigrationInputError(f"system '{system}' ({placement_of(found).value}) never moves to the shared cloud")
    current = ctx.statuses.get(system, found.status)
    jr.check_transition(system, current, ev)
    when = at if at is not None else datetime.now(timezone.utc).replace(microsecond=0)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    platform = found.target_platform
    if platform is None and ev in (Event.started, Event.migrated):
        platform = _assess(ctx, None, 365, 180, None).by_id()[system].platform  # where the plan sends it
    entry = JournalEntry(at=when, system=system, event=ev, wave=wave, platform=platform, by=by, note=note)
    jr.append(ctx.journal_path, entry, earlier=ctx.journal_from)
    out.print(Text(f"{system}: {current} -> {jr.EVENT_STATUS[ev]} (recorded in {ctx.journal_path})"))


@migrate_app.command("status")
@handle_errors
def status_cmd(
    inventory: InventoryArg = None,
    systems: SystemsOpt = None,
    sheet: SheetOpt = None,
    recent: Annotated[int, typer.Option("--recent", min=0, help="Show this many latest journal entries.")] = 10,
    journal: JournalOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What has moved: systems by status (systems.yaml overlaid by the journal) per placement and per
    recorded wave, systems in flight, and the latest journal entries.

    Example: `govctl migrate status inventories/hunan --json`
    """
    from govctl.migration.assess import placement_of

    ctx = MigrationContext(inventory, systems, sheet, journal)
    eff = {s.id: ctx.statuses.get(s.id, s.status) for s in ctx.source.systems}
    by_status = Counter(eff.values())
    by_placement: dict[str, Counter] = {}
    for s in ctx.source.systems:
        by_placement.setdefault(placement_of(s).value, Counter())[eff[s.id]] += 1
    in_flight = [s.id for s in ctx.source.systems if eff[s.id] == "migrating"]
    latest = ctx.entries[-recent:] if recent else []
    last_wave: dict[str, int] = {}
    for e in ctx.entries:
        if e.wave is not None:
            last_wave[e.system] = e.wave
    by_wave: dict[int, Counter] = {}
    for sid, w in last_wave.items():
        if sid in eff:
            by_wave.setdefault(w, Counter())[eff[sid]] += 1
    if as_json:
        emit_json({"inventory": ctx.shown, "journal": ctx.journal_shown, "journal_entries": len(ctx.entries),
                    "by_status": dict(sorted(by_status.items())),
                    "by_placement": {k: dict(sorted(v.items())) for k, v in sorted(by_placement.items())},
                    "by_wave": {str(w): dict(sorted(c.items())) for w, c in sorted(by_wave.items())},
                    "migrating": in_flight, "recent": [e.model_dump(mode="json") for e in latest],
                    "journal_unknown_systems": ctx.unknown_in_journal})
        return
    statuses = ["legacy", "migrating", "migrated", "retired"]
    table = Table("placement", *statuses, "total", title=f"Migration status of {ctx.source.shown} "
                                                          f"({len(ctx.entries)} journal entries)")
    for p, c in sorted(by_placement.items()):
        table.add_row(p, *(str(c.get(s, 0)) for s in statuses), str(sum(c.values())))
    table.add_row("all", *(str(by_status.get(s, 0)) for s in statuses), str(len(eff)), style="bold")
    out.print(table)
    if by_wave:
        wt = Table("wave", *statuses, title="systems by the wave recorded in the journal")
        for w, c in sorted(by_wave.items()):
            wt.add_row(str(w), *(str(c.get(s, 0)) for s in statuses))
        out.print(wt)
    if in_flight:
        out.print(Text(f"migrating now: {', '.join(in_flight)}"))
    if latest:
        j = Table("at", "system", "event", "wave", "by", "note", title="latest journal entries")
        for e in latest:
            j.add_row(e.at.isoformat(), _txt(e.system), e.event.value, _txt(e.wave or ""), _txt(e.by), _txt(e.note))
        out.print(j)
    ctx.warn_unknown_in_journal()


# ---------------------------------------------------------------- spreadsheets


@migrate_app.command("import")
@handle_errors
def import_cmd(
    file: Annotated[Path, typer.Argument(help="A .csv or .xlsx system list (or .yaml).")],
    inventory: InventoryArg = None,
    sheet: SheetOpt = None,
    output: Annotated[Path | None, typer.Option("--out", help="Write the systems.yaml here.")] = None,
    write: Annotated[bool, typer.Option("--write", help="Replace the inventory's systems.yaml.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check a migration team's spreadsheet against the inventory and turn it into systems.yaml.

    Every problem names the sheet, row and column; with any problem nothing is written (exit 2).
    Column layout: see `govctl migrate export --help` or the README.

    Example: `govctl migrate import systems.xlsx inventories/hubei --sheet 系统清单 --out hubei-systems.yaml`
    """
    from govctl.migration import files as fs
    from govctl.migration.sources import InventoryContext, read_systems

    from govctl.core.clikit import progress

    loaded, shown = load(inventory)
    src = read_systems(file, InventoryContext.of(loaded.inventory), sheet, progress=progress)
    for notice in src.notices:
        err.print(Text(notice, style="yellow"))
    from govctl.inventory.yamlwrite import edit_text

    text = fs.dump_yaml(fs.systems_raw(src.systems), f"Legacy systems awaiting migration, imported from {file.name} "
                                                     "by govctl migrate import.")
    current = fs.read_text(loaded.directory, "systems.yaml")
    if write and current.strip():  # the inventory's own file is edited in place, entry by entry
        text = edit_text(current, f"{shown}/systems.yaml", lambda d: fs.merge_systems(d, fs.systems_raw(src.systems)))
    if write:
        fs.validate_candidate(fs.inventory_files(loaded.directory, {"systems.yaml": text}), shown)
    if output is not None:
        if output.is_dir():
            raise MigrationInputError(f"--out {output}: is a directory; give a file name")
        from govctl.inventory.yamlwrite import write_atomic

        write_atomic(output, text)
    if write:
        fs.write_in_place(loaded.directory, {"systems.yaml": text})
    no_owner = sorted(k for k, v in src.extras.items() if v.owner == "")
    if as_json:
        emit_json({"file": str(file), "systems": len(src.systems), "no_owner": no_owner,
                    "written": {"out": str(output) if output else None, "inventory": write}})
        return
    out.print(Text(f"{file}: {len(src.systems)} systems valid against {shown}"
                   + (f"; {len(no_owner)} without owner" if no_owner else "")))
    if output is None and not write:
        out.print(Text("nothing written (use --out FILE or --write)"))
    else:
        out.print(Text(f"wrote {output or shown + '/systems.yaml'}", style="green"))


@migrate_app.command("export")
@handle_errors
def export_cmd(
    output: Annotated[Path, typer.Option("--out", help="A .xlsx or .csv file to write.")],
    inventory: InventoryArg = None,
    lang: Annotated[str, typer.Option("--lang", help="Headers and values: zh (非涉密, 等保三级, 待迁移), en, or "
                                                     "both (headers 系统编号 (id), English values).")] = "both",
) -> None:
    """Write the inventory's systems as the spreadsheet migration teams keep (the import layout); the
    file re-imports to the same systems. XLSX: drop-down lists for every enumerated column, input help,
    fitting widths and a 说明 sheet.

    Columns: 系统编号 id, 系统名称 name, 所属部门 department, 密级 classification, 等保级别
    security_level, 依赖系统 depends_on, 数据量(GB) data_gb, RTO(分钟) rto_minutes, RPO(分钟)
    rpo_minutes, 最近使用日期 last_used, 目标平台 target_platform, 状态 status, 负责人 owner, 用户数 users.
    Required: id, name, department.

    Example: `govctl migrate export inventories/hunan --out hunan-systems.xlsx --lang zh`
    """
    from govctl.migration.errors import OutputFailure
    from govctl.migration.sources import write_csv, write_xlsx

    if lang not in ("zh", "en", "both"):
        raise MigrationInputError(f"--lang: expected zh, en or both, got '{lang}'")
    suffix = output.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise MigrationInputError(f"--out {output}: expected a .xlsx or .csv file name")
    loaded, shown = load(inventory)
    systems = list(loaded.inventory.systems)
    try:
        if suffix == ".csv":
            output.write_text(write_csv(systems, {}, lang, loaded.inventory), encoding="utf-8")
        else:
            write_xlsx(output, systems, {}, lang, loaded.inventory)
    except OSError as exc:
        raise OutputFailure(f"cannot write {output}: {exc.strerror}") from None
    out.print(Text(f"wrote {len(systems)} systems of {shown} to {output}"))


@migrate_app.command("template")
@handle_errors
def template_cmd(
    output: Annotated[Path, typer.Option("--out", help="The .xlsx file to write.")],
    inventory: InventoryArg = None,
    lang: Annotated[str, typer.Option("--lang", help="Headers and values: zh or en.")] = "zh",
) -> None:
    """Write an empty system list for departments to fill in: the import layout with drop-down lists for
    every enumerated column (密级, 等保级别, 状态, 所属部门, 目标平台), input help on every column, widths
    that fit, and a 说明 sheet; it imports as it comes back.

    Example: `govctl migrate template inventories/hubei --out 湖北省系统清单模板.xlsx`
    """
    from govctl.migration.errors import OutputFailure
    from govctl.migration.i18n import check
    from govctl.migration.sources import write_xlsx

    check(lang)
    if output.suffix.lower() != ".xlsx":
        raise MigrationInputError(f"--out {output}: expected a .xlsx file name")
    loaded, shown = load(inventory)
    try:
        write_xlsx(output, [], {}, lang, loaded.inventory)
    except OSError as exc:
        raise OutputFailure(f"cannot write {output}: {exc.strerror}") from None
    out.print(Text(f"wrote the system list template for {shown} to {output}"))
