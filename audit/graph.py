"""The model's expected cloud objects: the stacks' captured graphs, as items ordered for a live cloud.

Each item is one API object the stacks would create: its spec (from ``mapping``), the model region and the
live region it lands in, the project it is created in (scoped providers), and what it needs first.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from govctl.inventory import models as m
from govctl.audit.mapping import TypeSpec, is_ref, spec_for
from govctl.audit.models import Profile
from govctl.stacks.models import ID_PREFIX, PROVIDER_TYPE, StackGraph

IDENTITY = "openstack:identity/project:Project"


@dataclass
class Item:
    urn: str
    platform: str
    type: str
    name: str
    spec: TypeSpec
    inputs: dict[str, Any]
    region: str | None  # the model's region (provider or inputs)
    live_region: str | None
    tenant: str | None
    needs: set[str] = field(default_factory=set)  # URNs that must exist first
    level: int = 0

    @property
    def label(self) -> str:
        return f"{self.platform}:{self.name}"


def _refs(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _refs(v)
    elif isinstance(value, list):
        for v in value:
            yield from _refs(v)
    elif is_ref(value) and value.startswith(ID_PREFIX):
        yield value[len(ID_PREFIX):-1]


def capture(inv: m.Inventory, ipv6: Any, platforms: list[str], shown: str = "inventory",
            on_stack: Callable[[str], None] | None = None) -> dict[str, StackGraph]:
    """The stacks' graphs of ``platforms`` through the offline planner's capture (the hub first when needed)."""
    from govctl.stacks.engine import Source, graphs

    return graphs(Source(inventory=inv, ipv6=ipv6, shown=shown), platforms, store=None, workers=1,
                  on_stack=on_stack)


def items_of(graphs: dict[str, StackGraph], profile: Profile) -> list[Item]:
    """Every API object of the graphs, levelled so that each item's needs sit on lower levels.

    Raises ``UnmappedType`` for a resource type without a mapping.
    """
    items: dict[str, Item] = {}
    for platform, g in graphs.items():
        providers = {u: r for u, r in g.resources.items() if r.type == PROVIDER_TYPE}
        projects = {(r.inputs.get("name")): u for u, r in g.resources.items()
                    if r.type == IDENTITY and not r.inputs.get("isDomain")}
        for urn, r in g.resources.items():
            if not r.custom:
                continue
            spec = spec_for(r.type, r.inputs)
            if not spec.api_object:
                continue
            inputs = dict(r.inputs)
            prov = providers.get(r.provider or "")
            region = inputs.get("region") or (prov.inputs.get("region") if prov else None)
            needs = set(r.dependencies) | set(_refs(inputs))
            if spec.scoped:
                # The stacks scope these through a provider whose tenantName is the project's name.
                tenant_name = prov.inputs.get("tenantName") if prov else None
                project_urn = projects.get(tenant_name)
                inputs["_project"] = f"{ID_PREFIX}{project_urn}>" if project_urn else f"<unknown-project:{tenant_name}>"
                if project_urn:
                    needs.add(project_urn)
            items[urn] = Item(urn=urn, platform=platform, type=r.type, name=r.name, spec=spec, inputs=inputs,
                              region=region, live_region=profile.region(region) if spec.regional else None,
                              tenant=g.tenant_of(urn), needs=needs)
    for it in items.values():
        it.needs = {n for n in it.needs if n in items and n != it.urn}
    _level(items)
    return sorted(items.values(), key=lambda i: (i.level, i.platform, i.urn))


def _level(items: dict[str, Item]) -> None:
    done: dict[str, int] = {}

    def visit(urn: str, stack: tuple[str, ...]) -> int:
        if urn in done:
            return done[urn]
        if urn in stack:
            raise ValueError(f"dependency cycle through {urn}")
        it = items[urn]
        lvl = 1 + max((visit(n, (*stack, urn)) for n in it.needs), default=-1)
        done[urn] = it.level = lvl
        return lvl

    for u in items:
        visit(u, ())


def levels(items: list[Item]) -> list[list[Item]]:
    out: dict[int, list[Item]] = {}
    for it in items:
        out.setdefault(it.level, []).append(it)
    return [out[k] for k in sorted(out)]
