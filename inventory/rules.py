"""The plans' rules: checks on a whole, well-formed inventory.

Each rule has an id, a title, the seed plan or standard it comes from, and a
severity. Parameters (distances, bandwidths, which levels have an egress) come
from ``province.yaml: rules`` so a province can state its own plan's numbers.
"""
from __future__ import annotations

import ipaddress
import math
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from govctl.inventory import models as m
from govctl.core.errors import Problem, Severity

if TYPE_CHECKING:
    from govctl.inventory.loader import Loaded

SEED_HUBEI = "seed 000 (湖北省数字政府实施方案)"
SEED_GUANGXI = "seed 001 (广西政务数据聚通用行动方案)"
SEED_GUANGDONG = "seed 002 (广东省数字政府建设总体规划2018-2020年)"
SEED_HUNAN = "seed 003 (湖南省十三五电子政务规划)"
SEED_JIANGXI = "seed 004 (江西某市数字政府实施方案)"
GB22239 = "GB/T 22239-2019 (等保2.0) cloud extension"
GB20988 = "GB/T 20988-2025"
ROUTING = "IP routing: one prefix, one place per routing domain (RFC 4632)"

# The ports whose exposure to the whole Internet 等保 assessors treat as an open management plane.
MANAGEMENT_PORTS: dict[int, str] = {22: "ssh", 23: "telnet", 161: "snmp", 623: "ipmi", 830: "netconf",
                                    3389: "rdp", 5900: "vnc", 6443: "kubernetes-api"}


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    source: str
    severity: Severity
    check: Callable[[Loaded], Iterator[tuple[str, str, tuple, str, object]]]


RULES: list[Rule] = []


def rule(rid: str, title: str, source: str, severity: Severity = "error") -> Callable:
    """Register a check. It yields (kind, id, sub-path, message, value) for each finding."""

    def wrap(fn: Callable) -> Callable:
        RULES.append(Rule(rid, title, source, severity, fn))
        return fn

    return wrap


# Which inventory file each part of the model comes from (for rules run on a partial model).
FILE_OF = {"province": "province.yaml", "divisions": "province.yaml", "sites": "sites.yaml",
           "clouds": "clouds.yaml", "platforms": "clouds.yaml", "departments": "departments.yaml",
           "tenants": "tenants.yaml", "nodes": "extranet.yaml", "links": "extranet.yaml",
           "egress": "extranet.yaml", "extranet_asn": "extranet.yaml", "ipv6": "ipv6.yaml",
           "allocations": "ipv6-allocations.yaml", "dedicated_networks": "dedicated_networks.yaml",
           "systems": "systems.yaml"}


class _Reading:
    """The model as one rule sees it, noting which parts the rule reads."""

    def __init__(self, inventory: m.Inventory) -> None:
        self._inventory = inventory
        self.read: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        self.read.add(name)
        return getattr(self._inventory, name)


def check_rules(loaded: Loaded, tolerate_dangling: bool = False) -> list[Problem]:
    """Run every enabled rule. With ``tolerate_dangling`` (the model has known dangling
    references, already reported), a rule that trips over one is skipped rather than crashing.

    When items of a file were withheld for their shape faults, a rule that read that file's part of the
    model reports only findings about a particular item of that same file: a withheld primary site must
    not also be reported as an incomplete 两地三中心 (one defect, one message), while a second tenant
    that breaks SEC-004 is still found when the first tenant is malformed. Other rules run as usual."""
    partial = {name for name, src in loaded.origins.files.items() if src.kept}
    file_of_src = {id(src): name for name, src in loaded.origins.files.items()}
    disabled = set(loaded.inventory.province.rules.disabled)
    out: list[Problem] = []
    known = {r.id for r in RULES}
    for i, rid in enumerate(loaded.inventory.province.rules.disabled):
        if rid not in known:  # a typo would silently disable nothing
            out.append(loaded.origins.in_file("province.yaml", ("rules", "disabled", i),
                                              f"no such rule (known: {', '.join(sorted(known))})", rid))
    for r in RULES:
        if r.id in disabled:
            continue
        reading = _Reading(loaded.inventory) if partial else None
        try:
            findings = list(r.check(replace(loaded, inventory=cast(m.Inventory, reading)) if reading else loaded))
        except (KeyError, ValueError):
            if not tolerate_dangling:
                raise
            continue
        read_partial = {FILE_OF.get(a, "") for a in reading.read} & partial if reading is not None else set()
        if read_partial:
            findings = [f for f in findings if f[0] != "file" and len(read_partial) == 1
                        and (f[0], f[1]) in loaded.origins.where
                        and file_of_src.get(id(loaded.origins.where[(f[0], f[1])][0])) in read_partial]
        for kind, ident, sub, message, value in findings:
            if kind == "file":
                out.append(loaded.origins.in_file(ident, sub, message, value, severity=r.severity, rule=r.id,
                                                  source=r.source))
            else:
                out.append(loaded.origins.problem(kind, ident, sub, message, value, severity=r.severity, rule=r.id,
                                                  source=r.source))
    return out


def distance_km(a: m.Site, b: m.Site) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    la1, lo1, la2, lo2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


# ---------------------------------------------------------------- 两地三中心


def _sites_by_role(inv: m.Inventory) -> dict[m.SiteRole, list[m.Site]]:
    out: dict[m.SiteRole, list[m.Site]] = defaultdict(list)
    for s in inv.sites.sites:
        out[s.role].append(s)
    return out


@rule("DR-001", "两地三中心 complete: one primary, a same-city secondary and a remote DR site",
      f"{SEED_GUANGDONG}; {SEED_HUNAN}")
def _dr_complete(loaded: Loaded) -> Iterator:
    roles = _sites_by_role(loaded.inventory)
    if len(roles[m.SiteRole.primary]) != 1:
        yield ("file", "sites.yaml", ("sites",),
               f"expected exactly one primary site, found {len(roles[m.SiteRole.primary])}", None)
    if not roles[m.SiteRole.same_city] and loaded.inventory.province.rules.require_same_city:
        yield ("file", "sites.yaml", ("sites",), "no same-city secondary site (role: same_city); set "
                                                 "rules.require_same_city: false only where the plan has none", None)
    if not roles[m.SiteRole.remote_dr]:
        yield ("file", "sites.yaml", ("sites",), "no remote disaster-recovery site (role: remote_dr)", None)


@rule("DR-002", "the same-city secondary is in the primary's city", SEED_GUANGDONG)
def _dr_same_city(loaded: Loaded) -> Iterator:
    roles = _sites_by_role(loaded.inventory)
    if len(roles[m.SiteRole.primary]) != 1:
        return
    primary = roles[m.SiteRole.primary][0]
    for s in roles[m.SiteRole.same_city]:
        if s.city != primary.city:
            yield ("site", s.id, ("city",), f"a same-city secondary must be in the primary's city '{primary.city}'",
                   s.city)


@rule("DR-003", "the remote DR site is at least the configured distance from the primary", SEED_GUANGDONG)
def _dr_distance(loaded: Loaded) -> Iterator:
    inv = loaded.inventory
    roles = _sites_by_role(inv)
    if len(roles[m.SiteRole.primary]) != 1:
        return
    primary = roles[m.SiteRole.primary][0]
    need = inv.province.rules.dr_min_distance_km
    for s in roles[m.SiteRole.remote_dr]:
        d = distance_km(primary, s)
        if d < need:
            yield ("site", s.id, ("latitude",), f"remote DR is {d:.0f} km from the primary '{primary.id}', "
                                                f"expected at least {need:.0f} km", f"{d:.0f} km")


@rule("DR-004", "primary and same-city secondary joined by enough capacity (default 2 x 10G)", SEED_GUANGDONG)
def _dr_links(loaded: Loaded) -> Iterator:
    inv = loaded.inventory
    roles = _sites_by_role(inv)
    rules = inv.province.rules
    for p in roles[m.SiteRole.primary]:
        for s in roles[m.SiteRole.same_city]:
            good = sum(link.count for link in inv.sites.links
                       if {link.a, link.b} == {p.id, s.id} and link.gbps >= rules.dr_min_link_gbps)
            if good < rules.dr_min_links:
                yield ("site", s.id, (), f"{p.id} <-> {s.id} has {good} link(s) of >= {rules.dr_min_link_gbps:g}G, "
                                         f"expected {rules.dr_min_links}", good)


@rule("DR-005", "a DR-graded tenant's platform has a remote-DR region; grades >= same_city_min_dr_grade "
                "(5) also a same-city one", f"{GB20988}; {SEED_GUANGDONG}")
def _dr_tenant(loaded: Loaded) -> Iterator:
    inv = loaded.inventory
    site_role = {s.id: s.role for s in inv.sites.sites}
    platforms = {p.id: p for p in inv.platforms}
    active_active = inv.province.rules.same_city_min_dr_grade
    for t in inv.tenants:
        p = platforms.get(t.platform)
        if p is None or t.dr.grade == 0:
            continue
        roles = {site_role.get(r.site) for r in p.openstack.regions}
        need = [m.SiteRole.remote_dr] + ([m.SiteRole.same_city] if t.dr.grade >= active_active else [])
        missing = [r.value for r in need if r not in roles]
        if missing:
            yield ("tenant", t.id, ("dr", "grade"), f"DR grade {t.dr.grade} needs platform '{p.id}' to have "
                                                    f"regions at {' and '.join(missing)} sites", t.dr.grade)


# ---------------------------------------------------------------- cloud and security


@rule("PLAT-001", "exactly one provincial platform (1+N+M)", SEED_GUANGDONG)
def _one_provincial(loaded: Loaded) -> Iterator:
    n = sum(1 for p in loaded.inventory.platforms if p.kind == m.PlatformKind.provincial)
    if n != 1:
        yield ("file", "clouds.yaml", ("platforms",), f"expected exactly one provincial platform, found {n}", n)


@rule("PLAT-002", "industry and municipal platforms federate with the provincial platform",
      f"{SEED_GUANGDONG}; {SEED_HUBEI}")
def _federation(loaded: Loaded) -> Iterator:
    provincial = {p.id for p in loaded.inventory.platforms if p.kind == m.PlatformKind.provincial}
    for p in loaded.inventory.platforms:
        if p.kind != m.PlatformKind.provincial and not provincial & set(p.federates_with):
            yield ("platform", p.id, ("federates_with",), "must federate with the provincial platform "
                                                          f"({', '.join(sorted(provincial)) or 'none defined'})",
                   p.federates_with)


@rule("SEC-001", "a tenant's 等保 level is not above its platform's", GB22239)
def _level_vs_platform(loaded: Loaded) -> Iterator:
    platforms = {p.id: p for p in loaded.inventory.platforms}
    for t in loaded.inventory.tenants:
        p = platforms.get(t.platform)
        if p is not None and t.security_level > p.security_level:
            yield ("tenant", t.id, ("security_level",),
                   f"above its platform '{p.id}' (level {p.security_level})", t.security_level)


@rule("SEC-002", "classified (涉密) systems never go on the extranet cloud", f"{SEED_HUNAN}; {GB22239}")
def _classified(loaded: Loaded) -> Iterator:
    inv = loaded.inventory
    for t in inv.tenants:
        if t.classification == m.Classification.classified:
            yield ("tenant", t.id, ("classification",), "a classified tenant cannot exist on the extranet cloud",
                   t.classification.value)
    for s in inv.systems:
        if s.classification == m.Classification.classified and (
                s.target_platform is not None or s.status in ("migrating", "migrated")):
            yield ("system", s.id, ("target_platform",) if s.target_platform else ("status",),
                   "a classified system stays on the intranet, never on the cloud", s.target_platform or s.status)
    for d in inv.dedicated_networks:
        if d.classification == m.Classification.classified and d.status != "kept":
            yield ("dedicated_network", d.id, ("status",),
                   "a classified dedicated network is kept (status: kept), never moved to the extranet", d.status)


@rule("SEC-003", "等保 level-4 and above stays off the shared cloud", GB22239)
def _level4(loaded: Loaded) -> Iterator:
    inv = loaded.inventory
    for t in inv.tenants:
        if t.security_level >= 4:
            yield ("tenant", t.id, ("security_level",), "level 4 and above cannot run on the shared cloud",
                   t.security_level)
    for s in inv.systems:
        if s.security_level >= 4 and s.target_platform is not None:
            yield ("system", s.id, ("target_platform",), f"a level-{s.security_level} system cannot target the "
                                                         "shared cloud", s.target_platform)


@rule("SEC-004", "sensitive non-classified tenants sit on the strong isolation plane or dedicated hosts",
      SEED_GUANGDONG)
def _sensitive(loaded: Loaded) -> Iterator:
    platforms = {p.id: p for p in loaded.inventory.platforms}
    for t in loaded.inventory.tenants:
        if t.classification == m.Classification.sensitive and t.isolation == m.Isolation.standard:
            yield ("tenant", t.id, ("isolation",), "a sensitive tenant needs isolation 'strong' or "
                                                   "'dedicated_hosts'", t.isolation.value)
        p = platforms.get(t.platform)
        if t.isolation == m.Isolation.strong and p is not None and p.strong_isolation_ipv4 is None:
            yield ("tenant", t.id, ("isolation",), f"platform '{p.id}' has no strong isolation plane "
                                                   "(clouds.yaml: strong_isolation_ipv4)", t.isolation.value)


@rule("SEC-005", "no management port open to the whole Internet (default deny, minimal rules)", GB22239)
def _mgmt_ports(loaded: Loaded) -> Iterator:
    for t in loaded.inventory.tenants:
        for i, r in enumerate(t.ingress):
            if ipaddress.ip_network(r.source).prefixlen != 0 or r.ports is None:
                continue
            lo, _, hi = r.ports.partition("-")
            ports = range(int(lo), int(hi or lo) + 1)
            opened = sorted(p for p in MANAGEMENT_PORTS if p in ports)
            if opened:
                yield ("tenant", t.id, ("ingress", i), f"management port(s) {opened} open to {r.source}", r.ports)


# ---------------------------------------------------------------- extranet


def _tier_of(inv: m.Inventory) -> dict[str, m.Tier]:
    return {n.id: n.tier for n in inv.nodes}


def _uplinks(inv: m.Inventory) -> dict[str, list[tuple[int, m.Link, str]]]:
    """node -> its links towards a higher tier (index, link, the node on the other end)."""
    tier = _tier_of(inv)
    out: dict[str, list[tuple[int, m.Link, str]]] = defaultdict(list)
    for i, link in enumerate(inv.links):
        ta, tb = tier.get(link.a), tier.get(link.b)
        if ta is None or tb is None:
            continue
        if ta.depth > tb.depth:
            out[link.a].append((i, link, link.b))
        elif tb.depth > ta.depth:
            out[link.b].append((i, link, link.a))
    return out


@rule("NET-001", "extranet uplink bandwidth by tier (default 10G city, 1G county, 100M town)", SEED_GUANGDONG)
def _bandwidth(loaded: Loaded) -> Iterator:
    inv = loaded.inventory
    need = inv.province.rules.tier_bandwidth_mbps
    tier = _tier_of(inv)
    for node, ups in _uplinks(inv).items():
        want = need.get(tier[node])
        if want is None:
            continue
        for i, link, _ in ups:
            if link.mbps < want:
                yield ("link", str(i), ("mbps",), f"uplink of {tier[node].value} node '{node}' is below "
                                                  f"{want} Mbps", link.mbps)


@rule("NET-002", "dual uplinks to two different nodes for the tiers the plan asks (dual core, dual links)",
      SEED_GUANGDONG)
def _dual(loaded: Loaded) -> Iterator:
    inv = loaded.inventory
    tiers = set(inv.province.rules.dual_uplink_tiers)
    ups = _uplinks(inv)
    for n in inv.nodes:
        if n.tier in tiers:
            peers = {other for _, _, other in ups.get(n.id, [])}
            if len(peers) < 2:
                yield ("node", n.id, (), f"a {n.tier.value} node needs uplinks to two different nodes, "
                                         f"has {len(peers)}", sorted(peers))


@rule("NET-003", "exactly one Internet egress per government level", f"{SEED_HUNAN}; {SEED_GUANGDONG}")
def _egress(loaded: Loaded) -> Iterator:
    inv = loaded.inventory
    levels = set(inv.province.rules.egress_levels)
    count: dict[str, int] = defaultdict(int)
    for e in inv.egress:
        count[e.division] += 1
        if e.level not in levels:
            yield ("egress", e.id, ("level",), f"only levels {sorted(t.value for t in levels)} have an Internet "
                                               "egress; others use their level's", e.level.value)
    for div, tier in inv.divisions().items():
        if tier in levels and count[div] != 1:
            what = div or "the province"
            yield ("file", "extranet.yaml", ("egress",), f"{what} ({tier.value}) needs exactly one Internet egress, "
                                                         f"has {count[div]}", count[div])


@rule("NET-004", "at least two carriers at the provincial egress (multi-line BGP)", SEED_GUANGDONG)
def _carriers(loaded: Loaded) -> Iterator:
    need = loaded.inventory.province.rules.min_province_carriers
    for e in loaded.inventory.egress:
        if e.level == m.Tier.province and len({c.asn for c in e.carriers}) < need:
            yield ("egress", e.id, ("carriers",), f"expected at least {need} carriers with distinct AS numbers",
                   len(e.carriers))


@rule("NET-005", "every extranet node is connected to the province core", f"{SEED_HUNAN}; {SEED_GUANGDONG}")
def _connected(loaded: Loaded) -> Iterator:
    inv = loaded.inventory
    adj: dict[str, list[str]] = defaultdict(list)
    for link in inv.links:
        adj[link.a].append(link.b)
        adj[link.b].append(link.a)
    start = [n.id for n in inv.nodes if n.tier == m.Tier.province]
    seen = set(start)
    todo = deque(start)
    while todo:
        for nxt in adj[todo.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    for n in inv.nodes:
        if n.id not in seen:
            yield ("node", n.id, (), "not connected to any province-tier node", n.id)


@rule("NET-006", "every division at every tier has an extranet node (四级100%联通)", SEED_HUNAN, "warning")
def _coverage(loaded: Loaded) -> Iterator:
    inv = loaded.inventory
    covered = {n.division for n in inv.nodes}
    missing = [d for d in inv.divisions() if d not in covered]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        yield ("file", "extranet.yaml", (), f"{len(missing)} division(s) have no extranet node: {shown}",
               len(missing))


@rule("V6-001", "every extranet node is dual-stack", f"{SEED_HUBEI}; {SEED_GUANGDONG}", "warning")
def _node_v6(loaded: Loaded) -> Iterator:
    for n in loaded.inventory.nodes:
        if not n.ipv6:
            yield ("node", n.id, ("ipv6",), "not yet dual-stack", False)


@rule("V6-002", "every tenant network is dual-stack", f"{SEED_HUBEI}; {SEED_GUANGDONG}", "warning")
def _tenant_v6(loaded: Loaded) -> Iterator:
    for t in loaded.inventory.tenants:
        for i, net in enumerate(t.networks):
            if not net.ipv6:
                yield ("tenant", t.id, ("networks", i, "ipv6"), f"network '{net.name}' not yet dual-stack", False)


@rule("QUOTA-001", "a tenant's network quotas hold the networks, subnets and router govctl creates in its project",
      "OpenStack Neutron: a create beyond the project's quota is refused (HTTP 409 Quota exceeded), mid-apply")
def _quota_fit(loaded: Loaded) -> Iterator:
    for t in loaded.inventory.tenants:
        q = t.quotas
        need = {"networks": len(t.networks), "subnets": sum(1 + bool(n.ipv6) for n in t.networks), "routers": 1}
        for key, count in need.items():
            if getattr(q, key) < count:
                yield ("tenant", t.id, ("quotas", key), f"quota {key} {getattr(q, key)} is below the {count} "
                                                        f"the tenant's networks need; Neutron would refuse the rest "
                                                        "mid-apply", getattr(q, key))


# ---------------------------------------------------------------- addressing


def _domains(inv: m.Inventory) -> dict[str, list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, tuple]]]:
    """routing domain -> (prefix, where it was written)."""
    out: dict[str, list] = defaultdict(list)
    for t in inv.tenants:
        for i, net in enumerate(t.networks):
            domain = net.routing_domain or f"tenant {t.id}"
            out[domain].append((ipaddress.ip_network(net.ipv4), ("tenant", t.id, ("networks", i, "ipv4"))))
    for p in inv.platforms:
        for key in ("external_ipv4", "strong_isolation_ipv4"):
            value = getattr(p, key)
            if value:
                out["extranet"].append((ipaddress.ip_network(value), ("platform", p.id, (key,))))
    for i, link in enumerate(inv.links):
        if link.ipv4:
            out["extranet"].append((ipaddress.ip_network(link.ipv4), ("link", str(i), ("ipv4",))))
    for d in inv.dedicated_networks:
        for si, s in enumerate(d.sites):
            for pi, pfx in enumerate(s.prefixes):
                out[f"vpn {d.vpn}"].append((ipaddress.ip_network(pfx),
                                            ("dedicated_network", d.id, ("sites", si, "prefixes", pi))))
    return out


def overlaps(prefixes: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, tuple]]) -> Iterator[tuple]:
    """Pairs (later, earlier) that overlap; a sweep over sorted ranges, O(n log n)."""
    # containers before what they contain, so the more specific prefix is the one reported
    ranked = sorted(prefixes, key=lambda x: (x[0].version, int(x[0].network_address), x[0].prefixlen))
    open_: tuple | None = None
    for item in ranked:
        net = item[0]
        if open_ is not None and open_[0].version == net.version and \
                int(net.network_address) <= int(open_[0].broadcast_address):
            yield item, open_
            if int(net.broadcast_address) <= int(open_[0].broadcast_address):
                continue
        open_ = item


@rule("ADDR-001", "no overlapping prefixes within a routing domain", ROUTING)
def _overlap(loaded: Loaded) -> Iterator:
    for domain, prefixes in _domains(loaded.inventory).items():
        for (net, (kind, ident, sub)), (other, (okind, oident, _)) in overlaps(prefixes):
            yield (kind, ident, sub, f"overlaps {other} of {okind.replace('_', ' ')} '{oident}' "
                                     f"in routing domain '{domain}'", str(net))


@rule("ADDR-002", "management addresses are unique", ROUTING)
def _mgmt_unique(loaded: Loaded) -> Iterator:
    seen: dict[str, str] = {}
    for n in loaded.inventory.nodes:
        if n.mgmt is None:
            continue
        if n.mgmt in seen:
            yield ("node", n.id, ("mgmt",), f"same management address as '{seen[n.mgmt]}'", n.mgmt)
        seen.setdefault(n.mgmt, n.id)


def _gateway_range(t: m.Tenant, p: m.Platform) -> tuple[str, str | None]:
    """The external range a tenant's router takes its gateway address from (and which key holds it)."""
    if t.isolation == m.Isolation.strong:
        return "strong_isolation_ipv4", p.strong_isolation_ipv4
    return "external_ipv4", p.external_ipv4


@rule("ADDR-003", "a tenant network does not overlap the external range its router's gateway is on",
      "OpenStack Neutron: a router interface may not overlap its gateway subnet (HTTP 400)")
def _tenant_vs_gateway(loaded: Loaded) -> Iterator:
    platforms = {p.id: p for p in loaded.inventory.platforms}
    for t in loaded.inventory.tenants:
        p = platforms.get(t.platform)
        if p is None:
            continue
        key, gateway = _gateway_range(t, p)
        if gateway is None:
            continue
        gw = ipaddress.ip_network(gateway)
        for i, net in enumerate(t.networks):
            if ipaddress.ip_network(net.ipv4).overlaps(gw):
                yield ("tenant", t.id, ("networks", i, "ipv4"), f"overlaps {gw}, the {key} of platform "
                                                                f"'{p.id}' that the tenant's router uses", net.ipv4)


@rule("ADDR-004", "a platform's external range has an address for every tenant router's gateway",
      "OpenStack Neutron: a full external subnet refuses more gateways (HTTP 409)", "warning")
def _external_capacity(loaded: Loaded) -> Iterator:
    routers: dict[str, int] = defaultdict(int)
    for t in loaded.inventory.tenants:
        if t.isolation != m.Isolation.strong:  # strong tenants get their own external network
            routers[t.platform] += 1
    for p in loaded.inventory.platforms:
        if p.external_ipv4 is None or not routers[p.id]:
            continue
        # network, broadcast and the gateway itself are not for routers
        room = ipaddress.ip_network(p.external_ipv4).num_addresses - 3
        if routers[p.id] > room:
            yield ("platform", p.id, ("external_ipv4",), f"{routers[p.id]} tenant routers need a gateway "
                                                         f"address but the range holds {max(room, 0)}",
                   p.external_ipv4)
