"""The lab's starting point: today's IPv4-only production network, rendered from the inventory. Pure.

The IPv6 rollout is pushed on top of this, so the lab shows whether it disturbs the IPv4 service
every department uses today. What a router of today runs, in FRR syntax:
- OSPFv2 by tier, the same areas the rollout gives OSPFv3 (province and cities area 0, each city's
  counties and towns its own area), set per interface (an unnumbered link's address is its router's
  loopback, so an address cannot say the area); point-to-point links with the lab's fast timers;
- iBGP IPv4 unicast between loopbacks to the province core route reflectors (the same reflectors,
  router id and timers as the rollout's IPv6 family, so the rollout never resets a session);
- at every edge router (the lab's deepest tier) its departments' IPv4 prefix: on the ``dept0``
  interface, pinned by a floating static route and originated into BGP;
- the management lines every router carries (syslog, a vty access class and timeout); the local
  user is in each router's vtysh.conf (``runner``), where FRR keeps users.

Addresses are lab-only: departments' prefixes come from 203.0.113.128/25 (links and loopbacks use
198.51.100.0/24 and 203.0.113.0/25, ``topology``).
"""
from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

from govctl.inventory import models as m
from govctl.ipv6.models import Ipv6Plan
from govctl.network.errors import LabError
from govctl.network.intent import IntentOptions, area_of_division, build, link_area, router_id
from govctl.labs.routers.topology import LabTopology
from govctl.network.templating import environment

EDGE_POOL = ipaddress.IPv4Network("203.0.113.128/25")
EDGE_PORT = "dept0"  # the dummy interface holding an edge's departments' prefix
TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class _Itf:
    name: str
    description: str
    ipv4: str | None
    p2p: bool
    area: str | None  # OSPFv2 area; None: not in OSPF


@dataclass(frozen=True)
class _Peer:
    address: str
    description: str
    client: bool


def edges(topo: LabTopology) -> list[str]:
    """The routers departments hang off in this lab: its deepest tier (all of them in a one-tier lab)."""
    deepest = max(n.tier.depth for n in topo.inventory.nodes)
    return [n.id for n in topo.inventory.nodes if n.tier.depth == deepest]


def edge_prefixes(topo: LabTopology) -> dict[str, str]:
    """Edge router -> its departments' IPv4 prefix (router address first: ``203.0.113.129/29``)."""
    ids = edges(topo)
    if len(ids) > EDGE_POOL.num_addresses:
        raise LabError(f"the lab's department pool {EDGE_POOL} has room for {EDGE_POOL.num_addresses} edge "
                       f"routers; this lab has {len(ids)}: use --max-nodes")
    plen = max(28, EDGE_POOL.prefixlen + math.ceil(math.log2(max(len(ids), 1))))  # /28 at most
    out = {}
    for node, net in zip(ids, EDGE_POOL.subnets(new_prefix=plen)):
        first = net.network_address if net.prefixlen == 32 else net.network_address + 1
        out[node] = f"{first}/{net.prefixlen}"
    return out


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    return environment(TEMPLATES).get_template("baseline.j2")


def render(topo: LabTopology, plan: Ipv6Plan, options: IntentOptions) -> dict[str, str]:
    """Node -> its FRR config of today (``options``: the lab's, stage "ipv4", for timers and IPv4 overlay)."""
    inv = topo.inventory
    intents = build(inv, plan, options)
    nodes = {n.id: n for n in inv.nodes}
    loop4 = {n.id: n.loopback_ipv4 or options.extra_ipv4_loopbacks.get(n.id) for n in inv.nodes}
    reflectors = [n.id for n in inv.nodes if n.tier == m.Tier.province and n.role.value in options.reflector_roles]
    depts = edge_prefixes(topo)
    out: dict[str, str] = {}
    for node_id, intent in intents.items():
        node = nodes[node_id]
        lo4 = loop4[node_id]
        if lo4 is None:
            raise LabError(f"{node_id}: no IPv4 loopback in the lab (the baseline's router id and iBGP source)")
        itfs = [_Itf("lo", intent.loopback.description, intent.loopback.ipv4, False,
                     area_of_division(inv, node.division))]
        for itf in intent.links:
            area = link_area(inv, node, nodes[itf.peer]) if itf.ipv4 and itf.peer else None
            itfs.append(_Itf(f"eth{itf.port}", itf.description, itf.ipv4, True, area))
        statics: list[str] = []
        networks: list[str] = []
        if node_id in depts:
            dept = ipaddress.ip_interface(depts[node_id])
            itfs.append(_Itf(EDGE_PORT, f"departments of {node.division or 'the province'}", str(dept), False, None))
            statics.append(str(dept.network))
            networks.append(str(dept.network))
        if node_id in reflectors:
            peers = [_Peer(str(loop4[o]), f"rr {o} (ipv4)", False) for o in reflectors if o != node_id]
            peers += [_Peer(str(loop4[o.id]), f"client {o.id} (ipv4)", True) for o in inv.nodes
                      if o.id not in reflectors]
        else:
            peers = [_Peer(str(loop4[o]), f"rr {o} (ipv4)", False) for o in reflectors]
        out[node_id] = _template().render(
            node=node_id, interfaces=itfs, statics=statics, ospf_router_id=lo4,
            asn=inv.extranet_asn, bgp_router_id=router_id(node, plan), timers=options.bgp_timers,
            connect_retry=options.bgp_connect_retry, peers=peers, networks=networks,
            hello=options.ospf_hello, dead=options.ospf_dead,
        )
    return out
