"""Platform component: one OpenStack cloud of the "1+N+M" federation.

Providers per region (never the default provider), the Keystone domain holding
the tenants, the extranet-facing external network, the availability zones
(Nova aggregates) and the platform's DNS zone under the provincial one.
"""
from __future__ import annotations

import ipaddress
from typing import Any

import pulumi
import pulumi_openstack as openstack

from govctl.inventory import models as m
from govctl.stacks.credentials import entry
from govctl.stacks.models import PLATFORM_TYPE, PlatformArgs, RegionPlan


def protected(opts: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
    """``opts`` with Pulumi's protect: for tenant data (models.PROTECTED_TYPES), which the engine then refuses to
    delete or replace until govctl apply --allow-destroy lifts it for exactly the resources of the reviewed change."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=True))


def provider_name(platform: m.Platform, region: RegionPlan) -> str:
    return f"{platform.id}-{region.name}"


def external_subnet(cidr: str) -> tuple[str, str, str]:
    """(gateway, first pool address, last pool address) of an external range: gateway first, pool the rest."""
    net = ipaddress.IPv4Network(cidr)
    hosts = list(net.hosts()) if net.num_addresses <= 4096 else None
    if hosts is not None:
        return str(hosts[0]), str(hosts[1]), str(hosts[-1])
    return str(net.network_address + 1), str(net.network_address + 2), str(net.broadcast_address - 1)


def external_ipv6_subnet(name: str, network_id: object, ipv6: ipaddress.IPv6Network, region: str) -> dict[str, Any]:
    """An external network's IPv6 subnet: the extranet router upstream owns ::1 and the router advertisements,
    so no RA/address mode here; Neutron then gives each tenant router's gateway port a fixed address from
    the pool, which is the next hop the extranet routes the tenant's /64s to (no NAT in IPv6)."""
    return {"name": name, "network_id": network_id, "cidr": str(ipv6), "ip_version": 6,
            "gateway_ip": str(ipv6.network_address + 1), "enable_dhcp": False, "region": region}


class Platform(pulumi.ComponentResource):
    """Everything a platform offers its tenants; ``providers`` are keyed by region name."""

    providers: dict[str, openstack.Provider]
    domain_id: pulumi.Output[str]
    extranet_network_id: pulumi.Output[str]
    dns_zone: pulumi.Output[str]

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(PLATFORM_TYPE, name, None, opts)
        p = args.platform
        self.args = args
        self.providers = {}
        for region in args.regions:
            # Credentials come from the environment (OS_* variables, or the clouds.yaml entry govctl read for the
            # engine: stacks/credentials.py), never from here; the entry's name is what its settings record.
            self.providers[region.name] = openstack.Provider(
                provider_name(p, region),
                auth_url=p.openstack.auth_url,
                region=region.name,
                cloud=entry(),
                opts=pulumi.ResourceOptions(parent=self))
        primary = args.regions[0]
        main = self.providers[primary.name]
        child = pulumi.ResourceOptions(parent=self, provider=main)

        if p.openstack.domain.lower() == "default":
            # Keystone's built-in domain exists on every cloud; creating it would fail.
            self.domain_id = pulumi.Output.from_input("default")
        else:
            domain = openstack.identity.Project(
                f"{p.id}-domain", name=p.openstack.domain, is_domain=True,
                description=f"{p.name}: tenants' projects", opts=child)
            self.domain_id = domain.id

        for region in args.regions:
            for az in region.availability_zones:
                # Nova availability zones are host aggregates carrying the zone name.
                openstack.compute.AggregateV2(
                    f"{p.id}-az-{az}", name=az, zone=az, region=region.name,
                    metadata={"site": region.site, "dr_role": region.role.value},
                    opts=pulumi.ResourceOptions(parent=self, provider=self.providers[region.name]))

        self.extranet_network_id = pulumi.Output.from_input("")
        if p.external_ipv4:
            net, subnets = self._external(f"{p.id}-extranet", "extranet", "extranet", p.external_ipv4,
                                          args.external_ipv6, primary, child)
            # The id is handed out only with the subnets: a router gateway takes an address from each, so routers
            # must be created after (and destroyed before) them, not race them (a real Neutron 409s, and a
            # gateway set before the IPv6 subnet exists stays IPv4-only).
            self.extranet_network_id = pulumi.Output.all(net.id, *(s.id for s in subnets)).apply(lambda ids: ids[0])

        if args.hub_dns_zone is None:
            zone_name = pulumi.Output.from_input(f"{args.province}.egov.example.")
        else:
            zone_name = pulumi.Output.from_input(args.hub_dns_zone).apply(lambda hub: f"{p.id}.{hub}")
        zone = openstack.dns.Zone(
            f"{p.id}-zone", name=zone_name, email=f"hostmaster@{p.id}.egov.example", ttl=3600,
            description=f"{p.name} ({p.kind.value})", opts=protected(child))
        self.dns_zone = zone.name

        self.register_outputs({"domain_id": self.domain_id, "extranet_network_id": self.extranet_network_id,
                               "dns_zone": self.dns_zone})

    def _external(self, name: str, net_name: str, physnet: str, cidr: str, ipv6: ipaddress.IPv6Network | None,
                  region: RegionPlan, opts: pulumi.ResourceOptions,
                  ) -> tuple[openstack.networking.Network, list[openstack.networking.Subnet]]:
        gateway, first, last = external_subnet(cidr)
        net = openstack.networking.Network(
            name, name=net_name, external=True, admin_state_up=True, region=region.name,
            segments=[openstack.networking.NetworkSegmentArgs(network_type="flat", physical_network=physnet)],
            opts=protected(opts))
        subnets = [openstack.networking.Subnet(
            f"{name}-v4", name=f"{net_name}-v4", network_id=net.id, cidr=cidr, ip_version=4,
            gateway_ip=gateway, enable_dhcp=False, region=region.name,
            allocation_pools=[openstack.networking.SubnetAllocationPoolArgs(start=first, end=last)],
            opts=opts)]
        if ipv6 is not None:
            subnets.append(openstack.networking.Subnet(f"{name}-v6", opts=opts, **external_ipv6_subnet(
                f"{net_name}-v6", net.id, ipv6, region.name)))
        return net, subnets
