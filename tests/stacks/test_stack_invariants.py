"""The issue's invariants, proved on the captured graphs of every bundled inventory."""
from __future__ import annotations

import ipaddress

import pytest

from govctl.inventory import models as m
from govctl.inventory.rules import MANAGEMENT_PORTS
from govctl.stacks.models import PLATFORM_TYPE, PROVIDER_TYPE, TENANT_TYPE
from govctl.stacks.program import hub_of, regions_of

from stackfixtures import inventory_params, planned


@pytest.fixture(scope="module", params=inventory_params())
def case(request: pytest.FixtureRequest) -> tuple:
    """(source, graphs) of one bundled inventory; module scope groups the tests per inventory."""
    return planned(request.param)

SG_RULE = "openstack:networking/secGroupRule:SecGroupRule"
SUBNET = "openstack:networking/subnet:Subnet"
NETWORK = "openstack:networking/network:Network"
RBAC = "openstack:networking/rbacPolicyV2:RbacPolicyV2"
VOLUME_TYPE = "openstack:blockstorage/volumeTypeV3:VolumeTypeV3"
VOLUME_TYPE_ACCESS = "openstack:blockstorage/volumeTypeAccessV3:VolumeTypeAccessV3"
VOLUME_QUOTA = "openstack:blockstorage/quoteSetV3:QuoteSetV3"


def _ref(value: str) -> str:
    assert value.startswith("<id:") and value.endswith(">"), value
    return value[4:-1]


def test_every_platform_is_a_stack_and_every_tenant_a_component(case: tuple) -> None:
    src, graphs = case
    assert list(graphs) == [p.id for p in src.inventory.platforms]
    for p in src.inventory.platforms:
        g = graphs[p.id]
        tenants = {r.name for r in g.resources.values() if r.type == TENANT_TYPE}
        assert tenants == {t.id for t in src.inventory.tenants if t.platform == p.id}
        assert any(r.type == PLATFORM_TYPE and r.name == p.id for r in g.resources.values())
        refs = [r for r in g.resources.values() if r.type == "pulumi:pulumi:StackReference"]
        assert [r.name for r in refs] == ([] if p.id == hub_of(src.inventory).id
                                          else [f"organization/govctl/{hub_of(src.inventory).id}"])


def test_tenant_resources_parented_and_on_their_platforms_provider(case: tuple) -> None:
    src, graphs = case
    for p in src.inventory.platforms:
        g = graphs[p.id]
        platform_urn = f"urn:pulumi:{p.id}::govctl::{PLATFORM_TYPE}::{p.id}"
        platform_providers = {f"urn:pulumi:{p.id}::govctl::{PLATFORM_TYPE}${PROVIDER_TYPE}::{p.id}-{r.name}"
                              for r in p.openstack.regions}
        for urn in platform_providers:
            prov = g.resources[urn]
            assert prov.parent == platform_urn and prov.inputs["authUrl"] == p.openstack.auth_url
        # Captured with a clouds.yaml entry (OS_CLOUD, as once the session's cloud lab runs) the platform providers
        # name it, and the tenant-scoped ones take the entry's auth URL from the engine's OS_* variables
        # (stacks/credentials.py); without one, the inventory's.
        entry = {g.resources[urn].inputs.get("cloud") for urn in platform_providers}
        assert len(entry) == 1
        scoped_auth_url = None if entry != {None} else p.openstack.auth_url
        for urn, r in g.resources.items():
            if not r.type.startswith("openstack:"):
                continue
            assert r.provider is not None, f"{urn} uses the default provider"
            tenant = g.tenant_of(urn)
            if tenant is None:
                assert r.parent is not None and r.parent.split("::")[-2].startswith("govctl:cloud:"), urn
                assert r.provider in platform_providers, urn
                continue
            assert r.parent == f"urn:pulumi:{p.id}::govctl::{TENANT_TYPE}::{tenant}", urn
            if r.provider not in platform_providers:
                scoped = g.resources[r.provider]  # a provider acting inside the tenant's own project
                assert scoped.parent == r.parent and scoped.inputs["tenantName"] == tenant, urn
                assert scoped.inputs.get("authUrl") == scoped_auth_url and scoped.inputs["cloud"] == "", urn


def test_no_management_port_open_to_the_world_and_ethertypes_match(case: tuple) -> None:
    _, graphs = case
    rules = [r for g in graphs.values() for r in g.resources.values() if r.type == SG_RULE]
    assert rules
    for r in rules:
        i = r.inputs
        net = ipaddress.ip_network(i["remoteIpPrefix"])
        assert i["ethertype"] == ("IPv6" if net.version == 6 else "IPv4"), r.urn
        if i["direction"] != "ingress" or net.prefixlen != 0:
            continue
        if "portRangeMin" not in i:
            assert i["protocol"] in ("icmp", "ipv6-icmp"), r.urn  # no port-less tcp/udp to the world
            continue
        ports = range(i["portRangeMin"], i["portRangeMax"] + 1)
        assert not [p for p in MANAGEMENT_PORTS if p in ports], r.urn


def test_security_groups_deny_by_default_and_allow_only_the_inventory(case: tuple) -> None:
    src, graphs = case
    for t in src.inventory.tenants:
        g = graphs[t.platform]
        mine = [r for u, r in g.resources.items() if r.type == SG_RULE and g.tenant_of(u) == t.id]
        ingress = {(r.inputs["remoteIpPrefix"], r.inputs.get("portRangeMin")) for r in mine
                   if r.inputs["direction"] == "ingress"}
        declared = {(str(ipaddress.ip_network(x.source)),
                     int(x.ports.split("-")[0]) if x.ports and x.protocol in ("tcp", "udp") else None)
                    for x in t.ingress}
        assert ingress == declared, t.id
        sgs = [r for u, r in g.resources.items()
               if r.type == "openstack:networking/secGroup:SecGroup" and g.tenant_of(u) == t.id]
        assert len(sgs) == 1 and sgs[0].inputs["deleteDefaultRules"] is True


def test_no_network_shared_unless_declared(case: tuple) -> None:
    src, graphs = case
    platform_of = {t.id: t.platform for t in src.inventory.tenants}
    hub = hub_of(src.inventory).id
    expected: set[tuple[str, str, str]] = set()
    for t in src.inventory.tenants:
        for target in t.shared_with:
            if platform_of[target] in (t.platform, hub):
                expected |= {(t.id, n.name, target) for n in t.networks}
    found: set[tuple[str, str, str]] = set()
    for g in graphs.values():
        for urn, r in g.resources.items():
            if r.type == NETWORK:
                assert not r.inputs.get("shared"), urn
            if r.type != RBAC:
                continue
            owner = g.tenant_of(urn)
            target_project = _ref(r.inputs["targetTenant"]).rsplit("::", 1)[-1]
            if r.inputs["action"] == "access_as_external":
                assert target_project == owner, urn  # its own strong-plane external network only
                continue
            net = g.resources[_ref(r.inputs["objectId"])]
            assert r.inputs["action"] == "access_as_shared" and net.parent.endswith(f"::{owner}")
            found.add((owner, net.inputs["name"], target_project))
    assert found == expected


def test_every_tenant_subnet_has_its_ipv6_twin_from_the_plan(case: tuple) -> None:
    src, graphs = case
    for t in src.inventory.tenants:
        g = graphs[t.platform]
        subnets = {r.name: r.inputs for u, r in g.resources.items() if r.type == SUBNET and g.tenant_of(u) == t.id}
        for n in t.networks:
            v4 = subnets[f"{t.id}-{n.name}-v4"]
            assert v4["cidr"] == n.ipv4 and v4["ipVersion"] == 4
            if not n.ipv6:
                assert f"{t.id}-{n.name}-v6" not in subnets
                continue
            v6 = subnets[f"{t.id}-{n.name}-v6"]
            want = src.ipv6.subnet(t.platform, t.id, n.name)
            assert v6["cidr"] == str(want) and v6["ipVersion"] == 6
            assert v6["networkId"] == v4["networkId"]
            # What a real Neutron accepts: one mode for both, SLAAC only on a /64.
            assert v6["ipv6RaMode"] == v6["ipv6AddressMode"]
            assert (v6["ipv6RaMode"] == "slaac") == (want.prefixlen == 64)


def test_every_external_network_is_dual_stack_with_its_ipv6_subnet_from_the_plan(case: tuple) -> None:
    src, graphs = case
    seen = 0
    for p in src.inventory.platforms:
        g = graphs[p.id]
        external = {u for u, r in g.resources.items() if r.type == NETWORK and r.inputs.get("external")}
        external |= {_ref(r.inputs["objectId"]) for r in g.resources.values()
                     if r.type == RBAC and r.inputs["action"] == "access_as_external"}
        expected = ({"extranet"} if p.external_ipv4 else set()) | {
            f"{t.id}-strong-external" for t in src.inventory.tenants
            if t.platform == p.id and t.isolation == m.Isolation.strong}
        assert {g.resources[u].inputs["name"] for u in external} == expected, p.id
        for urn in external:
            name = g.resources[urn].inputs["name"]
            subnets = {r.inputs["ipVersion"]: r.inputs for r in g.resources.values()
                       if r.type == SUBNET and _ref(r.inputs["networkId"]) == urn}
            assert set(subnets) == {4, 6}, urn
            want = src.ipv6.external(p.id, name)
            assert subnets[6]["cidr"] == str(want) and want.prefixlen == 64, urn
            assert want.subnet_of(src.ipv6.allocations[f"cloud/{p.id}"].network), urn
            # The extranet router upstream owns ::1 and the RAs; Neutron hands gateway ports fixed addresses.
            assert subnets[6]["gatewayIp"] == str(want.network_address + 1) and subnets[6]["enableDhcp"] is False
            assert "ipv6RaMode" not in subnets[6] and "ipv6AddressMode" not in subnets[6]
            # Tenant routers are created only once both subnets exist, so their gateways get both families.
            for r in g.resources.values():
                if r.type == "openstack:networking/router:Router" and _ref(r.inputs["externalNetworkId"]) == urn:
                    v6_urn = next(u for u, s in g.resources.items() if s.type == SUBNET and s.inputs is subnets[6])
                    assert v6_urn in r.dependencies, r.urn
            seen += 1
    assert seen


def test_dr_graded_tenants_reach_the_same_city_and_remote_dr_regions(case: tuple) -> None:
    src, graphs = case
    active_active = src.inventory.province.rules.same_city_min_dr_grade
    for t in [t for t in src.inventory.tenants if t.dr.grade > 0]:
        p = next(x for x in src.inventory.platforms if x.id == t.platform)
        plans = regions_of(src.inventory, p)
        same_city = [r.name for r in plans if r.role == m.SiteRole.same_city]
        remote = [r.name for r in plans if r.role == m.SiteRole.remote_dr]
        g = graphs[t.platform]
        regions = {r.inputs.get("region") for u, r in g.resources.items()
                   if g.tenant_of(u) == t.id and r.type.startswith("openstack:")}
        # Active-active in the same-city centre wherever the platform has one (required from grade 5) ...
        assert set(same_city) <= regions, t.id
        assert same_city or t.dr.grade < active_active, t.id
        # ... and data-level DR in every remote-DR centre: the centre's DR target volume type granted to the
        # tenant, a Cinder quota there for all its volumes, and a backup container.
        assert remote, t.id
        dr_types = {r.inputs["region"]: u for u, r in g.resources.items()
                    if r.type == VOLUME_TYPE and r.name.startswith(f"{p.id}-dr-target-")}
        for rg in remote:
            target = dr_types[rg]
            assert g.resources[target].inputs["isPublic"] is False, target
            grant = g.resources[f"urn:pulumi:{t.platform}::govctl::{TENANT_TYPE}${VOLUME_TYPE_ACCESS}::"
                                f"{t.id}-dr-target-{rg}"]
            assert grant.inputs["region"] == rg and _ref(grant.inputs["volumeTypeId"]) == target
            assert _ref(grant.inputs["projectId"]).endswith(f"::{t.id}")
            quota = g.resources[f"urn:pulumi:{t.platform}::govctl::{TENANT_TYPE}${VOLUME_QUOTA}::"
                                f"{t.id}-volume-quota-{rg}"]
            assert quota.inputs["region"] == rg
            assert (quota.inputs["volumes"], quota.inputs["gigabytes"]) == (t.quotas.volumes, t.quotas.volume_gb)
            backup = g.resources[f"urn:pulumi:{t.platform}::govctl::{TENANT_TYPE}$openstack:objectstorage/"
                                 f"container:Container::{t.id}-dr-backup-{rg}"]
            assert backup.inputs["region"] == rg
            assert backup.inputs["metadata"]["rpo-minutes"] == str(t.dr.rpo_minutes)
    for t in src.inventory.tenants:
        if t.dr.grade == 0:
            g = graphs[t.platform]
            assert not any(r.type in ("openstack:objectstorage/container:Container", VOLUME_TYPE_ACCESS)
                           and g.tenant_of(u) == t.id for u, r in g.resources.items())


def test_isolation_kinds_become_their_resources(case: tuple) -> None:
    src, graphs = case
    for t in src.inventory.tenants:
        g = graphs[t.platform]
        mine = {r.name: r for u, r in g.resources.items() if g.tenant_of(u) == t.id}
        router = mine[f"{t.id}-router"]
        if t.isolation == m.Isolation.strong:
            ext = mine[f"{t.id}-strong-external"]
            # private: external to its own tenant only, through RBAC (never to every project)
            assert ext.inputs["external"] is False and ext.inputs["segments"][0]["physicalNetwork"] == "strong-isolation"
            assert _ref(router.inputs["externalNetworkId"]) == ext.urn
        else:
            assert f"{t.id}-strong-external" not in mine
        assert (f"{t.id}-dedicated-hosts" in mine) == (t.isolation == m.Isolation.dedicated_hosts)


def test_offline_policies_pass_on_bundled_inventories(case: tuple) -> None:
    src, graphs = case
    bad = [v for v in engine_violations(src, graphs) if v.level == "mandatory"]
    assert bad == []


def engine_violations(src, graphs):  # noqa: ANN001, ANN201
    from govctl.stacks.engine import violations

    return violations(src.inventory, graphs)
