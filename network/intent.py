"""Inventory + IPv6 plan -> each extranet node's intended state. Pure.

Design choices a network engineer would expect (each a parameter where it is policy):
- OSPFv3 areas by tier: the province and city layer is the backbone (area 0); each city's
  counties and towns form one area (0.0.0.<n>, n = the city's position in province.yaml), so
  city routers are the ABRs and a flapping town link never floods the backbone.
- BGP IPv6 unicast: province core routers are route reflectors (full mesh among themselves);
  every other node is a client of each of them, sessions between loopbacks.
- Each node announces its division's extranet block (discard route + ``network``); the
  Internet egress node has one eBGP group per carrier that exports only the prefixes its
  government level may announce.
- Department VPN prefixes (dedicated networks moving into the private zone) are filtered from
  the public zone's BGP on import everywhere.
"""
from __future__ import annotations

import ipaddress
from collections import defaultdict
from dataclasses import dataclass, field

from govctl.inventory import models as m
from govctl.ipv6.models import Ipv6Plan, p2p_key
from govctl.network.models import (
    BgpIntent, BgpPeer, CarrierGroup, DeviceIntent, InterfaceIntent, OspfIntent, PrefixEntry, PrefixList,
)

BACKBONE = "0.0.0.0"
DEPT_FILTER = "DEPT-VPN-V6"
EGRESS_FILTER = "EGRESS-V6-OUT"


@dataclass(frozen=True)
class IntentOptions:
    ospf_process: int = 1
    ospf_hello: int = 10
    ospf_dead: int = 40
    stage: str = "dual-stack"  # "ipv4": today's network (the lab's starting point)
    reflector_roles: tuple[str, ...] = ("core",)
    bgp_connect_retry: int | None = None  # seconds; None: the platform default (FRR: 120 s)
    # (keepalive, hold) seconds; None: platform defaults. The lab shortens them: a router that
    # reverts by itself leaves its peers on a stale session until the hold time runs out.
    bgp_timers: tuple[int, int] | None = None
    extra_ipv4_links: dict[str, str] = field(default_factory=dict)  # p2p key -> IPv4 prefix (lab overlay)
    extra_ipv4_loopbacks: dict[str, str] = field(default_factory=dict)
    # a link without an IPv4 prefix borrows each end's IPv4 loopback (/32, OSPFv2 point-to-point
    # unnumbered): the lab's two IPv4 /24s cannot number the links of a lab over 128 links
    ipv4_unnumbered: bool = False


def router_id(node: m.Node, plan: Ipv6Plan) -> str:
    """The node's IPv4 loopback if it has one, else the low 32 bits of its IPv6 loopback (unique in the pool)."""
    if node.loopback_ipv4:
        return node.loopback_ipv4
    return str(ipaddress.IPv4Address(int(plan.loopback(node.id)) & 0xFFFFFFFF))


def area_of_division(inv: m.Inventory, division: str) -> str:
    if division.count("/") == 0:
        return BACKBONE  # province ("") and city divisions
    city = division.split("/", 1)[0]
    index = [c.id for c in inv.province.cities].index(city) + 1
    return str(ipaddress.IPv4Address(index))


def link_area(inv: m.Inventory, a: m.Node, b: m.Node) -> str:
    """A link belongs to the area of its lower (deeper) end: city-county links sit in the city's area."""
    lower = a if a.tier.depth >= b.tier.depth else b
    return area_of_division(inv, lower.division)


def _p2p_ipv4(prefix: str, first: bool) -> str:
    net = ipaddress.ip_network(prefix)
    hosts = [net.network_address, net.network_address + 1] if net.prefixlen == 31 else list(net.hosts())[:2]
    return f"{hosts[0] if first else hosts[1]}/{net.prefixlen}"


def build(inv: m.Inventory, plan: Ipv6Plan, options: IntentOptions | None = None) -> dict[str, DeviceIntent]:
    """Intent for every node, keyed by node id, in inventory order."""
    opt = options or IntentOptions()
    dual = opt.stage != "ipv4"
    nodes = {n.id: n for n in inv.nodes}
    ports: dict[str, list[InterfaceIntent]] = defaultdict(list)
    areas: dict[str, set[str]] = defaultdict(set)
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for link in inv.links:
        pair = tuple(sorted((link.a, link.b)))
        seen[pair] += 1  # type: ignore[index]
        nth = seen[pair]  # type: ignore[index]
        key = p2p_key(link.a, link.b, nth)
        a, b = nodes[link.a], nodes[link.b]
        area = link_area(inv, a, b)
        v6a, v6b = plan.p2p(link.a, link.b, nth)
        v4 = link.ipv4 or opt.extra_ipv4_links.get(key)
        for me, peer, mine, theirs, first in ((a, b, v6a, v6b, True), (b, a, v6b, v6a, False)):
            own4 = me.loopback_ipv4 or opt.extra_ipv4_loopbacks.get(me.id)
            ports[me.id].append(InterfaceIntent(
                port=len(ports[me.id]) + 1,
                description=f"to {peer.id} ({link.mbps} Mbps)",
                ipv6=f"{mine}/127" if dual else None,
                ipv4=(_p2p_ipv4(v4, first) if v4 else
                      f"{own4}/32" if opt.ipv4_unnumbered and own4 else None),
                ospf_area=area if dual else None,
                point_to_point=True,
                peer=peer.id,
                peer_ipv6=str(theirs) if dual else None,
            ))
            if dual:
                areas[me.id].add(area)

    reflectors = [n for n in inv.nodes if n.tier == m.Tier.province and n.role.value in opt.reflector_roles]
    rr_ids = {n.id for n in reflectors}
    dept_v6 = sorted({p for dn in inv.dedicated_networks for s in dn.sites for p in s.prefixes
                      if ipaddress.ip_network(p).version == 6},
                     key=lambda p: ipaddress.ip_network(p))
    dept_list = PrefixList(
        DEPT_FILTER, "department VPN prefixes stay in the private zone",
        tuple(PrefixEntry(10 * (i + 1), "deny", p, 128) for i, p in enumerate(dept_v6))
        + (PrefixEntry(1000, "permit", "::/0", 128),))
    egress_by_node = defaultdict(list)
    for e in inv.egress:
        egress_by_node[e.node].append(e)

    out: dict[str, DeviceIntent] = {}
    for node in inv.nodes:
        rid = router_id(node, plan)
        own_area = area_of_division(inv, node.division)
        lo4 = node.loopback_ipv4 or opt.extra_ipv4_loopbacks.get(node.id)
        loop = InterfaceIntent(
            port=0, description="router id, iBGP source",
            ipv6=f"{plan.loopback(node.id)}/128" if dual else None,
            ipv4=f"{lo4}/32" if lo4 else None,
            ospf_area=own_area if dual else None,
        )
        if not dual:
            out[node.id] = DeviceIntent(node.id, node.platform.value, node.tier.value, node.role.value,
                                        node.division, (loop, *ports[node.id]), None, None, stage="ipv4")
            continue
        areas[node.id].add(own_area)
        ospf = OspfIntent(opt.ospf_process, rid, tuple(sorted(areas[node.id], key=ipaddress.IPv4Address)),
                          opt.ospf_hello, opt.ospf_dead)
        if node.id in rr_ids:
            peers = [BgpPeer(str(plan.loopback(o.id)), inv.extranet_asn, f"rr {o.id}", False, DEPT_FILTER)
                     for o in reflectors if o.id != node.id]
            peers += [BgpPeer(str(plan.loopback(o.id)), inv.extranet_asn, f"client {o.id}", True, DEPT_FILTER)
                      for o in inv.nodes if o.id not in rr_ids]
        else:
            peers = [BgpPeer(str(plan.loopback(o.id)), inv.extranet_asn, f"rr {o.id}", False, DEPT_FILTER)
                     for o in reflectors]
        block_key = "extranet/province" if node.division == "" else f"extranet/{node.division}"
        networks = (plan.allocations[block_key].prefix,) if block_key in plan.allocations else ()
        carriers: list[CarrierGroup] = []
        lists = [dept_list]
        for e in egress_by_node.get(node.id, []):
            name = f"{EGRESS_FILTER}" if len(egress_by_node[node.id]) == 1 else f"{EGRESS_FILTER}-{e.id.upper()}"
            lists.append(PrefixList(name, f"what the {e.level.value} level may announce to the Internet",
                                    tuple(PrefixEntry(10 * (i + 1), "permit", p)
                                          for i, p in enumerate(e.announce_ipv6))))
            carriers += [CarrierGroup(f"AS{c.asn}", f"{c.name} ({c.mbps} Mbps)", c.asn, name) for c in e.carriers]
            # the aggregate this level announces must exist in the RIB: pin it to a discard route
            networks += tuple(p for p in e.announce_ipv6 if p not in networks)
        networks = tuple(sorted(networks, key=ipaddress.ip_network))
        bgp = BgpIntent(inv.extranet_asn, rid, tuple(peers), networks, tuple(carriers), opt.bgp_connect_retry,
                        opt.bgp_timers)
        out[node.id] = DeviceIntent(node.id, node.platform.value, node.tier.value, node.role.value,
                                    node.division, (loop, *ports[node.id]), ospf, bgp, tuple(lists),
                                    tuple(sorted(networks, key=ipaddress.ip_network)))
    return out


def expected_neighbors(intents: dict[str, DeviceIntent], node: str) -> list[str]:
    """Nodes that must be OSPFv3 Full with ``node`` once both run the intent."""
    return sorted({i.peer for i in intents[node].links if i.peer and i.ospf_area})
