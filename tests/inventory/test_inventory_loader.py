"""inventory/loader.py: compact forms expand into plain objects that remember where they were written,
and pydantic's errors come back as problems located on the user's file, line and key path."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from govctl import cli
from govctl.inventory import models as m
from govctl.core.errors import Problem
from govctl.inventory.errors import InventoryInvalid
from govctl.inventory.loader import load, load_partial

EXAMPLE = Path(cli.__file__).resolve().parent / "inventories" / "example"


def copy_example(tmp_path: Path, **edits: Callable[[Any], Any]) -> Path:
    """A copy of the example with structural edits: file stem (dashes as '_') -> function(data)."""
    inv = tmp_path / "inv"
    shutil.copytree(EXAMPLE, inv, ignore=shutil.ignore_patterns(".govctl"))
    for stem, edit in edits.items():
        p = inv / f"{stem.replace('_allocations', '-allocations')}.yaml"
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
        new = edit(data)
        p.write_text(yaml.safe_dump(data if new is None else new, allow_unicode=True, sort_keys=False),
                     encoding="utf-8")
    return inv


def raw(name: str) -> Any:
    return yaml.safe_load((EXAMPLE / name).read_text(encoding="utf-8"))


def problems_of(inv: Path) -> list[Problem]:
    with pytest.raises(InventoryInvalid) as exc:
        load(inv, "inv")
    return exc.value.problems


# ---------------------------------------------------------------- expansion of the bundled example


@pytest.fixture(scope="module")
def example() -> Any:
    return load(EXAMPLE, "inventories/example")


def test_towns_by_count_are_numbered_and_named_after_their_county(example: Any) -> None:
    divisions = example.inventory.divisions()
    province = raw("province.yaml")
    checked = 0
    for city in province["cities"]:
        # towns hang off a county, or directly off a city that has no counties (东莞, 中山)
        for base, towns in [(f"{city['id']}/{k['id']}", k.get("towns", [])) for k in city.get("counties", [])] + \
                           [(city["id"], city.get("towns", []))]:
            made = sorted(d for d, tier in divisions.items() if tier == m.Tier.town and d.rsplit("/", 1)[0] == base)
            if isinstance(towns, dict):
                assert made == [f"{base}/town{n:02d}" for n in range(1, towns["count"] + 1)]
            else:
                assert made == sorted(f"{base}/{t['id']}" for t in towns)
            checked += len(made)
    assert checked == sum(1 for t in divisions.values() if t == m.Tier.town) > 0
    west = next(k for c in example.inventory.province.cities for k in c.counties if k.id == "west")
    assert [t.name for t in m.towns_of(west)] == [f"{west.name}乡镇{n}" for n in (1, 2, 3)]
    north = next(k for c in example.inventory.province.cities for k in c.counties if k.id == "north")
    assert m.towns_of(north)[0].name == f"{north.name}镇1"  # name_prefix


@pytest.mark.parametrize(("count", "first", "last"), [(0, None, None), (9, "town01", "town09"),
                                                      (100, "town001", "town100"), (999, "town001", "town999")])
def test_town_count_ids_are_zero_padded_to_sort(count: int, first: str | None, last: str | None) -> None:
    towns = m.towns_of(m.County(id="c", name="C", towns=m.TownCount(count=count)))
    assert len(towns) == count
    if count:
        assert (towns[0].id, towns[-1].id) == (first, last)
        assert [t.id for t in towns] == sorted(t.id for t in towns)


def test_department_sets_make_one_department_per_city_and_template(example: Any) -> None:
    inv = example.inventory
    sets = raw("departments.yaml")["department_sets"]
    cities = [c.id for c in inv.province.cities]
    generated = [d for d in inv.departments if d.level == m.Tier.city]
    expected = {f"{c}-{t['id']}" for s in sets for c in (cities if s["cities"] == "all" else s["cities"])
                for t in s["departments"]}
    assert {d.id for d in generated} == expected
    alpha = next(c for c in inv.province.cities if c.id == "alpha")
    edu = next(d for d in generated if d.id == "alpha-edu")
    assert (edu.city, edu.name) == ("alpha", f"{alpha.name}教育局")


def test_department_set_on_listed_cities_only(tmp_path: Path) -> None:
    def only_beta(d: Any) -> None:
        d["department_sets"][0]["cities"] = ["beta"]

    # tenants of alpha's municipal cloud would now dangle: keep the set on beta only
    def beta_only_tenants(d: Any) -> None:
        d["tenant_sets"] = []

    loaded = load(copy_example(tmp_path, departments=only_beta, tenants=beta_only_tenants), "inv")
    assert {d.id for d in loaded.inventory.departments if d.level == m.Tier.city} == {"beta-edu", "beta-hr"}


def test_tenant_sets_make_one_tenant_per_platform_of_the_kind(example: Any) -> None:
    inv = example.inventory
    ts = raw("tenants.yaml")["tenant_sets"][0]
    municipal = [p for p in inv.platforms if p.kind.value == ts["platform_kind"]]
    made = {t.id: t for t in inv.tenants if t.id not in {x["id"] for x in raw("tenants.yaml")["tenants"]}}
    assert set(made) == {f"{p.id}-{d}" for p in municipal for d in ts["departments"]}
    for p in municipal:
        for d in ts["departments"]:
            t = made[f"{p.id}-{d}"]
            # a municipal platform's tenant belongs to the department of that platform's city
            assert (t.platform, t.department) == (p.id, f"{p.city}-{d}")
            assert t.security_level == ts["template"]["security_level"]
            assert t.access_type.value == ts["template"]["access_type"]
            assert [n.name for n in t.networks] == [n["name"] for n in ts["template"]["networks"]]


def test_node_groups_make_nodes_per_division_with_their_uplinks(example: Any) -> None:
    inv = example.inventory
    nodes = {n.id: n for n in inv.nodes}
    groups = raw("extranet.yaml")["node_groups"]
    divisions = inv.divisions()
    for g in groups:
        tier = m.Tier(g["tier"])
        for div, t in divisions.items():
            if t != tier:
                continue
            for k in range(1, g.get("count", 1) + 1):
                node = nodes[f"{div.replace('/', '-')}-{g.get('id_suffix', 'r')}{k}"]
                assert (node.tier, node.division, node.platform.value) == (tier, div, g["body"]["platform"])
    links = {(link.a, link.b): link for link in inv.links}
    # dual links (uplinks: 2) go to two different parents, at the tier's bandwidth from the rules
    assert {b for (a, b) in links if a == "alpha-east-r1"} == {"alpha-r1", "alpha-r2"}
    assert links[("alpha-east-r1", "alpha-r1")].mbps == inv.province.rules.tier_bandwidth_mbps[m.Tier.county]
    # uplink_mbps overrides the tier's bandwidth; a single uplink goes to the first parent by id
    assert links[("alpha-west-town01-r1", "alpha-west-r1")].mbps == 100
    assert len([1 for (a, _) in links if a == "alpha-west-town01-r1"]) == 1


def test_generated_objects_remember_the_group_that_made_them(example: Any) -> None:
    o = example.origins
    src, path = o.where[("node", "beta-north-town02-r1")]
    assert src.name.endswith("extranet.yaml") and path[0] == "node_groups"
    src, path = o.where[("tenant", "beta-cloud-hr")]
    assert src.name.endswith("tenants.yaml") and path[:1] == ("tenant_sets",) and path[-2:] == ("departments", 1)
    src, path = o.where[("node", "alpha-west-town01-r1")]
    p = o.problem("node", "alpha-west-town01-r1", ("platform",), "made-up problem")
    group_line = src.line_of(path)
    assert p.file.endswith("extranet.yaml") and p.line == group_line
    assert src.data["node_groups"][path[1]]["tier"] == "town"


def test_province_tier_group_uses_the_province_id_and_uplinks_to_nothing(tmp_path: Path) -> None:
    def extra(d: Any) -> None:
        d["node_groups"].append({"tier": "province", "id_suffix": "rr", "count": 2, "uplinks": 2,
                                 "body": {"platform": "frr", "role": "core", "credentials": "env:X"}})
        d["links"] += [{"a": "example-rr1", "b": "example-core1", "mbps": 100000},
                       {"a": "example-rr2", "b": "example-core2", "mbps": 100000}]

    inv = load(copy_example(tmp_path, extranet=extra, ipv6_allocations=lambda d: {"allocations": {}}), "inv").inventory
    rr = [n for n in inv.nodes if n.id.startswith("example-rr")]
    assert [(n.id, n.tier, n.division) for n in rr] == [("example-rr1", m.Tier.province, ""),
                                                        ("example-rr2", m.Tier.province, "")]


def test_node_group_with_no_parent_nodes_is_a_located_problem(tmp_path: Path) -> None:
    def alpha_only(d: Any) -> None:
        d["node_groups"][0]["cities"] = ["alpha"]

    probs = problems_of(copy_example(tmp_path, extranet=alpha_only))
    [p] = [p for p in probs if "to uplink to" in p.message and p.path == "node_groups[1]"]
    assert p.file == "inv/extranet.yaml" and p.path == "node_groups[1]" and p.line is not None
    assert "tier county" in p.message and "to uplink to" in p.message and p.value == "1"


def test_missing_optional_files_are_fine(tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    shutil.copytree(EXAMPLE, inv, ignore=shutil.ignore_patterns(".govctl"))
    for name in ("systems.yaml", "dedicated_networks.yaml", "ipv6-allocations.yaml"):
        (inv / name).unlink()
    loaded = load(inv, "inv")
    assert loaded.inventory.systems == [] and loaded.inventory.dedicated_networks == []
    assert loaded.inventory.allocations == {}


def test_every_missing_required_file_is_reported_at_once(tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    shutil.copytree(EXAMPLE, inv, ignore=shutil.ignore_patterns(".govctl"))
    (inv / "clouds.yaml").unlink()
    (inv / "sites.yaml").unlink()
    (inv / "tenants.yaml").write_text("tenants: {}\n", encoding="utf-8")
    loaded, probs = load_partial(inv, "inv")
    assert loaded is None
    assert {(p.file, p.message) for p in probs if "missing" in p.message} == {
        ("inv/clouds.yaml", "required file is missing"), ("inv/sites.yaml", "required file is missing")}
    assert any(p.file == "inv/tenants.yaml" and p.path == "tenants" for p in probs)


def test_dangling_references_still_give_a_partial_model_for_the_rules(tmp_path: Path) -> None:
    def dangle(d: Any) -> None:
        d["tenants"][0]["platform"] = "nowhere"

    loaded, probs = load_partial(copy_example(tmp_path, tenants=dangle), "inv")
    assert loaded is not None
    assert [(p.path, p.value) for p in probs if p.severity == "error"] == [("tenants[0].platform", "nowhere")]


# ---------------------------------------------------------------- pydantic errors -> located problems


def one_problem(tmp_path: Path, **edits: Callable[[Any], Any]) -> Problem:
    probs = [p for p in problems_of(copy_example(tmp_path, **edits)) if p.severity == "error"]
    assert len(probs) == 1, probs
    return probs[0]


def set_in(*path: Any, value: Any) -> Callable[[Any], None]:
    def edit(d: Any) -> None:
        cur = d
        for part in path[:-1]:
            cur = cur[part]
        cur[path[-1]] = value

    return edit


def test_unknown_key_lists_the_keys_allowed_there(tmp_path: Path) -> None:
    p = one_problem(tmp_path, tenants=set_in("tenants", 0, "quotas", "gpus", value=8))
    assert p.path == "tenants[0].quotas.gpus" and p.message.startswith("unknown key 'gpus' (expected one of: ")
    assert "cores" in p.message and "floating_ips" in p.message and p.value is None


def test_unknown_key_inside_a_union_lists_keys_of_its_members(tmp_path: Path) -> None:
    p = one_problem(tmp_path, province=set_in("cities", 0, "counties", 1, "towns", "colour", value="red"))
    assert p.path == "cities[0].counties[1].towns.colour"
    assert "count" in p.message and "name_prefix" in p.message


def test_error_inside_the_list_member_of_a_union_keeps_the_list_index(tmp_path: Path) -> None:
    p = one_problem(tmp_path, province=set_in("cities", 0, "counties", 1, "towns", value=[{"id": "t1"}]))
    assert (p.path, p.message) == ("cities[0].counties[1].towns[0].name", "required key is missing")


def test_error_inside_the_mapping_member_of_a_union(tmp_path: Path) -> None:
    p = one_problem(tmp_path, province=set_in("cities", 0, "counties", 1, "towns", value={"count": "many"}))
    assert p.path == "cities[0].counties[1].towns.count" and "valid integer" in p.message and p.value == "many"


def test_bad_id_in_a_city_selection_list(tmp_path: Path) -> None:
    p = one_problem(tmp_path, departments=set_in("department_sets", 0, "cities", value=["Alpha"]))
    assert p.path == "department_sets[0].cities[0]" and "lower-case" in p.message and p.value == "Alpha"


@pytest.mark.parametrize(("stem", "path", "value", "shown"), [
    ("province", ("cities", 0, "counties", 1, "towns"), "three", "cities[0].counties[1].towns"),
    ("departments", ("department_sets", 0, "cities"), "some", "department_sets[0].cities"),
    ("extranet", ("node_groups", 2, "cities"), 7, "node_groups[2].cities"),
])
def test_scalar_in_a_union_is_reported_at_the_key_the_user_wrote(tmp_path: Path, stem: str, path: tuple,
                                                                  value: Any, shown: str) -> None:
    p = one_problem(tmp_path, **{stem: set_in(*path, value=value)})
    assert p.path == shown


def test_problems_carry_the_line_of_the_offending_key(tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    shutil.copytree(EXAMPLE, inv, ignore=shutil.ignore_patterns(".govctl"))
    text = (inv / "sites.yaml").read_text(encoding="utf-8")
    (inv / "sites.yaml").write_text(text.replace("longitude: 115.55", "longitude: 215.55"), encoding="utf-8")
    [p] = problems_of(inv)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "longitude: 115.55" in row)
    assert (p.file, p.line, p.path, p.value) == ("inv/sites.yaml", line, "sites[3].longitude", "215.55")


def test_problems_are_sorted_by_file_and_line(tmp_path: Path) -> None:
    def two(d: Any) -> None:
        d["tenants"][3]["platform"] = "x1"
        d["tenants"][0]["platform"] = "x0"

    probs = problems_of(copy_example(tmp_path, tenants=two))
    keys = [(p.file, p.line or 0) for p in probs]
    assert keys == sorted(keys)
