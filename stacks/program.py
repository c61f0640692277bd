"""The Pulumi program of one stack (= one platform): components wired from the inventory.

Run by Pulumi through ``stacks/__main__.py`` and by the offline planner under
the mock runtime; both call ``build(ctx)``.
"""
from __future__ import annotations

import ipaddress

import pulumi

from inventory import models as m
from stacks.dr import DrLayout
from stacks.errors import ProgramError
from stacks.models import DrLayoutArgs, PlatformArgs, RegionPlan, StackContext, TenantArgs
from stacks.platform import Platform
from stacks.tenant import Tenant

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


def build(ctx: StackContext) -> dict[str, object]:
    """Register every resource of the stack; returns the stack outputs (also exported)."""
    inv = ctx.inventory
    platform = next((p for p in inv.platforms if p.id == ctx.platform), None)
    if platform is None:
        raise ProgramError(f"stack '{ctx.platform}': no such platform in the inventory")
    hub = hub_of(inv)
    regions = regions_of(inv, platform)
    reference: pulumi.StackReference | None = None
    if platform.id != hub.id:
        # Federated platforms learn the hub's facts from its stack outputs, never from shared files.
        reference = pulumi.StackReference(f"{ctx.reference_prefix}/{hub.id}")
    plat = Platform(platform.id, PlatformArgs(
        platform=platform, province=inv.province.id, regions=regions,
        hub_dns_zone=reference.get_output("dns_zone") if reference is not None else None))
    dr = DrLayout(f"{platform.id}-dr", DrLayoutArgs(
        platform=platform, primary=regions[0],
        same_city=next((r for r in regions if r.role == m.SiteRole.same_city), None),
        remote_dr=tuple(r for r in regions if r.role == m.SiteRole.remote_dr), providers=plat.providers))

    mine = [t for t in inv.tenants if t.platform == platform.id]
    strong = strong_ranges(platform, mine)
    tenants: dict[str, Tenant] = {}
    for t in mine:
        v6 = {n.name: ctx.ipv6.subnet(platform.id, t.id, n.name) for n in t.networks if n.ipv6}
        tenants[t.id] = Tenant(t.id, TenantArgs(
            tenant=t, platform=platform, region=regions[0], provider=plat.providers[regions[0].name],
            domain_id=plat.domain_id, external_network_id=plat.extranet_network_id, ipv6_subnets=v6,
            strong_external_cidr=strong.get(t.id), dr=dr.targets if t.dr.grade > 0 else None))

    platform_of = {t.id: t.platform for t in inv.tenants}
    for t in mine:
        targets: dict[str, object] = {}
        for target in t.shared_with:
            if target in tenants:
                targets[target] = tenants[target].project_id
            elif reference is not None and platform_of.get(target) == hub.id:
                targets[target] = reference.get_output("projects").apply(lambda d, k=target: (d or {})[k])
            else:
                pulumi.log.warn(f"tenant '{t.id}': cannot share with '{target}' on platform "
                                f"'{platform_of.get(target)}' from here (only the same platform or the hub)")
        if targets:
            tenants[t.id].share(targets)

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
