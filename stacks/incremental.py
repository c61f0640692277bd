"""Per-tenant incremental replanning: which slices of a stack changed, and splicing a partial run into a graph.

A stack's program reads two kinds of input: the platform-level slice (the
platform, the sites, the province, the hub's outputs through StackReference, the
program's code) and one ``TenantPlan`` per tenant (the tenant, its IPv6 subnets,
its strong-isolation range, whom it shares with). When the platform-level slice
is unchanged, a tenant's resources (everything whose parent chain reaches its
``Tenant`` component) depend only on its own plan: mock ids are ``<id:URN>``
placeholders, so another tenant's project id is the same string whether that
tenant was registered in this run or a previous one. A partial run registers the
platform-level components and only the changed tenants; ``splice`` swaps their
resources into the cached graph. It refuses (returns None, so the caller runs
the whole stack) when the partial run's platform-level resources or outputs
differ from the cached ones: that happens only if some platform-level resource
depends on which tenants exist, which a partial run cannot reproduce.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from govctl.inventory import models as m
from govctl.stacks.models import PROJECT, Resource, StackGraph
from govctl.stacks.program import TENANT_OUTPUTS, TenantPlan, hub_of


def _digest(doc: Any) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Slices:
    """Digests of one stack's inputs: the platform-level slice and each tenant's."""

    platform: str
    tenants: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The whole stack's cache key (tenant order does not change the graph: its resources are keyed by URN)."""
        return _digest({"platform": self.platform, "tenants": sorted(self.tenants.items())})

    def as_dict(self) -> dict[str, Any]:
        return {"platform": self.platform, "tenants": dict(sorted(self.tenants.items()))}

    @classmethod
    def from_dict(cls, d: Any) -> Slices | None:
        if not isinstance(d, dict) or not isinstance(d.get("platform"), str) or not isinstance(d.get("tenants"), dict):
            return None
        return cls(d["platform"], {str(k): str(v) for k, v in d["tenants"].items()})


def _strings(doc: Any) -> set[str]:
    if isinstance(doc, dict):
        return set().union(*(_strings(v) for v in doc.values())) if doc else set()
    if isinstance(doc, (list, tuple)):
        return set().union(*(_strings(v) for v in doc)) if doc else set()
    return {doc} if isinstance(doc, str) else set()


def slices_of(inv: m.Inventory, ipv6: Any, stack: str, plans: dict[str, TenantPlan], references: dict[str, Any],
              code: str) -> Slices:
    """What one stack's program reads, digested per slice."""
    platform = next(p for p in inv.platforms if p.id == stack)
    tenant_docs = {tid: tp.digest_doc() for tid, tp in plans.items()}
    # The stack's IPv6 allocations that are neither keyed to one of its tenants (cloud/STACK/TENANT[/NET]) nor
    # held by a tenant's plan (a strong-isolation tenant's external /64) are platform-level: the extranet's /64.
    held = _strings(list(tenant_docs.values()))
    prefix = f"cloud/{stack}/"

    def platform_level(key: str, value: str) -> bool:
        return key.startswith(prefix) and key[len(prefix):].split("/", 1)[0] not in plans and value not in held

    doc = {
        "code": code, "project": PROJECT, "province": inv.province.id, "hub": hub_of(inv).id,
        "platform": platform.model_dump(mode="json"),
        "sites": [s.model_dump(mode="json") for s in inv.sites.sites],
        "ipv6": sorted((k, a.prefix) for k, a in ipv6.allocations.items() if platform_level(k, a.prefix)),
        "references": references,
    }
    return Slices(_digest(doc), {tid: _digest(d) for tid, d in tenant_docs.items()})


@dataclass(frozen=True)
class Delta:
    """How a stack's tenants differ from a cached run's: re-run ``changed`` (added or edited), drop ``removed``."""

    changed: frozenset[str]
    removed: frozenset[str]


def delta(old: Slices, new: Slices) -> Delta | None:
    """None when the platform-level slice changed: then every tenant's resources may change."""
    if old.platform != new.platform:
        return None
    return Delta(frozenset(t for t, k in new.tenants.items() if old.tenants.get(t) != k),
                 frozenset(set(old.tenants) - set(new.tenants)))


def _split(g: StackGraph) -> tuple[dict[str, Resource], dict[str, tuple[str, Resource]]]:
    """(platform-level resources, tenant resources as urn -> (tenant, resource))."""
    platform: dict[str, Resource] = {}
    tenants: dict[str, tuple[str, Resource]] = {}
    for urn, r in g.resources.items():
        owner = g.tenant_of(urn)
        if owner is None:
            platform[urn] = r
        else:
            tenants[urn] = (owner, r)
    return platform, tenants


def splice(cached: StackGraph, partial: StackGraph, rerun: frozenset[str],
           removed: frozenset[str]) -> StackGraph | None:
    """The cached graph with the tenants in ``rerun`` taken from ``partial`` and those in ``removed`` dropped.

    None when the partial run cannot stand in for a full one (see the module docstring).
    """
    old_platform, old_tenants = _split(cached)
    new_platform, new_tenants = _split(partial)
    if old_platform != new_platform or any(owner not in rerun for owner, _ in new_tenants.values()):
        return None
    drop = rerun | removed
    outputs: dict[str, Any] = {}
    for key in sorted(set(cached.outputs) | set(partial.outputs)):
        if key in TENANT_OUTPUTS:
            old, new = cached.outputs.get(key), partial.outputs.get(key)
            if not isinstance(old, dict) or not isinstance(new, dict):
                return None
            outputs[key] = dict(sorted(({t: v for t, v in old.items() if t not in drop} | new).items()))
        elif cached.outputs.get(key) != partial.outputs.get(key):
            return None
        else:
            outputs[key] = cached.outputs[key]
    resources = dict(old_platform)
    resources.update((u, r) for u, (owner, r) in old_tenants.items() if owner not in drop)
    resources.update((u, r) for u, (_, r) in new_tenants.items())
    return StackGraph(stack=cached.stack, project=cached.project, resources=dict(sorted(resources.items())),
                      outputs=outputs, seconds=partial.seconds)
