"""Assessment rules: DR grade table, placement, platform choice, zombies, score; spreadsheet cells."""
from __future__ import annotations

from datetime import date

import pytest

from govctl.inventory import models as m
from govctl.migration.assess import assess, dr_grade, placement_of, score
from govctl.migration.graph import strongly_connected
from govctl.migration.models import AssessSettings, Placement, ScoreWeights, SystemExtra
from govctl.migration.sources import CellError, SheetLocator, SystemSource, _p_date, _p_level, _p_minutes, _p_size, header_field

AS_OF = date(2026, 11, 25)


@pytest.mark.parametrize(("rto", "rpo", "grade"), [
    (0, 0, 6),  # zero data loss, minutes to recover
    (10, 0, 6),
    (15, 5, 5),  # RPO 0-30 minutes
    (60, 15, 5),
    (240, 120, 4),  # hours
    (720, 240, 3),  # RTO 12 h+, RPO hours
    (1440, 1440, 2),  # the System default: 24 h / 1 day
    (2880, 1440, 1),
    (10080, 10080, 0),  # a week or more: no DR
    (10080, 240, 3),  # RPO sets the grade
    (10080, 60, 5),  # an hour is tighter than "hours": grade 5
])
def test_dr_grade_table(rto: int, rpo: int, grade: int) -> None:
    assert dr_grade(rto, rpo, "GB/T 20988-2025").grade == grade


def test_dr_grade_is_monotonic() -> None:
    values = [0, 1, 5, 15, 30, 60, 120, 240, 720, 1440, 2880, 10080]
    for rto in values:
        for rpo in values:
            g = dr_grade(rto, rpo, "x").grade
            assert dr_grade(rto // 2, rpo, "x").grade >= g  # stricter objectives never lower the grade
            assert dr_grade(rto, rpo // 2, "x").grade >= g


def _sys(**kw: object) -> m.System:
    base = {"id": "s", "name": "S", "department": "finance"}
    return m.System.model_validate({**base, **kw})


def test_placement() -> None:
    assert placement_of(_sys(classification="classified", security_level=4)) == Placement.intranet
    assert placement_of(_sys(security_level=4)) == Placement.off_shared_cloud
    assert placement_of(_sys(classification="sensitive")) == Placement.strong_isolation
    assert placement_of(_sys()) == Placement.standard


def _assess(loaded, systems, extras=None, **settings):  # noqa: ANN001, ANN202
    loc = SheetLocator("t.csv", None, rows={s.id: i + 2 for i, s in enumerate(systems)})
    src = SystemSource("t.csv", systems, extras or {}, loc, "csv")
    return assess(loaded.inventory, src, AssessSettings(as_of=AS_OF, **settings)).by_id()


def test_platform_rules(example_loaded) -> None:
    a = _assess(example_loaded, [
        _sys(id="a", department="finance"),  # provincial department -> provincial platform
        _sys(id="b", department="alpha-edu"),  # city department -> its municipal platform
        _sys(id="c", department="health-comm"),  # has a tenant on the health industry platform
        _sys(id="d", department="beta-hr", security_level=3),  # beta-cloud is level 2 -> provincial
        _sys(id="e", department="health-comm", classification="sensitive"),  # health has no strong plane
        _sys(id="f", department="finance", target_platform="alpha-cloud"),  # written down: kept
    ])
    assert a["a"].platform == "prov"
    assert a["b"].platform == "alpha-cloud"
    assert a["c"].platform == "health" and "tenant" in a["c"].platform_reason
    assert a["d"].platform == "prov" and "level 2" in a["d"].platform_reason
    assert a["e"].platform == "prov" and "strong isolation" in a["e"].platform_reason
    assert a["f"].platform == "alpha-cloud"


def test_industry_platform_by_sector_name(example_loaded) -> None:
    inv = example_loaded.inventory
    dept = m.Department(id="x-health", name="乙市卫生健康委员会", level=m.Tier.city, city="beta")
    inv2 = inv.model_copy(update={"departments": [*inv.departments, dept]})
    loc = SheetLocator("t.csv", None)
    src = SystemSource("t.csv", [_sys(id="h", department="x-health")], {}, loc, "csv")
    a = assess(inv2, src, AssessSettings(as_of=AS_OF)).by_id()
    assert a["h"].platform == "health" and "sector" in a["h"].platform_reason


def test_zombies(example_loaded) -> None:
    systems = [
        _sys(id="old", last_used=date(2025, 6, 1)),  # > 365 days
        _sys(id="quiet", last_used=date(2026, 4, 1)),  # > 180 days, nobody depends on it
        _sys(id="needed", last_used=date(2026, 4, 1)),  # > 180 days but has a dependant
        _sys(id="user", depends_on=["needed"], last_used=date(2026, 11, 20)),
        _sys(id="orphan", last_used=date(2026, 11, 20)),  # owner column empty
        _sys(id="fresh", last_used=date(2026, 11, 20)),
    ]
    extras = {s.id: SystemExtra(owner="张伟") for s in systems} | {"orphan": SystemExtra(owner="")}
    a = _assess(example_loaded, systems, extras)
    assert a["old"].disposition.value == "retire" and "unused since" in a["old"].zombie_reasons[0]
    assert a["quiet"].disposition.value == "retire" and "no dependants" in a["quiet"].zombie_reasons[0]
    assert a["needed"].disposition.value == "migrate"
    assert a["orphan"].zombie_reasons == ("no owner (负责人 empty)",)
    assert a["fresh"].disposition.value == "migrate"
    longer = _assess(example_loaded, systems, extras, zombie_days=900, orphan_days=900)
    assert longer["old"].disposition.value == "migrate" and longer["quiet"].disposition.value == "migrate"


def test_score_weights() -> None:
    easy, _ = score(0, 0, 1, 0, ScoreWeights())
    hard, parts = score(100_000, 10, 4, 6, ScoreWeights())
    assert easy == 0 and hard == pytest.approx(100)
    assert set(parts) == {"size", "deps", "level", "dr"}
    only_size, _ = score(100_000, 0, 1, 0, ScoreWeights(size=1, deps=0, level=0, dr=0))
    assert only_size == pytest.approx(100)
    with pytest.raises(ValueError):
        ScoreWeights(size=0, deps=0, level=0, dr=0)


def test_scc_iterative_on_a_long_chain() -> None:
    n = 50_000  # deeper than Python's recursion limit
    nodes = [f"n{i}" for i in range(n)]
    edges = {f"n{i}": [f"n{i + 1}"] for i in range(n - 1)}
    edges[f"n{n - 1}"] = ["n0"]
    comps = strongly_connected(nodes, edges)
    assert len(comps) == 1 and len(comps[0]) == n


@pytest.mark.parametrize(("cell", "value"), [("三级", 3), ("第三级", 3), ("等保二级", 2), ("4级", 4), (3.0, 3)])
def test_level_cells(cell: object, value: int) -> None:
    assert _p_level(cell) == value


@pytest.mark.parametrize(("cell", "value"), [("4h", 240), ("4小时", 240), ("2天", 2880)])
def test_duration_cells(cell: object, value: int) -> None:
    assert _p_minutes(cell, None, "RTO") == value  # the cell's own unit under a header without one
    assert _p_minutes(str(value)) == value == _p_minutes(value)  # a bare number under RTO(分钟)


def test_other_cells() -> None:
    assert _p_size("1.5TB", None, "数据量") == 1536 and _p_size("512MB", None, "数据量") == 0.5 and _p_size(80) == 80
    assert _p_date("2026年11月20日") == date(2026, 11, 20) == _p_date("2026/11/20")
    for bad, fn in (("六级", _p_level), ("-3", _p_minutes), ("lots", _p_size), ("2026-02-30", _p_date)):
        with pytest.raises(CellError):
            fn(bad)
    assert header_field("数据量（GB）") == "data_gb" and header_field("系统编号 (id)") == "id"
    assert header_field(" RTO(分钟) ") == "rto_minutes" and header_field("颜色") is None
