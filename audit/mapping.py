"""The ONE mapping between the pulumi-openstack resource types the stacks emit and the OpenStack APIs.

For every type: which service and collection holds it, how its (camelCase) inputs become the API's fields,
how the live object is found again (its natural key: Neutron and Keystone names are unique only within a
project or domain, so keys include the owner), which fields the model owns (the audit compares only those),
and how the object is created and deleted. ``spec_for`` raises ``UnmappedType`` for any type not here, so a
new resource type in the stacks cannot reach a cloud, or escape the audit, unchecked.

References between resources arrive as ``<id:URN>`` placeholders (see ``stacks.models``); a ``Ctx``
resolves them to live ids, and data-source lookups (``<lookup:getRole/member>``) to what the cloud holds.
"""
from __future__ import annotations

import builtins
import ipaddress
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from govctl.audit.cloud import Api
from govctl.audit.errors import CloudError, UnmappedType
from govctl.audit.models import Profile
from govctl.stacks.models import (COMPONENT_PREFIX, ID_PREFIX, LOOKUP_PREFIX, PROVIDER_TYPE, ROOT_STACK_TYPE,
                           STACK_REFERENCE_TYPE)

Key = tuple[Any, ...]


class Ctx(Protocol):
    """What a translation needs besides the inputs: live ids of referenced resources and the cloud profile."""

    profile: Profile
    own_project: str  # the project of the credentials: owner of what the admin creates without a tenant

    def resolve(self, value: str) -> str: ...


def is_ref(value: Any) -> bool:
    return isinstance(value, str) and (value.startswith(ID_PREFIX) or value.startswith(LOOKUP_PREFIX))


def resolve_all(value: Any, ctx: Ctx) -> Any:
    """Inputs with every reference (at any depth) replaced by its live id; ``Unresolved`` if one has none."""
    if isinstance(value, dict):
        return {k: resolve_all(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_all(v, ctx) for v in value]
    if is_ref(value):
        return ctx.resolve(value)
    return value


def snake(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()


def get_path(obj: dict[str, Any], path: str) -> Any:
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


# ---------------------------------------------------------------- comparison of owned fields


def _norm_cidr(v: Any) -> Any:
    try:
        return str(ipaddress.ip_network(v, strict=False)) if v is not None else None
    except ValueError:
        return v


def _norm_ip(v: Any) -> Any:
    try:
        return str(ipaddress.ip_address(v)) if v is not None else None
    except ValueError:
        return v


def _same(mode: str, model: Any, live: Any) -> bool:
    if mode == "subset":  # dicts the cloud may add keys to (aggregate metadata, extra specs)
        live = live or {}
        return all(str(live.get(k)) == str(v) for k, v in (model or {}).items())
    if mode == "set":
        return sorted(map(str, model or [])) == sorted(map(str, live or []))
    if mode == "pools":
        def pools(x: Any) -> list[tuple[str, str]]:
            return sorted((_norm_ip(p.get("start")), _norm_ip(p.get("end"))) for p in x or [])
        return pools(model) == pools(live)
    if mode == "cidr":
        return _norm_cidr(model) == _norm_cidr(live)
    if mode == "ip":
        return _norm_ip(model) == _norm_ip(live)
    if mode == "str":
        return (model or "") == (live or "")
    if isinstance(model, bool) or isinstance(live, bool):
        return bool(model) == bool(live)
    if isinstance(model, (int, float)) and isinstance(live, (int, float)):
        return float(model) == float(live)
    return model == live


# ---------------------------------------------------------------- the type specifications


@dataclass(frozen=True)
class Owned:
    """A field the model owns: the API field (dotted path into the live object) and how to compare it."""

    api: str
    mode: str = "eq"  # eq | str | set | subset | pools | cidr | ip


class TypeSpec:
    """Base: a pulumi-openstack type and its OpenStack API. Subclasses fill the class attributes."""

    type: ClassVar[str]
    service: ClassVar[str | None]  # catalog service type; None: nothing exists in the cloud for it
    collection: ClassVar[str] = ""  # snapshot key of the bulk listing that holds live objects
    regional: ClassVar[bool] = True  # Keystone objects are global; everything else lives in a region
    scoped: ClassVar[bool] = False  # created inside the tenant's project (the stacks' scoped providers)
    owned: ClassVar[tuple[Owned, ...]] = ()
    quota: ClassVar[bool] = False  # a limit, not an object: never "missing", only drifted
    api_object: ClassVar[bool] = True

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        """The API's fields for these (already resolved) inputs."""
        raise NotImplementedError

    def key(self, body: dict[str, Any], ctx: Ctx) -> Key:
        """Natural key of the object these fields describe; equal to ``live_key`` of the live object."""
        raise NotImplementedError

    def live_key(self, obj: dict[str, Any]) -> Key:
        raise NotImplementedError

    def list(self, api: Api, region: str | None, keys: Iterable[Key]) -> list[dict[str, Any]]:
        """Every live object of the collection (one bulk call where the API allows; ``keys`` otherwise)."""
        raise NotImplementedError

    def create(self, api: Api, body: dict[str, Any], region: str | None, project: str | None) -> str:
        raise NotImplementedError

    def delete(self, api: Api, live_id: str, body: dict[str, Any], region: str | None) -> None:
        raise NotImplementedError

    # Neutron's bulk create (one POST, a list of objects, all or nothing); None where the API has none.
    bulk_path: ClassVar[tuple[str, str] | None] = None  # (path, plural wrapper)

    def create_many(self, api: Api, bodies: builtins.list[dict[str, Any]], region: str | None) -> builtins.list[str]:
        assert self.bulk_path is not None
        path, plural = self.bulk_path
        return [o["id"] for o in api.call("network", "POST", path, region=region, body={plural: bodies})[plural]]

    def drift(self, body: dict[str, Any], live: dict[str, Any]) -> builtins.list[tuple[str, Any, Any]]:
        """(field, model, live) for every owned field that differs."""
        out = []
        for o in self.owned:
            model = get_path(body, o.api)
            if model is None and o.mode not in ("str",):
                continue  # the model leaves it to the cloud's default
            live_value = get_path(live, o.api)
            if not _same(o.mode, model, live_value):
                out.append((o.api, model, live_value))
        return out


def _owned(*fields: str | tuple[str, str]) -> tuple[Owned, ...]:
    return tuple(Owned(f) if isinstance(f, str) else Owned(*f) for f in fields)


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


class _CloudNamedSpec(TypeSpec):
    """Named uniquely in the whole cloud (domains, aggregates, flavors, volume types, zones): found by name."""

    def key(self, body: dict[str, Any], ctx: Ctx) -> Key:
        return (body["name"],)

    def live_key(self, obj: dict[str, Any]) -> Key:
        return (obj["name"],)


class _CollectionSpec(TypeSpec):
    """A regional collection listed in one call (under ``collection``), created by a POST wrapping the object
    in its singular ({"network": {...}}), deleted by id. Subclasses name the path and the singular."""

    service: ClassVar[str]
    path: ClassVar[str]  # "/networks"
    one: ClassVar[str]  # "network"
    listing: ClassVar[str] = ""  # what the bulk listing adds to the path ("?is_public=None": private ones too)

    def list(self, api: Api, region: str | None, keys: Iterable[Key]) -> list[dict[str, Any]]:
        return api.call(self.service, "GET", self.path + self.listing, region=region)[self.collection]

    def create(self, api: Api, body: dict[str, Any], region: str | None, project: str | None) -> str:
        return api.call(self.service, "POST", self.path, region=region, body={self.one: body})[self.one]["id"]

    def delete(self, api: Api, live_id: str, body: dict[str, Any], region: str | None) -> None:
        api.call(self.service, "DELETE", f"{self.path}/{live_id}", region=region)


# -------------------------------------------------- Keystone


class DomainSpec(_CloudNamedSpec):
    """``identity.Project`` with ``isDomain``: a Keystone domain (created through /v3/domains)."""

    type = "openstack:identity/project:Project#domain"
    service = "identity"
    collection = "domains"
    regional = False
    owned = _owned(("description", "str"), "enabled")

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        return _clean({"name": inputs["name"], "description": inputs.get("description"),
                       "enabled": inputs.get("enabled", True)})

    def list(self, api: Api, region: str | None, keys: Iterable[Key]) -> list[dict[str, Any]]:
        return api.call("identity", "GET", "/domains")["domains"]

    def create(self, api: Api, body: dict[str, Any], region: str | None, project: str | None) -> str:
        return api.call("identity", "POST", "/domains", body={"domain": body})["domain"]["id"]

    def delete(self, api: Api, live_id: str, body: dict[str, Any], region: str | None) -> None:
        # Keystone deletes only disabled domains.
        api.call("identity", "PATCH", f"/domains/{live_id}", body={"domain": {"enabled": False}})
        api.call("identity", "DELETE", f"/domains/{live_id}")


class _DomainNamedSpec(TypeSpec):
    """A Keystone object named uniquely within its domain (projects, groups): found by (domain, name)."""

    service = "identity"
    regional = False

    def key(self, body: dict[str, Any], ctx: Ctx) -> Key:
        return (body["domain_id"], body["name"])

    def live_key(self, obj: dict[str, Any]) -> Key:
        return (obj["domain_id"], obj["name"])

    def list(self, api: Api, region: str | None, keys: Iterable[Key]) -> list[dict[str, Any]]:
        return api.call("identity", "GET", f"/{self.collection}")[self.collection]

    def create(self, api: Api, body: dict[str, Any], region: str | None, project: str | None) -> str:
        one = self.collection[:-1]  # Keystone wraps a single object in its singular: {"project": {...}}
        return api.call("identity", "POST", f"/{self.collection}", body={one: body})[one]["id"]

    def delete(self, api: Api, live_id: str, body: dict[str, Any], region: str | None) -> None:
        api.call("identity", "DELETE", f"/{self.collection}/{live_id}")


class ProjectSpec(_DomainNamedSpec):
    type = "openstack:identity/project:Project"
    collection = "projects"
    owned = _owned(("description", "str"), "enabled", ("tags", "set"))

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        return _clean({"name": inputs["name"], "domain_id": inputs.get("domainId", "default"),
                       "description": inputs.get("description"), "enabled": inputs.get("enabled", True),
                       "tags": inputs.get("tags")})


class GroupSpec(_DomainNamedSpec):
    type = "openstack:identity/groupV3:GroupV3"
    collection = "groups"
    owned = _owned(("description", "str"))

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        return _clean({"name": inputs["name"], "domain_id": inputs.get("domainId", "default"),
                       "description": inputs.get("description")})


class RoleAssignmentSpec(TypeSpec):
    """A group's (or user's) role on a project: no id of its own; the id is 'project/actor/role'."""

    type = "openstack:identity/roleAssignment:RoleAssignment"
    service = "identity"
    collection = "role_assignments"
    regional = False

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        actor = ("groups", inputs["groupId"]) if inputs.get("groupId") else ("users", inputs["userId"])
        scope = ("projects", inputs["projectId"]) if inputs.get("projectId") else ("domains", inputs["domainId"])
        return {"scope": scope[0], "scope_id": scope[1], "actor": actor[0], "actor_id": actor[1],
                "role_id": inputs["roleId"]}

    def key(self, body: dict[str, Any], ctx: Ctx) -> Key:
        return (body["scope"], body["scope_id"], body["actor"], body["actor_id"], body["role_id"])

    def live_key(self, obj: dict[str, Any]) -> Key:
        scope = "projects" if "project" in obj.get("scope", {}) else "domains"
        scope_id = obj.get("scope", {}).get(scope[:-1], {}).get("id")
        actor = "groups" if "group" in obj else "users"
        return (scope, scope_id, actor, obj[actor[:-1]]["id"], obj["role"]["id"])

    def list(self, api: Api, region: str | None, keys: Iterable[Key]) -> list[dict[str, Any]]:
        rows = api.call("identity", "GET", "/role_assignments")["role_assignments"]
        for r in rows:
            k = self.live_key(r)
            r["id"] = f"{k[1]}/{k[3]}/{k[4]}"
        return rows

    def _path(self, body: dict[str, Any]) -> str:
        return f"/{body['scope']}/{body['scope_id']}/{body['actor']}/{body['actor_id']}/roles/{body['role_id']}"

    def create(self, api: Api, body: dict[str, Any], region: str | None, project: str | None) -> str:
        api.call("identity", "PUT", self._path(body))
        return f"{body['scope_id']}/{body['actor_id']}/{body['role_id']}"

    def delete(self, api: Api, live_id: str, body: dict[str, Any], region: str | None) -> None:
        api.call("identity", "DELETE", self._path(body))


# -------------------------------------------------- Neutron


def _project(inputs: dict[str, Any], ctx: Ctx) -> str:
    # Without tenantId/projectId Neutron gives the object to the caller's project.
    return inputs.get("tenantId") or inputs.get("projectId") or ctx.own_project


def _neutron_list(api: Api, region: str | None, path: str, key: str) -> list[dict[str, Any]]:
    return api.call("network", "GET", path, region=region)[key]


class _NeutronSpec(_CollectionSpec):
    service = "network"


class _ProjectNamedNeutronSpec(_NeutronSpec):
    """Named uniquely within its project (networks, routers, security groups): found by (project, name).
    A live object may carry the older tenant_id instead of project_id."""

    def key(self, body: dict[str, Any], ctx: Ctx) -> Key:
        return (body["project_id"], body.get("name"))

    def live_key(self, obj: dict[str, Any]) -> Key:
        return (obj.get("project_id") or obj.get("tenant_id"), obj.get("name"))


class NetworkSpec(_ProjectNamedNeutronSpec):
    type = "openstack:networking/network:Network"
    collection = "networks"
    path, one = "/networks", "network"
    bulk_path = ("/networks", "networks")
    owned = _owned("name", "admin_state_up", "shared", "router:external", ("description", "str"),
                   "provider:network_type", "provider:physical_network",
                   ("availability_zone_hints", "set"))

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        b: dict[str, Any] = {"name": inputs.get("name"), "project_id": _project(inputs, ctx),
                             "admin_state_up": inputs.get("adminStateUp"), "shared": inputs.get("shared"),
                             "router:external": inputs.get("external"), "description": inputs.get("description")}
        segments = inputs.get("segments") or []
        if len(segments) == 1:
            s = segments[0]
            b["provider:network_type"] = s.get("networkType")
            b["provider:physical_network"] = ctx.profile.physnet(s.get("physicalNetwork"))
            b["provider:segmentation_id"] = s.get("segmentationId")
        elif segments:
            b["segments"] = [_clean({"provider:network_type": s.get("networkType"),
                                     "provider:physical_network": ctx.profile.physnet(s.get("physicalNetwork")),
                                     "provider:segmentation_id": s.get("segmentationId")}) for s in segments]
        if ctx.profile.az_hints and inputs.get("availabilityZoneHints"):
            b["availability_zone_hints"] = inputs["availabilityZoneHints"]
        return _clean(b)

    def drift(self, body: dict[str, Any], live: dict[str, Any]) -> builtins.list[tuple[str, Any, Any]]:
        # Neutron shows router:external True as soon as any access_as_external RBAC rule exists (that is
        # how a strong-isolation tenant's private external network works). Who may use it is the RBAC
        # rules' question, audited with them (an undeclared grant is a violation), not a drift here.
        return [d for d in super().drift(body, live) if d != ("router:external", False, True)]


class SubnetSpec(_NeutronSpec):
    type = "openstack:networking/subnet:Subnet"
    collection = "subnets"
    path, one = "/subnets", "subnet"
    bulk_path = ("/subnets", "subnets")
    owned = _owned(("cidr", "cidr"), "ip_version", ("gateway_ip", "ip"), "enable_dhcp", "ipv6_ra_mode",
                   "ipv6_address_mode", ("allocation_pools", "pools"))

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        pools = [{"start": p["start"], "end": p["end"]} for p in inputs.get("allocationPools") or []]
        return _clean({"name": inputs.get("name"), "network_id": inputs["networkId"],
                       "project_id": _project(inputs, ctx), "cidr": inputs["cidr"],
                       "ip_version": inputs.get("ipVersion", 4), "gateway_ip": inputs.get("gatewayIp"),
                       "enable_dhcp": inputs.get("enableDhcp"), "ipv6_ra_mode": inputs.get("ipv6RaMode"),
                       "ipv6_address_mode": inputs.get("ipv6AddressMode"), "allocation_pools": pools or None,
                       "dns_nameservers": inputs.get("dnsNameservers")})

    def key(self, body: dict[str, Any], ctx: Ctx) -> Key:
        return (body["network_id"], _norm_cidr(body["cidr"]))

    def live_key(self, obj: dict[str, Any]) -> Key:
        return (obj["network_id"], _norm_cidr(obj["cidr"]))


class RouterSpec(_ProjectNamedNeutronSpec):
    type = "openstack:networking/router:Router"
    collection = "routers"
    path, one = "/routers", "router"
    owned = _owned("admin_state_up", "external_gateway_info.network_id", "external_gateway_info.enable_snat",
                   ("availability_zone_hints", "set"))

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        gw = _clean({"network_id": inputs.get("externalNetworkId") or None, "enable_snat": inputs.get("enableSnat")})
        b = {"name": inputs.get("name"), "project_id": _project(inputs, ctx),
             "admin_state_up": inputs.get("adminStateUp"),
             "external_gateway_info": gw if gw.get("network_id") else None}
        if ctx.profile.az_hints and inputs.get("availabilityZoneHints"):
            b["availability_zone_hints"] = inputs["availabilityZoneHints"]
        return _clean(b)


ROUTER_INTERFACE_OWNERS = ("network:router_interface", "network:router_interface_distributed",
                           "network:ha_router_replicated_interface")


class RouterInterfaceSpec(TypeSpec):
    """A router's port on a subnet; the live object is the port (device_owner network:router_interface)."""

    type = "openstack:networking/routerInterface:RouterInterface"
    service = "network"
    collection = "router_ports"

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        return _clean({"router_id": inputs["routerId"], "subnet_id": inputs.get("subnetId"),
                       "port_id": inputs.get("portId")})

    def key(self, body: dict[str, Any], ctx: Ctx) -> Key:
        return (body["router_id"], body.get("subnet_id"))

    def live_key(self, obj: dict[str, Any]) -> Key:
        return (obj["device_id"], obj["_subnet_id"])

    def list(self, api: Api, region: str | None, keys: Iterable[Key]) -> list[dict[str, Any]]:
        ports = _neutron_list(api, region, "/ports?" + "&".join(f"device_owner={o}" for o in ROUTER_INTERFACE_OWNERS),
                              "ports")
        rows = []
        for p in ports:  # one row per (router, subnet): a port may carry several subnets
            for ip in p.get("fixed_ips") or []:
                rows.append({**p, "_subnet_id": ip["subnet_id"]})
        return rows

    def create(self, api: Api, body: dict[str, Any], region: str | None, project: str | None) -> str:
        r = api.call("network", "PUT", f"/routers/{body['router_id']}/add_router_interface", region=region,
                     body=_clean({"subnet_id": body.get("subnet_id"), "port_id": body.get("port_id")}))
        return r["port_id"]

    def delete(self, api: Api, live_id: str, body: dict[str, Any], region: str | None) -> None:
        api.call("network", "PUT", f"/routers/{body['router_id']}/remove_router_interface", region=region,
                 body=_clean({"subnet_id": body.get("subnet_id"), "port_id": None if body.get("subnet_id")
                              else live_id}))


class SecGroupSpec(_ProjectNamedNeutronSpec):
    type = "openstack:networking/secGroup:SecGroup"
    collection = "security_groups"
    path, one = "/security-groups", "security_group"
    listing = "?fields=id&fields=name&fields=project_id&fields=description&fields=tenant_id"
    owned = _owned(("description", "str"))

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        # deleteDefaultRules is the provider's own step after creation: the group then holds only the
        # model's rules, which is why the audit may treat any other rule in it as drift.
        return _clean({"name": inputs.get("name"), "project_id": _project(inputs, ctx),
                       "description": inputs.get("description"),
                       "_delete_default_rules": bool(inputs.get("deleteDefaultRules"))})

    def create(self, api: Api, body: dict[str, Any], region: str | None, project: str | None) -> str:
        sent = {k: v for k, v in body.items() if not k.startswith("_")}
        sg = api.call("network", "POST", "/security-groups", region=region,
                      body={"security_group": sent})["security_group"]
        if body.get("_delete_default_rules"):
            for rule in sg.get("security_group_rules") or []:
                api.call("network", "DELETE", f"/security-group-rules/{rule['id']}", region=region)
        return sg["id"]


def rule_key(sg: str, direction: str, ethertype: str, protocol: Any, lo: Any, hi: Any, prefix: Any,
             remote_group: Any = None) -> Key:
    proto = None if protocol in (None, "", "any") else str(protocol).lower()
    if proto in ("icmpv6", "ipv6-icmp") or (proto == "icmp" and ethertype == "IPv6"):
        proto = "ipv6-icmp"  # Neutron stores IPv6 ICMP under several spellings
    world = "0.0.0.0/0" if ethertype == "IPv4" else "::/0"
    net = _norm_cidr(prefix) if prefix else (None if remote_group else world)
    return (sg, direction, ethertype, proto, int(lo) if lo is not None else None,
            int(hi) if hi is not None else None, net, remote_group)


class SecGroupRuleSpec(_NeutronSpec):
    type = "openstack:networking/secGroupRule:SecGroupRule"
    collection = "security_group_rules"
    path, one = "/security-group-rules", "security_group_rule"
    bulk_path = ("/security-group-rules", "security_group_rules")
    owned = _owned(("description", "str"))

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        return _clean({"security_group_id": inputs["securityGroupId"], "direction": inputs["direction"],
                       "ethertype": inputs.get("ethertype", "IPv4"), "protocol": inputs.get("protocol"),
                       "port_range_min": inputs.get("portRangeMin"), "port_range_max": inputs.get("portRangeMax"),
                       "remote_ip_prefix": inputs.get("remoteIpPrefix"),
                       "remote_group_id": inputs.get("remoteGroupId"),
                       "description": inputs.get("description"),
                       "project_id": inputs.get("tenantId") or None})

    def key(self, body: dict[str, Any], ctx: Ctx) -> Key:
        return rule_key(body["security_group_id"], body["direction"], body["ethertype"], body.get("protocol"),
                        body.get("port_range_min"), body.get("port_range_max"), body.get("remote_ip_prefix"),
                        body.get("remote_group_id"))

    def live_key(self, obj: dict[str, Any]) -> Key:
        return rule_key(obj["security_group_id"], obj["direction"], obj["ethertype"], obj.get("protocol"),
                        obj.get("port_range_min"), obj.get("port_range_max"), obj.get("remote_ip_prefix"),
                        obj.get("remote_group_id"))


class RbacPolicySpec(_NeutronSpec):
    type = "openstack:networking/rbacPolicyV2:RbacPolicyV2"
    collection = "rbac_policies"
    path, one = "/rbac-policies", "rbac_policy"

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        return {"object_type": inputs["objectType"], "object_id": inputs["objectId"], "action": inputs["action"],
                "target_tenant": inputs["targetTenant"]}

    def key(self, body: dict[str, Any], ctx: Ctx) -> Key:
        return (body["object_type"], body["object_id"], body["action"], body["target_tenant"])

    def live_key(self, obj: dict[str, Any]) -> Key:
        return (obj["object_type"], obj["object_id"], obj["action"], obj.get("target_tenant")
                or obj.get("target_project"))


# -------------------------------------------------- quotas (per project; no object of their own)


class _QuotaSpec(TypeSpec):
    quota = True
    path: ClassVar[str]
    wrapper: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]  # camelCase inputs the type accepts

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        limits = {snake(k): int(v) for k, v in inputs.items() if k in self.fields and v is not None}
        return {"project_id": inputs["projectId"], "limits": limits}

    def key(self, body: dict[str, Any], ctx: Ctx) -> Key:
        return (body["project_id"],)

    def live_key(self, obj: dict[str, Any]) -> Key:
        return (obj["project_id"],)

    def drift(self, body: dict[str, Any], live: dict[str, Any]) -> list[tuple[str, Any, Any]]:
        return [(k, v, live.get(k)) for k, v in sorted(body["limits"].items()) if live.get(k) != v]

    def _get(self, api: Api, region: str | None, project: str) -> dict[str, Any]:
        row = api.call(self.service or "", "GET", f"{self.path}/{project}", region=region)[self.wrapper]
        return {**{k: (v.get("limit") if isinstance(v, dict) else v) for k, v in row.items()},
                "project_id": project, "id": project}

    def list(self, api: Api, region: str | None, keys: Iterable[Key]) -> list[dict[str, Any]]:
        # Nova and Cinder have no bulk listing of quotas: one call per project the model holds.
        return [self._get(api, region, k[0]) for k in keys]

    def create(self, api: Api, body: dict[str, Any], region: str | None, project: str | None) -> str:
        api.call(self.service or "", "PUT", f"{self.path}/{body['project_id']}", region=region,
                 body={self.wrapper: body["limits"]})
        return body["project_id"]

    def delete(self, api: Api, live_id: str, body: dict[str, Any], region: str | None) -> None:
        # "Deleting" a quota returns the project to the cloud's defaults.
        api.call(self.service or "", "DELETE", f"{self.path}/{live_id}", region=region)


class ComputeQuotaSpec(_QuotaSpec):
    type = "openstack:compute/quotaSetV2:QuotaSetV2"
    service = "compute"
    collection = "compute_quotas"
    path, wrapper = "/os-quota-sets", "quota_set"
    fields = ("cores", "ram", "instances", "keyPairs", "metadataItems", "serverGroups", "serverGroupMembers",
              "injectedFiles", "injectedFileContentBytes", "injectedFilePathBytes", "fixedIps", "floatingIps",
              "securityGroups", "securityGroupRules")


class NetworkQuotaSpec(_QuotaSpec):
    type = "openstack:networking/quotaV2:QuotaV2"
    service = "network"
    collection = "network_quotas"
    path, wrapper = "/quotas", "quota"
    fields = ("network", "subnet", "subnetpool", "router", "port", "floatingip", "securityGroup",
              "securityGroupRule", "rbacPolicy")

    def list(self, api: Api, region: str | None, keys: Iterable[Key]) -> list[dict[str, Any]]:
        # Neutron lists every project's non-default quotas in one call; the rest hold the defaults.
        rows = {q["project_id"]: {**q, "id": q["project_id"]}
                for q in api.call("network", "GET", "/quotas", region=region)["quotas"]}
        for k in keys:
            if k[0] not in rows:
                rows[k[0]] = self._get(api, region, k[0])
        return list(rows.values())


class VolumeQuotaSpec(_QuotaSpec):
    type = "openstack:blockstorage/quoteSetV3:QuoteSetV3"
    service = "block-storage"
    collection = "volume_quotas"
    path, wrapper = "/os-quota-sets", "quota_set"
    fields = ("volumes", "gigabytes", "snapshots", "perVolumeGigabytes", "backups", "backupGigabytes", "groups")


# -------------------------------------------------- Nova


class AggregateSpec(_CloudNamedSpec):
    type = "openstack:compute/aggregateV2:AggregateV2"
    service = "compute"
    collection = "aggregates"
    owned = _owned("availability_zone", ("metadata", "subset"))

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        return _clean({"name": inputs["name"], "availability_zone": inputs.get("zone"),
                       "metadata": inputs.get("metadata")})

    def list(self, api: Api, region: str | None, keys: Iterable[Key]) -> list[dict[str, Any]]:
        rows = api.call("compute", "GET", "/os-aggregates", region=region)["aggregates"]
        return [{**r, "id": str(r["id"])} for r in rows]

    def create(self, api: Api, body: dict[str, Any], region: str | None, project: str | None) -> str:
        agg = api.call("compute", "POST", "/os-aggregates", region=region, body={"aggregate": _clean(
            {"name": body["name"], "availability_zone": body.get("availability_zone")})})["aggregate"]
        if body.get("metadata"):
            api.call("compute", "POST", f"/os-aggregates/{agg['id']}/action", region=region,
                     body={"set_metadata": {"metadata": body["metadata"]}})
        return str(agg["id"])

    def delete(self, api: Api, live_id: str, body: dict[str, Any], region: str | None) -> None:
        api.call("compute", "DELETE", f"/os-aggregates/{live_id}", region=region)


class FlavorSpec(_CloudNamedSpec, _CollectionSpec):
    type = "openstack:compute/flavor:Flavor"
    service = "compute"
    collection = "flavors"
    path, one, listing = "/flavors", "flavor", "/detail?is_public=None"
    owned = _owned("vcpus", "ram", "disk", "os-flavor-access:is_public", ("extra_specs", "subset"))

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        return _clean({"name": inputs["name"], "vcpus": inputs["vcpus"], "ram": inputs["ram"],
                       "disk": inputs.get("disk", 0), "os-flavor-access:is_public": inputs.get("isPublic", True),
                       "extra_specs": inputs.get("extraSpecs")})

    def create(self, api: Api, body: dict[str, Any], region: str | None, project: str | None) -> str:
        sent = {k: v for k, v in body.items() if k != "extra_specs"}
        flavor = api.call("compute", "POST", "/flavors", region=region, body={"flavor": sent})["flavor"]
        if body.get("extra_specs"):
            api.call("compute", "POST", f"/flavors/{flavor['id']}/os-extra_specs", region=region,
                     body={"extra_specs": body["extra_specs"]})
        return str(flavor["id"])


class AccessGrantSpec(TypeSpec):
    """A grant of a private object (flavor, volume type) to one project.

    Neither Nova nor Cinder lists grants in bulk, only per object, so only the
    model's objects are asked; an object that is gone (404) simply has none.
    """

    service: ClassVar[str]  # grants always live in a service (compute, block-storage)
    obj_input: str  # camelCase input naming the object
    project_input: str
    obj_field: str  # the API's field names
    project_field: str
    access_path: str  # GET listing the grants of one object, "{id}" for it
    action_path: str  # POST taking add/remove actions, "{id}" for it
    add_action: str
    remove_action: str
    action_key: str  # the project's key inside an add/remove action

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        return {self.obj_field: inputs[self.obj_input], self.project_field: inputs[self.project_input]}

    def key(self, body: dict[str, Any], ctx: Ctx) -> Key:
        return (body[self.obj_field], body[self.project_field])

    def live_key(self, obj: dict[str, Any]) -> Key:
        return (obj[self.obj_field], obj[self.project_field])

    def list(self, api: Api, region: str | None, keys: Iterable[Key]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for obj in sorted({k[0] for k in keys}):
            try:
                got = api.call(self.service, "GET", self.access_path.format(id=obj), region=region)
            except CloudError as exc:
                if exc.status == 404:
                    continue
                raise
            rows += [{**a, "id": f"{a[self.obj_field]}:{a[self.project_field]}"} for a in got[self.collection]]
        return rows

    def _act(self, api: Api, body: dict[str, Any], region: str | None, action: str) -> None:
        api.call(self.service, "POST", self.action_path.format(id=body[self.obj_field]), region=region,
                 body={action: {self.action_key: body[self.project_field]}})

    def create(self, api: Api, body: dict[str, Any], region: str | None, project: str | None) -> str:
        self._act(api, body, region, self.add_action)
        return f"{body[self.obj_field]}:{body[self.project_field]}"

    def delete(self, api: Api, live_id: str, body: dict[str, Any], region: str | None) -> None:
        self._act(api, body, region, self.remove_action)


class FlavorAccessSpec(AccessGrantSpec):
    type = "openstack:compute/flavorAccess:FlavorAccess"
    service = "compute"
    collection = "flavor_access"
    obj_input, project_input, obj_field, project_field = "flavorId", "tenantId", "flavor_id", "tenant_id"
    access_path, action_path = "/flavors/{id}/os-flavor-access", "/flavors/{id}/action"
    add_action, remove_action, action_key = "addTenantAccess", "removeTenantAccess", "tenant"


class ServerGroupSpec(_CollectionSpec):
    """Created inside the tenant's project (the stacks give it a provider scoped to the project)."""

    type = "openstack:compute/serverGroup:ServerGroup"
    service = "compute"
    collection = "server_groups"
    path, one, listing = "/os-server-groups", "server_group", "?all_projects=True"
    scoped = True
    owned = _owned("policy")

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        policies = inputs.get("policies") or []
        policy = policies if isinstance(policies, str) else (policies[0] if policies else "anti-affinity")
        return {"name": inputs["name"], "policy": policy, "project_id": inputs["_project"]}

    def key(self, body: dict[str, Any], ctx: Ctx) -> Key:
        return (body["project_id"], body["name"])

    def live_key(self, obj: dict[str, Any]) -> Key:
        return (obj.get("project_id"), obj["name"])

    def create(self, api: Api, body: dict[str, Any], region: str | None, project: str | None) -> str:
        return api.call("compute", "POST", "/os-server-groups", region=region, project=project,
                        body={"server_group": {"name": body["name"], "policy": body["policy"]}})["server_group"]["id"]


# -------------------------------------------------- Cinder


class VolumeTypeSpec(_CloudNamedSpec, _CollectionSpec):
    type = "openstack:blockstorage/volumeTypeV3:VolumeTypeV3"
    service = "block-storage"
    collection = "volume_types"
    path, one, listing = "/types", "volume_type", "?is_public=None"
    owned = _owned(("description", "str"), "os-volume-type-access:is_public", ("extra_specs", "subset"))

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        return _clean({"name": inputs["name"], "description": inputs.get("description"),
                       "os-volume-type-access:is_public": inputs.get("isPublic", True),
                       "extra_specs": inputs.get("extraSpecs")})


class VolumeTypeAccessSpec(AccessGrantSpec):
    type = "openstack:blockstorage/volumeTypeAccessV3:VolumeTypeAccessV3"
    service = "block-storage"
    collection = "volume_type_access"
    obj_input, project_input, obj_field, project_field = "volumeTypeId", "projectId", "volume_type_id", "project_id"
    access_path, action_path = "/types/{id}/os-volume-type-access", "/types/{id}/action"
    add_action, remove_action, action_key = "addProjectAccess", "removeProjectAccess", "project"


# -------------------------------------------------- Designate, Swift


class ZoneSpec(_CloudNamedSpec):
    """A Designate zone. Paths are relative to the dns endpoint as openstacksdk resolves it, which already ends
    in /v2 (a catalog URL without the version, as Designate registers it, is discovered to http://host:port/v2)."""

    type = "openstack:dns/zone:Zone"
    service = "dns"
    collection = "zones"
    owned = _owned("email", "ttl", ("description", "str"))
    page: ClassVar[int] = 1000  # Designate's max_limit_v2 default; its default page is 20 zones
    delete_timeout: ClassVar[float] = 120.0

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        return _clean({"name": inputs["name"], "email": inputs.get("email"), "ttl": inputs.get("ttl"),
                       "description": inputs.get("description"), "type": (inputs.get("type") or "PRIMARY").upper()})

    def list(self, api: Api, region: str | None, keys: Iterable[Key]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        marker = ""
        while True:  # every project's zones, page by page (marker: the last id of the page before)
            page = api.call("dns", "GET", f"/zones?all_projects=True&limit={self.page}{marker}", region=region)["zones"]
            rows += page
            if len(page) < self.page:
                return rows
            marker = f"&marker={page[-1]['id']}"

    def create(self, api: Api, body: dict[str, Any], region: str | None, project: str | None) -> str:
        return api.call("dns", "POST", "/zones", region=region, body=body)["id"]

    def delete(self, api: Api, live_id: str, body: dict[str, Any], region: str | None) -> None:
        """DELETE answers 202 and the zone goes on existing (PENDING) until the backend dropped it: wait for that, as
        the provider does, so that deleting the parent zone next is not refused for a subzone still there."""
        api.call("dns", "DELETE", f"/zones/{live_id}", region=region)
        deadline = time.monotonic() + self.delete_timeout
        while True:
            zone = api.call("dns", "GET", f"/zones/{live_id}", region=region, ok=(200, 404)) or {}
            if zone.get("id") != live_id:  # 404: gone
                return
            if zone.get("status") == "ERROR":
                raise CloudError(f"DELETE dns/zones/{live_id}: the zone went to ERROR ({zone.get('action')})")
            if time.monotonic() > deadline:
                raise CloudError(f"DELETE dns/zones/{live_id}: still {zone.get('status')} after "
                                 f"{self.delete_timeout:.0f} s")
            time.sleep(0.5)


class ContainerSpec(TypeSpec):
    """A Swift container in the tenant's own account (scoped provider); metadata as X-Container-Meta-*.

    The account listing gives names only: each container the model names is then read with a HEAD for its
    metadata (Swift keeps the keys case-insensitively and answers them title-cased, so both sides are compared
    lower-cased) and X-Versions-Enabled (object versioning, the provider's ``versioning``)."""

    type = "openstack:objectstorage/container:Container"
    service = "object-store"
    collection = "containers"
    scoped = True
    owned = _owned(("metadata", "subset"), "versioning")
    META = "x-container-meta-"

    def body(self, inputs: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        return {"name": inputs["name"], "project_id": inputs["_project"],
                "metadata": {str(k).lower(): v for k, v in (inputs.get("metadata") or {}).items()},
                "versioning": bool(inputs.get("versioning"))}

    def key(self, body: dict[str, Any], ctx: Ctx) -> Key:
        return (body["project_id"], body["name"])

    def live_key(self, obj: dict[str, Any]) -> Key:
        return (obj["project_id"], obj["name"])

    def list(self, api: Api, region: str | None, keys: Iterable[Key]) -> list[dict[str, Any]]:
        from urllib.parse import quote

        wanted = set(keys)
        rows = []
        for project in sorted({k[0] for k in wanted}):  # one account listing per project
            for c in api.call("object-store", "GET", "?format=json", region=region, project=project) or []:
                row: dict[str, Any] = {"project_id": project, "name": c["name"], "id": f"{project}/{c['name']}"}
                if (project, c["name"]) in wanted:  # a HEAD only for the containers the model names
                    headers = {k.lower(): v for k, v in api.head("object-store", f"/{quote(c['name'])}",
                                                                 region=region, project=project).items()}
                    row["metadata"] = {k[len(self.META):]: v for k, v in headers.items() if k.startswith(self.META)}
                    row["versioning"] = headers.get("x-versions-enabled", "").lower() == "true"
                rows.append(row)
        return rows

    def create(self, api: Api, body: dict[str, Any], region: str | None, project: str | None) -> str:
        from urllib.parse import quote

        headers = {f"X-Container-Meta-{k}": str(v) for k, v in body["metadata"].items()}
        if body["versioning"]:
            headers["X-Versions-Enabled"] = "true"
        api.call("object-store", "PUT", f"/{quote(body['name'])}", region=region, project=project, headers=headers)
        return f"{body['project_id']}/{body['name']}"

    def delete(self, api: Api, live_id: str, body: dict[str, Any], region: str | None) -> None:
        from urllib.parse import quote

        api.call("object-store", "DELETE", f"/{quote(body['name'])}", region=region, project=body["project_id"])


# -------------------------------------------------- the registry


class NoApi(TypeSpec):
    """Types that exist only in Pulumi's graph: providers, components, stack references."""

    service = None
    api_object = False

    def __init__(self, type_: str) -> None:
        self.type = type_  # type: ignore[misc]


SPECS: dict[str, TypeSpec] = {s.type: s for s in (
    DomainSpec(), ProjectSpec(), GroupSpec(), RoleAssignmentSpec(),
    NetworkSpec(), SubnetSpec(), RouterSpec(), RouterInterfaceSpec(), SecGroupSpec(), SecGroupRuleSpec(),
    RbacPolicySpec(), ComputeQuotaSpec(), NetworkQuotaSpec(), VolumeQuotaSpec(),
    AggregateSpec(), FlavorSpec(), FlavorAccessSpec(), ServerGroupSpec(),
    VolumeTypeSpec(), VolumeTypeAccessSpec(), ZoneSpec(), ContainerSpec())}

NON_API = (PROVIDER_TYPE, STACK_REFERENCE_TYPE, ROOT_STACK_TYPE)


def spec_for(type_: str, inputs: dict[str, Any] | None = None) -> TypeSpec:
    """The spec of a captured resource; ``UnmappedType`` for a pulumi-openstack type nobody mapped."""
    if type_ in NON_API or type_.startswith(COMPONENT_PREFIX):
        return NoApi(type_)
    if type_ == ProjectSpec.type and (inputs or {}).get("isDomain"):
        return SPECS[DomainSpec.type]
    spec = SPECS.get(type_)
    if spec is None:
        raise UnmappedType(f"resource type '{type_}' has no OpenStack mapping in audit/mapping.py: "
                           "add a TypeSpec (API fields, natural key, owned fields, create/delete) before "
                           "the stacks may emit it")
    return spec


def mapped_types() -> list[str]:
    return sorted(t for t in SPECS if "#" not in t)

