"""Read-only audit of a live cloud against the model: missing, drifted, rule violations, unverifiable.

Every collection is listed once in bulk (per live region), then the model's items are matched by their
natural keys in dependency order, so a child is looked up under its parent's live id. Nothing is ever
written: the only methods called are GETs.
"""
from __future__ import annotations

import ipaddress
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from govctl.inventory import models as m
from govctl.audit.cloud import Api
from govctl.audit.errors import CloudError, Unresolved
from govctl.audit.graph import Item, levels
from govctl.audit.mapping import (SPECS, NetworkSpec, ProjectSpec, RbacPolicySpec, SecGroupRuleSpec,
                                      SecGroupSpec, SubnetSpec, TypeSpec, resolve_all)
from govctl.audit.models import MANAGEMENT_PORTS, WORLD, AuditReport, Finding, Profile
from govctl.audit.seed import LiveCtx

BUILTIN_PROJECTS = ("admin", "service")  # the cloud operator's own projects


class Snapshot:
    """Live objects by (live region, collection), each listed once; keyed lookups built on demand."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.rows: dict[tuple[str | None, str], list[dict[str, Any]]] = {}
        self._index: dict[tuple[str | None, str], dict[Any, dict[str, Any]]] = {}

    def fetch(self, jobs: list[tuple[TypeSpec, str | None, list[Any]]], workers: int) -> None:
        def one(job: tuple[TypeSpec, str | None, list[Any]]) -> tuple[tuple[str | None, str], list[dict[str, Any]]]:
            spec, region, keys = job
            return (region, spec.collection), spec.list(self.api, region, keys)

        todo = [j for j in jobs if (j[1], j[0].collection) not in self.rows]
        with ThreadPoolExecutor(max(1, workers)) as pool:
            for key, rows in pool.map(one, todo):
                self.rows[key] = rows

    def index(self, spec: TypeSpec, region: str | None) -> dict[Any, dict[str, Any]]:
        k = (region, spec.collection)
        if k not in self._index:
            idx: dict[Any, dict[str, Any]] = {}
            for row in self.rows.get(k, []):
                try:
                    idx.setdefault(spec.live_key(row), row)
                except (KeyError, TypeError):
                    continue
            self._index[k] = idx
        return self._index[k]

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.rows.values())


class Auditor:
    def __init__(self, api: Api, profile: Profile, inv: m.Inventory, platforms: list[str], cloud: str,
                 ignore_projects: tuple[str, ...] = BUILTIN_PROJECTS, workers: int = 8) -> None:
        self.api, self.profile, self.inv, self.platforms = api, profile, inv, platforms
        self.cloud, self.ignore_projects, self.workers = cloud, ignore_projects, workers
        self.ids: dict[str, str] = {}
        self.ctx = LiveCtx(api, profile, self.ids)
        self.snap = Snapshot(api)
        self.findings: list[Finding] = []
        self.matched: dict[str, dict[str, Any]] = {}  # URN -> live object
        self.bodies: dict[str, dict[str, Any]] = {}
        self.state: dict[str, str] = {}  # URN -> matched | missing | unverifiable
        # (live region, collection, key) -> why the credentials could not read it (a keyed listing refused 401/403)
        self.unreadable: dict[tuple[str | None, str, Any], str] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------ matching the model

    def _add(self, cls: str, rule: str, it: Item | None, message: str, *, platform: str | None = None,
             resource: str | None = None, type_: str | None = None, tenant: str | None = None,
             fields: tuple[tuple[str, Any, Any], ...] = ()) -> None:
        self.findings.append(Finding(
            cls, rule, platform or (it.platform if it else ""), resource or (it.urn if it else ""),  # type: ignore[arg-type]
            type_ or (it.type if it else ""), tenant if tenant is not None else (it.tenant if it else None),
            message, fields))

    def _match(self, it: Item) -> None:
        spec = it.spec
        if not self.api.has(spec.service or ""):
            self.state[it.urn] = "unverifiable"
            self._add("unverifiable", "no-service", it, f"{it.name}: the cloud has no {spec.service} service; "
                      "cannot check it")
            return
        try:
            inputs = resolve_all(it.inputs, self.ctx)
        except Unresolved as exc:
            parent = str(exc)
            why = self.state.get(parent, "missing")
            self.state[it.urn] = "unverifiable" if why == "unverifiable" else "missing"
            if why != "unverifiable" and not spec.quota:
                self._add("missing", "missing", it, f"{it.name}: missing (its parent "
                          f"{parent.rsplit('::', 1)[-1]} is {why})")
            return
        body = spec.body(inputs, self.ctx)
        self.bodies[it.urn] = body
        refused = self.unreadable.get((it.live_region, spec.collection, spec.key(body, self.ctx)))
        if refused is not None:
            self.state[it.urn] = "unverifiable"
            self._add("unverifiable", "no-access", it, f"{it.name}: the credentials may not read it ({refused})")
            return
        live = self.snap.index(spec, it.live_region).get(spec.key(body, self.ctx))
        if live is None:
            self.state[it.urn] = "missing"
            if spec.quota:
                self._add("drifted", "drift", it, f"{it.name}: quota not readable for the project")
            else:
                self._add("missing", "missing", it, f"{it.name}: not found in the live cloud")
            return
        self.state[it.urn] = "matched"
        self.ids[it.urn] = str(live.get("id"))
        self.matched[it.urn] = live
        diffs = spec.drift(body, live)
        if diffs:
            shown = ", ".join(f"{f}: model {mv!r}, live {lv!r}" for f, mv, lv in diffs)
            self._add("drifted", "drift", it, f"{it.name}: {shown}", fields=tuple(diffs))

    def _keys_for(self, it: Item) -> Any:
        try:
            inputs = resolve_all(it.inputs, self.ctx)
        except Unresolved:
            return None
        return it.spec.key(it.spec.body(inputs, self.ctx), self.ctx)

    def run(self, items: list[Item], on_step: Callable[[str], None] | None = None) -> AuditReport:
        """Read the cloud and compare; ``on_step(label)`` after each phase (a progress display)."""
        step = on_step or (lambda _label: None)
        started, calls = time.perf_counter(), self.api.calls
        bulk: dict[tuple[str, str | None], TypeSpec] = {}
        for it in items:
            if self.api.has(it.spec.service or "") and it.spec.collection:
                bulk[(it.spec.collection, it.live_region)] = it.spec
        # Collections the rules read even when the model holds none of that type.
        region = self.profile.region(next((i.region for i in items if i.region), None)) or None
        for spec in (SPECS[ProjectSpec.type], SPECS[NetworkSpec.type], SPECS[SubnetSpec.type],
                     SPECS[SecGroupSpec.type], SPECS[SecGroupRuleSpec.type], SPECS[RbacPolicySpec.type]):
            bulk.setdefault((spec.collection, None if not spec.regional else region), spec)
        keyed = {"compute_quotas", "network_quotas", "volume_quotas", "flavor_access", "volume_type_access",
                 "containers"}
        self.snap.fetch([(s, r, []) for (c, r), s in bulk.items() if c not in keyed], self.workers)
        step(f"{len(bulk)} collections read")
        for depth, level in enumerate(levels(items)):
            jobs: dict[tuple[str, str | None], tuple[TypeSpec, list[Any]]] = {}
            for it in level:
                if it.spec.collection in keyed and self.api.has(it.spec.service or ""):
                    k = self._keys_for(it)
                    if k is not None:
                        jobs.setdefault((it.spec.collection, it.live_region), (it.spec, []))[1].append(k)
            self._fetch_keyed(jobs)
            for it in level:
                self._match(it)
            step(f"level {depth}: {len(level)} resources matched")
        self._rules(items)
        step("rules checked")
        order = {"violation": 0, "missing": 1, "drifted": 2, "unverifiable": 3}
        self.findings.sort(key=lambda f: (order[f.cls], f.platform, f.tenant or "", f.resource))
        return AuditReport(cloud=self.cloud, platforms=self.platforms, findings=self.findings, resources=len(items),
                           matched=sum(1 for s in self.state.values() if s == "matched"),
                           api_calls=self.api.calls - calls, seconds=time.perf_counter() - started,
                           live_objects=self.snap.count)

    def _fetch_keyed(self, jobs: dict[tuple[str, str | None], tuple[TypeSpec, list[Any]]]) -> None:
        """Per-key collections (quotas, access lists): one call per key, spread over the worker pool."""
        calls: list[tuple[TypeSpec, str | None, list[Any]]] = []
        for (_, region), (spec, keys) in jobs.items():
            uniq = sorted(set(keys), key=str)
            step = max(1, len(uniq) // max(1, self.workers))
            calls += [(spec, region, uniq[i:i + step]) for i in range(0, len(uniq), step)]

        def one(job: tuple[TypeSpec, str | None, list[Any]]) -> tuple[TypeSpec, str | None, list[dict[str, Any]]]:
            spec, region, keys = job
            try:
                return spec, region, spec.list(self.api, region, keys)
            except CloudError as exc:
                if exc.status == 404:
                    return spec, region, []
                if exc.status in (401, 403):  # e.g. a tenant's Swift account, to credentials without a role there
                    with self._lock:
                        self.unreadable.update({(region, spec.collection, k): str(exc) for k in keys})
                    return spec, region, []
                raise

        # Nova, Cinder and Neutron answer in parallel: each collection gets its own share of workers.
        with ThreadPoolExecutor(max(1, self.workers) * max(1, len(jobs))) as pool:
            for spec, region, rows in pool.map(one, calls):
                k = (region, spec.collection)
                self.snap.rows.setdefault(k, []).extend(rows)
                self.snap._index.pop(k, None)

    # ------------------------------------------------------------ the model's rules on live state

    def _rules(self, items: list[Item]) -> None:
        region = self.profile.region(next((i.region for i in items if i.region), None)) or None
        net_spec, rule_spec = SPECS[NetworkSpec.type], SPECS[SecGroupRuleSpec.type]
        rbac_spec = SPECS[RbacPolicySpec.type]
        by_type: dict[str, list[Item]] = defaultdict(list)
        for it in items:
            by_type[it.type].append(it)
        # Scope: the audited platforms' domains and projects, and the credentials' own project.
        tenant_projects = {self.ids[i.urn]: i.tenant or i.name for i in by_type[ProjectSpec.type]
                           if i.urn in self.ids and not i.inputs.get("isDomain")}
        domains = {self.ids[i.urn] for i in items if i.type == ProjectSpec.type and i.inputs.get("isDomain")
                   and i.urn in self.ids}
        for p in self.inv.platforms:
            if p.id in self.platforms and p.openstack.domain.lower() == "default":
                domains.add("default")
        known_names = {t.id for t in self.inv.tenants}
        projects = self.snap.rows.get((None, "projects"), [])
        for pr in projects:
            if pr.get("domain_id") in domains and pr["id"] not in tenant_projects and pr["id"] != self.api.project_id \
                    and pr["name"] not in self.ignore_projects and pr["name"] not in known_names \
                    and not pr.get("is_domain"):
                self._add("violation", "unknown-project", None, f"project '{pr['name']}' ({pr['id']}) is in domain "
                          f"{pr['domain_id']} but the inventory has no such tenant",
                          platform=",".join(self.platforms), resource=f"project {pr['id']}",
                          type_="openstack:identity/project:Project", tenant=pr["name"])
        in_scope = set(tenant_projects) | {self.api.project_id} | {
            pr["id"] for pr in projects if pr.get("domain_id") in domains and pr["name"] not in known_names
            and pr["name"] not in self.ignore_projects}
        names = {pr["id"]: pr["name"] for pr in projects}

        model_nets = {self.ids[i.urn]: i for i in by_type[NetworkSpec.type] if i.urn in self.ids}
        nets = [n for n in self.snap.rows.get((region, net_spec.collection), [])
                if (n.get("project_id") or n.get("tenant_id")) in in_scope]
        v6_expected = {i.inputs.get("networkId", "")[4:-1] for i in by_type[SubnetSpec.type]
                       if i.inputs.get("ipVersion") == 6}
        subnets = self.snap.rows.get((region, "subnets"), [])
        v6_live = {s["network_id"] for s in subnets if s.get("ip_version") == 6}
        for n in nets:
            owner: Any = n.get("project_id") or n.get("tenant_id")
            item = model_nets.get(n["id"])
            label = f"network '{n.get('name')}' ({n['id']}) of project {names.get(owner, owner)}"
            if item is None:
                self._add("violation", "unknown-network", None, f"{label} is not in the inventory",
                          platform=",".join(self.platforms), resource=f"network {n['id']}",
                          type_=net_spec.type, tenant=tenant_projects.get(owner))
            if item is None and (n.get("router:external") or owner == self.api.project_id):
                continue  # the operator's own networks: not the inventory's to judge
            # The model's external networks are dual-stack too (router gateways take IPv6 from them).
            exempt = item is not None and item.urn not in v6_expected  # the inventory says: not yet dual-stack
            if n["id"] not in v6_live and not exempt:
                self._add("violation", "network-without-ipv6", item, f"{label} has no IPv6 subnet",
                          platform=item.platform if item else ",".join(self.platforms),
                          resource=item.urn if item else f"network {n['id']}", type_=net_spec.type,
                          tenant=tenant_projects.get(owner))

        self._security_rules(by_type, in_scope, names, tenant_projects, region, rule_spec)
        self._rbac(by_type, model_nets, in_scope, names, region, rbac_spec)
        self._dr(items)

    def _security_rules(self, by_type: dict[str, list[Item]], in_scope: set[str], names: dict[str, str],
                        tenant_projects: dict[str, str], region: str | None, rule_spec: TypeSpec) -> None:
        groups = {g["id"]: g for g in self.snap.rows.get((region, "security_groups"), [])}
        model_rules = {self.ids[i.urn] for i in by_type[SecGroupRuleSpec.type] if i.urn in self.ids}
        owned_groups = {self.ids[i.urn]: i for i in by_type[SecGroupSpec.type]
                        if i.urn in self.ids and i.inputs.get("deleteDefaultRules")}
        for r in self.snap.rows.get((region, rule_spec.collection), []):
            g = groups.get(r["security_group_id"])
            owner = (g or {}).get("project_id") or r.get("project_id") or r.get("tenant_id")
            if owner not in in_scope:
                continue
            where = (f"rule {r['id']} in security group '{(g or {}).get('name')}' of project "
                     f"{names.get(owner, owner)}")
            if r["direction"] == "ingress" and _world(r) and _opens_management(r):
                ports = _ports(r)
                self._add("violation", "mgmt-port-open", None,
                          f"{where} opens {ports} to the world ({r.get('remote_ip_prefix') or 'any'})",
                          platform=",".join(self.platforms), resource=f"security-group-rule {r['id']}",
                          type_=rule_spec.type, tenant=tenant_projects.get(owner))
            sg_item = owned_groups.get(r["security_group_id"])
            if sg_item is not None and r["id"] not in model_rules:
                self._add("drifted", "unmanaged-rule", sg_item,
                          f"{where}: {r['direction']} {r.get('protocol') or 'any'} {_ports(r)} from "
                          f"{r.get('remote_ip_prefix') or r.get('remote_group_id') or 'any'} is not in the model")

    def _rbac(self, by_type: dict[str, list[Item]], model_nets: dict[str, Item], in_scope: set[str],
              names: dict[str, str], region: str | None, rbac_spec: TypeSpec) -> None:
        declared = {self.ids[i.urn] for i in by_type[RbacPolicySpec.type] if i.urn in self.ids}
        implied = set()
        for net_id, it in model_nets.items():
            body = self.bodies.get(it.urn, {})
            if body.get("router:external"):
                implied.add((net_id, "access_as_external", "*"))
            if body.get("shared"):
                implied.add((net_id, "access_as_shared", "*"))
        nets = {n["id"]: n for n in self.snap.rows.get((region, "networks"), [])}
        for p in self.snap.rows.get((region, rbac_spec.collection), []):
            if p["id"] in declared or p.get("object_type") != "network":
                continue
            target: Any = p.get("target_tenant") or p.get("target_project")
            if (p["object_id"], p["action"], target) in implied:
                continue
            net = nets.get(p["object_id"], {})
            owner = net.get("project_id") or net.get("tenant_id")
            if p["object_id"] not in model_nets and owner not in in_scope:
                continue
            item = model_nets.get(p["object_id"])
            self._add("violation", "undeclared-share", None,
                      f"RBAC {p['action']} of network '{net.get('name')}' ({p['object_id']}) to "
                      f"{'every project' if target == '*' else names.get(target, target)} is not declared "
                      "by the inventory (shared_with)",
                      platform=item.platform if item else ",".join(self.platforms), resource=f"rbac-policy {p['id']}",
                      type_=rbac_spec.type, tenant=item.tenant if item else None)

    def _dr(self, items: list[Item]) -> None:
        """Every DR-graded tenant's resources in its same-city and remote-DR regions are really there.

        An object is there when it matched; a quota when no limit the model sets is below it live (DR
        capacity short of the model's is a broken failover, not a matter of taste). Objects of a service
        the cloud lacks are left out; only if nothing else is placed there does the answer become
        "unverifiable" rather than a verdict.
        """
        from govctl.stacks.program import regions_of

        for p in self.inv.platforms:
            if p.id not in self.platforms:
                continue
            roles = {r.name: r.role for r in regions_of(self.inv, p)}
            wanted = {m.SiteRole.same_city: "same-city", m.SiteRole.remote_dr: "remote-DR"}
            for t in self.inv.tenants:
                if t.platform != p.id or t.dr.grade <= 0:
                    continue
                mine = [i for i in items if i.platform == p.id and i.tenant == t.id]
                for role, label in wanted.items():
                    if role not in roles.values():
                        continue  # the platform has no such centre (rule DR-005 gates the grades)
                    there = [i for i in mine if roles.get(i.region or "") == role]
                    checked = [i for i in there if self.state.get(i.urn) != "unverifiable"]
                    if there and not checked:
                        self._add("unverifiable", "dr-placement", None,
                                  f"tenant '{t.id}' (DR grade {t.dr.grade}): its {label} resources "
                                  f"({', '.join(i.name for i in there)}) cannot be checked: the cloud lacks "
                                  "their service or the credentials may not read them", platform=p.id,
                                  resource=f"tenant {t.id}", type_="dr", tenant=t.id)
                        continue
                    absent = [f"{i.name} ({why})" for i in checked if (why := self._dr_gap(i))]
                    if there and not absent:
                        continue
                    what = "the model places nothing there" if not there else "; ".join(absent)
                    self._add("violation", "dr-placement", None,
                              f"tenant '{t.id}' has DR grade {t.dr.grade} but its {label} resources are not in "
                              f"place: {what}", platform=p.id, resource=f"tenant {t.id}", type_="dr", tenant=t.id)

    def _dr_gap(self, it: Item) -> str | None:
        """Why a DR resource is not in place, or None when it is."""
        if self.state.get(it.urn) != "matched":
            return "missing"
        if not it.spec.quota:
            return None
        live = self.matched[it.urn]
        short = [f"{k} {live.get(k)} < {v}" for k, v in sorted(self.bodies[it.urn]["limits"].items())
                 if isinstance(live.get(k), int) and live[k] != -1 and live[k] < v]
        return "quota short: " + ", ".join(short) if short else None


def _world(rule: dict[str, Any]) -> bool:
    prefix = rule.get("remote_ip_prefix")
    if prefix is None:
        return rule.get("remote_group_id") is None and rule.get("remote_address_group_id") is None
    try:
        return ipaddress.ip_network(prefix, strict=False).prefixlen == 0
    except ValueError:
        return prefix in WORLD


def _opens_management(rule: dict[str, Any]) -> bool:
    proto = rule.get("protocol")
    if proto not in (None, "tcp", "udp", "6", "17", "any"):
        return False
    lo, hi = rule.get("port_range_min"), rule.get("port_range_max")
    if lo is None:
        return True
    return any(lo <= port <= (hi if hi is not None else lo) for port in MANAGEMENT_PORTS)


def _ports(rule: dict[str, Any]) -> str:
    lo, hi = rule.get("port_range_min"), rule.get("port_range_max")
    if lo is None:
        return "all ports"
    hit = [f"{p}/{n}" for p, n in MANAGEMENT_PORTS.items() if lo <= p <= (hi if hi is not None else lo)]
    rng = str(lo) if hi in (None, lo) else f"{lo}-{hi}"
    return f"port {rng}" + (f" ({', '.join(hit)})" if hit else "")
