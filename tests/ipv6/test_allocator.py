"""The block allocator and the plan's edge cases, named after their RFCs."""
from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from govctl.ipv6.errors import AllocationError
from govctl.inventory.loader import load
from govctl.ipv6.allocator import Block
from govctl.ipv6.models import Kind
from govctl.ipv6.planner import plan

EXAMPLE = Path(__file__).resolve().parents[2] / "inventories" / "example"


def net(text: str) -> ipaddress.IPv6Network:
    return ipaddress.IPv6Network(text)


def test_rfc6164_p2p_links_get_aligned_127s_using_both_addresses():
    inv = load(EXAMPLE).inventory
    p = plan(inv)
    for a in p.of_kind(Kind.p2p):
        assert a.network.prefixlen == 127
        assert int(a.network.network_address) % 2 == 0
    a_end, b_end = p.p2p("example-core1", "example-core2")
    assert a_end != b_end and ipaddress.IPv6Network(f"{a_end}/127", strict=False) == \
        ipaddress.IPv6Network(f"{b_end}/127", strict=False)
    assert p.p2p("example-core2", "example-core1") == (b_end, a_end)


def test_rfc4291_subnet_router_anycast_address_is_never_a_loopback_or_management_address():
    inv = load(EXAMPLE).inventory
    p = plan(inv)
    pools = {pool.use.value: net(pool.prefix) for pool in inv.ipv6.pools}
    for a in p.of_kind(Kind.loopback):
        assert a.network.network_address != pools["loopbacks"].network_address
    for a in p.of_kind(Kind.management):
        assert a.network.network_address != pools["management"].network_address


def test_block_fills_lowest_first_and_reports_exhaustion():
    b = Block(net("2001:db8::/62"))
    got = [b.allocate(64) for _ in range(5)]
    assert [str(g) for g in got[:4]] == ["2001:db8::/64", "2001:db8:0:1::/64", "2001:db8:0:2::/64",
                                         "2001:db8:0:3::/64"]
    assert got[4] is None


def test_block_skips_reserved_space_and_aligns_mixed_lengths():
    b = Block(net("2001:db8::/48"))
    assert b.reserve(net("2001:db8:0:1::/64"))
    assert not b.reserve(net("2001:db8::/63"))  # overlaps the reserved /64
    assert str(b.allocate(64)) == "2001:db8::/64"
    assert str(b.allocate(63)) == "2001:db8:0:2::/63"  # aligned past the reserved /64
    assert str(b.allocate(64)) == "2001:db8:0:4::/64"


def test_pinned_allocations_never_move_and_stale_ones_stay_reserved():
    inv = load(EXAMPLE).inventory
    first = plan(inv.model_copy(update={"allocations": {}}))
    pinned = first.pinned_map()
    gone = "cloud/prov/prov-finance"
    smaller = inv.model_copy(update={
        "tenants": [t for t in inv.tenants if t.id != "prov-finance"], "allocations": pinned})
    p = plan(smaller)
    assert gone in p.stale and f"{gone}/app" in p.stale
    assert all(p.allocations[k].prefix == v for k, v in pinned.items() if k in p.allocations)
    # a new tenant does not receive the freed prefix while it is still pinned as stale
    newcomer = smaller.tenants[0].model_copy(update={"id": "prov-newcomer", "platform": "prov"})
    grown = smaller.model_copy(update={"tenants": smaller.tenants + [newcomer]})
    q = plan(grown)
    assert q.allocations["cloud/prov/prov-newcomer"].prefix != pinned[gone]
    assert gone not in q.pinned_map(prune=True) and gone in q.pinned_map()


@pytest.mark.parametrize(("key", "prefix", "error"), [
    ("extranet/alpha", "2001:db8::/44", r"extranet/alpha: pinned 2001:db8::/44 is a /44 .* /40"),
    ("extranet/alpha/east", "2001:db8:4000::/44", r"extranet/alpha/east: pinned 2001:db8:4000::/44 is outside"),
], ids=["wrong-length", "outside-its-parent"])
def test_a_bad_pinned_prefix_is_a_clear_error(key: str, prefix: str, error: str):
    inv = load(EXAMPLE).inventory
    pins = dict(inv.allocations)
    pins[key] = prefix
    with pytest.raises(AllocationError, match=error):
        plan(inv.model_copy(update={"allocations": pins}))


def test_an_exhausted_pool_names_the_pool_and_what_is_needed():
    inv = load(EXAMPLE).inventory
    lengths = inv.ipv6.lengths.model_copy(update={"platform": 35})  # /34 pool: 2 platforms fit, 4 needed
    ipv6 = inv.ipv6.model_copy(update={"lengths": lengths})
    with pytest.raises(AllocationError) as exc:
        plan(inv.model_copy(update={"ipv6": ipv6, "allocations": {}}))
    assert "pool 'cloud' (2001:db8:4000::/34) has room for 2 x /35 (platform) but 4 are needed" in str(exc.value)


def test_the_bundled_example_plan_is_fully_pinned():
    p = plan(load(EXAMPLE).inventory)
    assert p.new == [] and p.stale == {}
