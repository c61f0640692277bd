"""Inventory -> IPv6 plan. Pure: the same inventory and pinned allocations give the same plan.

Order of work: every pinned allocation is reserved first (so nothing pinned
ever moves), then new things get the lowest free prefix, parents before
children and siblings in sorted key order.
"""
from __future__ import annotations

import ipaddress
from collections import defaultdict

from govctl.inventory import models as m
from govctl.ipv6.errors import AllocationError
from govctl.ipv6.allocator import Block
from govctl.ipv6.models import (EXTERNAL, Allocation, Ipv6Plan, Kind, external_key, external_subnet_key, p2p_key,
                         subnet_key)

_POOL_OF: dict[Kind, m.PoolUse] = {
    Kind.province: m.PoolUse.extranet,
    Kind.city: m.PoolUse.extranet,
    Kind.platform: m.PoolUse.cloud,
    Kind.loopback: m.PoolUse.loopbacks,
    Kind.p2p: m.PoolUse.p2p,
    Kind.management: m.PoolUse.management,
}


_HOST_POOLS = {m.PoolUse.loopbacks, m.PoolUse.management}


def wanted(inv: m.Inventory) -> list[tuple[str, Kind, str]]:
    """Every (key, kind, parent key) the inventory needs, parents listed before children."""
    out: list[tuple[str, Kind, str]] = [("extranet/province", Kind.province, "pool:extranet")]
    for city in inv.province.cities:
        ckey = f"extranet/{city.id}"
        out.append((ckey, Kind.city, "pool:extranet"))
        out.extend((f"{ckey}/{t.id}", Kind.town, ckey) for t in m.towns_of(city))
        for county in city.counties:
            kkey = f"{ckey}/{county.id}"
            out.append((kkey, Kind.county, ckey))
            out.extend((f"{kkey}/{t.id}", Kind.town, kkey) for t in m.towns_of(county))
    for p in inv.platforms:
        out.append((f"cloud/{p.id}", Kind.platform, "pool:cloud"))
    for t in inv.tenants:
        tkey = f"cloud/{t.platform}/{t.id}"
        out.append((tkey, Kind.tenant, f"cloud/{t.platform}"))
        out.extend((subnet_key(t.platform, t.id, n.name), Kind.subnet, tkey) for n in t.networks)
    for p in inv.platforms:
        nets = external_networks(inv, p)
        if nets:
            # Tenant-sized (kind tenant), so it never fragments the platform's block; /64s (kind subnet) inside.
            out.append((external_key(p.id), Kind.tenant, f"cloud/{p.id}"))
            out.extend((external_subnet_key(p.id, n), Kind.subnet, external_key(p.id)) for n in nets)
    for n in inv.nodes:
        out.append((f"loopback/{n.id}", Kind.loopback, "pool:loopbacks"))
        if n.mgmt is None:
            out.append((f"mgmt/{n.id}", Kind.management, "pool:management"))
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for link in inv.links:
        pair = tuple(sorted((link.a, link.b)))
        seen[pair] += 1  # type: ignore[index]
        out.append((p2p_key(link.a, link.b, seen[pair]), Kind.p2p, "pool:p2p"))  # type: ignore[index]
    return out


def external_networks(inv: m.Inventory, platform: m.Platform) -> list[str]:
    """Neutron names of the platform's external networks, each dual-stack: the extranet-facing one (where
    the platform has an external range) and every strong-isolation tenant's own (named as the stacks name it)."""
    nets = ["extranet"] if platform.external_ipv4 else []
    nets += [f"{t.id}-strong-external" for t in inv.tenants
             if t.platform == platform.id and t.isolation == m.Isolation.strong]
    return nets


def _length(inv: m.Inventory, kind: Kind) -> int:
    return int(getattr(inv.ipv6.lengths, kind.value))


def _parent_of_key(key: str) -> str | None:
    """Parent key of a hierarchical key (for stale pins); top-level keys have none."""
    head, _, rest = key.partition("/")
    if head in ("extranet", "cloud") and "/" in rest:
        return key.rsplit("/", 1)[0]
    return None


def plan(inv: m.Inventory) -> Ipv6Plan:
    """Allocate everything the inventory needs; raise ``AllocationError`` naming the pool that ran out."""
    clash = next((t for t in inv.tenants if t.id == EXTERNAL), None)
    if clash is not None:
        raise AllocationError(f"tenant id '{EXTERNAL}' (platform {clash.platform}) is reserved: "
                              f"{external_key(clash.platform)} holds the platform's external networks; "
                              "rename the tenant", external_key(clash.platform))
    pools: dict[str, list[Block]] = defaultdict(list)
    for pool in inv.ipv6.pools:
        block = Block(ipaddress.IPv6Network(pool.prefix))
        if pool.use in _HOST_POOLS:
            # RFC 4291 2.6.1: the all-zeros address is the Subnet-Router anycast address; never a host's.
            block.reserve(ipaddress.IPv6Network((int(block.network.network_address), 128)))
        pools[f"pool:{pool.use.value}"].append(block)
    needed = wanted(inv)
    kinds = {key: (kind, parent) for key, kind, parent in needed}
    pinned = {k: ipaddress.IPv6Network(v) for k, v in inv.allocations.items()}
    blocks: dict[str, list[Block]] = dict(pools)
    result = Ipv6Plan()

    def parent_blocks(parent: str) -> list[Block]:
        if parent not in blocks:
            raise AllocationError(f"internal order error: parent {parent} not allocated")  # pragma: no cover
        return blocks[parent]

    # 1. Reserve every pinned prefix (also stale ones: a freed prefix is not handed out again at once).
    order = sorted(pinned, key=lambda k: (k.count("/"), k))
    for key in order:
        net = pinned[key]
        if key in kinds:
            kind, parent = kinds[key]
            if net.prefixlen != _length(inv, kind):
                raise AllocationError(
                    f"{key}: pinned {net} is a /{net.prefixlen} but the plan gives a {kind.value} a "
                    f"/{_length(inv, kind)}; to renumber it, delete its line from ipv6-allocations.yaml", key)
        else:
            parent = _parent_of_key(key) or _stale_pool(key)
            result.stale[key] = str(net)
        candidates = blocks.get(parent) if parent in blocks else None
        if candidates is None:
            # a stale child of a stale parent: its parent's own reservation covers it
            continue
        home = next((b for b in candidates if b.contains(net)), None)
        if home is None:
            where = ", ".join(str(b.network) for b in candidates)
            raise AllocationError(f"{key}: pinned {net} is outside its parent {parent} ({where}); "
                                  "delete its line from ipv6-allocations.yaml to renumber it", key)
        if not home.reserve(net):
            raise AllocationError(f"{key}: pinned {net} overlaps another pinned allocation in {parent}", key)
        if key in kinds:
            blocks[key] = [Block(net)]
            result.allocations[key] = Allocation(key, kinds[key][0], str(net), parent, True)
        else:
            blocks[key] = [Block(net)]

    # 2. Allocate the rest, parents first (``wanted`` lists parents before children).
    fresh = sorted((k for k in kinds if k not in pinned), key=lambda k: (_depth(kinds[k][0]), k))
    shortfall: dict[str, int] = defaultdict(int)
    for key in fresh:
        kind, parent = kinds[key]
        if parent in shortfall or parent not in blocks:
            shortfall[parent] += 1
            continue
        length = _length(inv, kind)
        net = None
        for block in parent_blocks(parent):
            if block.network.prefixlen >= length:
                break
            net = block.allocate(length)
            if net is not None:
                break
        if net is None:
            shortfall[parent] += 1
            continue
        blocks[key] = [Block(net)]
        result.allocations[key] = Allocation(key, kind, str(net), parent, False)
    if shortfall:
        raise AllocationError(_shortage_message(inv, shortfall, blocks, kinds))
    result.allocations = dict(sorted(result.allocations.items()))
    return result


def _depth(kind: Kind) -> int:
    return {Kind.province: 0, Kind.city: 0, Kind.platform: 0, Kind.loopback: 0, Kind.p2p: 0, Kind.management: 0,
            Kind.county: 1, Kind.tenant: 1, Kind.town: 2, Kind.subnet: 2}[kind]


def _stale_pool(key: str) -> str:
    head = key.split("/", 1)[0]
    return {"extranet": "pool:extranet", "cloud": "pool:cloud", "loopback": "pool:loopbacks",
            "p2p": "pool:p2p", "mgmt": "pool:management"}.get(head, "pool:extranet")


def _shortage_message(inv: m.Inventory, shortfall: dict[str, int], blocks: dict[str, list[Block]],
                      kinds: dict[str, tuple[Kind, str]]) -> str:
    lines = []
    for parent, missing in sorted(shortfall.items()):
        if parent not in blocks:
            if parent.startswith("pool:"):
                lines.append(f"no pool for use '{parent[5:]}' in ipv6.yaml ({missing} allocations need one)")
            continue  # a child of something that itself did not fit: reported through its parent
        child_kinds = {kinds[k][0] for k, (_, p) in kinds.items() if p == parent}
        kind = sorted(child_kinds, key=lambda k: k.value)[0]
        length = _length(inv, kind)
        nets = ", ".join(str(b.network) for b in blocks[parent])
        have = sum(b.capacity(length) for b in blocks[parent] if b.network.prefixlen < length)
        need = sum(1 for _, p in kinds.values() if p == parent)
        name = parent[5:] if parent.startswith("pool:") else parent
        fixed = kind in (Kind.loopback, Kind.p2p, Kind.management)  # /128 and /127 are not parameters
        advice = "give it a larger prefix in ipv6.yaml" if fixed else \
            f"give it a larger prefix or a longer '{kind.value}' length in ipv6.yaml"
        lines.append(f"pool '{name}' ({nets}) has room for {have} x /{length} ({kind.value}) but "
                     f"{need} {'is' if need == 1 else 'are'} needed ({missing} did not fit): {advice}")
    return "IPv6 plan does not fit:\n  " + "\n  ".join(lines)
