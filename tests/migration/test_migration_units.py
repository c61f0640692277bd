"""Units read, never guessed; one defect, one message; the spreadsheet layout departments really send."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from migration_sheets import write_csv

from govctl.core.errors import Problem
from govctl.migration.errors import SystemsInvalid
from govctl.migration.sources import (HeaderError, InventoryContext, SystemSource, header_spec, read_csv,
                                      read_xlsx)


@pytest.fixture(scope="module")
def ctx(example_loaded: Any) -> InventoryContext:
    return InventoryContext.of(example_loaded.inventory)


def _xlsx(path: Path, header: list[str], rows: list[list[object]], title: str | None = None) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "系统清单"
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _read(tmp_path: Path, ctx: InventoryContext, kind: str, header: list[str],
          rows: list[list[object]]) -> SystemSource:
    if kind == "csv":
        return read_csv(write_csv(tmp_path / "s.csv", header, rows), ctx)
    return read_xlsx(_xlsx(tmp_path / "s.xlsx", header, rows), ctx)


def _problems(tmp_path: Path, ctx: InventoryContext, kind: str, header: list[str],
              rows: list[list[object]]) -> list[Problem]:
    with pytest.raises(SystemsInvalid) as exc:
        _read(tmp_path, ctx, kind, header, rows)
    return exc.value.problems


BASE = ["系统编号", "系统名称", "所属部门"]

# (header, cell, field, stored value): every unit-carrying field, Chinese and English spellings,
# the unit in the header, in the cell, or in both (agreeing).
UNIT_CASES = [
    ("数据量(TB)", 0.59, "data_gb", 0.59 * 1024),
    ("数据量（TB）", "0.5", "data_gb", 512.0),
    ("数据量(GB)", 800, "data_gb", 800.0),
    ("数据量(MB)", 2048, "data_gb", 2.0),
    ("数据量/TB", 2, "data_gb", 2048.0),
    ("数据量(单位：TB)", 1, "data_gb", 1024.0),
    ("数据量", "1.5TB", "data_gb", 1536.0),
    ("数据量", "500 MB", "data_gb", 500 / 1024),
    ("数据量(TB)", "2TB", "data_gb", 2048.0),
    ("data (TB)", 3, "data_gb", 3072.0),
    ("data_gb", "1,024", "data_gb", 1024.0),
    ("data_tb", 1, "data_gb", 1024.0),
    ("Data Size (GB)", 7, "data_gb", 7.0),
    ("RTO(小时)", 4, "rto_minutes", 240),
    ("RTO（h）", 4, "rto_minutes", 240),
    ("RTO(分钟)", 30, "rto_minutes", 30),
    ("RTO(min)", "30", "rto_minutes", 30),
    ("RTO(天)", 2, "rto_minutes", 2880),
    ("RTO (days)", 1, "rto_minutes", 1440),
    ("rto_hours", 0.5, "rto_minutes", 30),
    ("rto_minutes", 45, "rto_minutes", 45),
    ("RTO", "4h", "rto_minutes", 240),
    ("RTO", "4小时", "rto_minutes", 240),
    ("恢复时间目标(小时)", 2, "rto_minutes", 120),
    ("RPO(小时)", 1, "rpo_minutes", 60),
    ("RPO(分钟)", 15, "rpo_minutes", 15),
    ("RPO", "15min", "rpo_minutes", 15),
    ("rpo_hours", 24, "rpo_minutes", 1440),
    ("RPO(h)", "1h", "rpo_minutes", 60),
]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize(("header", "cell", "fld", "value"), UNIT_CASES)
def test_units_convert(tmp_path: Path, ctx: InventoryContext, kind: str, header: str, cell: object, fld: str,
                       value: float) -> None:
    src = _read(tmp_path, ctx, kind, [*BASE, header], [["crm", "客户管理", "finance", cell]])
    assert getattr(src.systems[0], fld) == pytest.approx(value)


@pytest.mark.parametrize(("header", "message"), [
    ("数据量(PB2)", "unknown unit 'pb2'"),
    ("RTO(周)", "unknown unit '周'"),
    ("数据量(约)", "unknown unit '约'"),
    ("data_gb (TB)", "two units: GB and TB"),
    ("RTO/RPO(分钟)", "could mean two columns"),
    ("系统名称(rto)", "could mean two columns"),
    ("等保级别(h)", "has no unit"),
    ("颜色", "unknown column"),
])
def test_unreadable_headers_name_sheet_column_and_header(tmp_path: Path, ctx: InventoryContext, header: str,
                                                         message: str) -> None:
    problems = _problems(tmp_path, ctx, "xlsx", [*BASE, header], [["crm", "客户管理", "finance", 1]])
    assert len(problems) == 1
    p = problems[0]
    assert message in p.message
    assert "sheet '系统清单'" in p.path and "column D" in p.path and p.value == header
    with pytest.raises(HeaderError):
        header_spec(header)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize(("header", "cell", "message"), [
    ("RTO(分钟)", "4h", "the cell's unit 小时 (h) contradicts the header's 分钟 (min)"),
    ("数据量(GB)", "1.5TB", "the cell's unit TB contradicts the header's GB"),
    ("RTO", 4, "no unit: the header 'RTO' gives none"),
    ("数据量", "800", "no unit: the header '数据量' gives none"),
    ("数据量(GB)", -5, "cannot be negative"),
    ("RTO(小时)", "-1", "cannot be negative"),
    ("数据量(GB)", "lots", "expected a number"),
    ("RTO(分钟)", "2 weeks", "unknown unit 'weeks'"),
    ("RTO(小时)", 0.01, "is not a whole number of minutes"),
    ("用户数", -3, "cannot be negative"),
    ("用户数", 2.5, "expected a whole number of users"),
    ("等保级别", 7, "a 等保 level is 1 to 5"),
])
def test_bad_cells_same_message_in_csv_and_xlsx(tmp_path: Path, ctx: InventoryContext, kind: str, header: str,
                                                cell: object, message: str) -> None:
    problems = _problems(tmp_path, ctx, kind, [*BASE, header], [["crm", "客户管理", "finance", cell]])
    assert [p.message for p in problems] == [message] or message in problems[0].message
    p = problems[0]
    assert f"column D ({header})" in p.path and "row 2" in p.path  # column, header and row
    assert p.value == str(cell)  # the value as written
    if kind == "xlsx":
        assert "sheet '系统清单'" in p.path
    else:
        assert p.line == 2 and p.file.endswith("s.csv")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_one_defect_one_message(tmp_path: Path, ctx: InventoryContext, kind: str) -> None:
    rows: list[list[object]] = [["core", "核心库", "finance", "lots", ""]]
    rows += [[f"app{i}", f"应用{i}", "finance", 10, "core"] for i in range(6)]
    problems = _problems(tmp_path, ctx, kind, [*BASE, "数据量(GB)", "依赖系统"], rows)
    assert len(problems) == 1, [p.render() for p in problems]
    assert "row 2" in problems[0].path and problems[0].value == "lots"
    # a reference to an id that is written nowhere is still reported
    rows[1][4] = "nowhere"
    problems = _problems(tmp_path, ctx, kind, [*BASE, "数据量(GB)", "依赖系统"], rows)
    assert [p.message for p in problems][1:] == ["depends on a system that does not exist"]


def test_department_layout(tmp_path: Path, ctx: InventoryContext) -> None:
    """As departments send it: merged title rows, units in the headers, a 备注 column, a totals row."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["示例省财政厅政务信息系统迁移上云清单"])
    ws.merge_cells("A1:H1")
    ws.append(["填报单位：示例省财政厅", None, None, None, "填报日期：2026年11月"])
    ws.merge_cells("A2:D2")
    ws.append(["系统编号*", "系统名称（必填）", "所属部门", "数据量(TB)", "RTO(小时)", "RPO(分钟)", "依赖系统", "备注"])
    ws.append(["fin-core", "财政核心业务", "示例省财政厅", 0.59, 4, 30, None, "年底前迁移"])
    ws.append(["fin-report", "财政报表", "finance", 1.5, "48", 60, "fin-core", None])
    ws.append(["合计", None, None, 2.09, None, None, None, None])
    path = tmp_path / "dept.xlsx"
    wb.save(path)
    src = read_xlsx(path, ctx)
    by = {s.id: s for s in src.systems}
    assert by["fin-core"].data_gb == pytest.approx(0.59 * 1024) and by["fin-core"].rto_minutes == 240
    assert by["fin-report"].rto_minutes == 2880 and by["fin-report"].depends_on == ["fin-core"]
    assert by["fin-core"].department == "finance"
    assert src.extras["fin-core"].remarks == "年底前迁移"
    assert len(src.notices) == 1 and "row 6" in src.notices[0] and "sheet 'Sheet1'" in src.notices[0] and "合计" in src.notices[0]
    assert "ignored" in src.notices[0]


def test_units_via_cli(tmp_path: Path) -> None:
    """`数据量(TB)` is TB and `RTO(小时)` hours through the whole command (the issue's two misreadings)."""
    import json

    from typer.testing import CliRunner

    from govctl.cli import app

    f = write_csv(tmp_path / "t.csv", [*BASE, "数据量(TB)", "RTO(小时)"], [["crm", "客户管理", "finance", 0.59, 4]])
    r = CliRunner().invoke(app, ["migrate", "assess", "--systems", str(f), "--as-of", "2026-11-25", "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)["systems"][0]
    assert s["data_gb"] == pytest.approx(604.16) and s["rto_minutes"] == 240 and s["dr_grade"] < 6
    f = write_csv(tmp_path / "t.csv", [*BASE, "数据量(TB)(GB)"], [["crm", "客户管理", "finance", 1]])
    r = CliRunner().invoke(app, ["migrate", "assess", "--systems", str(f)])
    assert r.exit_code == 2 and "column D" in r.output and "two units" in r.output
