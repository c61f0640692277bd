"""Shape checks that span objects: duplicate ids and references to things that do not exist."""
from __future__ import annotations

import ipaddress
from collections.abc import Container, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govctl.inventory import models as m
from govctl.core.errors import Problem
from govctl.inventory.yamlsrc import SourceFile, format_path

if TYPE_CHECKING:
    from govctl.inventory.loader import Loaded


# Ids the IPv6 plan keeps for itself (ipv6/models.py): `cloud/<platform>/external` holds a platform's external
# networks beside its tenants' blocks, and `extranet/province` is the province's own block beside its cities'.
# file -> (list key, what, id -> why)
RESERVED_IDS: dict[str, tuple[str, str, dict[str, str]]] = {
    "tenants.yaml": ("tenants", "tenant", {
        "external": "the IPv6 plan keeps cloud/<platform>/external for each platform's external networks"}),
    "province.yaml": ("cities", "city", {
        "province": "the IPv6 plan keeps extranet/province for the province's own block"}),
}


def check_reserved_ids(fname: str, src: SourceFile) -> list[Problem]:
    """Reserved ids, checked on the file as written: located at the id, and found in every run,
    whatever else is wrong in this or any other file (the expanded model may never be built)."""
    if fname not in RESERVED_IDS:
        return []
    key, what, reserved = RESERVED_IDS[fname]
    items = src.data.get(key) if isinstance(src.data, dict) else None
    out = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        ident = item.get("id") if isinstance(item, dict) else None
        if isinstance(ident, str) and ident.strip() in reserved:
            path = (key, i, "id")
            out.append(Problem(src.name, src.line_of(path), format_path(path),
                               f"{what} id '{ident.strip()}' is reserved: {reserved[ident.strip()]}; rename the {what}",
                               ident))
    return out


def _dupes(fname: str, items: Iterable[tuple[str, tuple]], what: str, loaded: Loaded) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for ident, path in items:
        if ident in seen:
            out.append(loaded.origins.in_file(fname, path + ("id",), f"duplicate {what} id", ident))
        seen.add(ident)
    return out


@dataclass(frozen=True)
class _Ids:
    """The ids every reference is checked against."""

    cities: dict[str, m.City]
    divisions: dict[str, m.Tier]
    sites: set[str]
    platforms: dict[str, m.Platform]
    departments: dict[str, m.Department]
    tenants: set[str]
    nodes: dict[str, m.Node]
    systems: set[str]


def check_references(loaded: Loaded) -> list[Problem]:
    inv, o = loaded.inventory, loaded.origins
    prov = inv.province
    ids = _Ids(cities={c.id: c for c in prov.cities}, divisions=inv.divisions(), sites={s.id for s in inv.sites.sites},
               platforms={p.id: p for p in inv.platforms}, departments={d.id: d for d in inv.departments},
               tenants={t.id for t in inv.tenants}, nodes={n.id: n for n in inv.nodes},
               systems={s.id for s in inv.systems})
    P = _duplicates(loaded)
    for check in (_check_sites, _check_platforms, _check_departments, _check_tenants, _check_extranet,
                  _check_dedicated_networks, _check_systems_and_freezes):
        P += check(inv, o, ids)
    P += _check_pools(loaded)
    # One defect, one message: an item withheld for its shape fault is still known by its id.
    return [p for p in P if not (p.message.startswith("no such") and p.value in o.withheld)]




def _duplicates(loaded: Loaded) -> list[Problem]:
    """Ids written twice (or generated twice by a template), each located where it stands again."""
    inv = loaded.inventory
    prov = inv.province
    P: list[Problem] = []
    # duplicates in what the user wrote
    P += _dupes("province.yaml", ((c.id, ("cities", i)) for i, c in enumerate(prov.cities)), "city", loaded)
    for ci, c in enumerate(prov.cities):
        # counties and a city's own towns share the city's path namespace
        P += _dupes("province.yaml", [(k.id, ("cities", ci, "counties", i)) for i, k in enumerate(c.counties)]
                    + ([(t.id, ("cities", ci, "towns", i)) for i, t in enumerate(c.towns)]
                       if isinstance(c.towns, list) else []), "county or town", loaded)
        if isinstance(c.towns, m.TownCount):
            P += _dupes("province.yaml", [(k.id, ("cities", ci, "counties", i)) for i, k in enumerate(c.counties)]
                        + [(t.id, ("cities", ci, "towns")) for t in m.towns_of(c)], "county or town", loaded)
        for ki, k in enumerate(c.counties):
            if isinstance(k.towns, list):
                P += _dupes("province.yaml",
                            ((t.id, ("cities", ci, "counties", ki, "towns", i)) for i, t in enumerate(k.towns)),
                            "town", loaded)
    P += _dupes("sites.yaml", ((s.id, ("sites", i)) for i, s in enumerate(inv.sites.sites)), "site", loaded)
    P += _dupes("clouds.yaml", ((p.id, ("platforms", i)) for i, p in enumerate(inv.platforms)), "platform", loaded)
    P += _dupes_expanded(loaded, "department", [d.id for d in inv.departments])
    P += _dupes_expanded(loaded, "tenant", [t.id for t in inv.tenants])
    P += _dupes_expanded(loaded, "node", [n.id for n in inv.nodes])
    P += _dupes_expanded(loaded, "egress", [e.id for e in inv.egress])
    P += _dupes_expanded(loaded, "dedicated_network", [d.id for d in inv.dedicated_networks])
    P += _dupes_expanded(loaded, "system", [s.id for s in inv.systems])
    return P


def _unknown(o: Any, kind: str, ident: str, path: tuple, value: str | None, known: Container[str],
             what: str) -> list[Problem]:
    """The problem of a reference (``value``, at ``path`` of the ``kind`` ``ident``) to a ``what`` that
    ``known`` lacks; none for a reference that is not given (None)."""
    if value is None or value in known:
        return []
    return [o.problem(kind, ident, path, f"no such {what}", value)]


def _peers(o: Any, kind: str, ident: str, field: str, refs: list[str], known: Container[str],
           itself: str) -> list[Problem]:
    """The problems of a list (``field``) of references from the ``kind`` ``ident`` to others of its kind:
    one that ``known`` lacks, and one to itself (``itself`` says why that is wrong)."""
    P: list[Problem] = []
    for i, ref in enumerate(refs):
        if ref not in known:
            P.append(o.problem(kind, ident, (field, i), f"no such {kind}", ref))
        elif ref == ident:
            P.append(o.problem(kind, ident, (field, i), itself, ref))
    return P


def _check_sites(inv: m.Inventory, o: Any, ids: _Ids) -> list[Problem]:
    """sites.yaml: each site's city, and links between two known sites."""
    P: list[Problem] = []
    sites = ids.sites
    for s in inv.sites.sites:
        P += _unknown(o, "site", s.id, ("city",), s.city, ids.cities, "city in province.yaml")
    for i, link in enumerate(inv.sites.links):
        for end in ("a", "b"):
            if getattr(link, end) not in sites:
                P.append(o.in_file("sites.yaml", ("links", i, end), "no such site", getattr(link, end)))
        if link.a == link.b:
            P.append(o.in_file("sites.yaml", ("links", i), "a link joins two different sites", link.a))
    return P


def _check_platforms(inv: m.Inventory, o: Any, ids: _Ids) -> list[Problem]:
    """clouds.yaml: cities, sectors, regions' sites and federation partners."""
    P: list[Problem] = []
    for p in inv.platforms:
        if p.kind == m.PlatformKind.municipal and p.city is None:
            P.append(o.problem("platform", p.id, ("city",), "a municipal platform names the city it serves"))
        P += _unknown(o, "platform", p.id, ("city",), p.city, ids.cities, "city in province.yaml")
        if p.kind == m.PlatformKind.industry and not p.sector:
            P.append(o.problem("platform", p.id, ("sector",), "an industry platform names its sector"))
        for ri, r in enumerate(p.openstack.regions):
            P += _unknown(o, "platform", p.id, ("openstack", "regions", ri, "site"), r.site, ids.sites, "site")
        P += _peers(o, "platform", p.id, "federates_with", p.federates_with, ids.platforms,
                    "a platform cannot federate with itself")
    return P


def _check_departments(inv: m.Inventory, o: Any, ids: _Ids) -> list[Problem]:
    """departments.yaml: cities and counties."""
    P: list[Problem] = []
    divisions = ids.divisions
    for d in inv.departments:
        P += _unknown(o, "department", d.id, ("city",), d.city, ids.cities, "city in province.yaml")
        if d.county is not None and (d.city is None or f"{d.city}/{d.county}" not in divisions):
            P.append(o.problem("department", d.id, ("county",), f"no such county in city {d.city}", d.county))
        if d.level in (m.Tier.city, m.Tier.county) and d.city is None:
            P.append(o.problem("department", d.id, ("city",), f"a {d.level.value} department names its city"))
    return P


def _check_tenants(inv: m.Inventory, o: Any, ids: _Ids) -> list[Problem]:
    """tenants.yaml: departments, platforms, sharing, network names, ingress ports."""
    P: list[Problem] = []
    tenants = ids.tenants
    for t in inv.tenants:
        P += _unknown(o, "tenant", t.id, ("department",), t.department, ids.departments,
                      "department in departments.yaml")
        P += _unknown(o, "tenant", t.id, ("platform",), t.platform, ids.platforms, "platform in clouds.yaml")
        for si, other in enumerate(t.shared_with):
            if other not in tenants or other == t.id:
                P.append(o.problem("tenant", t.id, ("shared_with", si), "no such other tenant", other))
        names = [n.name for n in t.networks]
        for ni, name in enumerate(names):
            if name in names[:ni]:
                P.append(o.problem("tenant", t.id, ("networks", ni, "name"), "duplicate network name", name))
        for ri, rule in enumerate(t.ingress):
            if rule.protocol in ("tcp", "udp") and rule.ports is None:
                P.append(o.problem("tenant", t.id, ("ingress", ri, "ports"),
                                   "tcp and udp rules name their ports (e.g. '443' or '8000-8080')"))
            if rule.ports and "-" in rule.ports:
                lo, hi = (int(x) for x in rule.ports.split("-"))
                if not 1 <= lo <= hi <= 65535:
                    P.append(o.problem("tenant", t.id, ("ingress", ri, "ports"), "a port range is 1-65535, low-high",
                                       rule.ports))
            elif rule.ports and not 1 <= int(rule.ports) <= 65535:
                P.append(o.problem("tenant", t.id, ("ingress", ri, "ports"), "a port is 1-65535", rule.ports))
    return P


def _check_extranet(inv: m.Inventory, o: Any, ids: _Ids) -> list[Problem]:
    """extranet.yaml: nodes' divisions and sites, links' ends, egress nodes and levels."""
    P: list[Problem] = []
    divisions = ids.divisions
    nodes = ids.nodes
    for n in inv.nodes:
        tier = divisions.get(n.division)
        if tier is None:
            P.append(o.problem("node", n.id, ("division",), "no such division (use 'city', 'city/county' or "
                                                             "'city/county/town' ids from province.yaml)", n.division))
        elif tier != n.tier:
            P.append(o.problem("node", n.id, ("tier",), f"the division '{n.division}' is a {tier.value}, "
                                                        f"not a {n.tier.value}", n.tier.value))
        P += _unknown(o, "node", n.id, ("site",), n.site, ids.sites, "site in sites.yaml")
    seen_links: set[frozenset[str]] = set()
    for i, link in enumerate(inv.links):
        for end in ("a", "b"):
            if getattr(link, end) not in nodes:
                P.append(o.problem("link", str(i), (end,), "no such extranet node", getattr(link, end)))
        if link.a == link.b:
            P.append(o.problem("link", str(i), (), "a link joins two different nodes", link.a))
        if link.ipv4 is not None and ipaddress.ip_network(link.ipv4).version != 4:
            P.append(o.problem("link", str(i), ("ipv4",), "expected an IPv4 prefix", link.ipv4))
        seen_links.add(frozenset((link.a, link.b)))

    for e in inv.egress:
        P += _unknown(o, "egress", e.id, ("node",), e.node, ids.nodes, "extranet node")
        tier = divisions.get(e.division)
        if tier is None:
            P.append(o.problem("egress", e.id, ("division",), "no such division", e.division))
        elif tier != e.level:
            P.append(o.problem("egress", e.id, ("level",), f"the division '{e.division}' is a {tier.value}",
                               e.level.value))
    return P


def _check_dedicated_networks(inv: m.Inventory, o: Any, ids: _Ids) -> list[Problem]:
    """dedicated_networks.yaml: departments, target nodes, site divisions, windows."""
    P: list[Problem] = []
    for d in inv.dedicated_networks:
        P += _unknown(o, "dedicated_network", d.id, ("department",), d.department, ids.departments, "department")
        for ni, node in enumerate(d.target_nodes):
            P += _unknown(o, "dedicated_network", d.id, ("target_nodes", ni), node, ids.nodes, "extranet node")
        for si, s in enumerate(d.sites):
            P += _unknown(o, "dedicated_network", d.id, ("sites", si, "division"), s.division, ids.divisions,
                          "division")
        if d.window is not None and d.window.end <= d.window.start:
            P.append(o.problem("dedicated_network", d.id, ("window", "end"), "the window must end after it starts",
                               str(d.window.end)))
    return P


def _check_systems_and_freezes(inv: m.Inventory, o: Any, ids: _Ids) -> list[Problem]:
    """systems.yaml's references, and province.yaml's change freezes."""
    P: list[Problem] = []
    for s in inv.systems:
        P += _unknown(o, "system", s.id, ("department",), s.department, ids.departments, "department")
        P += _peers(o, "system", s.id, "depends_on", s.depends_on, ids.systems, "a system cannot depend on itself")
        P += _unknown(o, "system", s.id, ("target_platform",), s.target_platform, ids.platforms, "platform")

    for fi, f in enumerate(inv.province.change_freezes):
        if f.end <= f.start:
            P.append(o.in_file("province.yaml", ("change_freezes", fi, "end"), "a freeze must end after it starts",
                               str(f.end)))
    return P


def _dupes_expanded(loaded: Loaded, kind: str, ids: list[str]) -> list[Problem]:
    """Duplicates among expanded objects, each located where it was written (or generated) again."""
    count: dict[str, int] = {}
    out = []
    for ident in ids:
        n = count[ident] = count.get(ident, 0) + 1
        if n == 1:
            continue
        places = loaded.origins.every[(kind, ident)]
        src, path = places[min(n, len(places)) - 1]
        path = src.file_path(path)
        first, first_path = places[0]
        first_path = first.file_path(first_path)
        full = path + (("id",) if _explicit(src.data, path) else ())
        out.append(Problem(src.name, src.line_of(full), format_path(full),
                           f"duplicate {kind.replace('_', ' ')} id (first at {first.name}:"
                           f"{first.line_of(first_path)})", ident))
    return out


def _explicit(data: object, path: tuple) -> bool:
    cur = data
    for part in path:
        try:
            cur = cur[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return False
    return isinstance(cur, dict) and "id" in cur


def _check_pools(loaded: Loaded) -> list[Problem]:
    inv = loaded.inventory
    out: list[Problem] = []
    nets: list[tuple[int, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for i, pool in enumerate(inv.ipv6.pools):
        net = ipaddress.ip_network(pool.prefix)
        if net.version != 6:
            out.append(loaded.origins.in_file("ipv6.yaml", ("pools", i, "prefix"), "an IPv6 pool needs an IPv6 prefix",
                                              pool.prefix))
            continue
        for j, other in nets:
            if net.overlaps(other):
                out.append(loaded.origins.in_file("ipv6.yaml", ("pools", i, "prefix"),
                                                  f"overlaps pool {j} ({other})", pool.prefix))
        nets.append((i, net))
    uses = {p.use for p in inv.ipv6.pools}
    needed = {m.PoolUse.extranet, m.PoolUse.cloud, m.PoolUse.loopbacks, m.PoolUse.p2p}
    if any(n.mgmt is None for n in inv.nodes):
        needed.add(m.PoolUse.management)
    for use in sorted(needed - uses, key=lambda u: u.value):
        out.append(loaded.origins.in_file("ipv6.yaml", ("pools",), f"no pool for use '{use.value}'"))
    return out
