"""The Pulumi program of one stack (= one platform): components wired from the inventory.

Run by Pulumi through ``stacks/__main__.py`` and by the offline planner under
the mock runtime; both call ``build(ctx)``.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import partial
from typing import Any

import pulumi

from govctl.inventory import models as m
from govctl.stacks.dr import DrLayout
from govctl.stacks.errors import ProgramError
from govctl.stacks.models import DrLayoutArgs, PlatformArgs, RegionPlan, StackContext, TenantArgs
from govctl.stacks.platform import Platform
from govctl.stacks.tenant import Tenant

STRONG_EXTERNAL_LENGTH = 28  # each strong-isolation tenant's own external range


def regions_of(inv: m.Inventory, platform: m.Platform) -> tuple[RegionPlan, ...]:
    """The platform's regions, the primary centre's first (else the first listed)."""
    sites = {s.id: s for s in inv.sites.sites}
    plans = [RegionPlan(r.name, r.site, sites[r.site].role if r.site in sites else m.SiteRole.regional,
                        tuple(r.availability_zones)) for r in platform.openstack.regions]
    primary = next((r for r in plans if r.role == m.SiteRole.primary), plans[0])
    return (primary, *[r for r in plans if r is not primary])


def hub_of(inv: m.Inventory) -> m.Platform:
    return next(p for p in inv.platforms if p.kind == m.PlatformKind.provincial)


def strong_ranges(platform: m.Platform, tenants: list[m.Tenant]) -> dict[str, str]:
    """Each strong-isolation tenant's own external range, carved in inventory order (appending never moves one)."""
    strong = [t for t in tenants if t.isolation == m.Isolation.strong]
    if not strong:
        return {}
    if platform.strong_isolation_ipv4 is None:
        raise ProgramError(f"stack '{platform.id}': tenant '{strong[0].id}' needs strong isolation but the platform "
                           "has no strong_isolation_ipv4 range (clouds.yaml)")
    block = ipaddress.IPv4Network(platform.strong_isolation_ipv4)
    length = max(STRONG_EXTERNAL_LENGTH, block.prefixlen)
    slices = list(block.subnets(new_prefix=length))
    if len(strong) > len(slices):
        raise ProgramError(f"stack '{platform.id}': {len(strong)} strong-isolation tenants but "
                           f"{platform.strong_isolation_ipv4} holds only {len(slices)} /{length} ranges")
    return {t.id: str(s) for t, s in zip(strong, slices)}


# Outputs that map tenant id -> value: a partial run (``only``) yields the entries of the tenants it registered.
TENANT_OUTPUTS = ("projects",)


@dataclass(frozen=True)
class TenantPlan:
    """Everything the program decides for one tenant before registering it.

    The graph cache keys each tenant's resources on this (plus the platform-level
    inputs), so whatever a tenant's registration reads must come from here.
    """

    tenant: m.Tenant
    ipv6_subnets: dict[str, ipaddress.IPv6Network]
    strong_external_cidr: str | None
    strong_external_ipv6: ipaddress.IPv6Network | None  # its /64 from the IPv6 plan
    shares: tuple[tuple[str, str], ...]  # (target tenant, "local" | "hub" | "none:<its platform>")

    def digest_doc(self) -> dict[str, Any]:
        return {"tenant": self.tenant.model_dump(mode="json"),
                "ipv6": sorted((k, str(v)) for k, v in self.ipv6_subnets.items()),
                "strong": self.strong_external_cidr, "strong6": str(self.strong_external_ipv6 or ""),
                "shares": [list(s) for s in self.shares]}


def tenant_plans(ctx: StackContext) -> dict[str, TenantPlan]:
    """The stack's tenants in inventory order, each with what it is built from."""
    inv = ctx.inventory
    platform = _platform(ctx)
    hub = hub_of(inv)
    mine = [t for t in inv.tenants if t.platform == platform.id]
    strong = strong_ranges(platform, mine)
    platform_of = {t.id: t.platform for t in inv.tenants}
    out: dict[str, TenantPlan] = {}
    for t in mine:
        shares: list[tuple[str, str]] = []
        for target in t.shared_with:
            where = platform_of.get(target)
            if where == platform.id:
                shares.append((target, "local"))
            elif platform.id != hub.id and where == hub.id:
                shares.append((target, "hub"))
            else:
                shares.append((target, f"none:{where}"))
        out[t.id] = TenantPlan(
            tenant=t, ipv6_subnets={n.name: ctx.ipv6.subnet(platform.id, t.id, n.name) for n in t.networks if n.ipv6},
            strong_external_cidr=strong.get(t.id), shares=tuple(shares),
            strong_external_ipv6=ctx.ipv6.external(platform.id, f"{t.id}-strong-external") if t.id in strong
            else None)
    return out


def with_local_shares(plans: dict[str, TenantPlan], tenants: set[str]) -> set[str]:
    """``tenants`` plus every tenant of this stack they share with, transitively: sharing needs their projects."""
    todo, seen = list(tenants), set(tenants)
    while todo:
        for target, how in plans[todo.pop()].shares:
            if how == "local" and target in plans and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _platform(ctx: StackContext) -> m.Platform:
    platform = next((p for p in ctx.inventory.platforms if p.id == ctx.platform), None)
    if platform is None:
        raise ProgramError(f"stack '{ctx.platform}': no such platform in the inventory")
    return platform


def hub_missing(stack: str, hub: str, tenant: str) -> str:
    """The one line a federated stack ends with when the hub stack has not been applied (or lacks the tenant)."""
    return (f"stack '{stack}' reads tenant '{tenant}' from the hub stack '{hub}', whose state has no such output yet: "
            f"apply the hub stack first (govctl apply --stack {hub})")


def _project_of(tenant: str, stack: str, hub: str, projects: dict[str, Any] | None) -> Any:
    """A tenant's project id from the hub stack's `projects` output."""
    if not projects or tenant not in projects:
        # RunError: the engine prints its message as one line, without a traceback.
        raise pulumi.RunError(hub_missing(stack, hub, tenant))
    return projects[tenant]


def build(ctx: StackContext, only: frozenset[str] | None = None) -> dict[str, object]:
    """Register every resource of the stack; returns the stack outputs (also exported).

    ``only`` (offline planner): register the platform-level components and only these tenants, which must
    include every tenant of this stack they share with (``with_local_shares``); the tenant-keyed outputs
    (``TENANT_OUTPUTS``) then hold only their entries.
    """
    inv = ctx.inventory
    platform = _platform(ctx)
    hub = hub_of(inv)
    regions = regions_of(inv, platform)
    plans = tenant_plans(ctx)
    reference: pulumi.StackReference | None = None
    if platform.id != hub.id:
        # Federated platforms learn the hub's facts from its stack outputs, never from shared files.
        reference = pulumi.StackReference(f"{ctx.reference_prefix}/{hub.id}")
    plat = Platform(platform.id, PlatformArgs(
        platform=platform, province=inv.province.id, regions=regions,
        hub_dns_zone=reference.get_output("dns_zone") if reference is not None else None,
        external_ipv6=ctx.ipv6.external(platform.id, "extranet") if platform.external_ipv4 else None))
    dr = DrLayout(f"{platform.id}-dr", DrLayoutArgs(
        platform=platform, primary=regions[0],
        same_city=next((r for r in regions if r.role == m.SiteRole.same_city), None),
        remote_dr=tuple(r for r in regions if r.role == m.SiteRole.remote_dr), providers=plat.providers))

    chosen = [tp for tid, tp in plans.items() if only is None or tid in only]
    tenants: dict[str, Tenant] = {}
    for tp in chosen:
        t = tp.tenant
        tenants[t.id] = Tenant(t.id, TenantArgs(
            tenant=t, platform=platform, region=regions[0], provider=plat.providers[regions[0].name],
            domain_id=plat.domain_id, external_network_id=plat.extranet_network_id, ipv6_subnets=tp.ipv6_subnets,
            strong_external_cidr=tp.strong_external_cidr, strong_external_ipv6=tp.strong_external_ipv6,
            dr=dr.targets if t.dr.grade > 0 else None))

    for tp in chosen:
        targets: dict[str, Any] = {}
        for target, how in tp.shares:
            if how == "local":
                targets[target] = tenants[target].project_id
            elif how == "hub" and reference is not None:
                targets[target] = reference.get_output("projects").apply(
                    partial(_project_of, target, platform.id, hub.id))
            else:
                pulumi.log.warn(f"tenant '{tp.tenant.id}': cannot share with '{target}' on platform "
                                f"'{how.partition(':')[2]}' from here (only the same platform or the hub)")
        if targets:
            tenants[tp.tenant.id].share(targets)

    outputs: dict[str, object] = {
        "platform": platform.id,
        "kind": platform.kind.value,
        "dns_zone": plat.dns_zone,
        "domain_id": plat.domain_id,
        "extranet_network_id": plat.extranet_network_id,
        "regions": [r.name for r in regions],
        "projects": {tid: tn.project_id for tid, tn in tenants.items()},
    }
    for key, value in outputs.items():
        pulumi.export(key, value)
    return outputs
