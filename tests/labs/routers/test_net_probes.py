"""The probes' accounting (loss, longest gap, first arrival), flow choice and the lab baseline's rendering,
without a lab."""
from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from net_helpers import fixture

from govctl.network.errors import LabError
from govctl.labs.routers import probes
from govctl.labs.routers.probes import Flow, account

FLOW = Flow("ipv4 a -> b", "ipv4", "a", "ns-a", "203.0.113.129", "b", "ns-b", "203.0.113.145")


def _sender(sent: int, interval: float = 0.01, first: float = 100.0) -> dict[str, object]:
    return {"sent": sent, "first": first, "last": first + (sent - 1) * interval, "interval_ms": interval * 1000}


def _arrivals(seqs: list[int], interval: float = 0.01, first: float = 100.0, delay: float = 0.0005) -> list[list[float]]:
    return [[s, first + s * interval + delay] for s in seqs]


def test_nothing_lost_gap_is_one_interval() -> None:
    r = account(FLOW, _sender(100), _arrivals(list(range(100))))
    assert (r.sent, r.received, r.lost) == (100, 100, 0)
    assert 9.9 <= r.longest_gap_ms <= 10.1
    assert r.first_arrival_ms == 0.5


def test_a_burst_of_loss_is_counted_and_is_the_longest_gap() -> None:
    seqs = [s for s in range(200) if not 50 <= s < 80]  # 30 lost in a row: 310 ms without an arrival
    r = account(FLOW, _sender(200), _arrivals(seqs))
    assert r.lost == 30
    assert r.longest_gap_ms == pytest.approx(310, abs=0.2)


def test_loss_at_the_start_and_at_the_end_counts_in_the_gap() -> None:
    r = account(FLOW, _sender(100), _arrivals(list(range(40, 100))))  # down for the first 400 ms
    assert r.lost == 40 and r.longest_gap_ms == pytest.approx(400.5, abs=0.2)
    assert r.first_arrival_ms == pytest.approx(400.5, abs=0.1)
    r = account(FLOW, _sender(100), _arrivals(list(range(0, 30))))  # down from 300 ms to the end
    assert r.lost == 70 and r.longest_gap_ms == pytest.approx(700, abs=1)


def test_a_flow_that_never_got_through_has_a_gap_as_long_as_the_run() -> None:
    r = account(FLOW, _sender(300), [])
    assert (r.received, r.lost) == (0, 300)
    assert r.longest_gap_ms == pytest.approx(2990, abs=0.1)
    assert r.first_arrival_ms is None


def test_duplicates_and_foreign_sequence_numbers_are_not_deliveries() -> None:
    arrivals = _arrivals(list(range(10))) + _arrivals([3, 4]) + [[999, 100.05]]
    r = account(FLOW, _sender(20), arrivals)
    assert (r.received, r.lost) == (10, 10)


def test_flows_run_between_distinct_edges_per_family() -> None:
    netns = {n: f"ns-{n}" for n in ("core", "e1", "e2", "e3")}
    depts = {"e1": "203.0.113.129/28", "e2": "203.0.113.145/28", "e3": "203.0.113.161/28"}
    loops = {n: f"2001:db8:ffff::{i + 1}" for i, n in enumerate(netns)}
    flows = probes.lab_flows(netns, depts, loops)
    assert [f.name for f in flows] == ["ipv4 e1 -> e3", "ipv4 e2 -> e1", "ipv6 e1 -> e3", "ipv6 e2 -> e1"]
    assert flows[0].src == "203.0.113.129" and flows[0].dst_netns == "ns-e3"
    assert flows[2].dst == "2001:db8:ffff::4"  # e3, the fourth node
    assert probes.lab_flows(netns, {"e1": depts["e1"]}, loops) == []  # one edge: nothing to probe between
    assert [f.family for f in probes.lab_flows(netns, depts, {})] == ["ipv4", "ipv4"]


def test_probe_interval_is_bounded() -> None:
    with pytest.raises(LabError, match="between 10 and 20 ms"):
        probes.start([FLOW], interval_ms=5)


def test_baseline_is_todays_ipv4_network() -> None:
    from govctl.network.intent import IntentOptions
    from govctl.labs.routers.baseline import EDGE_POOL, edge_prefixes, edges, render
    from govctl.labs.routers.topology import build_topology

    inv, plan = fixture()
    topo = build_topology(inv, plan, 8)
    opt = IntentOptions(ospf_hello=1, ospf_dead=4, stage="ipv4", bgp_connect_retry=2, bgp_timers=(3, 9),
                        extra_ipv4_links=topo.ipv4_links, extra_ipv4_loopbacks=topo.ipv4_loopbacks)
    configs = render(topo, plan, opt)
    assert set(configs) == {n.node for n in topo.nodes}
    edge_ids = edges(topo)
    depts = edge_prefixes(topo)
    assert set(depts) == set(edge_ids) and edge_ids
    nets = [ipaddress.ip_interface(p).network for p in depts.values()]
    assert all(n.subnet_of(EDGE_POOL) for n in nets)
    assert len(set(nets)) == len(nets)
    for node, text in configs.items():
        assert "router ospf\n" in text and " ip ospf area " in text
        assert "router ospf6" not in text and "ipv6" not in text  # today: IPv4 only
        assert "address-family ipv4 unicast" in text and " update-source lo" in text
        assert "line vty" in text and "access-class VTY-MGMT" in text and "log syslog" in text
        if node in depts:
            net = ipaddress.ip_interface(depts[node]).network
            assert f"  network {net}\n" in text and f"ip route {net} blackhole 250" in text
            assert "interface dept0\n" in text
    core, edge = configs["example-core1"], configs[edge_ids[0]]
    # the core reflects IPv4 routes to the edges; an edge peers with both reflectors
    assert "route-reflector-client" in core and "route-reflector-client" not in edge
    assert edge.count(" remote-as 64512") == 2
    # the same BGP router id and timers as the rollout's intent: pushing IPv6 never resets a session
    from govctl.network.intent import build

    dual = build(topo.inventory, plan, IntentOptions(bgp_timers=(3, 9)))[edge_ids[0]]
    assert dual.bgp is not None and f" bgp router-id {dual.bgp.router_id}\n" in edge
    assert " timers bgp 3 9\n" in edge


def test_a_backbone_over_128_links_runs_its_ipv4_links_unnumbered() -> None:
    """Guangdong's backbone (143 routers, 283 links) cannot number its links from the lab's two IPv4 /24s:
    every link end borrows its router's loopback /32, OSPFv2 areas are set per interface (one address,
    several areas), and the loopbacks come from the larger pool. 60 routers (117 links) stay numbered."""
    from govctl.inventory.validate import load_valid
    from govctl.ipv6.planner import plan as ipv6_plan
    from govctl.network.intent import build
    from govctl.labs.routers.baseline import render
    from govctl.labs.routers.topology import LINK_POOL, build_topology
    from govctl.network.models import LabState
    from govctl.network.workflow import lab_options
    inv = load_valid(Path(__file__).resolve().parents[3] / "inventories" / "guangdong").inventory
    plan = ipv6_plan(inv)
    assert not build_topology(inv, plan, 60).ipv4_unnumbered
    topo = build_topology(inv, plan, 143)
    assert topo.ipv4_unnumbered and len(topo.links) > 128 and topo.ipv4_links == {}
    loops = [ipaddress.ip_address(a) for a in topo.ipv4_loopbacks.values()]
    assert len(set(loops)) == len(loops) == 143 and all(a in LINK_POOL for a in loops)
    state = LabState(inventory="", name=inv.name, directory="", bridge="", bridge_address="", prefix="", nodes=[],
                     links=[], created_dirs=[], started=0, ipv4_links=topo.ipv4_links,
                     ipv4_loopbacks=topo.ipv4_loopbacks, ipv4_unnumbered=True)
    configs = render(topo, plan, lab_options(state, "ipv4"))
    city = next(n for n in topo.inventory.nodes if n.tier.value == "city")
    lo4 = topo.ipv4_loopbacks[city.id]
    text = configs[city.id]
    blocks = [b for b in text.split("!\n") if b.startswith("interface eth")]
    assert blocks and all(f" ip address {lo4}/32\n" in b and " ip ospf network point-to-point" in b for b in blocks)
    # a city router is an ABR: its uplinks in the backbone, its county links in the city's area
    assert {line.split()[-1] for b in blocks for line in b.splitlines() if "ip ospf area" in line} >= {"0.0.0.0"}
    assert len({line for b in blocks for line in b.splitlines() if "ip ospf area" in line}) == 2
    assert " network " not in text.split("router ospf\n")[1].split("exit")[0]
    # the rollout keeps the same IPv4 lines, so pushing IPv6 never touches them
    intent = build(topo.inventory, plan, lab_options(state))[city.id]
    assert {i.ipv4 for i in intent.links} == {f"{lo4}/32"}
