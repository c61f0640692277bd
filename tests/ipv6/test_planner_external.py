"""The platforms' external networks in the IPv6 plan: one tenant-sized block per platform, a /64 per network."""
from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hashseeds import outputs_under_seeds

from govctl.inventory import models as m
from govctl.ipv6.errors import AllocationError
from govctl.inventory.loader import load
from govctl.ipv6.models import Kind
from govctl.ipv6.planner import plan

EXAMPLE = Path(__file__).resolve().parents[2] / "inventories" / "example"
BASE = load(EXAMPLE).inventory


def _tenant(i: int, strong: bool) -> m.Tenant:
    return m.Tenant(id=f"prov-t{i}", department="gov-office", platform="prov",
                    isolation=m.Isolation.strong if strong else m.Isolation.standard,
                    networks=[m.TenantNetwork(name="app", ipv4="198.51.100.0/28")])


def _inventory(strong: list[bool], pinned: dict[str, str] | None = None) -> m.Inventory:
    return BASE.model_copy(update={"tenants": [_tenant(i, s) for i, s in enumerate(strong)], "nodes": [],
                                   "links": [], "allocations": pinned or {}})


def test_every_external_network_gets_a_64_inside_its_platforms_external_block() -> None:
    p = plan(_inventory([False, True, True]))
    for platform in BASE.platforms:
        block = p.allocations[f"cloud/{platform.id}/external"]
        assert block.kind == Kind.tenant and block.parent == f"cloud/{platform.id}"
        assert p.external(platform.id, "extranet").prefixlen == 64
        assert p.external(platform.id, "extranet").subnet_of(block.network)
    prov = p.allocations["cloud/prov/external"].network
    strong = {p.external("prov", f"prov-t{i}-strong-external") for i in (1, 2)}
    assert len(strong) == 2 and all(n.subnet_of(prov) for n in strong)
    assert "cloud/prov/external/prov-t0-strong-external" not in p.allocations


def test_a_platform_without_external_networks_gets_no_external_block() -> None:
    platforms = [x.model_copy(update={"external_ipv4": None}) if x.id == "health" else x for x in BASE.platforms]
    inv = _inventory([False])
    p = plan(inv.model_copy(update={"clouds": inv.clouds.model_copy(update={"platforms": platforms})}))
    assert not [k for k in p.allocations if k.startswith("cloud/health/external")]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.booleans(), max_size=10), st.integers(0, 10), st.booleans())
def test_inserting_a_tenant_never_renumbers_a_pinned_external_network(strong, pos, new_strong) -> None:
    first_inv = _inventory(strong)
    first = plan(first_inv)
    pinned = first.pinned_map()
    tenants = list(first_inv.tenants)
    tenants.insert(pos % (len(tenants) + 1), _tenant(99, new_strong))
    second = plan(first_inv.model_copy(update={"tenants": tenants, "allocations": pinned}))
    moved = {k: v for k, v in pinned.items() if second.allocations[k].prefix != v}
    assert not moved
    nets = sorted((a.network for a in second.allocations.values() if a.key.startswith("cloud/prov/")),
                  key=lambda n: (int(n.network_address), n.prefixlen))
    for i, a in enumerate(nets):
        for b in nets[i + 1:]:
            if int(b.network_address) > int(a.broadcast_address):
                break
            assert b.subnet_of(a), (a, b)  # only containment (block -> its /64s), never a partial overlap
    if new_strong:
        assert second.external("prov", "prov-t99-strong-external").subnet_of(
            second.allocations["cloud/prov/external"].network)


def test_the_same_inventory_gives_the_same_external_prefixes() -> None:
    # byte for byte, in order, from two processes with different PYTHONHASHSEED (see hashseeds.py)
    first, second = outputs_under_seeds(
        "import test_planner_external as t\n"
        "for k, a in t.plan(t._inventory([True, False, True])).allocations.items():\n"
        "    print(k, a.prefix, a.parent, a.kind.value)\n")
    assert first == second
    assert "cloud/prov/external" in first


def test_a_tenant_called_external_is_refused() -> None:
    inv = _inventory([False])
    inv = inv.model_copy(update={"tenants": [*inv.tenants, _tenant(9, False).model_copy(update={"id": "external"})]})
    with pytest.raises(AllocationError, match=r"tenant id 'external' \(platform prov\) is reserved"):
        plan(inv)


def test_bundled_example_pins_its_external_networks() -> None:
    p = plan(BASE)
    assert p.allocations["cloud/prov/external/extranet"].pinned
    assert ipaddress.IPv6Network(BASE.allocations["cloud/prov/external/prov-public-security-strong-external"]) == \
        p.external("prov", "prov-public-security-strong-external")
