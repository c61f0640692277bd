"""Inventory + IPv6 plan -> the cutover of one dedicated network. Pure: no device, file or clock is read.

The caller passes ``now`` (the CLI passes the clock, tests pass a fixed time) and,
optionally, the loader's ``origins`` so every refusal names the file and line.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import datetime

from govctl.inventory import models as m
from govctl.core.errors import Problem
from govctl.ipv6.models import Ipv6Plan, subnet_key
from govctl.cutover.errors import CutoverRefused, UnknownNetwork
from govctl.cutover.models import (
    AccessLink,
    CheckResult,
    Contact,
    CutoverPlan,
    CutoverSettings,
    Phase,
    Probe,
    Rendered,
    Step,
    VpnPe,
)
from govctl.cutover.render import PE_FEATURES, render_pe, render_teardown

Net = ipaddress.IPv4Network | ipaddress.IPv6Network
Cloud = dict[str, list[tuple[m.Tenant, m.TenantNetwork]]]  # cloud PE -> the department's tenant networks there
TenantRow = tuple[str, str, str, str]  # tenant, network, IPv4 prefix, IPv6 prefix ('' when none)

NOC = ("extranet NOC", "外网运维中心")
DEPT = ("department", "部门")
CARRIER = ("carrier", "运营商")
CLOUD = ("cloud operator", "云平台运维")


def find_network(inv: m.Inventory, network_id: str) -> m.DedicatedNetwork:
    for d in inv.dedicated_networks:
        if d.id == network_id:
            return d
    known = ", ".join(d.id for d in inv.dedicated_networks) or "none"
    raise UnknownNetwork(f"no dedicated network '{network_id}' in inventory {inv.name} (known: {known})")


def is_pe(node: m.Node, settings: CutoverSettings) -> bool:
    return node.tier.value in settings.pe_tiers and node.role.value in settings.pe_roles


def _overlaps(nets: Iterable[tuple[str, Net]]) -> list[tuple[str, str]]:
    """Pairs (a, b) of labelled prefixes that overlap; same-family only."""
    items = sorted(nets, key=lambda x: (x[1].version, int(x[1].network_address), x[1].prefixlen))
    found = []
    for i, (la, a) in enumerate(items):
        for lb, b in items[i + 1:]:
            if a.version != b.version:
                continue
            if int(b.network_address) > int(a.broadcast_address):  # same family here
                break
            found.append((la, lb))
    return found


class _Problems:
    """Collects located pre-check failures and the pre-check table shown in the document."""

    def __init__(self, inv: m.Inventory, net: m.DedicatedNetwork, origins: object | None) -> None:
        self.inv, self.net, self.origins = inv, net, origins
        self.problems: list[Problem] = []
        self.results: list[CheckResult] = []

    def fail(self, sub: tuple[str | int, ...], message: str, value: object = None) -> None:
        if self.origins is not None:
            self.problems.append(self.origins.problem("dedicated_network", self.net.id, sub, message, value))  # type: ignore[attr-defined]
        else:
            from govctl.inventory.loader import format_path  # noqa: PLC0415 - only for unlocated use

            self.problems.append(Problem(f"{self.inv.name}/dedicated_networks.yaml", None,
                                         f"dedicated_networks[{self.net.id}]." + format_path(sub), message,
                                         None if value is None else str(value)))

    def result(self, cid: str, en: str, zh: str, failures_before: int, detail: str) -> None:
        passed = len(self.problems) == failures_before
        self.results.append(CheckResult(cid, en, zh, passed, detail))


def _vpn_pes_of(inv: m.Inventory, net: m.DedicatedNetwork, nodes: dict[str, m.Node],
                settings: CutoverSettings) -> tuple[list[str], dict[str, list[tuple[m.Tenant, m.TenantNetwork]]]]:
    """Target PEs plus, per cloud PE, the department's tenant networks attached there."""
    platforms = {p.id: p for p in inv.platforms}
    cloud: dict[str, list[tuple[m.Tenant, m.TenantNetwork]]] = {}
    for t in sorted(inv.tenants, key=lambda t: t.id):
        if t.department != net.department or not t.networks:
            continue
        sites = [r.site for r in platforms[t.platform].openstack.regions]
        pes = sorted(n.id for n in nodes.values() if n.site == sites[0] and is_pe(n, settings))
        if not pes:
            continue
        cloud.setdefault(pes[0], []).extend((t, tn) for tn in t.networks)
    return list(net.target_nodes), cloud


def _router_id(ipv6_loopback: str) -> str:
    return str(ipaddress.IPv4Address(int(ipaddress.IPv6Address(ipv6_loopback)) & 0xFFFFFFFF or 1))


def plan_cutover(inv: m.Inventory, ipv6: Ipv6Plan, network_id: str, *, now: datetime,
                 origins: object | None = None, settings: CutoverSettings | None = None,
                 check_window: bool = True) -> CutoverPlan:
    """The change, checks, steps and rollback that move ``network_id`` into its department VPN.

    Raises ``UnknownNetwork`` or ``CutoverRefused`` (every failed pre-check, located) before
    anything is rendered, so nothing downstream can touch a device for a refused cutover.
    ``check_window=False`` (lab rehearsal) reports the window as a warning instead.
    """
    s = settings or CutoverSettings()
    net = find_network(inv, network_id)
    nodes = {n.id: n for n in inv.nodes}
    pr = _Problems(inv, net, origins)
    warnings: list[str] = []
    _check_classification(inv, net, pr)
    _check_targets(net, nodes, s, ipv6, pr)
    _check_window(inv, net, pr, warnings, now, check_window)
    vpn_pes, cloud, pool4, pool6 = _check_overlap(inv, ipv6, net, nodes, s, pr)
    _check_capacity(inv, net, nodes, s, pr, warnings, cloud)
    if pr.problems:
        raise CutoverRefused(problems=pr.problems, network=net.id)

    rd_num, links, tenants_rows = _access_links(inv, ipv6, net, nodes, s, cloud, pool4, pool6)
    pes, all_pes, other_vpns, site_v4, site_v6 = _vpn_pes(inv, ipv6, net, nodes, s, vpn_pes, cloud, links, rd_num)
    changes, old_node = _changes(inv, net, nodes, pes, site_v4 + site_v6)
    baseline, post, first_of = _probes(inv, net, tenants_rows)
    steps, readiness = _steps(net, s, pes, first_of, old_node)
    rollback = _rollback(steps, s)
    dept, contacts = _contacts(inv, net, nodes, cloud)
    w = net.window
    if w is not None:
        span = (w.end - w.start).total_seconds() / 60
        need = sum(st.minutes for st in steps[: [x.id for x in steps].index("teardown-carrier")]) + \
            sum(st.minutes for st in rollback)
        if span < need:
            warnings.append(f"the window ({span:.0f} min) is shorter than the work up to the point of no return plus "
                            f"a full rollback ({need} min)")
    return CutoverPlan(
        network=net.id, name=net.name, department=net.department, department_name=dept.name if dept else "",
        classification=net.classification.value, access_type=net.access_type.value, vpn=net.vpn,
        rd=net.route_distinguisher, attached_at=net.attached_at, old_path_node=old_node,
        window_start=w.start if w else None, window_end=w.end if w else None,
        sites=tuple((st.name, st.division, tuple(st.prefixes)) for st in net.sites),
        tenants=tuple(tenants_rows), pes=tuple(pes), changes=tuple(changes), prechecks=tuple(pr.results),
        baseline=tuple(baseline), postchecks=tuple(post), readiness=tuple(readiness), steps=tuple(steps),
        rollback=tuple(rollback),
        point_of_no_return="teardown-carrier", contacts=contacts,
        other_vpns=tuple(sorted({v for p in all_pes for v in other_vpns.get(p, ())})), warnings=tuple(warnings),
    )


# ---------------------------------------------------------------- pre-checks (each adds to ``pr``)


def _check_classification(inv: m.Inventory, net: m.DedicatedNetwork, pr: _Problems) -> None:
    # -- classification: classified networks and classified systems never move onto the extranet
    before = len(pr.problems)
    if net.classification == m.Classification.classified:
        pr.fail(("classification",), "a classified (涉密) network never moves onto the extranet", "classified")
    classified = sorted(x.id for x in inv.systems
                        if x.department == net.department and x.classification == m.Classification.classified)
    if classified:
        pr.fail(("department",), f"department '{net.department}' runs classified (涉密) system(s) "
                f"{', '.join(classified)} (systems.yaml): its network stays off the extranet", net.department)
    if net.status in ("integrated", "kept"):
        pr.fail(("status",), f"status is '{net.status}': nothing to cut over", net.status)
    pr.result("classification", "not classified, no classified system of the department, still to integrate",
              "非涉密、部门无涉密系统、尚未割接", before,
              f"classification {net.classification.value}; status {net.status}")


def _check_targets(net: m.DedicatedNetwork, nodes: dict[str, m.Node], s: CutoverSettings, ipv6: Ipv6Plan,
                   pr: _Problems) -> None:
    # -- targets are PEs
    before = len(pr.problems)
    for i, t in enumerate(net.target_nodes):
        node = nodes.get(t)
        if node is None:
            pr.fail(("target_nodes", i), "no such extranet node", t)
        elif not is_pe(node, s):
            pr.fail(("target_nodes", i), f"node '{t}' is not a PE (tier {node.tier.value}, role {node.role.value}; "
                    f"a PE is tier {'/'.join(s.pe_tiers)} with role {'/'.join(s.pe_roles)})", t)
        elif f"loopback/{t}" not in ipv6.allocations:
            pr.fail(("target_nodes", i), f"node '{t}' has no IPv6 loopback in the plan (run `govctl ipv6 plan`)", t)
    pr.result("targets-are-pe", "target nodes are PEs (province/city tier, core/aggregation role)",
              "目标节点均为PE(省/市级核心或汇聚)", before, ", ".join(net.target_nodes))


def _check_window(inv: m.Inventory, net: m.DedicatedNetwork, pr: _Problems, warnings: list[str], now: datetime,
                  check_window: bool) -> None:
    # -- window
    before = len(pr.problems)
    w = net.window
    if w is None:
        (pr.fail(("window",), "no maintenance window") if check_window else warnings.append("no maintenance window"))
    else:
        bad: list[tuple[tuple[str | int, ...], str, object]] = []
        if w.end <= w.start:
            bad.append((("window", "end"), "window ends before it starts", w.end.isoformat()))
        if w.end <= now:
            bad.append((("window", "end"), f"window is in the past (now {now.isoformat(timespec='minutes')})",
                        w.end.isoformat()))
        for f in inv.province.change_freezes:
            if w.start < f.end and f.start < w.end:
                bad.append((("window", "start"), f"window falls inside change freeze '{f.name}' (封网, "
                            f"{f.start.isoformat()} .. {f.end.isoformat()}, province.yaml)", w.start.isoformat()))
        for sub, msg, val in bad:
            pr.fail(sub, msg, val) if check_window else warnings.append(f"{msg} (ignored: lab rehearsal)")
    pr.result("window", "window in the future and outside every change freeze", "窗口未过期且不在封网期内", before,
              f"{w.start.isoformat()} .. {w.end.isoformat()}" if w else "none")


def _check_overlap(inv: m.Inventory, ipv6: Ipv6Plan, net: m.DedicatedNetwork, nodes: dict[str, m.Node],
                   s: CutoverSettings, pr: _Problems
                   ) -> tuple[list[str], Cloud, ipaddress.IPv4Network, ipaddress.IPv6Network]:
    """Prefix overlap inside the target VPN; also returns the PEs and the PE-CE pools the plan uses."""
    # -- prefix overlap inside the target VPN (the VPN imports only its own RT, plus tenant subnets)
    before = len(pr.problems)
    labelled: list[tuple[str, Net]] = []
    for site in net.sites:
        labelled += [(f"{net.id}/{site.name}", ipaddress.ip_network(p)) for p in site.prefixes]
    for other in inv.dedicated_networks:
        if other.id != net.id and other.vpn == net.vpn and other.status != "kept":
            labelled += [(f"{other.id}/{site.name}", ipaddress.ip_network(p))
                         for site in other.sites for p in site.prefixes]
    vpn_pes, cloud = _vpn_pes_of(inv, net, nodes, s)
    for _pe, tns in cloud.items():
        for t, tn in tns:
            labelled.append((f"tenant {t.id}/{tn.name}", ipaddress.ip_network(tn.ipv4)))
            key = subnet_key(t.platform, t.id, tn.name)
            if tn.ipv6 and key in ipv6.allocations:
                labelled.append((f"tenant {t.id}/{tn.name}", ipv6.allocations[key].network))
    pool4, pool6 = ipaddress.ip_network(s.pe_ce_ipv4_pool), ipaddress.ip_network(s.pe_ce_ipv6_pool)
    if not isinstance(pool4, ipaddress.IPv4Network) or not isinstance(pool6, ipaddress.IPv6Network):
        raise CutoverRefused(problems=[Problem("settings", None, "pe_ce_ipv4_pool, pe_ce_ipv6_pool",
                                               "expected an IPv4 prefix and an IPv6 prefix", f"{pool4}, {pool6}")],
                             network=net.id)
    labelled += [("PE-CE link pool", pool4), ("PE-CE link pool", pool6)]
    for a, b in _overlaps(labelled):
        if a != b:
            pr.fail(("sites",), f"prefixes overlap inside VPN '{net.vpn}': {a} and {b}", f"{a} / {b}")
    for pool in inv.ipv6.pools:
        if ipaddress.ip_network(pool.prefix).overlaps(pool6):
            pr.fail(("vpn",), f"the PE-CE IPv6 pool {pool6} overlaps the IPv6 plan's {pool.use.value} pool "
                    f"{pool.prefix} (ipv6.yaml)", str(pool6))
    pr.result("no-overlap", f"no prefix overlap inside VPN {net.vpn} (sites, same-VPN networks, tenant subnets, "
              "PE-CE links)", f"VPN {net.vpn} 内地址无重叠", before, f"{len(labelled)} prefixes compared")
    return vpn_pes, cloud, pool4, pool6


def _check_capacity(inv: m.Inventory, net: m.DedicatedNetwork, nodes: dict[str, m.Node], s: CutoverSettings,
                    pr: _Problems, warnings: list[str], cloud: Cloud) -> None:
    # -- capacity of the target PEs' uplinks
    before = len(pr.problems)
    demand = s.demand_mbps_per_site * len(net.sites)
    cap_detail = []
    for i, t in enumerate(net.target_nodes):
        if t not in nodes:
            continue
        ups = [lk.mbps for lk in inv.links if t in (lk.a, lk.b)]
        cap_detail.append(f"{t}: {len(ups)} link(s), {sum(ups)} Mbps")
        if sum(ups) < demand:
            pr.fail(("target_nodes", i), f"node '{t}' has {sum(ups)} Mbps of links, the network needs {demand} Mbps "
                    f"({len(net.sites)} site(s) x {s.demand_mbps_per_site} Mbps)", t)
    pr.result("capacity", f"PE links carry the network's demand ({demand} Mbps)", f"PE链路容量满足需求({demand} Mbps)",
              before, "; ".join(cap_detail))
    if len(net.target_nodes) < 2:
        warnings.append("one target PE only: the department VPN has no dual homing")
    if not cloud:
        warnings.append(f"department '{net.department}' has no tenant network on a cloud reachable from a PE: "
                        "no cloud post-check")


def _access_links(inv: m.Inventory, ipv6: Ipv6Plan, net: m.DedicatedNetwork, nodes: dict[str, m.Node],
                  s: CutoverSettings, cloud: Cloud, pool4: ipaddress.IPv4Network, pool6: ipaddress.IPv6Network
                  ) -> tuple[int, dict[str, list[AccessLink]], list[TenantRow]]:
    """The PE-CE links of the network's sites and of the cloud borders, numbered, addressed, on their PEs."""
    # ---------------------------------------------------------------- the VPN on each PE
    rd_num = int(net.route_distinguisher.split(":")[1])
    vlan_base = ((rd_num % 400) or 400) * 10
    order = [d.id for d in inv.dedicated_networks]
    # PE-CE links are numbered over every dedicated network in file order, so two networks never share one.
    offset = 0
    for d in inv.dedicated_networks[: order.index(net.id)]:
        _, c = _vpn_pes_of(inv, d, nodes, s)
        offset += len(d.sites) + len(c)
    n_links = len(net.sites) + len(cloud)
    v4_31 = list(pool4.subnets(new_prefix=31))
    if offset + n_links > len(v4_31):
        raise CutoverRefused(problems=[Problem("settings", None, "pe_ce_ipv4_pool",
                                               f"PE-CE IPv4 pool {pool4} is exhausted "
                                               f"({offset + n_links} /31 links needed)")], network=net.id)
    if len(net.sites) > 9:
        raise CutoverRefused(problems=[Problem(f"{inv.name}/dedicated_networks.yaml", None, f"{net.id}.sites",
                                               "more than 9 sites: the access VLAN plan (RD number x 10 + site) "
                                               "has room for 9")], network=net.id)

    def link_addrs(k: int) -> tuple[str, str, str, str]:
        n4 = v4_31[offset + k]
        n6 = ipaddress.IPv6Network((int(pool6.network_address) + 2 * (offset + k), 127))
        return (f"{n4.network_address}/31", str(n4.network_address + 1),
                f"{n6.network_address}/127", str(n6.network_address + 1))

    def city(division: str) -> str:
        return division.split("/")[0]

    # each site's circuit moves to a target PE in its own city if there is one, else to any target PE
    # (the least-loaded one; ties by the order of target_nodes)
    site_pe: list[str] = []
    for site in net.sites:
        local = [t for t in net.target_nodes if city(nodes[t].division) == city(site.division)]
        pool_pes = local or list(net.target_nodes)
        site_pe.append(min(pool_pes, key=lambda t: (site_pe.count(t), pool_pes.index(t))))

    links: dict[str, list[AccessLink]] = {}
    k = 0
    for i, site in enumerate(net.sites):
        pe = nodes[site_pe[i]]
        a = link_addrs(k)
        k += 1
        links.setdefault(pe.id, []).append(AccessLink(
            "site", site.name, pe.id, f"{s.access_port[pe.platform.value]}.{vlan_base + i + 1}", vlan_base + i + 1,
            a[0], a[1], a[2], a[3], tuple(site.prefixes),
            f"{net.id} {site.name} (was: {net.attached_at})"))
    tenants_rows: list[tuple[str, str, str, str]] = []
    for pe_id, tns in sorted(cloud.items()):
        pe = nodes[pe_id]
        a = link_addrs(k)
        k += 1
        prefixes: list[str] = []
        for t, tn in tns:
            key = subnet_key(t.platform, t.id, tn.name)
            v6 = ipv6.allocations[key].prefix if (tn.ipv6 and key in ipv6.allocations) else ""
            prefixes += [tn.ipv4] + ([v6] if v6 else [])
            tenants_rows.append((t.id, tn.name, tn.ipv4, v6))
        plat = tns[0][0].platform
        links.setdefault(pe_id, []).append(AccessLink(
            "cloud", plat, pe_id, f"{s.access_port[pe.platform.value]}.{vlan_base}", vlan_base,
            a[0], a[1], a[2], a[3], tuple(prefixes), f"{net.id} cloud platform {plat} border"))
    return rd_num, links, tenants_rows


def _vpn_pes(inv: m.Inventory, ipv6: Ipv6Plan, net: m.DedicatedNetwork, nodes: dict[str, m.Node], s: CutoverSettings,
             vpn_pes: list[str], cloud: Cloud, links: dict[str, list[AccessLink]], rd_num: int
             ) -> tuple[list[VpnPe], list[str], dict[str, set[str]], list[str], list[str]]:
    """The department VPN on each PE it touches, with the VPNs already there that a rollback must keep."""
    all_pes = sorted(set(vpn_pes) | set(cloud))
    loop = {p: str(ipv6.loopback(p)) for p in all_pes if f"loopback/{p}" in ipv6.allocations}
    # VPNs already on these PEs (integrated networks): their VPNv4/VPNv6 sessions must survive a rollback
    other_vpns: dict[str, set[str]] = {}
    for d in inv.dedicated_networks:
        if d.id == net.id or d.status != "integrated":
            continue
        t, c = _vpn_pes_of(inv, d, nodes, s)
        for p in set(t) | set(c):
            other_vpns.setdefault(p, set()).add(d.vpn)
    site_v4 = [p for st in net.sites for p in st.prefixes if ":" not in p]
    site_v6 = [p for st in net.sites for p in st.prefixes if ":" in p]
    cloud_v4 = [p for lks in links.values() for lk in lks if lk.kind == "cloud" for p in lk.prefixes if ":" not in p]
    cloud_v6 = [p for lks in links.values() for lk in lks if lk.kind == "cloud" for p in lk.prefixes if ":" in p]
    own_egress = net.access_type in (m.AccessType.C, m.AccessType.E)
    shared_egress = net.access_type in (m.AccessType.B, m.AccessType.D)
    hq_link = next(lk for lks in links.values() for lk in lks if lk.kind == "site" and lk.name == net.sites[0].name)
    rt = net.route_distinguisher
    internet_rt = s.internet_rt.format(asn=inv.extranet_asn)
    pes: list[VpnPe] = []
    for p in all_pes:
        node = nodes[p]
        hq_here = hq_link.pe == p
        pes.append(VpnPe(
            node=p, platform=node.platform.value, role="access" if p in vpn_pes else "cloud",
            asn=node.asn or inv.extranet_asn, router_id=node.loopback_ipv4 or _router_id(loop[p]),
            vpn=net.vpn, rd=rt, rt_export=(rt,), rt_import=(rt, internet_rt) if shared_egress else (rt,),
            links=tuple(links.get(p, [])), peers=tuple(loop[q] for q in all_pes if q != p),
            keep_vpn_peers=bool(other_vpns.get(p)), acl_number=3000 + rd_num % 1000,
            own_egress=own_egress and hq_here,
            egress_next_hops=(hq_link.ce_ipv4, hq_link.ce_ipv6) if own_egress and hq_here else None,
            allowed_v4=tuple(site_v4 + cloud_v4 + (["0.0.0.0/0"] if own_egress or shared_egress else [])),
            allowed_v6=tuple(site_v6 + cloud_v6 + (["::/0"] if own_egress or shared_egress else [])),
            sources_v4=tuple(site_v4 + cloud_v4), sources_v6=tuple(site_v6 + cloud_v6),
            description=f"{net.name} ({net.id}) department VPN, access type {net.access_type.value}",
        ))
    return pes, all_pes, other_vpns, site_v4, site_v6


def _changes(inv: m.Inventory, net: m.DedicatedNetwork, nodes: dict[str, m.Node], pes: list[VpnPe],
             site_prefixes: list[str]) -> tuple[list[Rendered], str | None]:
    """Every PE's change and reversal, and the old path's teardown on the node it hung on (if an extranet node)."""
    rt = net.route_distinguisher
    changes: list[Rendered] = []
    for pe in pes:
        changes += render_pe(pe)
    old_node = net.attached_at if net.attached_at in nodes else None
    if old_node:
        # The old path's routes live in the global table of that node; the VPN itself is unaffected.
        old_pe = next((x for x in pes if x.node == old_node), None) or VpnPe(
            old_node, nodes[old_node].platform.value, "access", inv.extranet_asn, "0.0.0.0", net.vpn, rt, (), (),
            (), (), True, 0, False, None, (), (), (), ())
        changes.append(render_teardown(old_pe, site_prefixes))
    return changes, old_node


def _probes(inv: m.Inventory, net: m.DedicatedNetwork, tenants_rows: list[TenantRow]
            ) -> tuple[list[Probe], list[Probe], dict[str, dict[str, str]]]:
    # ---------------------------------------------------------------- probes
    other = sorted({d.vpn for d in inv.dedicated_networks if d.vpn != net.vpn}) or ["vpn-other"]
    fam = lambda pfx: "v6" if ":" in pfx else "v4"  # noqa: E731
    first_of = {st.name: {fam(p): p for p in reversed(st.prefixes)} for st in net.sites}  # first prefix per family
    baseline, post = [], []
    # a probe is sent from the site's own address of the same family, so only families both ends have
    for a in first_of:
        for b in first_of:
            for f, tp in first_of[b].items():
                if a != b and f in first_of[a]:
                    baseline.append(Probe(f"site-{a}->{b}/{f}", f"site:{a}", f"site:{b}", tp, True,
                                          f"{a} reaches {b} ({tp})", f"{a} 可达 {b}({tp})"))
    post += baseline
    for a in first_of:
        for t, tn, v4, v6 in tenants_rows:
            for pfx in [v4] + ([v6] if v6 else []):
                if fam(pfx) in first_of[a]:
                    post.append(Probe(f"cloud-{a}->{t}/{tn}/{fam(pfx)}", f"site:{a}", f"cloud:{t}/{tn}", pfx, True,
                                      f"{a} reaches tenant {t} network {tn} ({pfx})",
                                      f"{a} 可达云租户 {t} 网络 {tn}({pfx})"))
    for site, by_fam in first_of.items():
        for f, pfx in by_fam.items():
            post.append(Probe(f"isolated-{other[0]}->{site}/{f}", f"other:{other[0]}", f"site:{site}", pfx, False,
                              f"another department's VPN ({other[0]}) cannot reach {site} ({pfx})",
                              f"其他部门VPN({other[0]})不可达 {site}({pfx})"))
            post.append(Probe(f"isolated-public->{site}/{f}", "public", f"site:{site}", pfx, False,
                              f"the public network zone cannot reach {site} ({pfx})",
                              f"公用网络区不可达 {site}({pfx})"))
    return baseline, post, first_of


def _steps(net: m.DedicatedNetwork, s: CutoverSettings, pes: list[VpnPe], first_of: dict[str, dict[str, str]],
           old_node: str | None) -> tuple[list[Step], list[Probe]]:
    # ---------------------------------------------------------------- steps
    mn = s.minutes
    steps: list[Step] = [
        Step("precheck", Phase.precheck, "Pre-checks: inventory, window, capacity, overlap; devices reachable",
             "割接前检查:清单、窗口、容量、地址重叠;设备可登录", NOC[0], mn["precheck"]),
        Step("baseline", Phase.precheck, "Reachability baseline over the old path; save every touched device's "
             "running config", "记录旧网络连通性基线;备份所有涉及设备的当前配置", NOC[0], mn["baseline"]),
    ]
    for pe in pes:
        steps.append(Step(f"prepare-{pe.node}", Phase.prepare,
                          f"{pe.node}: create VPN {net.vpn} (RD/RT), isolation filters, VPNv4/VPNv6 advertisement",
                          f"{pe.node}:创建VPN实例 {net.vpn}(RD/RT)、隔离策略、VPNv4/VPNv6 发布", NOC[0],
                          mn["vpn_instance"] + mn["isolation"] + mn["bgp_vpn"], pe.node, PE_FEATURES[:3]))
    for pe in pes:
        what_en = "cloud border sub-interface and tenant routes" if pe.role == "cloud" else \
            "access sub-interface(s): bind to the VPN, then re-address; routes to the sites"
        what_zh = "云平台边界子接口及租户路由" if pe.role == "cloud" else "接入子接口:先绑定VPN再配地址;站点路由"
        steps.append(Step(f"access-{pe.node}", Phase.prepare, f"{pe.node}: {what_en}", f"{pe.node}:{what_zh}",
                          NOC[0] if pe.role == "access" else f"{NOC[0]} + {CLOUD[0]}",
                          mn["access"] + mn["vpn_routing"], pe.node, PE_FEATURES[3:]))
    # Make before break: every site's new circuit is up beside the old line and the VPN has converged (checked)
    # before any site's traffic moves; a move adds the CE's route via the PE before it removes the old line's,
    # and the old line stays up until the point of no return, so a rollback has a working path to go back to.
    site_links = [(pe, lk) for pe in pes for lk in pe.links if lk.kind == "site"]
    # what "the new circuit is up" means from the department's side: its site address reaches the PE's end of the
    # circuit (the CE's connected route out, the PE's static route to the site back: both over the new circuit)
    readiness = [Probe(f"circuit-{lk.name}/{f}", f"site:{lk.name}", f"circuit:{lk.name}", f"{addr}/{length}", True,
                       f"{lk.name} reaches {pe.node} over its new circuit ({addr})",
                       f"{lk.name} 经新线路可达 {pe.node}({addr})")
                 for pe, lk in site_links
                 for f, addr, length in (("v4", lk.pe_ipv4.split("/")[0], 32), ("v6", lk.pe_ipv6.split("/")[0], 128))
                 if f in first_of[lk.name]]
    for pe, lk in site_links:
        steps.append(Step(f"circuit-{lk.name}", Phase.prepare,
                          f"Bring up {lk.name}'s new circuit to {pe.node} {lk.interface} (VLAN {lk.vlan}) beside the "
                          f"old line; the CE takes {lk.ce_ipv4} / {lk.ce_ipv6} on it, its routes stay on the old line",
                          f"{lk.name} 新线路接入 {pe.node} {lk.interface}(VLAN {lk.vlan}),与旧专线并行;"
                          f"CE 配置 {lk.ce_ipv4} / {lk.ce_ipv6},路由仍走旧专线",
                          f"{CARRIER[0]} + {DEPT[0]}", mn["circuit"], None, (), True))
    steps.append(Step("converge", Phase.verify,
                      "Before any traffic moves: each site reaches its PE over its new circuit, and the VPN has "
                      "converged (sessions up, every site's and tenant's routes installed on every PE); waited "
                      "for, bounded", "业务切换前确认:各站点经新线路可达其PE,VPN已收敛(会话建立,各PE已安装全部站点"
                      "及云租户路由);限时等待", f"{NOC[0]} + {DEPT[0]}", mn["converge"]))
    for _, lk in site_links:
        pe4, pe6 = lk.pe_ipv4.split("/")[0], lk.pe_ipv6.split("/")[0]
        steps.append(Step(f"swing-{lk.name}", Phase.swing,
                          f"Move {lk.name}'s traffic to the new circuit: the CE's routes via {pe4} / {pe6} first, "
                          "then the old line's removed (the old line stays up)",
                          f"{lk.name} 业务切换至新线路:CE 先加指向 {pe4} / {pe6} 的路由,再删旧专线路由(旧专线保留)",
                          DEPT[0], mn["swing"], None, (), True))
    steps += [
        Step("postcheck", Phase.verify, "Post-checks: sites reach each other and the cloud tenant; other departments "
             "and the public zone cannot; other VPNs and routes unchanged", "割接后检查:站点互通、可达云租户;"
             "其他部门与公用网络区不可达;其他VPN与路由无变化", f"{NOC[0]} + {DEPT[0]}", mn["postcheck"]),
        Step("observe", Phase.observe, f"Observe services for {s.observation_minutes} min; the department confirms",
             f"业务观察 {s.observation_minutes} 分钟,部门确认", DEPT[0], s.observation_minutes),
        Step("teardown-carrier", Phase.teardown, f"Point of no return: release the old path ({net.attached_at})",
             f"不可回退点:拆除旧通道({net.attached_at})", f"{CARRIER[0]} + {DEPT[0]}", mn["carrier"], None, (), True),
    ]
    if old_node:
        steps.append(Step(f"teardown-{old_node}", Phase.teardown, f"{old_node}: remove the old path's routes",
                          f"{old_node}:删除旧通道路由", NOC[0], mn["teardown"], old_node, ("teardown",)))
    return steps, readiness


def _rollback(steps: list[Step], s: CutoverSettings) -> list[Step]:
    """The way back, in reverse order of the steps: traffic first, then circuits, then each PE's saved config."""
    mn = s.minutes
    rollback: list[Step] = []
    for st in reversed(steps):
        if st.phase == Phase.swing:
            site = st.id[len("swing-"):]
            rollback.append(Step(f"rollback-{st.id}", Phase.swing,
                                 f"Move {site}'s traffic back to the old line: the CE's routes via the old line "
                                 "first, then the new circuit's removed", f"{site} 业务切回旧专线:CE 先加旧专线路由,"
                                 "再删新线路路由", DEPT[0], mn["swing"], None, (), True))
        elif st.phase == Phase.prepare and st.manual:
            site = st.id[len("circuit-"):]
            rollback.append(Step(f"rollback-{st.id}", Phase.prepare,
                                 f"Release {site}'s new circuit (the CE's addresses on it removed)",
                                 f"{site} 新线路释放(删除CE在其上的地址)", f"{CARRIER[0]} + {DEPT[0]}",
                                 max(2, mn["circuit"] // 2), None, (), True))
        elif st.phase == Phase.prepare and st.node:
            rollback.append(Step(f"rollback-{st.id}", Phase.prepare,
                                 f"{st.node}: restore the saved config (undo {', '.join(reversed(st.features))})",
                                 f"{st.node}:恢复备份配置(撤销 {', '.join(reversed(st.features))})", NOC[0],
                                 max(2, st.minutes // 2), st.node, tuple(reversed(st.features))))
    rollback.append(Step("rollback-verify", Phase.verify, "Baseline reachability over the old path is back",
                         "旧网络连通性基线已恢复", f"{NOC[0]} + {DEPT[0]}", mn["postcheck"]))
    return rollback


def _contacts(inv: m.Inventory, net: m.DedicatedNetwork, nodes: dict[str, m.Node], cloud: Cloud
              ) -> tuple[m.Department | None, tuple[Contact, ...]]:
    dept = {d.id: d for d in inv.departments}.get(net.department)
    cloud_ops = sorted({f"{site.operator} ({site.id})" for pe_id in cloud for site in inv.sites.sites
                        if site.id == nodes[pe_id].site})
    contacts = (
        Contact("department (owner)", "业务部门(属主)", dept.name if dept else net.department),
        Contact("extranet NOC (executes)", "电子政务外网运维中心(实施)", f"{inv.province.name}电子政务外网运维中心"),
        Contact("carrier (old line)", "运营商(旧专线)", net.attached_at),
        *(Contact("cloud operator", "云平台运维", c) for c in cloud_ops),
        Contact("change board (approves)", "变更委员会(审批)", f"{inv.province.name}电子政务外网变更管理委员会"),
    )
    return dept, contacts
