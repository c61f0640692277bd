"""Deliverables in Chinese (wave plan, runbooks, DOCX, exports, template), warnings that explain, the chart."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from capabilities import need
from typer.testing import CliRunner

from govctl.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventories" / "example"
AS_OF = ["--as-of", "2026-11-25"]


def run(*args: object):  # noqa: ANN201
    return CliRunner().invoke(app, [str(a) for a in args])


def test_wave_plan_runbooks_and_docx_in_chinese(tmp_path: Path) -> None:
    from docx import Document

    out = tmp_path / "plan"
    r = run("migrate", "waves", EXAMPLE, *AS_OF, "--lang", "zh", "--out", out)
    assert r.exit_code == 0, r.output
    md = (out / "waves.md").read_text(encoding="utf-8")
    assert md.startswith("# 迁移上云批次计划：") and "| 批次 | 日期 | 系统数 |" in md
    assert "| case-files | 涉密系统：保留在电子政务内网 |" in md
    assert "| old-portal | 僵尸系统候选：自 2024-05-01 起未使用（938 天） |" in md
    book = (out / "wave-01" / "runbook.md").read_text(encoding="utf-8")
    for heading in ("# 第 1 批次割接手册", "## 一、割接前准备", "## 二、割接顺序", "## 三、回退"):
        assert heading in book
    assert "Before the window" not in book and "扩容" in book and "等保三级" in book
    doc = Document(str(out / "waves.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "迁移上云批次计划（变更评审稿）" in text and "评审人" in text
    plan = json.loads((out / "waves.json").read_text(encoding="utf-8"))
    assert len(doc.tables[0].rows) == len(plan["waves"]) + 1
    assert [c.text for c in doc.tables[0].rows[0].cells][:3] == ["批次", "日期", "系统数"]
    moved = {m["system"] for w in plan["waves"] for m in w["moves"]}
    assert moved == {c.text for c in doc.tables[1].columns[1].cells[1:]}
    _refused = run("migrate", "waves", EXAMPLE, "--lang", "fr")
    assert _refused.exit_code == 2 and "--lang" in _refused.output


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
@pytest.mark.parametrize("inventory", ["example", "hubei"])
def test_chinese_export_reimports_to_the_same_systems(tmp_path: Path, suffix: str, inventory: str) -> None:
    from govctl.inventory.validate import load_valid
    from govctl.migration.sources import InventoryContext, read_systems

    inv = ROOT / "inventories" / inventory
    path = tmp_path / f"export{suffix}"
    r = run("migrate", "export", inv, "--out", path, "--lang", "zh")
    assert r.exit_code == 0, r.output
    loaded = load_valid(inv)
    back = read_systems(path, InventoryContext.of(loaded.inventory))
    assert [s.model_dump() for s in back.systems] == [s.model_dump() for s in loaded.inventory.systems]
    if suffix == ".csv":
        text = path.read_text(encoding="utf-8")
        assert text.startswith("系统编号,系统名称,所属部门,密级,等保级别")
        assert "unclassified" not in text and "legacy" not in text and "等保三级" in text


def test_export_values_in_chinese_and_template_with_drop_downs(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "e.xlsx"
    assert run("migrate", "export", EXAMPLE, "--out", path, "--lang", "zh").exit_code == 0
    ws = load_workbook(path)["系统清单"]
    values = {c.value for row in ws.iter_rows(min_row=2) for c in row}
    assert {"非涉密", "涉密", "等保三级", "待迁移", "示例省财政厅"} <= values
    assert not values & {"unclassified", "classified", "legacy"}

    template = tmp_path / "t.xlsx"
    r = run("migrate", "template", EXAMPLE, "--out", template)
    assert r.exit_code == 0, r.output
    wb = load_workbook(template)
    assert {"系统清单", "说明"} <= set(wb.sheetnames) and wb["选项"].sheet_state == "hidden"
    ws = wb["系统清单"]
    header = [c.value for c in ws[1]]
    lists = {}
    prompts = {}
    for dv in ws.data_validations.dataValidation:
        col = str(dv.sqref).split(":")[0].rstrip("0123456789")
        prompts[col] = dv.prompt
        if dv.type == "list":
            lists[header[ord(col) - 65]] = dv.formula1
    assert set(lists) == {"所属部门", "密级", "等保级别", "目标平台", "状态"}  # every enumerated column
    assert len(prompts) == len(header) and all(prompts.values())  # input help on every column
    options = wb["选项"]
    col = lists["密级"].split("!$")[1][0]
    assert [options[f"{col}{i}"].value for i in (1, 2, 3)] == ["非涉密", "敏感", "涉密"]
    for i, h in enumerate(header):
        letter = chr(65 + i)
        wide = sum(2 if ord(ch) > 0x2E80 else 1 for ch in h)  # CJK characters take two columns
        assert ws.column_dimensions[letter].width >= wide + 2  # the header fits its column
    legend = [r[0] for r in wb["说明"].iter_rows(values_only=True)]
    assert "数据量(GB)" in legend and any("合计" in str(v) for v in legend)
    assert run("migrate", "template", EXAMPLE, "--out", tmp_path / "t.csv").exit_code == 2


def test_warnings_name_the_dependency_and_reasons(tmp_path: Path) -> None:
    sheet = tmp_path / "s.csv"
    sheet.write_text(
        "id,name,department,classification,depends_on,data_gb,last_used,owner\n"
        "old,旧库,finance,unclassified,,10,2023-01-01,张伟\n"
        "secret,涉密库,public-security,classified,,10,2026-11-20,李娜\n"
        "app,新应用,finance,unclassified,old;secret,10,2026-11-20,王芳\n", encoding="utf-8")
    r = run("migrate", "waves", EXAMPLE, "--systems", sheet, *AS_OF, "--json")
    assert r.exit_code == 0, r.output
    wave = json.loads(r.stdout)["waves"][0]
    assert [m["system"] for m in wave["moves"]] == ["app"]
    text = " | ".join(wave["warnings"])
    assert "app: depends on old, a zombie candidate (unused since 2023-01-01" in text
    assert "app: depends on secret, which stays off the cloud (classified (涉密)" in text
    r = run("migrate", "assess", EXAMPLE, "--systems", sheet, *AS_OF, "--json")
    by = {s["id"]: s for s in json.loads(r.stdout)["systems"]}
    assert by["old"]["kept_back"] == ["zombie candidate: unused since 2023-01-01 (1424 days)"]
    assert by["secret"]["kept_back"] == ["classified (涉密): stays on the e-government intranet"]
    assert by["app"]["kept_back"] == []
    r = CliRunner().invoke(app, ["migrate", "assess", str(EXAMPLE), "--systems", str(sheet), *AS_OF, "--lang", "zh"],
                           env={"COLUMNS": "300"})
    assert r.exit_code == 0, r.output
    assert "僵尸系统候选" in r.output and "涉密系统：保留在电子政务内网" in r.output and "部署位置" in r.output
    out = tmp_path / "plan"
    assert run("migrate", "waves", EXAMPLE, "--systems", sheet, *AS_OF, "--out", out, "--lang", "zh").exit_code == 0
    book = (out / "wave-01" / "runbook.md").read_text(encoding="utf-8")
    assert "依赖僵尸系统候选 old" in book and "依赖不上云的系统 secret" in book


def _cjk_font_or_skip() -> str:
    from govctl.migration.chart import cjk_font

    font = cjk_font()
    need(font is not None, "a CJK font for matplotlib (apt-get install fonts-noto-cjk)")
    assert font is not None
    return font


def test_wave_chart_png_and_svg_with_cjk_labels(tmp_path: Path) -> None:
    import numpy as np
    from matplotlib import image

    _cjk_font_or_skip()
    png = tmp_path / "waves.png"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = run("migrate", "waves", ROOT / "inventories" / "hubei", *AS_OF, "--lang", "zh", "--chart", png)
    assert r.exit_code == 0, r.output
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert missing == []  # matplotlib warns for every glyph it draws as a blank box
    pixels = image.imread(str(png))
    assert pixels.shape[0] > 300 and len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 20
    svg = tmp_path / "waves.svg"
    assert run("migrate", "waves", EXAMPLE, *AS_OF, "--chart", svg).exit_code == 0
    assert svg.read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg"))
    assert run("migrate", "waves", EXAMPLE, "--chart", tmp_path / "c.gif").exit_code == 2


@pytest.mark.parametrize("family", ["chart", "DejaVu Sans"])
def test_cjk_labels_are_glyphs_not_boxes(family: str) -> None:
    """With the chart's font 迁 and 云 look different; with a font without CJK both are the same blank box
    (the check itself is checked on DejaVu Sans, which has no CJK)."""
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = _cjk_font_or_skip() if family == "chart" else family

    def render(text: str) -> np.ndarray:
        fig = Figure(figsize=(2, 1), dpi=100)
        canvas = FigureCanvasAgg(fig)
        fig.text(0.1, 0.3, text, fontsize=24, family=font)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba()).copy()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = render("迁"), render("云")
    assert (a[..., :3] < 128).any()  # something is drawn
    assert np.array_equal(a, b) == (family != "chart")
