"""Every bundled inventory validates, has its IPv6 plan pinned, and says what its seed plan says.

The inventories are discovered, not listed: a new directory under inventories/ is
checked by the generic tests at once; the seed facts below pin the provinces'
real numbers so an edit that loses a city or a target fails here.
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest

from govctl.inventory import models as m
from govctl.inventory.rules import distance_km
from govctl.inventory.validate import Report, validate
from govctl.ipv6.models import Ipv6Plan
from govctl.ipv6.planner import plan

ROOT = Path(__file__).resolve().parents[2] / "inventories"
BUNDLED = sorted(p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith("."))
SEED_INVENTORIES = ["guangdong", "hubei", "guangxi", "hunan", "nanchang"]


@lru_cache(maxsize=None)
def report(name: str) -> Report:
    return validate(ROOT / name, f"inventories/{name}")


def inventory(name: str) -> m.Inventory:
    r = report(name)
    assert r.loaded is not None, "\n".join(p.render() for p in r.problems)
    return r.loaded.inventory


@lru_cache(maxsize=None)
def ipv6_plan(name: str) -> Ipv6Plan:
    return plan(inventory(name))


def sites_by_role(inv: m.Inventory, role: m.SiteRole) -> list[m.Site]:
    return [s for s in inv.sites.sites if s.role == role]


def platforms_of(inv: m.Inventory, kind: m.PlatformKind) -> list[m.Platform]:
    return [p for p in inv.platforms if p.kind == kind]


def tiers(inv: m.Inventory) -> Counter[m.Tier]:
    return Counter(inv.divisions().values())


# ---------------------------------------------------------------- every inventory


def test_the_seed_inventories_are_bundled():
    assert {"example", *SEED_INVENTORIES} <= set(BUNDLED)


@pytest.mark.parametrize("name", BUNDLED)
def test_validates_without_errors(name):
    r = report(name)
    assert r.loaded is not None and not r.errors, "\n".join(p.render() for p in r.errors)


@pytest.mark.parametrize("name", BUNDLED)
def test_ipv6_pins_are_up_to_date(name):
    p = ipv6_plan(name)
    new = [a.key for a in p.new]
    assert not new, (f"{len(new)} allocation(s) not pinned, e.g. {new[:5]}: "
                     f"run `govctl ipv6 plan inventories/{name} --write`")
    assert not p.stale, f"pins of things no longer in the inventory: {sorted(p.stale)[:5]}"


@pytest.mark.parametrize("name", BUNDLED)
def test_every_division_has_an_extranet_node(name):
    assert not [p for p in report(name).warnings if p.rule == "NET-006"]


@pytest.mark.parametrize("name", BUNDLED)
def test_remote_dr_is_at_least_the_rule_distance_from_the_primary(name):
    inv = inventory(name)
    primary = sites_by_role(inv, m.SiteRole.primary)
    assert len(primary) == 1
    for dr in sites_by_role(inv, m.SiteRole.remote_dr):
        assert distance_km(primary[0], dr) >= inv.province.rules.dr_min_distance_km, dr.id


@pytest.mark.parametrize("name", SEED_INVENTORIES)
def test_some_things_are_not_yet_dual_stack_for_the_progress_report(name):
    rules = Counter(p.rule for p in report(name).warnings)
    assert rules["V6-001"] >= 1 and rules["V6-002"] >= 1


# ---------------------------------------------------------------- seed 002: Guangdong


def test_guangdong_1_n_m_with_21_cities_121_counties_and_1600_towns():
    inv = inventory("guangdong")
    t = tiers(inv)
    assert t[m.Tier.city] == 21
    assert t[m.Tier.county] in (121, 122)  # 121 when the plan was written; 深圳光明区 since September 2018
    assert t[m.Tier.town] == 1600
    assert len(platforms_of(inv, m.PlatformKind.provincial)) == 1
    assert len(platforms_of(inv, m.PlatformKind.industry)) >= 2
    municipal = platforms_of(inv, m.PlatformKind.municipal)
    assert sorted(p.city for p in municipal) == sorted(c.id for c in inv.province.cities)
    assert 1650 <= len(inv.nodes) <= 1850  # "about 1,750 extranet nodes"
    assert 900 <= len(inv.tenants) <= 1100  # "~1,000 tenants"


def test_guangdong_two_sites_three_centres():
    inv = inventory("guangdong")
    (primary,) = sites_by_role(inv, m.SiteRole.primary)
    (same_city,) = sites_by_role(inv, m.SiteRole.same_city)
    (dr,) = sites_by_role(inv, m.SiteRole.remote_dr)
    assert primary.city == same_city.city == "guangzhou"
    assert distance_km(primary, dr) >= 200
    pair = [lk for lk in inv.sites.links if {lk.a, lk.b} == {primary.id, same_city.id}]
    assert sum(lk.count for lk in pair if lk.gbps >= 10) >= 2  # 双10G


def test_guangdong_bandwidth_tiers_dual_core_and_multi_line_bgp():
    inv = inventory("guangdong")
    rules = inv.province.rules
    assert rules.tier_bandwidth_mbps == {m.Tier.city: 10_000, m.Tier.county: 1_000, m.Tier.town: 100}
    per_city = Counter(n.division for n in inv.nodes if n.tier == m.Tier.city)
    assert set(per_city.values()) == {2}
    assert sum(1 for n in inv.nodes if n.tier == m.Tier.province and n.role == m.NodeRole.core) == 2
    (egress,) = inv.egress
    assert egress.level == m.Tier.province and len({c.asn for c in egress.carriers}) >= 2


# ---------------------------------------------------------------- seed 000: Hubei


def test_hubei_1_n_17_on_chutianyun():
    inv = inventory("hubei")
    names = {c.name for c in inv.province.cities}
    assert len(names) == 17
    assert {"恩施土家族苗族自治州", "仙桃市", "潜江市", "天门市", "神农架林区", "武汉市"} <= names
    assert len(platforms_of(inv, m.PlatformKind.municipal)) == 17
    (prov,) = platforms_of(inv, m.PlatformKind.provincial)
    assert "楚天云" in prov.name
    assert all(prov.id in p.federates_with for p in inv.platforms if p is not prov)
    assert tiers(inv)[m.Tier.county] == 99  # under the 13 prefectures; the 4 directly administered have none


# ---------------------------------------------------------------- seed 001: Guangxi


def test_guangxi_14_cities_and_remote_dr_in_guilin_and_wuzhou():
    inv = inventory("guangxi")
    t = tiers(inv)
    assert t[m.Tier.city] == 14 and t[m.Tier.county] == 111
    assert all(m.towns_of(k) for c in inv.province.cities for k in c.counties)  # region-city-county-town
    (primary,) = sites_by_role(inv, m.SiteRole.primary)
    assert primary.city == "nanning"
    assert sorted(s.city for s in sites_by_role(inv, m.SiteRole.remote_dr)) == ["guilin", "wuzhou"]
    (prov,) = platforms_of(inv, m.PlatformKind.provincial)
    site_role = {s.id: s.role for s in inv.sites.sites}
    assert Counter(site_role[r.site] for r in prov.openstack.regions)[m.SiteRole.remote_dr] == 2


# ---------------------------------------------------------------- seed 003: Hunan


def test_hunan_targets_and_data_meet_them():
    inv = inventory("hunan")
    tg = inv.province.targets
    assert (tg.dedicated_networks_integrated, tg.provincial_departments_on_cloud, tg.city_departments_on_cloud) == \
        (0.95, 0.70, 0.80)
    on = {(t.department, t.platform) for t in inv.tenants}
    prov = [d for d in inv.departments if d.level == m.Tier.province]
    city = [d for d in inv.departments if d.level == m.Tier.city]
    assert sum((d.id, "hn-prov") in on for d in prov) / len(prov) >= 0.70
    assert sum((d.id, f"{d.city}-cloud") in on for d in city) / len(city) >= 0.80


def test_hunan_one_egress_per_level_of_government():
    inv = inventory("hunan")
    assert set(inv.province.rules.egress_levels) == {m.Tier.province, m.Tier.city, m.Tier.county}
    per_division = Counter(e.division for e in inv.egress)
    divisions = inv.divisions()
    wanted = [d for d, tier in divisions.items() if tier != m.Tier.town]
    assert all(per_division[d] == 1 for d in wanted) and len(inv.egress) == len(wanted) == 1 + 14 + 122


def test_hunan_carrier_dc_same_city_active_active_and_dr_outside_changsha():
    inv = inventory("hunan")
    (primary,) = sites_by_role(inv, m.SiteRole.primary)
    (active,) = sites_by_role(inv, m.SiteRole.same_city)
    (dr,) = sites_by_role(inv, m.SiteRole.remote_dr)
    assert primary.city == active.city == "changsha" and primary.operator == "中国移动"  # 省移动机房
    assert dr.city != "changsha"
    assert not platforms_of(inv, m.PlatformKind.industry)  # 省、市两级云平台 only


# ---------------------------------------------------------------- seed 004: the Jiangxi city (南昌)


def test_nanchang_one_centre_all_departments_on_it_and_every_town_connected():
    inv = inventory("nanchang")
    assert [c.name for c in inv.province.cities] == ["南昌市"]
    assert "湾里管理局" in {k.name for k in inv.province.cities[0].counties}
    assert [s.role for s in inv.sites.sites].count(m.SiteRole.primary) == 1
    assert not sites_by_role(inv, m.SiteRole.remote_dr) and "DR-001" in inv.province.rules.disabled
    (city_cloud,) = platforms_of(inv, m.PlatformKind.municipal)
    hosted = {t.department for t in inv.tenants if t.platform == city_cloud.id}
    assert {d.id for d in inv.departments if d.level in (m.Tier.city, m.Tier.county)} <= hosted
    towns = {d for d, tier in inv.divisions().items() if tier == m.Tier.town}
    assert towns and towns <= {n.division for n in inv.nodes}
