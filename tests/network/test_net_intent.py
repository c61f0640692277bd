"""Intent derived from the inventory and the IPv6 plan: addresses, areas, BGP design, filters."""
from __future__ import annotations

import ipaddress

from net_helpers import fixture

from govctl.network.intent import DEPT_FILTER, EGRESS_FILTER, IntentOptions, build, expected_neighbors


def test_loopbacks_are_the_plans_128s_and_p2p_links_use_both_127_addresses():
    inv, plan = fixture()
    intents = build(inv, plan)
    for node in inv.nodes:
        assert intents[node.id].loopback.ipv6 == f"{plan.loopback(node.id)}/128"
    a, b = plan.p2p("alpha-r1", "example-core1")
    r1 = next(i for i in intents["alpha-r1"].links if i.peer == "example-core1")
    core = next(i for i in intents["example-core1"].links if i.peer == "alpha-r1")
    assert (r1.ipv6, core.ipv6) == (f"{a}/127", f"{b}/127")
    # RFC 6164: the two ends are the two addresses of one /127
    assert ipaddress.IPv6Network(r1.ipv6, strict=False) == ipaddress.IPv6Network(core.ipv6, strict=False)
    assert r1.peer_ipv6 == str(b)


def test_areas_follow_tiers_city_routers_are_abrs():
    inv, plan = fixture()
    intents = build(inv, plan)
    assert intents["example-core1"].ospf.areas == ("0.0.0.0",)
    assert intents["alpha-r1"].ospf.areas == ("0.0.0.0", "0.0.0.1")  # ABR for alpha's area
    assert intents["beta-r1"].ospf.areas == ("0.0.0.0", "0.0.0.2")
    town = intents["alpha-west-town01-r1"]
    assert town.ospf.areas == ("0.0.0.1",) and town.loopback.ospf_area == "0.0.0.1"
    uplink = next(i for i in intents["alpha-r1"].links if i.peer == "example-core1")
    down = next(i for i in intents["alpha-r1"].links if i.peer == "alpha-east-r1")
    assert (uplink.ospf_area, down.ospf_area) == ("0.0.0.0", "0.0.0.1")


def test_province_cores_reflect_routes_for_everyone_else():
    inv, plan = fixture()
    intents = build(inv, plan)
    rr = intents["example-core1"].bgp
    others = [n.id for n in inv.nodes if n.id not in ("example-core1", "example-core2")]
    assert sum(p.reflector_client for p in rr.peers) == len(others)
    assert [p for p in rr.peers if not p.reflector_client][0].address == str(plan.loopback("example-core2"))
    town = intents["alpha-west-town01-r1"].bgp
    assert sorted(p.address for p in town.peers) == sorted(
        str(plan.loopback(n)) for n in ("example-core1", "example-core2"))
    assert all(p.import_filter == DEPT_FILTER for p in town.peers)


def test_each_node_announces_its_division_block_and_egress_only_exports_its_level():
    inv, plan = fixture()
    intents = build(inv, plan)
    town = intents["alpha-west-town01-r1"]
    assert town.bgp.networks == (plan.allocations["extranet/alpha/west/town01"].prefix,)
    assert town.discard_routes == town.bgp.networks
    egress = intents["example-egress1"]
    assert {c.remote_as for c in egress.bgp.carriers} == {64496, 64497}
    export = next(pl for pl in egress.prefix_lists if pl.name == EGRESS_FILTER)
    assert [(e.action, e.prefix) for e in export.entries] == [("permit", "2001:db8::/32")]
    assert "2001:db8::/32" in egress.bgp.networks and "2001:db8::/32" in egress.discard_routes


def test_department_vpn_prefixes_are_denied_from_the_public_zone():
    inv, plan = fixture()
    dept = next(pl for pl in build(inv, plan)["alpha-r1"].prefix_lists if pl.name == DEPT_FILTER)
    assert dept.entries[0].action == "deny" and dept.entries[0].prefix == "2001:db8:ff00::/56"
    assert dept.entries[-1].action == "permit" and dept.entries[-1].prefix == "::/0"


def test_ipv4_stage_is_todays_network_without_any_ipv6():
    inv, plan = fixture()
    legacy = build(inv, plan, IntentOptions(stage="ipv4"))
    for i in legacy.values():
        assert i.ospf is None and i.bgp is None and all(x.ipv6 is None for x in i.interfaces)
    # the one link with IPv4 in the inventory keeps it: first host on the lower end of the link
    link = next(x for x in legacy["alpha-east-legacy"].links if x.peer == "alpha-r2")
    assert link.ipv4 == "203.0.113.253/30"


def test_router_id_is_unique_and_expected_neighbours_match_links():
    inv, plan = fixture()
    intents = build(inv, plan)
    rids = [i.ospf.router_id for i in intents.values()]
    assert len(set(rids)) == len(rids)
    assert expected_neighbors(intents, "beta-north-r1") == ["beta-north-town01-r1", "beta-north-town02-r1",
                                                            "beta-r1", "beta-r2"]
