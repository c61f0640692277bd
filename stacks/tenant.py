"""Tenant component: one department's project on one platform, isolated by default.

Project in the platform's domain, the department's group bound to it, dual-stack
networks (IPv4 from the inventory, IPv6 from the IPv6 plan with SLAAC on /64s),
a router to the extranet external network (or to the tenant's own external
network on the strong isolation plane), a security group that denies inbound
traffic except the inventory's ingress rules, quotas, and DR resources by grade.
Nothing is shared with other tenants except through ``share()``, which the
program calls only for the inventory's ``shared_with``.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any

import pulumi
import pulumi_openstack as openstack

from govctl.inventory import models as m
from govctl.stacks.credentials import entry
from govctl.stacks.errors import ProgramError
from govctl.stacks.models import TENANT_TYPE, TenantArgs
from govctl.stacks.platform import external_ipv6_subnet, protected

MEMBER_ROLE = "member"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def rule_spec(tenant: m.Tenant, index: int, rule: m.IngressRule) -> dict[str, Any]:
    """The Neutron rule for one ingress entry, with the ethertype of its source's family."""
    net = ipaddress.ip_network(rule.source)
    v6 = net.version == 6
    protocol: str = rule.protocol
    if protocol == "icmpv6" and not v6:
        raise ProgramError(f"tenant '{tenant.id}' ingress[{index}]: protocol icmpv6 with IPv4 source {rule.source}")
    if protocol in ("icmp", "icmpv6") and v6:
        protocol = "ipv6-icmp"
    spec: dict[str, Any] = {"direction": "ingress", "ethertype": "IPv6" if v6 else "IPv4",
                               "protocol": protocol, "remote_ip_prefix": str(net)}
    if rule.ports is not None and protocol in ("tcp", "udp"):
        lo, _, hi = rule.ports.partition("-")
        spec["port_range_min"], spec["port_range_max"] = int(lo), int(hi or lo)
    return spec


def rule_name(tenant_id: str, spec: dict[str, Any]) -> str:
    # Named by content, not position: removing one rule never renames the others.
    ports = (f"{spec['port_range_min']}-{spec['port_range_max']}" if "port_range_min" in spec else "all")
    return f"{tenant_id}-in-{spec['protocol']}-{ports}-{_slug(str(spec['remote_ip_prefix']))}"


def ipv6_modes(subnet: ipaddress.IPv6Network) -> tuple[str, str]:
    """SLAAC only works on /64; any other length gets stateful DHCPv6 for both modes (Neutron rejects mixes)."""
    return ("slaac", "slaac") if subnet.prefixlen == 64 else ("dhcpv6-stateful", "dhcpv6-stateful")


class Tenant(pulumi.ComponentResource):
    project_id: pulumi.Output[str]
    network_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: TenantArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TENANT_TYPE, name, None, opts)
        t, region = args.tenant, args.region
        self.args = args
        self._child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        child = self._child
        rg = region.name

        project = openstack.identity.Project(
            t.id, name=t.id, domain_id=args.domain_id, enabled=True,
            description=f"department {t.department}; 等保 level {t.security_level}; DR grade {t.dr.grade}",
            tags=[f"department={t.department}", f"isolation={t.isolation.value}",
                  f"access-type={t.access_type.value}", f"level={t.security_level}",
                  f"dr-grade={t.dr.grade}", f"classification={t.classification.value}"],
            opts=child)
        self.project_id = project.id
        group = openstack.identity.GroupV3(
            f"{t.id}-group", name=f"{t.department}@{t.platform}", domain_id=args.domain_id,
            description=f"members of {t.department} working in {t.id}", opts=child)
        role = openstack.identity.get_role_output(
            name=MEMBER_ROLE, opts=pulumi.InvokeOutputOptions(parent=self, provider=args.provider))
        self._member_role_id = role.id
        self._operator_grant: openstack.identity.RoleAssignment | None = None
        self._scoped: openstack.Provider | None = None
        openstack.identity.RoleAssignment(
            f"{t.id}-group-{MEMBER_ROLE}", group_id=group.id, project_id=project.id, role_id=role.id, opts=child)

        # Router first: its external network decides where the tenant's traffic leaves.
        external_id: Any = args.external_network_id
        if args.strong_external_cidr is not None:
            external_id = self._own_external(project, args.strong_external_cidr)
        router = openstack.networking.Router(
            f"{t.id}-router", name=f"{t.id}-router", tenant_id=project.id, admin_state_up=True, region=rg,
            external_network_id=external_id, enable_snat=False,
            availability_zone_hints=list(region.availability_zones), opts=child)

        self.network_ids = {}
        for net in t.networks:
            n = openstack.networking.Network(
                f"{t.id}-{net.name}", name=net.name, tenant_id=project.id, admin_state_up=True, region=rg,
                shared=False, availability_zone_hints=list(region.availability_zones),
                description=f"routing domain {net.routing_domain}" if net.routing_domain else None,
                opts=protected(child))
            self.network_ids[net.name] = n.id
            v4 = ipaddress.IPv4Network(net.ipv4)
            s4 = openstack.networking.Subnet(
                f"{t.id}-{net.name}-v4", name=f"{net.name}-v4", network_id=n.id, tenant_id=project.id,
                cidr=str(v4), ip_version=4, gateway_ip=str(next(v4.hosts())), enable_dhcp=True, region=rg,
                opts=child)
            subnets = [("v4", s4)]
            if net.ipv6:
                v6 = args.ipv6_subnets[net.name]
                ra, addr = ipv6_modes(v6)
                s6 = openstack.networking.Subnet(
                    f"{t.id}-{net.name}-v6", name=f"{net.name}-v6", network_id=n.id, tenant_id=project.id,
                    cidr=str(v6), ip_version=6, gateway_ip=str(v6.network_address + 1), enable_dhcp=True,
                    ipv6_ra_mode=ra, ipv6_address_mode=addr, region=rg, opts=child)
                subnets.append(("v6", s6))
            for fam, s in subnets:
                openstack.networking.RouterInterface(
                    f"{t.id}-{net.name}-{fam}-if", router_id=router.id, subnet_id=s.id, region=rg, opts=child)

        self._security_group(project)
        self._quotas(project, rg, args.provider)
        if t.isolation == m.Isolation.dedicated_hosts:
            self._dedicated_hosts(project)
        if t.dr.grade > 0:
            self._dr(project)
        self.register_outputs({"project_id": project.id, "router_id": router.id,
                               "networks": dict(self.network_ids)})

    def _own_external(self, project: openstack.identity.Project, cidr: str) -> pulumi.Output[str]:
        t, rg = self.args.tenant, self.args.region.name
        net = openstack.networking.Network(
            # external=False: Neutron would otherwise grant access_as_external to every project ('*').
            # The RBAC rule below makes it external for this one project only.
            f"{t.id}-strong-external", name=f"{t.id}-strong-external", external=False, shared=False,
            admin_state_up=True, region=rg,
            segments=[openstack.networking.NetworkSegmentArgs(network_type="vlan",
                                                              physical_network="strong-isolation")],
            opts=protected(self._child))
        v4 = ipaddress.IPv4Network(cidr)
        hosts = list(v4.hosts())
        subnet = openstack.networking.Subnet(
            f"{t.id}-strong-external-v4", name=f"{t.id}-strong-external-v4", network_id=net.id, cidr=cidr,
            ip_version=4, gateway_ip=str(hosts[0]), enable_dhcp=False, region=rg,
            allocation_pools=[openstack.networking.SubnetAllocationPoolArgs(start=str(hosts[1]), end=str(hosts[-1]))],
            opts=self._child)
        subnets = [subnet]
        if self.args.strong_external_ipv6 is not None:
            subnets.append(openstack.networking.Subnet(f"{t.id}-strong-external-v6", opts=self._child,
                                                       **external_ipv6_subnet(f"{t.id}-strong-external-v6", net.id,
                                                                              self.args.strong_external_ipv6, rg)))
        # Visible as an external network to this project only.
        rbac = openstack.networking.RbacPolicyV2(
            f"{t.id}-strong-external-rbac", action="access_as_external", object_type="network",
            object_id=net.id, target_tenant=project.id, region=rg, opts=self._child)
        # The router's gateway needs the subnets and the RBAC grant in place first.
        return pulumi.Output.all(net.id, rbac.id, *(s.id for s in subnets)).apply(lambda ids: ids[0])

    def _security_group(self, project: openstack.identity.Project) -> None:
        t, rg = self.args.tenant, self.args.region.name
        sg = openstack.networking.SecGroup(
            f"{t.id}-default-deny", name=f"{t.id}-default-deny", tenant_id=project.id, region=rg,
            delete_default_rules=True, description="deny inbound except the inventory's ingress rules",
            opts=self._child)
        for ethertype, prefix in (("IPv4", "0.0.0.0/0"), ("IPv6", "::/0")):
            openstack.networking.SecGroupRule(
                f"{t.id}-egress-{ethertype.lower()}", direction="egress", ethertype=ethertype,
                remote_ip_prefix=prefix, security_group_id=sg.id, tenant_id=project.id, region=rg,
                opts=self._child)
        seen: set[str] = set()
        for i, rule in enumerate(t.ingress):
            spec = rule_spec(t, i, rule)
            name = rule_name(t.id, spec)
            if name in seen:  # Neutron answers 409 to a duplicate rule
                continue
            seen.add(name)
            openstack.networking.SecGroupRule(
                name, security_group_id=sg.id, tenant_id=project.id, region=rg,
                description=rule.description or None, opts=self._child, **spec)

    def _quotas(self, project: openstack.identity.Project, rg: str, provider: Any) -> None:
        t, q = self.args.tenant, self.args.tenant.quotas
        opts = pulumi.ResourceOptions(parent=self, provider=provider)
        openstack.compute.QuotaSetV2(
            f"{t.id}-compute-quota-{rg}", project_id=project.id, region=rg, cores=q.cores, ram=q.ram_gb * 1024,
            instances=q.instances, opts=opts)
        openstack.networking.QuotaV2(
            f"{t.id}-network-quota-{rg}", project_id=project.id, region=rg, network=q.networks,
            subnet=q.subnets, router=q.routers, floatingip=q.floating_ips, security_group=q.security_groups,
            security_group_rule=q.security_group_rules, opts=opts)
        openstack.blockstorage.QuoteSetV3(
            f"{t.id}-volume-quota-{rg}", project_id=project.id, region=rg, volumes=q.volumes,
            gigabytes=q.volume_gb, opts=opts)

    def _dedicated_hosts(self, project: openstack.identity.Project) -> None:
        t, rg, q = self.args.tenant, self.args.region.name, self.args.tenant.quotas
        # AggregateMultiTenancyIsolation keeps other projects off these hosts; the flavor's extra spec
        # (AggregateInstanceExtraSpecsFilter) keeps this project's instances on them.
        openstack.compute.AggregateV2(
            f"{t.id}-dedicated-hosts", name=f"{t.id}-dedicated", region=rg,
            metadata={"filter_tenant_id": project.id, "dedicated": t.id}, opts=self._child)
        flavor = openstack.compute.Flavor(
            f"{t.id}-dedicated-flavor", name=f"{t.id}.dedicated", region=rg, is_public=False,
            vcpus=max(1, min(q.cores, 16)), ram=max(1024, min(q.ram_gb, 64) * 1024), disk=40,
            extra_specs={"aggregate_instance_extra_specs:dedicated": t.id}, opts=self._child)
        openstack.compute.FlavorAccess(
            f"{t.id}-dedicated-flavor-access", flavor_id=flavor.id, tenant_id=project.id, region=rg,
            opts=self._child)

    def _scoped_provider(self) -> openstack.Provider:
        """The provider acting inside the tenant's project (server groups and containers belong to a project), one
        per tenant: each resource names its region, and the engine runs one provider process per provider
        resource (a Guangdong-sized hub has a hundred DR tenants).

        It authenticates as the operator, with a token scoped to the project: from the OS_* variables, which
        govctl derives from the clouds.yaml entry (stacks/credentials.py; the entry's auth_url too, hence none
        here then), since under a named entry the provider would ignore tenant_name."""
        if self._scoped is None:
            t, p = self.args.tenant, self.args.platform
            auth_url = None if entry() else p.openstack.auth_url
            # cloud="": no entry, said outright, since the SDK would fill it from OS_CLOUD where one is set (an
            # offline plan's shell) and not in the engine, whose OS_CLOUD govctl clears.
            self._scoped = openstack.Provider(
                f"{t.id}-scope", auth_url=auth_url, region=self.args.region.name, tenant_name=t.id,
                project_domain_name=p.openstack.domain, cloud="", opts=pulumi.ResourceOptions(parent=self))
        return self._scoped

    def _operator_role(self, project: openstack.identity.Project) -> openstack.identity.RoleAssignment:
        """The operator's own member role in the project, once: Keystone scopes a token only to a project the
        user has a role in, and the scoped providers' resources wait for it."""
        if self._operator_grant is None:
            t = self.args.tenant
            scope = openstack.identity.get_auth_scope_output(
                name="operator", opts=pulumi.InvokeOutputOptions(parent=self, provider=self.args.provider))
            self._operator_grant = openstack.identity.RoleAssignment(
                f"{t.id}-operator-{MEMBER_ROLE}", user_id=scope.user_id, project_id=project.id,
                role_id=self._member_role_id, opts=self._child)
        return self._operator_grant

    def _dr(self, project: openstack.identity.Project) -> None:
        t, dr = self.args.tenant, self.args.dr
        if dr is None:
            raise ProgramError(f"tenant '{t.id}' has DR grade {t.dr.grade} but platform '{t.platform}' has no "
                               "remote-DR region")
        grade = t.dr.grade
        # Standby processing: instances of one tier spread over hosts, in both active-active centres.
        centres = [("primary", dr.primary)] + ([("same-city", dr.same_city)] if dr.same_city is not None else [])
        for role, rp in centres:
            prov = self._scoped_provider()
            openstack.compute.ServerGroup(
                f"{t.id}-anti-affinity-{role}", name=f"{t.id}-anti-affinity-{role}", region=rp.name,
                policies="soft-anti-affinity",
                opts=pulumi.ResourceOptions(parent=self, provider=prov,
                                            depends_on=[project, self._operator_role(project)]))
        if grade >= 3 and dr.same_city is not None:
            # Standby capacity in the same-city centre.
            self._quotas(project, dr.same_city.name, dr.same_city_provider)
        if grade >= 3:
            # Volumes replicated: synchronously to the same-city centre from grade 5, else to remote DR.
            vt = dr.sync_volume_type_id if grade >= 5 and dr.sync_volume_type_id is not None \
                else dr.async_volume_type_id
            openstack.blockstorage.VolumeTypeAccessV3(
                f"{t.id}-replicated-volumes", project_id=project.id, volume_type_id=vt,
                region=dr.primary.name, opts=self._child)
        # Data-level DR in every remote-DR centre. The data gets there by asynchronous replication and
        # backups; bringing it up within the RTO means managing the replicas (or restoring the backups) as
        # volumes of the centre's DR target type in the tenant's own project there. That needs two things
        # in place before the disaster, not during it: access to the private target type, and a Cinder
        # quota in that region sized for everything the tenant keeps on volumes (a quota short of it
        # fails the failover half-way). Instances and networks are deliberately not pre-built there:
        # data-level DR rebuilds them at failover from these same stacks (standby processing is the
        # same-city centre's job), and idle networks would only hold address space.
        # These are also what `govctl audit` reads in bulk to answer "is the remote DR really there?".
        q = t.quotas
        for rp in dr.remote_dr:
            platform_side = pulumi.ResourceOptions(parent=self, provider=dr.remote_providers[rp.name])
            openstack.blockstorage.VolumeTypeAccessV3(
                f"{t.id}-dr-target-{rp.name}", project_id=project.id,
                volume_type_id=dr.remote_volume_type_ids[rp.name], region=rp.name, opts=platform_side)
            openstack.blockstorage.QuoteSetV3(
                f"{t.id}-volume-quota-{rp.name}", project_id=project.id, region=rp.name, volumes=q.volumes,
                gigabytes=q.volume_gb, opts=platform_side)
            # Object backups (database dumps, file archives) in the tenant's account there.
            remote = self._scoped_provider()
            openstack.objectstorage.Container(
                f"{t.id}-dr-backup-{rp.name}", name=f"{t.id}-dr-backup", region=rp.name, versioning=grade >= 4,
                metadata={"dr-grade": str(grade), "rto-minutes": str(t.dr.rto_minutes),
                          "rpo-minutes": str(t.dr.rpo_minutes), "standard": t.dr.standard},
                opts=protected(pulumi.ResourceOptions(parent=self, provider=remote,
                                                      depends_on=[project, self._operator_role(project)])))

    def share(self, targets: dict[str, Any]) -> None:
        """RBAC: share every network with the given tenants (tenant id -> project id), and nothing else."""
        t, rg = self.args.tenant, self.args.region.name
        for target, project_id in sorted(targets.items()):
            for net, net_id in self.network_ids.items():
                openstack.networking.RbacPolicyV2(
                    f"{t.id}-{net}-shared-{target}", action="access_as_shared", object_type="network",
                    object_id=net_id, target_tenant=project_id, region=rg, opts=self._child)
