"""inventory/rules.py: the distance the DR rule measures, the overlap sweep, and the rule registry."""
from __future__ import annotations

import ipaddress
import itertools
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from govctl import cli
from govctl.inventory import models as m
from govctl.inventory.rules import RULES, distance_km, overlaps
from govctl.inventory.validate import validate

EXAMPLE = Path(cli.__file__).resolve().parent / "inventories" / "example"


def site(lat: float, lon: float, sid: str = "s") -> m.Site:
    return m.Site(id=sid, name=sid, city="c", role=m.SiteRole.regional, operator="o", latitude=lat, longitude=lon)


# ---------------------------------------------------------------- distance


GUANGZHOU = site(23.1291, 113.2644, "guangzhou")
SHANTOU = site(23.3541, 116.6819, "shantou")


def test_guangzhou_to_shantou_matches_the_geodesic_within_2_percent() -> None:
    # Reference: 350.6 km, the WGS84 ellipsoid geodesic (Vincenty's inverse formula) between the two city
    # centres, computed independently of the haversine under test. (Road distance is ~420 km; the
    # often-quoted "about 340 km" is ~3% short of the straight line.)
    assert distance_km(GUANGZHOU, SHANTOU) == pytest.approx(350.6, rel=0.02)


def test_distance_is_symmetric_and_zero_to_itself() -> None:
    assert distance_km(GUANGZHOU, SHANTOU) == pytest.approx(distance_km(SHANTOU, GUANGZHOU))
    assert distance_km(GUANGZHOU, GUANGZHOU) == 0


def test_pole_to_equator_is_a_quarter_meridian() -> None:
    # 10,002 km on the WGS84 ellipsoid; the mean-radius sphere gives 10,007.5 km
    assert distance_km(site(90, 0), site(0, 0)) == pytest.approx(10_002, rel=0.005)


def test_distance_across_the_antimeridian_takes_the_short_way() -> None:
    assert distance_km(site(0, 179.5), site(0, -179.5)) == pytest.approx(111.2, rel=0.01)


def rule_problems(inv: Path, rid: str) -> list[Any]:
    report = validate(inv, "inv")
    return [p for p in report.problems if p.rule == rid]


def with_province_rules(tmp_path: Path, **settings_: Any) -> Path:
    inv = tmp_path / "inv"
    shutil.copytree(EXAMPLE, inv, ignore=shutil.ignore_patterns(".govctl"))
    p = inv / "province.yaml"
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    data["rules"].update(settings_)
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return inv


def example_dr_distance() -> float:
    sites = {s["role"]: s for s in yaml.safe_load((EXAMPLE / "sites.yaml").read_text(encoding="utf-8"))["sites"]}
    a, b = sites["primary"], sites["remote_dr"]
    return distance_km(site(a["latitude"], a["longitude"]), site(b["latitude"], b["longitude"]))


def test_dr_distance_threshold_is_a_parameter(tmp_path: Path) -> None:
    d = example_dr_distance()
    assert rule_problems(with_province_rules(tmp_path / "below", dr_min_distance_km=d - 1), "DR-003") == []
    [p] = rule_problems(with_province_rules(tmp_path / "above", dr_min_distance_km=d + 1), "DR-003")
    assert p.file == "inv/sites.yaml" and p.path.endswith(".latitude") and p.value == f"{d:.0f} km"
    assert f"expected at least {d + 1:.0f} km" in p.message


def test_disabled_rules_are_not_checked(tmp_path: Path) -> None:
    inv = with_province_rules(tmp_path, dr_min_distance_km=10_000)
    assert rule_problems(inv, "DR-003")
    inv2 = with_province_rules(tmp_path / "off", dr_min_distance_km=10_000, disabled=["DR-003"])
    report = validate(inv2, "inv")
    assert not [p for p in report.problems if p.rule == "DR-003"] and not report.errors


def test_the_bundled_example_breaks_no_error_rule() -> None:
    report = validate(EXAMPLE, "inventories/example")
    assert report.errors == []
    assert {p.rule for p in report.warnings} <= {r.id for r in RULES if r.severity == "warning"} | {None}


# ---------------------------------------------------------------- overlap sweep


def nets(*prefixes: str) -> list[tuple[Any, tuple]]:
    return [(ipaddress.ip_network(p), ("tenant", f"t{i}", ())) for i, p in enumerate(prefixes)]


def pairs(*prefixes: str) -> set[frozenset[str]]:
    return {frozenset((str(a[0]), str(b[0]))) for a, b in overlaps(nets(*prefixes))}


def test_nested_prefixes_overlap() -> None:
    assert pairs("198.51.100.0/24", "198.51.100.64/26") == {frozenset(("198.51.100.0/24", "198.51.100.64/26"))}


def test_nested_at_the_same_start_overlap_in_either_order() -> None:
    assert pairs("198.51.100.0/26", "198.51.100.0/24") == pairs("198.51.100.0/24", "198.51.100.0/26") != set()


def test_adjacent_prefixes_do_not_overlap() -> None:
    assert pairs("198.51.100.0/25", "198.51.100.128/25", "203.0.113.0/31", "203.0.113.2/31") == set()
    assert pairs("2001:db8::/64", "2001:db8:0:1::/64") == set()


def test_duplicate_prefix_overlaps_itself_once() -> None:
    found = list(overlaps(nets("203.0.113.0/28", "203.0.113.0/28")))
    assert len(found) == 1
    later, earlier = found[0]
    assert later[0] == earlier[0] and later[1] != earlier[1]


def test_ipv4_and_ipv6_never_overlap() -> None:
    assert pairs("0.0.0.0/0", "::/0") == set()
    assert pairs("198.51.100.0/24", "::ffff:198.51.100.0/120", "2001:db8::/32") == set()


def test_a_big_prefix_is_found_overlapping_every_small_one_inside() -> None:
    found = pairs("198.51.100.0/24", "198.51.100.0/26", "198.51.100.64/26", "198.51.100.128/25", "203.0.113.0/24")
    involved = set().union(*found)
    assert involved == {"198.51.100.0/24", "198.51.100.0/26", "198.51.100.64/26", "198.51.100.128/25"}


V4 = st.builds(lambda host, length: ipaddress.ip_network(f"198.51.100.{host}/{length}", strict=False),
               st.integers(0, 255), st.integers(24, 32))
V6 = st.builds(lambda host, length: ipaddress.ip_network(((0x20010DB8 << 96) | (host << 64), length), strict=False),
               st.integers(0, 255), st.integers(56, 64))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(V4, V6), max_size=12))
def test_sweep_agrees_with_brute_force(prefixes: list[Any]) -> None:
    items = [(n, ("x", str(i), ())) for i, n in enumerate(prefixes)]
    found = list(overlaps(items))
    for a, b in found:  # every reported pair really overlaps, same family, two different entries
        assert a[0].version == b[0].version and a[0].overlaps(b[0]) and a[1] != b[1]
    truly = {i for i, j in itertools.combinations(range(len(items)), 2)
             if items[i][0].version == items[j][0].version and items[i][0].overlaps(items[j][0])
             for i in (i, j)}
    reported = {int(x[1][1]) for pair in found for x in pair}
    assert reported == truly  # every prefix in some overlap is named, and no other


# ---------------------------------------------------------------- the registry


def test_rule_ids_are_unique_and_well_formed() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]*-\d{3}", i) for i in ids)


def test_every_rule_has_a_title_a_source_and_a_severity() -> None:
    for r in RULES:
        assert r.title and r.source and r.severity in ("error", "warning"), r.id
        assert any(k in r.source for k in ("seed", "GB/T", "RFC", "Neutron")), r.id


def test_progress_rules_warn_and_the_rest_fail() -> None:
    # progress towards the plan (coverage, dual-stack) and a capacity the documentation ranges cannot meet
    assert {r.id for r in RULES if r.severity == "warning"} == {"NET-006", "V6-001", "V6-002", "ADDR-004"}
