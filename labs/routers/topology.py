"""Which routers and links the lab builds, and the lab-only addresses it gives them. Pure.

Every node runs FRR in the lab whatever its production platform: the question the lab answers
is whether the *design* (addresses, areas, sessions, filters) converges and whether the push
engine's transactions hold; vendor syntax is covered by golden files. With ``max_nodes`` the lab
is a representative subset taken tier by tier (province core, then cities, counties, towns), so
every router kept still has its uplinks.

Addresses: management addresses are the IPv6 plan's own ``mgmt/<node>`` /128s where the plan
has them (a node with a fixed inventory address gets one from the top of the same /64), all
on-link on the lab's bridge; IPv4 (the "today" network) uses 198.51.100.0/24 for /31 links and
203.0.113.0/25 for loopbacks, unless the inventory already gives a link its IPv4 prefix. A lab with
more links than 198.51.100.0/24 holds /31s (128; Guangdong's 143-router backbone has 283) runs its
IPv4 links unnumbered instead, as many production point-to-point links do: each end borrows its
loopback /32, and the loopbacks come from 198.51.100.0/24 (254 routers).
"""
from __future__ import annotations

import hashlib
import ipaddress
from collections import defaultdict
from dataclasses import dataclass

from govctl.inventory import models as m
from govctl.ipv6.models import Ipv6Plan, p2p_key
from govctl.network.errors import LabError

LINK_POOL = ipaddress.ip_network("198.51.100.0/24")
LOOPBACK_POOL = ipaddress.ip_network("203.0.113.0/25")


@dataclass(frozen=True)
class LabNodePlan:
    node: str
    index: int
    netns: str
    mgmt: str


@dataclass(frozen=True)
class LabLinkPlan:
    a: str
    b: str
    a_port: int
    b_port: int
    key: str


@dataclass(frozen=True)
class LabTopology:
    name: str
    tag: str  # short hash for kernel interface names (15 characters at most)
    inventory: m.Inventory  # the subset the lab runs
    nodes: list[LabNodePlan]
    links: list[LabLinkPlan]
    prefix: str  # management /64 (on-link on the bridge)
    bridge: str
    bridge_address: str
    unused_address: str  # on-link, never assigned: what "an unreachable device" dials
    ipv4_links: dict[str, str]
    ipv4_loopbacks: dict[str, str]
    ipv4_unnumbered: bool = False  # links without an inventory prefix borrow the loopback /32


def subset(inv: m.Inventory, max_nodes: int | None) -> m.Inventory:
    """The first ``max_nodes`` nodes tier by tier, their links and egress points."""
    if not max_nodes or max_nodes >= len(inv.nodes):
        return inv
    ordered = sorted(inv.nodes, key=lambda n: n.tier.depth)  # stable: inventory order within a tier
    keep = {n.id for n in ordered[:max_nodes]}
    return inv.model_copy(update={
        "nodes": [n for n in inv.nodes if n.id in keep],
        "links": [link for link in inv.links if link.a in keep and link.b in keep],
        "egress": [e for e in inv.egress if e.node in keep],
    })


def lab_tag(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:4]  # noqa: S324 - a name, not security


def build_topology(inv: m.Inventory, plan: Ipv6Plan, max_nodes: int | None = None) -> LabTopology:
    sub = subset(inv, max_nodes)
    tag = lab_tag(inv.name)
    mgmt_pool = next((p for p in inv.ipv6.pools if p.use == m.PoolUse.management), None)
    if mgmt_pool is None:
        raise LabError("the lab needs a 'management' pool in ipv6.yaml for its management bridge")
    planned = [plan.management(n.id) for n in sub.nodes if f"mgmt/{n.id}" in plan.allocations]
    base = planned[0] if planned else ipaddress.IPv6Network(mgmt_pool.prefix).network_address
    prefix = ipaddress.IPv6Network((int(base) >> 64 << 64, 64))
    top = int(prefix.broadcast_address)
    nodes: list[LabNodePlan] = []
    spare = 0x1000
    for i, n in enumerate(sub.nodes):
        if f"mgmt/{n.id}" in plan.allocations and plan.management(n.id) in prefix:
            addr = plan.management(n.id)
        else:
            spare += 1
            addr = ipaddress.IPv6Address(top - spare)
        nodes.append(LabNodePlan(n.id, i, f"gl{tag}-{i:03d}", str(addr)))
    ports: dict[str, int] = defaultdict(int)
    seen: dict[tuple[str, str], int] = defaultdict(int)
    links: list[LabLinkPlan] = []
    for link in sub.links:
        pair = tuple(sorted((link.a, link.b)))
        seen[pair] += 1  # type: ignore[index]
        ports[link.a] += 1
        ports[link.b] += 1
        links.append(LabLinkPlan(link.a, link.b, ports[link.a], ports[link.b],
                                 p2p_key(link.a, link.b, seen[pair])))  # type: ignore[index]
    # Ports are numbered over the subset's links, exactly as intent.build numbers them for the
    # same (subset) inventory, so lab interface ethN is the intent's port N.
    taken = [ipaddress.ip_network(link.ipv4) for link in sub.links if link.ipv4]
    free = [net for net in LINK_POOL.subnets(new_prefix=31) if not any(net.overlaps(t) for t in taken)]
    wanted = [lp.key for link, lp in zip(sub.links, links) if not link.ipv4]
    unnumbered = len(wanted) > len(free)
    ipv4_links = {} if unnumbered else dict(zip(wanted, map(str, free)))
    pool = LINK_POOL if unnumbered else LOOPBACK_POOL
    loops = [a for a in pool.hosts() if not any(a in t for t in taken)]
    if len(sub.nodes) > len(loops):
        raise LabError(f"the lab's IPv4 loopback pool {pool} has room for {len(loops)} routers; this lab has "
                       f"{len(sub.nodes)}: use --max-nodes")
    ipv4_loopbacks = {n.id: str(loops[i]) for i, n in enumerate(sub.nodes) if not n.loopback_ipv4}
    return LabTopology(
        name=inv.name, tag=tag, inventory=sub, nodes=nodes, links=links, prefix=str(prefix),
        bridge=f"govlab-{tag}", bridge_address=str(ipaddress.IPv6Address(top - 1)),
        unused_address=str(ipaddress.IPv6Address(top - 2)),
        ipv4_links=ipv4_links, ipv4_loopbacks=ipv4_loopbacks, ipv4_unnumbered=unnumbered,
    )
