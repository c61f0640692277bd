"""Shapes of the cloud step: component arguments, captured resource graphs, diffs, policy results."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Literal

from govctl.inventory import models as m

PROJECT = "govctl"  # the Pulumi project name (Pulumi.yaml)
COMPONENT_PREFIX = "govctl:cloud:"
PLATFORM_TYPE = COMPONENT_PREFIX + "Platform"
DR_TYPE = COMPONENT_PREFIX + "DrLayout"
TENANT_TYPE = COMPONENT_PREFIX + "Tenant"
PROVIDER_TYPE = "pulumi:providers:openstack"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"

# Placeholders the mock runtime puts where the engine would put a cloud-assigned id.
ID_PREFIX = "<id:"  # "<id:URN>": the id of the resource with that engine URN (known after apply)
LOOKUP_PREFIX = "<lookup:"  # a data-source result; matches whatever the state holds
SECRET = "[secret]"


# ---------------------------------------------------------------- component arguments


@dataclass(frozen=True)
class RegionPlan:
    """One OpenStack region of a platform and the DR role of its site."""

    name: str
    site: str
    role: m.SiteRole
    availability_zones: tuple[str, ...]


@dataclass(frozen=True)
class PlatformArgs:
    platform: m.Platform
    province: str  # province id, names the DNS zones
    regions: tuple[RegionPlan, ...]
    hub_dns_zone: Any = None  # Input[str]: the provincial zone (federated platforms), via StackReference
    external_ipv6: ipaddress.IPv6Network | None = None  # the extranet external network's /64 from the IPv6 plan


@dataclass(frozen=True)
class DrLayoutArgs:
    platform: m.Platform
    primary: RegionPlan
    same_city: RegionPlan | None
    remote_dr: tuple[RegionPlan, ...]  # Guangxi: two remote-DR centres, no same-city one
    providers: Any  # Mapping[str, openstack.Provider] by region name


@dataclass(frozen=True)
class DrTargets:
    """What the DR layout offers a tenant: the centres, their providers, the replicated volume types."""

    primary: RegionPlan
    same_city: RegionPlan | None  # absent where the plan has remote DR only (rule DR-005 gates grades 5-6)
    remote_dr: tuple[RegionPlan, ...]
    same_city_provider: Any
    sync_volume_type_id: Any  # Input[str]; None without a same-city centre
    async_volume_type_id: Any
    # Per remote-DR region name: that region's platform provider and its DR target volume type.
    remote_providers: dict[str, Any] = field(default_factory=dict)
    remote_volume_type_ids: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TenantArgs:
    tenant: m.Tenant
    platform: m.Platform
    region: RegionPlan  # the primary region the tenant lives in
    provider: Any  # openstack.Provider of that region
    domain_id: Any  # Input[str]
    external_network_id: Any  # Input[str]: the extranet external network (standard tenants)
    ipv6_subnets: dict[str, ipaddress.IPv6Network]  # network name -> /64 (or the plan's length)
    strong_external_cidr: str | None = None  # strong isolation: the tenant's own external range
    strong_external_ipv6: ipaddress.IPv6Network | None = None  # ... and its /64 from the IPv6 plan
    dr: DrTargets | None = None


# ---------------------------------------------------------------- captured graphs


@dataclass(frozen=True)
class Resource:
    """One resource as the engine would see it: engine URN, type, parent, provider, dependencies, inputs."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None  # engine URN of the provider resource
    dependencies: tuple[str, ...]
    inputs: dict[str, Any]
    id: str | None = None  # only from a real state

    def as_dict(self) -> dict[str, Any]:
        return {"urn": self.urn, "type": self.type, "name": self.name, "custom": self.custom,
                "parent": self.parent, "provider": self.provider, "dependencies": list(self.dependencies),
                "inputs": self.inputs, **({"id": self.id} if self.id is not None else {})}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Resource:
        return cls(urn=d["urn"], type=d["type"], name=d["name"], custom=bool(d["custom"]), parent=d.get("parent"),
                   provider=d.get("provider"), dependencies=tuple(d.get("dependencies") or ()),
                   inputs=dict(d.get("inputs") or {}), id=d.get("id"))


@dataclass
class StackGraph:
    """Everything one stack's program registers, keyed by engine URN, plus its stack outputs."""

    stack: str
    project: str
    resources: dict[str, Resource]
    outputs: dict[str, Any] = field(default_factory=dict)
    inputs_hash: str = ""  # what the program was run on (for the snapshot cache)
    seconds: float = 0.0
    cached: bool = False

    def tenant_of(self, urn: str) -> str | None:
        """The tenant whose component (transitively) parents this resource."""
        seen = 0
        cur: str | None = urn
        while cur is not None and seen < 64:
            r = self.resources.get(cur)
            if r is None:
                return None
            if r.type == TENANT_TYPE:
                return r.name
            cur, seen = r.parent, seen + 1
        return None

    def as_dict(self) -> dict[str, Any]:
        return {"stack": self.stack, "project": self.project, "inputs_hash": self.inputs_hash,
                "outputs": self.outputs, "resources": [self.resources[u].as_dict() for u in sorted(self.resources)]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StackGraph:
        res = [Resource.from_dict(r) for r in d["resources"]]
        return cls(stack=d["stack"], project=d["project"], resources={r.urn: r for r in res},
                   outputs=dict(d.get("outputs") or {}), inputs_hash=d.get("inputs_hash", ""))


# Tenant data: deleting or replacing one loses what the tenant keeps there (objects, DNS records, the ports on a
# network). The program marks them with Pulumi's protect, and apply changes them only with --allow-destroy.
PROTECTED_TYPES = frozenset({"openstack:networking/network:Network", "openstack:objectstorage/container:Container",
                             "openstack:dns/zone:Zone"})

ChangeKind = Literal["create", "update", "replace", "delete"]
KINDS: tuple[ChangeKind, ...] = ("create", "update", "replace", "delete")


@dataclass(frozen=True)
class InputChange:
    key: str
    old: Any
    new: Any
    forces: str | None = None  # the field that makes the provider replace the resource (stacks/replacements.json)


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    urn: str
    type: str
    name: str
    tenant: str | None
    inputs: tuple[InputChange, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "urn": self.urn, "type": self.type, "name": self.name,
                             "tenant": self.tenant}
        if self.kind in ("update", "replace"):
            d["changes"] = [{"key": c.key, "old": c.old, "new": c.new, **({"forces_replacement": c.forces}
                                                                           if c.forces else {})} for c in self.inputs]
        return d


@dataclass
class StackDiff:
    stack: str
    base: str  # what it was compared with: "nothing", "git:REV", "state:PATH", "snapshot:PATH"
    changes: list[Change]
    resources: int  # resources in the planned graph
    seconds: float = 0.0
    cached: bool = False

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    def as_dict(self) -> dict[str, Any]:
        return {"stack": self.stack, "base": self.base, "resources": self.resources,
                "summary": {k: self.count(k) for k in KINDS},
                "changes": [c.as_dict() for c in self.changes]}


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str  # "mandatory" | "advisory"
    stack: str
    urn: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"policy": self.policy, "level": self.level, "stack": self.stack, "urn": self.urn,
                "message": self.message}


@dataclass
class PlanResult:
    inventory: str
    diffs: list[StackDiff]
    violations: list[Violation]
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return any(d.changes for d in self.diffs)

    @property
    def mandatory_violations(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "mandatory"]

    def as_dict(self) -> dict[str, Any]:
        return {"inventory": self.inventory, "changed": self.changed,
                "summary": {k: sum(d.count(k) for d in self.diffs) for k in KINDS},
                "stacks": [d.as_dict() for d in self.diffs],
                "violations": [v.as_dict() for v in self.violations]}


@dataclass(frozen=True)
class StackContext:
    """What one stack's program is run on: the validated inventory, its IPv6 plan, the platform (= stack)."""

    inventory: m.Inventory
    ipv6: Any  # ipv6.models.Ipv6Plan
    platform: str
    reference_prefix: str = f"organization/{PROJECT}"  # StackReference names: "<prefix>/<stack>"
