"""The wave plan as a Word document for the change board (变更评审): summary, one section per wave, and
the systems left out with their reasons; in Chinese or English."""
from __future__ import annotations

import zipfile
from datetime import datetime, time
from typing import Any

from govctl.migration.i18n import level, t, text_of, value
from govctl.migration.models import Assessment, WavePlan

_HEAD = {
    "waves": {"en": ["wave", "date", "systems", "data GB", "copy h", "platforms", "tenants created", "tenants raised"],
              "zh": ["批次", "日期", "系统数", "数据量(GB)", "复制时长(小时)", "目标平台", "新建租户", "扩容租户"]},
    "moves": {"en": ["#", "system", "name", "department", "level", "to platform / tenant", "data GB", "depends on"],
              "zh": ["序号", "系统编号", "系统名称", "所属部门", "等保级别", "目标平台 / 租户", "数据量(GB)",
                     "依赖系统"]},
    "left": {"en": ["system", "name", "reason"], "zh": ["系统编号", "系统名称", "原因"]},
}
_TITLE = {"en": "Migration wave plan for the change board", "zh": "迁移上云批次计划（变更评审稿）"}
_SIGN = {"en": "Reviewed by: ______________    Date: ______________",
         "zh": "评审意见：______________    评审人：______________    日期：______________"}


def _font(doc: Any, lang: str) -> None:
    from docx.oxml.ns import qn

    style = doc.styles["Normal"]
    style.font.name = "Noto Sans CJK SC" if lang == "zh" else "Calibri"
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), "宋体")  # Word on the board's PCs has it; LibreOffice substitutes


def _table(doc: Any, head: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(head))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, head):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text


def docx_bytes(plan: WavePlan, assessment: Assessment, lang: str = "zh") -> bytes:
    from io import BytesIO

    from docx import Document

    doc = Document()
    _font(doc, lang)
    s = plan.settings
    systems = assessment.by_id()
    doc.add_heading(_TITLE[lang], level=0)
    doc.add_paragraph(t("plan_title", lang, inv=plan.inventory))
    doc.add_paragraph(t("limits", lang, n=s.max_per_wave, gb=f"{s.window_gb:,.0f}", h=f"{s.window_hours:g}",
                        rate=f"{s.rate_gbps:g}", eff=f"{s.efficiency:g}", as_of=plan.assess_settings.as_of))
    _table(doc, _HEAD["waves"][lang], [
        [str(w.number), str(w.date or ""), str(len(w.moves)), f"{w.data_gb:,.0f}", f"{w.copy_hours(s):.1f}",
         ", ".join(sorted({mv.platform for mv in w.moves})), str(sum(c.action == "create" for c in w.changes)),
         str(sum(c.action == "update" for c in w.changes))] for w in plan.waves])
    wave_of = plan.wave_of()
    for w in plan.waves:
        doc.add_heading(t("wave_title", lang, n=w.number, inv=plan.inventory), level=1)
        for key, kw in (("window", {"date": w.date, "h": f"{s.window_hours:g}"}),
                        ("systems_line", {"n": len(w.moves), "max": s.max_per_wave}),
                        ("data_line", {"gb": f"{w.data_gb:,.0f}", "cap": f"{s.window_gb:,.0f}",
                                       "h": f"{w.copy_hours(s):.1f}", "rate": f"{s.rate_gbps:g}",
                                       "eff": f"{s.efficiency:g}"})):
            if key == "window" and w.date is None:
                doc.add_paragraph(t("window_tbd", lang).removeprefix("- "))
            else:
                doc.add_paragraph(t(key, lang, **kw).removeprefix("- "))
        rows = []
        for i, mv in enumerate(w.moves, 1):
            a = systems[mv.system]
            deps = ", ".join(f"{d} ({wave_of[d]})" if d in wave_of
                             else f"{d} ({value('disposition', systems[d].disposition.value, lang)})"
                             for d in a.depends_on) or "-"
            rows.append([str(i), mv.system, a.name, a.department, level(a.security_level, lang),
                         f"{mv.platform} / {mv.tenant}", f"{mv.data_gb:,.0f}", deps])
        _table(doc, _HEAD["moves"][lang], rows)
        if w.warnings:
            doc.add_heading(t("warnings", lang).removeprefix("## "), level=2)
            for warning in w.warnings:
                doc.add_paragraph(text_of(warning, lang), style="List Bullet")
    if plan.not_planned:
        doc.add_heading(t("not_planned", lang), level=1)
        _table(doc, _HEAD["left"][lang], [[k, systems[k].name if k in systems else "", text_of(v, lang)]
                                          for k, v in plan.not_planned.items()])
    doc.add_paragraph("")
    doc.add_paragraph(_SIGN[lang])
    # the same plan gives the same bytes (a rerun of --out is no change): the document's dates and the
    # zip entries' times are the assessment's date, not the clock's
    when = datetime.combine(plan.assess_settings.as_of, time(0, 0))
    doc.core_properties.created = doc.core_properties.modified = doc.core_properties.last_printed = when
    buf = BytesIO()
    doc.save(buf)
    fixed = BytesIO()
    with zipfile.ZipFile(BytesIO(buf.getvalue())) as src, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, src.read(info.filename))
    return fixed.getvalue()
