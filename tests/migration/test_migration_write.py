"""Commands that edit inventory files keep them: `migrate waves --write`, `migrate import --write`,
`ipv6 plan --write`, `init` (round-trip YAML, one value one line, nothing written when invalid)."""
from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govctl.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventories" / "example"
AS_OF = ["--as-of", "2026-11-25"]


def run(*args: object):  # noqa: ANN201
    return CliRunner().invoke(app, [str(a) for a in args])


def _diff(a: str, b: str) -> list[str]:
    return [line for line in difflib.unified_diff(a.splitlines(), b.splitlines(), n=0, lineterm="")
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    target = tmp_path / "inv"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".govctl"))
    return target


def test_waves_write_keeps_comments_and_layout(inv: Path) -> None:
    tenants0 = (inv / "tenants.yaml").read_text(encoding="utf-8")
    systems0 = (inv / "systems.yaml").read_text(encoding="utf-8")
    r = run("migrate", "waves", inv, *AS_OF, "--write")
    assert r.exit_code == 0, r.output
    tenants1 = (inv / "tenants.yaml").read_text(encoding="utf-8")
    systems1 = (inv / "systems.yaml").read_text(encoding="utf-8")
    # systems.yaml: only the planned systems' target_platform lines are added, nothing removed
    assert [d for d in _diff(systems0, systems1) if d.startswith("-")] == []
    assert all(d.startswith("+    target_platform: ") for d in _diff(systems0, systems1))
    # tenants.yaml: every comment line and commented line of the original is still there
    removed = [d[1:] for d in _diff(tenants0, tenants1) if d.startswith("-")]
    assert all("#" not in line for line in removed), removed
    assert all(line.strip().split(":")[0] in ("cores", "ram_gb", "instances", "volume_gb", "volumes")
               for line in removed), removed
    assert tenants1.startswith("# Tenants: one per department and platform")
    assert run("validate", inv).exit_code == 0


def test_one_quota_change_is_one_line(inv: Path, tmp_path: Path) -> None:
    """The issue's case: one system on an existing tenant raises one quota -> one changed line."""
    sheet = tmp_path / "one.csv"
    sheet.write_text("id,name,department,data_gb,rto_minutes,rpo_minutes,last_used\n"
                     "oa2,办公二期,gov-office,0,1440,1440,2026-11-24\n", encoding="utf-8")
    tenants0 = (inv / "tenants.yaml").read_text(encoding="utf-8")
    r = run("migrate", "waves", inv, "--systems", sheet, *AS_OF, "--write",
            "--sizing", "cores=8,ram_gb=0,instances=0,volumes=0")
    assert r.exit_code == 0, r.output
    assert _diff(tenants0, (inv / "tenants.yaml").read_text(encoding="utf-8")) == [
        "-      cores: 64", "+      cores: 72"]


def test_ipv6_plan_write_keeps_comments(inv: Path) -> None:
    path = inv / "ipv6-allocations.yaml"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    pins = [i for i, line in enumerate(lines) if line.startswith("  ") and ": " in line]
    leaf = [i for i in pins if "/app:" in lines[i]][1]  # a subnet pin: deleting it re-pins the same prefix
    dropped = lines[leaf]
    lines[pins[1]] = lines[pins[1]].rstrip("\n") + "   # checked with the NOC\n"
    del lines[leaf]
    path.write_text("".join(lines), encoding="utf-8")
    r = run("ipv6", "plan", inv, "--write")
    assert r.exit_code == 0, r.output
    after = path.read_text(encoding="utf-8")
    assert "# checked with the NOC" in after
    assert _diff("".join(lines), after) == ["+" + dropped.rstrip("\n")]  # re-pinned where it was


def test_init_edits_only_the_province_values(tmp_path: Path) -> None:
    r = run("init", "hubei", tmp_path / "hubei", "--name", "湖北省")
    assert r.exit_code == 0, r.output
    src = (ROOT / "inventories" / "example" / "province.yaml").read_text(encoding="utf-8")
    new = (tmp_path / "hubei" / "province.yaml").read_text(encoding="utf-8")
    changed = _diff(src, new)
    assert len(changed) == 6 and all("#" in line for line in changed)  # comments kept on the changed lines
    assert "+id: hubei" in changed[3] and "湖北省数字政府" in new


def test_import_write_edits_systems_yaml_entry_by_entry(inv: Path, tmp_path: Path) -> None:
    """Export, change one cell, import --write: one changed line in systems.yaml, comments kept."""
    sheet = tmp_path / "s.csv"
    assert run("migrate", "export", inv, "--out", sheet, "--lang", "zh").exit_code == 0
    before = (inv / "systems.yaml").read_text(encoding="utf-8")
    r = run("migrate", "import", sheet, inv, "--write")
    assert r.exit_code == 0, r.output
    assert (inv / "systems.yaml").read_text(encoding="utf-8") == before  # the same data: not a byte changed
    text = sheet.read_text(encoding="utf-8").replace("协同办公系统", "协同办公系统（二期）")
    sheet.write_text(text, encoding="utf-8")
    assert run("migrate", "import", sheet, inv, "--write").exit_code == 0
    changed = _diff(before, (inv / "systems.yaml").read_text(encoding="utf-8"))
    assert len(changed) == 2 and "name: 协同办公系统（二期）" in changed[1] and changed[1].endswith("# its name")
