"""The change-board document: both languages, every section, the committed example in sync with the code."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from govctl.cli import app
from cutover_fixtures import NOW, ROOT, inv_dir  # noqa: F401 - inv_dir is a fixture
from govctl.inventory.validate import load_valid
from govctl.ipv6.planner import plan as ipv6_plan
from govctl.cutover.document import render_document
from govctl.cutover.planner import plan_cutover

SECTIONS = {
    "zh": ["割接范围", "割接窗口", "业务影响", "割接前检查", "实施步骤", "割接后验证", "回退方案", "不可回退点", "联系人"],
    "en": ["Scope", "Window", "Impact", "Pre-checks", "Steps", "Post-checks", "Rollback", "Point of no return",
           "Contacts"],
}


def _plan(directory: Path, network: str):  # noqa: ANN202
    loaded = load_valid(directory)
    return plan_cutover(loaded.inventory, ipv6_plan(loaded.inventory), network, now=NOW, origins=loaded.origins)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_section_and_step_with_owner_and_timing(inv_dir: Path, lang: str) -> None:
    p = _plan(inv_dir, "finance-net")
    text = render_document(p, lang)
    for title in SECTIONS[lang]:
        assert "## " in text and title in text, title
    for s in p.steps:
        row = next(ln for ln in text.splitlines() if ln.startswith("| ") and f"| {s.id} |" in ln)
        assert row.rstrip(" |").endswith(str(s.minutes))
    assert f"T+{p.minutes_to_no_return}" in text  # the point of no return, when it comes
    assert "0.0.0.0 0.0.0.0 203.0.113.103" in text  # type E: the configuration appendix has the own-egress route


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_committed_example_is_what_the_code_writes(lang: str) -> None:
    committed = ROOT / "docs" / "cutover" / f"health-net.{lang}.md"
    p = _plan(ROOT / "inventories" / "example", "health-net")
    assert committed.read_text(encoding="utf-8") == render_document(p, lang), \
        f"regenerate: govctl cutover doc health-net --lang {lang} --out {committed.relative_to(ROOT)} --at {NOW.isoformat()}"


def test_doc_cli_writes_markdown_and_docx(inv_dir: Path, tmp_path: Path) -> None:
    md, dx = tmp_path / "x.md", tmp_path / "x.docx"
    for target in (md, dx):
        r = CliRunner().invoke(app, ["cutover", "doc", "health-net", str(inv_dir), "--lang", "en", "--out",
                                     str(target), "--at", NOW.isoformat()])
        assert r.exit_code == 0, r.output
    assert md.read_text(encoding="utf-8").startswith("# Dedicated-network cutover plan: ")
    import docx

    d = docx.Document(str(dx))
    assert any(par.text == "5. Steps" for par in d.paragraphs) and len(d.tables) >= 8
    r = CliRunner().invoke(app, ["cutover", "doc", "health-net", str(inv_dir), "--lang", "fr"])
    assert r.exit_code == 2 and "--lang" in r.output
