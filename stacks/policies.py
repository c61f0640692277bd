"""Isolation and DR invariants as CrossGuard policies, written once.

``POLICIES`` is a plain list so that ``policypack/__main__.py`` can serve it to a
real ``pulumi preview --policy-pack policypack`` and ``evaluate()`` can run it
offline on a captured graph (constructing a ``PolicyPack`` would start its gRPC
server, so nothing here does). Offline, policies see the program's inputs before
the provider fills in defaults, in camelCase as the engine passes them.
"""
from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy.proxy import UnknownValueError
from pulumi_policy import (EnforcementLevel, PolicyConfigSchema, PolicyCustomTimeouts, PolicyProviderResource,
                           PolicyResource, PolicyResourceOptions, ReportViolation, ResourceValidationArgs,
                           ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy)

from govctl.inventory.rules import MANAGEMENT_PORTS

OPENSTACK = "openstack:"
PROVIDER_TYPE = "pulumi:providers:openstack"
TENANT_TYPE = "govctl:cloud:Tenant"
PLATFORM_TYPE = "govctl:cloud:Platform"
AGGREGATE_TYPE = "openstack:compute/aggregateV2:AggregateV2"
PROJECT_TYPE = "openstack:identity/project:Project"
NETWORK_TYPE = "openstack:networking/network:Network"
ANY = ("0.0.0.0/0", "::/0")
REMOTE_DR_NEEDS = (("openstack:blockstorage/volumeTypeAccessV3:VolumeTypeAccessV3", "DR target volume type grant"),
                   ("openstack:blockstorage/quoteSetV3:QuoteSetV3", "volume quota"))


def _urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _id_target(value: Any) -> str | None:
    """The URN a planned '<id:URN>' names, if the value is one."""
    if isinstance(value, str) and value.startswith("<id:") and value.endswith(">"):
        return value[4:-1]
    return None


def _get(props: Any, key: str, default: Any = None) -> Any:
    """``props[key]``, or ``default`` when it is absent or not known yet. Under `pulumi preview` a value computed by
    the cloud is unknown, and reading it raises UnknownValueError, which stops the whole policy: the engine then
    reports "can't run policy" instead of a verdict. A policy judges what is known, as the offline plan does."""
    try:
        return props.get(key, default) if isinstance(props, Mapping) else default
    except UnknownValueError:
        return default


def _ref(r: PolicyResource, key: str, type_: str) -> str | None:
    """The URN of the ``type_`` resource that ``r``'s ``key`` (an id) refers to: the offline plan's '<id:URN>', or
    under the real engine (a cloud id, or unknown before it exists) ``r``'s one dependency of that type."""
    target = _id_target(_get(r.props, key))
    if target is not None:
        return target
    deps = [d.urn for d in (r.dependencies or []) if d.resource_type == type_]
    return deps[0] if len(deps) == 1 else None


# ---------------------------------------------------------------- resource policies


def _explicit_provider(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not args.resource_type.startswith(OPENSTACK):
        return
    if args.provider is None or _urn_name(args.provider.urn).startswith("default"):
        report("uses the default provider; every resource names its platform region's provider explicitly", None)


def _management_ports(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != "openstack:networking/secGroupRule:SecGroupRule":
        return
    p = args.props
    if p.get("direction") != "ingress":
        return
    prefix = p.get("remoteIpPrefix")
    if prefix not in (None, "", *ANY) or p.get("remoteGroupId") or p.get("remoteAddressGroupId"):
        return
    proto = p.get("protocol")
    if proto in ("icmp", "ipv6-icmp", "icmpv6"):
        return
    lo, hi = p.get("portRangeMin"), p.get("portRangeMax")
    ports = range(1, 65536) if lo is None or hi is None else range(int(lo), int(hi) + 1)
    opened = sorted(port for port in MANAGEMENT_PORTS if port in ports)
    if opened:
        report(f"ingress {proto or 'any protocol'} port(s) {opened} open to {prefix or 'anywhere'}", None)


def _ethertype(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != "openstack:networking/secGroupRule:SecGroupRule":
        return
    prefix, ethertype = _get(args.props, "remoteIpPrefix"), _get(args.props, "ethertype")
    if not prefix or not isinstance(prefix, str) or prefix.startswith("<"):
        return
    family = "IPv6" if ipaddress.ip_network(prefix, strict=False).version == 6 else "IPv4"
    if ethertype != family:
        report(f"ethertype {ethertype} with {family} prefix {prefix} (Neutron rejects it)", None)


def _ipv6_modes(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != "openstack:networking/subnet:Subnet" or _get(args.props, "ipVersion") != 6:
        return
    ra, addr = _get(args.props, "ipv6RaMode"), _get(args.props, "ipv6AddressMode")
    cidr = _get(args.props, "cidr")
    if ra and addr and ra != addr:
        report(f"ipv6_ra_mode {ra} with ipv6_address_mode {addr} (Neutron rejects mixed modes)", None)
    if "slaac" in (ra, addr) and isinstance(cidr, str) and not cidr.startswith("<"):
        if ipaddress.ip_network(cidr, strict=False).prefixlen != 64:
            report(f"SLAAC on {cidr}: SLAAC needs a /64", None)


def _no_shared_networks(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == "openstack:networking/network:Network" and _get(args.props, "shared"):
        report("network shared with every project; share with named tenants through RBAC only", None)
    if (args.resource_type == "openstack:networking/rbacPolicyV2:RbacPolicyV2"
            and _get(args.props, "targetTenant") == "*"):
        report("RBAC policy targets every project ('*')", None)


# ---------------------------------------------------------------- stack policies


def _tenant_external_private(args: StackValidationArgs, report: ReportViolation) -> None:
    # external=True makes Neutron grant access_as_external to '*': any project could then put a
    # router gateway on a strong-isolation tenant's own plane. Found against a real Zed Neutron.
    for r in args.resources:
        if r.resource_type == "openstack:networking/network:Network" and _get(r.props, "external") \
                and _tenant_of(r) is not None:
            report("a tenant's own external network is external to every project; create it with "
                   "external=False and grant access_as_external to the tenant through RBAC", r.urn)


def _ancestor(r: PolicyResource, type_: str) -> PolicyResource | None:
    """The nearest component of ``type_`` above ``r``, if any."""
    cur = r.parent
    while cur is not None:
        if cur.resource_type == type_:
            return cur
        cur = cur.parent
    return None


def _tenant_of(r: PolicyResource) -> PolicyResource | None:
    return _ancestor(r, TENANT_TYPE)


def _tenant_parented(args: StackValidationArgs, report: ReportViolation) -> None:
    platform_providers = {r.urn for r in args.resources
                          if r.resource_type == PROVIDER_TYPE and _ancestor(r, PLATFORM_TYPE) is not None}
    by_urn = {r.urn: r for r in args.resources}
    for r in args.resources:
        if not r.resource_type.startswith(OPENSTACK):
            continue
        if r.parent is None or not r.parent.resource_type.startswith("govctl:cloud:"):
            report("not parented to a govctl component", r.urn)
            continue
        tenant = _tenant_of(r)
        if tenant is None or r.provider is None:
            continue
        prov = r.provider.urn
        scoped = by_urn.get(prov)
        if prov not in platform_providers and (scoped is None or _tenant_of(scoped) is not tenant):
            report(f"tenant '{tenant.name}' resource uses provider {_urn_name(prov)}, which is neither "
                   "its platform's nor scoped to its own project", r.urn)


def _sharing_declared(args: StackValidationArgs, report: ReportViolation) -> None:
    declared: dict[str, list[str]] = (args.get_config() or {}).get("shares", {}) or {}
    projects = {r.urn: r.name for r in args.resources if r.resource_type == PROJECT_TYPE}
    for r in args.resources:
        if r.resource_type != "openstack:networking/rbacPolicyV2:RbacPolicyV2":
            continue
        owner = _tenant_of(r)
        target_urn = _ref(r, "targetTenant", PROJECT_TYPE)
        if owner is None or target_urn is None:
            continue  # a live preview may not know the target yet
        target = projects.get(target_urn, _urn_name(target_urn))
        action = _get(r.props, "action")
        if action == "access_as_external":
            if target != owner.name:
                report(f"tenant '{owner.name}' external network made visible to '{target}'", r.urn)
        elif target not in declared.get(owner.name, []):
            report(f"tenant '{owner.name}' shares a network with '{target}', not declared in "
                   "shared_with", r.urn)


def _dr_coverage(args: StackValidationArgs, report: ReportViolation) -> None:
    roles: dict[str, set[str]] = defaultdict(set)
    for r in args.resources:
        if r.resource_type == AGGREGATE_TYPE and isinstance(_get(r.props, "metadata"), Mapping):
            roles[str(_get(_get(r.props, "metadata"), "dr_role"))].add(str(_get(r.props, "region")))
    for r in args.resources:
        if r.resource_type != PROJECT_TYPE or _get(r.props, "isDomain"):
            continue
        tags = [t for t in (_get(r.props, "tags") or []) if isinstance(t, str)]
        grade = next((int(t.split("=", 1)[1]) for t in tags if t.startswith("dr-grade=")), 0)
        tenant = _tenant_of(r)
        if grade == 0 or tenant is None:
            continue
        mine = [x for x in args.resources if _tenant_of(x) is tenant and x.resource_type.startswith(OPENSTACK)]
        regions = {str(_get(x.props, "region")) for x in mine}
        if not roles.get("remote_dr"):
            report(f"tenant '{tenant.name}' has DR grade {grade} but the platform has no remote-DR region",
                   tenant.urn)
        for rg in sorted(roles.get("remote_dr", ())):
            # Data-level DR needs, before the disaster, the right to bring the data up there (the centre's
            # DR target volume type) and room for it (a Cinder quota): a backup container alone is not it.
            held = {x.resource_type for x in mine if str(_get(x.props, "region")) == rg}
            lacking = [label for type_, label in REMOTE_DR_NEEDS if type_ not in held]
            if lacking:
                report(f"tenant '{tenant.name}' has DR grade {grade} but no {' and no '.join(lacking)} in "
                       f"remote-DR region {rg}", tenant.urn)
        if roles.get("same_city") and not (regions & roles["same_city"]):
            report(f"tenant '{tenant.name}' has DR grade {grade} but no resource in the platform's same-city "
                   "region", tenant.urn)


def _ipv6_twin(args: StackValidationArgs, report: ReportViolation) -> None:
    versions: dict[str, set[int]] = defaultdict(set)
    networks = {r.urn: r for r in args.resources if r.resource_type == "openstack:networking/network:Network"}
    for r in args.resources:
        if r.resource_type == "openstack:networking/subnet:Subnet":
            target = _ref(r, "networkId", NETWORK_TYPE)
            if target is not None:
                versions[target].add(int(_get(r.props, "ipVersion") or 0))
    for urn, net in networks.items():
        if _get(net.props, "external") or _tenant_of(net) is None:
            continue
        if 4 in versions[urn] and 6 not in versions[urn]:
            report(f"tenant network '{_get(net.props, 'name')}' is IPv4-only (no IPv6 twin subnet)", urn)


def _external_dual_stack(args: StackValidationArgs, report: ReportViolation) -> None:
    # A router's gateway takes its addresses from its external network's subnets: an IPv4-only external
    # network leaves every tenant behind it without an IPv6 path out, whatever its own subnets say.
    external = {r.urn for r in args.resources
                if r.resource_type == "openstack:networking/network:Network" and _get(r.props, "external")}
    external |= {t for r in args.resources if r.resource_type == "openstack:networking/rbacPolicyV2:RbacPolicyV2"
                 and _get(r.props, "action") == "access_as_external"
                 and (t := _ref(r, "objectId", NETWORK_TYPE)) is not None}
    versions: dict[str, set[int]] = defaultdict(set)
    for r in args.resources:
        target = _ref(r, "networkId", NETWORK_TYPE) if r.resource_type == "openstack:networking/subnet:Subnet" \
            else None
        if target is not None:
            versions[target].add(int(_get(r.props, "ipVersion") or 0))
    # Judged where the subnets' network ids are known (always offline; a live preview may not know them yet).
    for urn in sorted(u for u in external if 4 in versions[u] and 6 not in versions[u]):
        report(f"external network '{_urn_name(urn)}' has no IPv6 subnet: routers behind it get no IPv6 gateway",
               urn)


POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    ResourceValidationPolicy("explicit-provider", "Every OpenStack resource names its provider explicitly.",
                             _explicit_provider, EnforcementLevel.MANDATORY),
    ResourceValidationPolicy("no-management-port-to-any", "No ingress rule opens a management port "
                             f"({sorted(MANAGEMENT_PORTS)}) to 0.0.0.0/0 or ::/0.", _management_ports,
                             EnforcementLevel.MANDATORY),
    ResourceValidationPolicy("rule-ethertype-matches-prefix", "A security-group rule's ethertype matches its "
                             "prefix's family.", _ethertype, EnforcementLevel.MANDATORY),
    ResourceValidationPolicy("ipv6-subnet-modes", "IPv6 subnets use one mode for RA and addresses; SLAAC on /64.",
                             _ipv6_modes, EnforcementLevel.MANDATORY),
    ResourceValidationPolicy("no-network-shared-with-all", "No network is shared with every project.",
                             _no_shared_networks, EnforcementLevel.MANDATORY),
    StackValidationPolicy("tenant-resources-parented", "Every resource sits under a govctl component; a tenant's "
                          "resources use its platform's providers or one scoped to its project.",
                          _tenant_parented, EnforcementLevel.MANDATORY),
    StackValidationPolicy("tenant-external-network-private", "A tenant's own external network is external "
                          "to that tenant only (RBAC), never to every project.", _tenant_external_private,
                          EnforcementLevel.MANDATORY),
    StackValidationPolicy("sharing-declared", "RBAC shares only what shared_with declares.", _sharing_declared,
                          EnforcementLevel.MANDATORY,
                          config_schema=PolicyConfigSchema({"shares": {"type": "object"}})),
    StackValidationPolicy("dr-grade-coverage", "A tenant with a DR grade has resources in the same-city "
                          "region and, in every remote-DR region, a DR target volume type grant and a volume "
                          "quota.", _dr_coverage, EnforcementLevel.MANDATORY),
    StackValidationPolicy("external-network-dual-stack", "Every external network (the platform's, a "
                          "strong-isolation tenant's own) has an IPv6 subnet, so router gateways are dual-stack.",
                          _external_dual_stack, EnforcementLevel.MANDATORY),
    StackValidationPolicy("ipv6-twin", "Every tenant network with an IPv4 subnet has an IPv6 twin.", _ipv6_twin,
                          EnforcementLevel.ADVISORY),
]


# ---------------------------------------------------------------- offline evaluation


def _opts(parent: str | None) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect=False, ignore_changes=[], delete_before_replace=None, aliases=[],
                                 custom_timeouts=PolicyCustomTimeouts(0, 0, 0), additional_secret_outputs=[],
                                 parent=parent)


def _collect(found: list[str]) -> Callable[..., None]:
    """The report callback of a resource policy: keeps each message."""
    def report(message: str, urn: str | None = None) -> None:
        found.append(message)
    return report


def _collect_at(found: list[tuple[str, str | None]]) -> Callable[..., None]:
    """The report callback of a stack policy: keeps each message with the resource it names."""
    def report(message: str, urn: str | None = None) -> None:
        found.append((message, urn))
    return report


def engine_view(props: dict[str, Any]) -> Any:
    """The properties as the real engine's analyzer hands them to a policy: wrapped in pulumi_policy's proxies, so
    nested maps and lists are Mapping/Sequence proxies, not dict/list (a policy testing ``isinstance(x, dict)``
    passed offline and failed under `pulumi preview --policy-pack`)."""
    from pulumi_policy.proxy import unknown_checking_proxy

    return unknown_checking_proxy(props)


def evaluate(graph: Any, config: dict[str, Any] | None = None) -> list[tuple[str, str, str, str]]:
    """Run every policy on a captured ``StackGraph``: (policy, level, urn, message) per violation."""
    config = config or {}
    res = graph.resources
    providers = {u: PolicyProviderResource(r.type, r.inputs, u, r.name) for u, r in res.items()
                 if r.type.startswith("pulumi:providers:")}
    policy_res: dict[str, PolicyResource] = {}
    for u, r in res.items():
        policy_res[u] = PolicyResource(r.type, engine_view(r.inputs), u, r.name, _opts(r.parent),
                                       providers.get(r.provider or ""), None, [], {})
    for u, r in res.items():
        pr = policy_res[u]
        pr.parent = policy_res.get(r.parent or "")
        pr.dependencies = [policy_res[d] for d in r.dependencies if d in policy_res]
    out: list[tuple[str, str, str, str]] = []
    for policy in POLICIES:
        level = (policy.enforcement_level or EnforcementLevel.ADVISORY).value
        if level == EnforcementLevel.DISABLED.value:
            continue
        pconf = config.get(policy.name, {})
        if isinstance(policy, ResourceValidationPolicy):
            for u, r in res.items():
                found: list[str] = []
                args = ResourceValidationArgs(r.type, engine_view(r.inputs), u, r.name, _opts(r.parent),
                                              providers.get(r.provider or ""), pconf)
                policy.validate(args, _collect(found))
                out.extend((policy.name, level, u, msg) for msg in found)
        else:
            found2: list[tuple[str, str | None]] = []
            policy.validate(StackValidationArgs(list(policy_res.values()), pconf), _collect_at(found2))
            out.extend((policy.name, level, urn or "", msg) for msg, urn in found2)
    return out
