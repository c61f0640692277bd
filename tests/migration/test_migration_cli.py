"""`govctl migrate ...` and `govctl report` through the CLI: good runs, and bad input -> exit 2, nothing written."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from migration_sheets import write_csv
from typer.testing import CliRunner

from govctl.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventories" / "example"
XLSX = ROOT / "migration" / "examples" / "systems.xlsx"
CSV = ROOT / "migration" / "examples" / "systems.csv"
AS_OF = ["--as-of", "2026-11-25"]

runner = CliRunner()


def run(*args: str):  # noqa: ANN201
    return runner.invoke(app, [str(a) for a in args])


def _snapshot(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir()) if p.is_file()}


@pytest.fixture
def inv_copy(tmp_path: Path) -> Path:
    target = tmp_path / "inv"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".govctl"))
    return target


# ---------------------------------------------------------------- good runs


def test_assess_json_example() -> None:
    r = run("migrate", "assess", *AS_OF, "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    by = {s["id"]: s for s in data["systems"]}
    assert by["case-files"]["placement"] == "intranet" and by["case-files"]["platform"] is None
    assert by["health-records"]["placement"] == "strong_isolation"
    assert by["old-portal"]["disposition"] == "retire"
    assert by["oa"]["platform"] == "prov" and by["oa"]["dr_grade"] == 5


def test_waves_out_writes_runbooks_and_a_valid_candidate_inventory(tmp_path: Path, inv_copy: Path) -> None:
    out = tmp_path / "plan"
    before = _snapshot(inv_copy)
    r = run("migrate", "waves", inv_copy, *AS_OF, "--out", out)
    assert r.exit_code == 0, r.output
    assert (out / "waves.md").exists() and (out / "wave-01" / "runbook.md").exists()
    changes = yaml.safe_load((out / "wave-01" / "changes.yaml").read_text(encoding="utf-8"))
    assert {c["tenant"] for c in changes["tenants"]} == {"prov-gov-office", "prov-health-comm-sec"}
    assert _snapshot(inv_copy) == before, "--out must not touch the inventory"
    v = run("validate", out / "inventory")
    assert v.exit_code == 0, v.output
    tenants = yaml.safe_load((out / "inventory" / "tenants.yaml").read_text(encoding="utf-8"))["tenants"]
    office = next(t for t in tenants if t["id"] == "prov-gov-office")
    assert office["quotas"]["cores"] == 64 + 2 * 8  # two systems at the default sizing
    # running twice gives the same files (idempotent, deterministic)
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert run("migrate", "waves", inv_copy, *AS_OF, "--out", out).exit_code == 0
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == first


def test_waves_write_applies_in_place_and_stays_valid(inv_copy: Path) -> None:
    r = run("migrate", "waves", inv_copy, *AS_OF, "--write")
    assert r.exit_code == 0, r.output
    systems = yaml.safe_load((inv_copy / "systems.yaml").read_text(encoding="utf-8"))["systems"]
    assert next(s for s in systems if s["id"] == "idm")["target_platform"] == "prov"
    assert "target_platform" not in next(s for s in systems if s["id"] == "case-files")
    assert run("validate", inv_copy).exit_code == 0


def test_tenant_set_member_is_written_out_when_it_changes(tmp_path: Path, inv_copy: Path) -> None:
    """A system of alpha-edu raises tenant alpha-cloud-edu, which comes from a tenant_set."""
    (inv_copy / "systems.yaml").write_text(yaml.safe_dump({"systems": [
        {"id": "school", "name": "学籍管理系统", "department": "alpha-edu", "data_gb": 300}]}), encoding="utf-8")
    out = tmp_path / "plan"
    r = run("migrate", "waves", inv_copy, *AS_OF, "--out", out)
    assert r.exit_code == 0, r.output
    data = yaml.safe_load((out / "inventory" / "tenants.yaml").read_text(encoding="utf-8"))
    ids = {t["id"] for t in data["tenants"]}
    assert {"alpha-cloud-edu", "beta-cloud-edu"} <= ids  # taken out of the set on every municipal platform
    assert all("edu" not in ts["departments"] for ts in data.get("tenant_sets", []))
    assert run("validate", out / "inventory").exit_code == 0


def test_record_status_and_report(inv_copy: Path, tmp_path: Path) -> None:
    assert run("migrate", "record", "idm", "started", inv_copy, "--wave", "1").exit_code == 0
    r = run("migrate", "record", "idm", "migrated", inv_copy, "--wave", "1", "--by", "ops")
    assert r.exit_code == 0, r.output
    bad = run("migrate", "record", "idm", "started", inv_copy)
    assert bad.exit_code == 2 and "migrated" in bad.output
    assert run("migrate", "record", "case-files", "migrated", inv_copy).exit_code == 2
    st = json.loads(run("migrate", "status", inv_copy, "--json").stdout)
    assert st["by_status"]["migrated"] == 1 and st["journal_entries"] == 2
    chart = tmp_path / "r.svg"
    rep = run("report", inv_copy, *AS_OF, "--json", "--chart", chart)
    assert rep.exit_code == 0, rep.output
    metrics = {mt["key"]: mt for mt in json.loads(rep.stdout)["metrics"]}
    assert metrics["systems_on_cloud"]["done"] == 1 and metrics["systems_on_cloud"]["total"] == 4
    assert metrics["extranet_nodes_ipv6"]["met"] is False
    assert chart.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    # the journal now says idm is migrated: the plan no longer moves it
    w = json.loads(run("migrate", "waves", inv_copy, *AS_OF, "--json").stdout)
    assert "idm" not in [mv["system"] for wave in w["waves"] for mv in wave["moves"]]


def test_report_png_and_detailed_exitcode(tmp_path: Path) -> None:
    png = tmp_path / "r.png"
    r = run("report", *AS_OF, "--chart", png, "--detailed-exitcode")
    assert r.exit_code == 3  # the example misses some targets
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_committed_xlsx_example_runs_through() -> None:
    for cmd in (["migrate", "assess"], ["migrate", "waves"], ["report"]):
        r = run(*cmd, "--systems", XLSX, *AS_OF, "--json")
        assert r.exit_code == 0, r.output
    a = json.loads(run("migrate", "assess", "--systems", XLSX, *AS_OF, "--json").stdout)
    assert any("no owner" in z for s in a["systems"] for z in s["zombie_reasons"])


def test_export_import_round_trip(tmp_path: Path, inv_copy: Path) -> None:
    for suffix in (".xlsx", ".csv"):
        sheet = tmp_path / f"s{suffix}"
        assert run("migrate", "export", inv_copy, "--out", sheet, "--lang", "zh").exit_code == 0
        out = tmp_path / f"s{suffix}.yaml"
        r = run("migrate", "import", sheet, inv_copy, "--out", out)
        assert r.exit_code == 0, r.output
        original = yaml.safe_load((EXAMPLE / "systems.yaml").read_text(encoding="utf-8"))["systems"]
        again = yaml.safe_load(out.read_text(encoding="utf-8"))["systems"]
        from govctl.inventory.models import System
        assert [System.model_validate(s) for s in again] == [System.model_validate(s) for s in original]


# ---------------------------------------------------------------- bad input: exit 2, nothing written


def _refused(r, *needles: str) -> None:  # noqa: ANN001
    assert r.exit_code == 2, r.output
    for n in needles:
        assert n in r.output, f"{n!r} not in:\n{r.output}"


def test_unknown_and_missing_columns(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "a.csv", ["系统编号", "系统名称", "颜色"], [["x", "X", "red"]])
    r = run("migrate", "assess", "--systems", f)
    _refused(r, "row 1, column C", "unknown column", "颜色", "required column missing: 所属部门 (department)")


def test_duplicate_ids_in_xlsx_name_sheet_row_column(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "系统清单"
    ws.append(["系统编号 (id)", "系统名称 (name)", "所属部门 (department)", "等保级别"])
    ws.append(["oa", "协同办公", "gov-office", "三级"])
    ws.append(["oa", "协同办公二期", "示例省财政厅", 2])
    ws.append(["web", "门户", "nobody", "六级"])
    path = tmp_path / "s.xlsx"
    wb.save(path)
    out = tmp_path / "plan"
    r = run("migrate", "waves", "--systems", path, "--out", out)
    _refused(r, "sheet '系统清单', row 3, column A (系统编号 (id))", "duplicate system id (first in row 2)",
             "row 4, column C", "no such department", "row 4, column D", "a 等保 level is 1 to 5")
    assert not out.exists()


def test_dangling_dependency_and_bad_cells(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "d.csv", ["id", "name", "department", "depends_on", "last_used", "data_gb"],
                  [["a", "A", "finance", "ghost", "2026-13-01", "1.5TB"], ["b", "B", "finance", "a", "", "x"]])
    r = run("migrate", "assess", "--systems", f)
    _refused(r, "d.csv:2", "column E (last_used)", "not a real date", "d.csv:3", "column F (data_gb)")
    f2 = write_csv(tmp_path / "e.csv", ["id", "name", "department", "depends_on"],
                   [["a", "A", "finance", "ghost, b"], ["b", "B", "finance", ""]])
    _refused(run("migrate", "assess", "--systems", f2), "row 2, column D (depends_on)",
             "depends on a system that does not exist", "ghost")


def test_cycle_through_classified_system(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump({"systems": [
        {"id": "a", "name": "A", "department": "finance", "depends_on": ["b"]},
        {"id": "b", "name": "B", "department": "public-security", "classification": "classified",
         "depends_on": ["a"]},
    ]}), encoding="utf-8")
    _refused(run("migrate", "waves", "--systems", f), "s.yaml:", "systems[1].depends_on",
             "dependency cycle through classified system 'b'")


def test_classified_system_marked_migrated_in_a_sheet(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "c.csv", ["id", "name", "department", "密级", "状态"],
                  [["a", "A", "finance", "涉密", "已迁移"]])
    _refused(run("migrate", "assess", "--systems", f), "column E (状态)", "never moves to the shared cloud")


def test_wave_limit_smaller_than_largest_system(tmp_path: Path, inv_copy: Path) -> None:
    out = tmp_path / "plan"
    before = _snapshot(inv_copy)
    r = run("migrate", "waves", inv_copy, *AS_OF, "--window-hours", "1", "--out", out, "--write")
    _refused(r, "systems.yaml:", "systems[2].data_gb", "health-records", "12,000 GB", "--window-hours to at least 4",
             "nothing written")
    assert not out.exists()
    assert _snapshot(inv_copy) == before


def test_cycle_bigger_than_max_per_wave(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "c.csv", ["id", "name", "department", "depends_on"],
                  [["a", "A", "finance", "b"], ["b", "B", "finance", "a"]])
    _refused(run("migrate", "waves", "--systems", f, *AS_OF, "--max-per-wave", "1"),
             "c.csv:2", "cycle of 2 systems (a, b)", "--max-per-wave is 1")


def test_duplicate_ids_in_the_inventory(inv_copy: Path) -> None:
    text = (inv_copy / "systems.yaml").read_text(encoding="utf-8")
    (inv_copy / "systems.yaml").write_text(text + "  - {id: oa, name: dup, department: finance}\n", encoding="utf-8")
    _refused(run("migrate", "assess", inv_copy), "systems.yaml:")


def test_bad_flags(tmp_path: Path) -> None:
    _refused(run("migrate", "waves", "--weights", "size=abc"), "--weights")
    _refused(run("migrate", "waves", "--weights", "colour=1"), "--weights")
    _refused(run("migrate", "waves", "--sizing", "cores=-1"), "--sizing: cores")
    _refused(run("report", "--chart", tmp_path / "x.gif"), ".png or .svg")
    _refused(run("migrate", "assess", "--systems", tmp_path / "none.xlsx"), "no such file")
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    _refused(run("migrate", "assess", "--systems", tmp_path / "bad.xlsx"), "not a readable .xlsx")
    _refused(run("migrate", "assess", "--systems", XLSX, "--sheet", "nope"), "no sheet 'nope'")
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "mine.txt").write_text("x")
    _refused(run("migrate", "waves", "--out", keep), "was not written by govctl")
    assert (keep / "mine.txt").exists()


def test_bad_journal_line(inv_copy: Path) -> None:
    (inv_copy / "migration-journal.jsonl").write_text('{"system": "oa"}\n', encoding="utf-8")
    _refused(run("migrate", "status", inv_copy), "migration-journal.jsonl:1")


def test_gbk_semicolon_csv_from_a_spreadsheet_program(tmp_path: Path) -> None:
    f = tmp_path / "gbk.csv"
    f.write_bytes("系统编号;系统名称;所属部门;等保级别;RTO\r\nhr;人事管理;示例省财政厅;二级;4小时\r\n"
                  .encode("gb18030"))
    r = run("migrate", "assess", "--systems", f, *AS_OF, "--json")
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)["systems"][0]
    assert (s["department"], s["security_level"], s["rto_minutes"]) == ("finance", 2, 240)


def test_through_beyond_the_plan_and_import_write(inv_copy: Path, tmp_path: Path) -> None:
    before = _snapshot(inv_copy)
    _refused(run("migrate", "waves", inv_copy, *AS_OF, "--through", "5", "--write"), "--through 5", "only 1 wave")
    assert _snapshot(inv_copy) == before
    sheet = write_csv(tmp_path / "n.csv", ["id", "name", "department"], [["crm", "客户管理", "finance"]])
    r = run("migrate", "import", sheet, inv_copy, "--write")
    assert r.exit_code == 0, r.output
    assert "crm" in (inv_copy / "systems.yaml").read_text(encoding="utf-8")
    assert run("validate", inv_copy).exit_code == 0


def test_title_row_above_the_header(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "系统清单"
    ws.append(["示例省政务信息系统清单（2026年）"])
    ws.merge_cells("A1:D1")
    ws.append([])
    ws.append(["系统编号", "系统名称", "所属部门", "数据量"])
    ws.append(["crm", "客户管理", "finance", "2TB"])
    ws.append(["crm", "客户管理二期", "finance", "5GB"])
    path = tmp_path / "t.xlsx"
    wb.save(path)
    _refused(run("migrate", "assess", "--systems", path), "row 5, column A (系统编号)", "first in row 4")


def test_standalone_yaml_may_carry_owner(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("systems:\n  - {id: a, name: A, department: finance, owner: 张伟, users: 30}\n"
                 "  - {id: b, name: B, department: finance, owner: ''}\n", encoding="utf-8")
    data = json.loads(run("migrate", "assess", "--systems", f, *AS_OF, "--json").stdout)
    by = {s["id"]: s for s in data["systems"]}
    assert by["a"]["owner"] == "张伟" and by["a"]["zombie_reasons"] == []
    assert by["b"]["zombie_reasons"] == ["no owner (负责人 empty)"]
    f.write_text("systems:\n  - {id: a, name: A, department: finance, users: many}\n", encoding="utf-8")
    _refused(run("migrate", "assess", "--systems", f), "s.yaml:2", "systems[0].users")
