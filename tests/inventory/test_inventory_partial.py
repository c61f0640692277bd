"""A shape fault in one item does not hide the plans' rules on the others: validation goes on with the
well-formed items, locates every finding where the user wrote it, and does not report references to the
withheld item a second time."""
from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from govctl import cli
from govctl.inventory.validate import validate

EXAMPLE = Path(cli.__file__).resolve().parent / "inventories" / "example"


def _copy(tmp_path: Path) -> Path:
    d = tmp_path / "inv"
    shutil.copytree(EXAMPLE, d, ignore=shutil.ignore_patterns(".govctl"))
    return d


def _edit(path: Path, old: str, new: str) -> int:
    """Replace ``old`` (once) and return the line number of the first changed line."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    edited = text.replace(old, new)
    path.write_text(edited, encoding="utf-8")
    return next(n for n, (a, b) in enumerate(zip(text.splitlines(), edited.splitlines()), 1) if a != b)


def test_rules_still_run_when_an_earlier_tenant_is_malformed(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    tenants = d / "tenants.yaml"
    bad_line = _edit(tenants, "    security_level: 3            # the tenant's 等保 level",
                     "    security_level: 9            # the tenant's 等保 level")
    # the second tenant (file index 1, model index 0 once the first is withheld) breaks SEC-004
    rule_line = _edit(tenants, "    isolation: strong\n", "    isolation: standard\n")
    report = validate(d, "inv")
    found = {(p.file, p.line, p.path, p.rule) for p in report.errors}
    assert ("inv/tenants.yaml", bad_line, "tenants[0].security_level", None) in found
    assert ("inv/tenants.yaml", rule_line, "tenants[1].isolation", "SEC-004") in found, sorted(found)


def test_a_withheld_department_is_not_reported_again_by_its_tenants(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    line = _edit(d / "departments.yaml", "  - id: finance\n    name: 示例省财政厅\n    level: province",
                 "  - id: finance\n    name: 示例省财政厅\n    level: ministry")
    result = CliRunner().invoke(cli.app, ["validate", str(d)])
    text = result.stdout + result.stderr
    assert result.exit_code == 2 and "Traceback" not in text
    assert f"{d}/departments.yaml:{line}: error: departments[3].level" in text
    assert "no such department" not in text  # prov-finance names it: one defect, one message
    errors = [ln for ln in text.splitlines() if ": error" in ln]
    assert len(errors) == 1, errors


def test_a_fault_outside_list_items_still_stops_before_the_rules(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    _edit(d / "extranet.yaml", "\nasn: 64512", "\nasn_typo: 64512")
    report = validate(d, "inv")
    assert report.loaded is None
    assert any(p.file == "inv/extranet.yaml" for p in report.errors)
