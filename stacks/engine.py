"""Offline planning: run every stack's program under mocks (in parallel), diff, evaluate policies.

Order: the provincial (hub) stack first, because federated stacks read its
outputs through StackReference; then every other stack in parallel worker
processes. A stack whose inputs (its slice of the inventory, its IPv6
allocations, the hub's outputs, the program's code, the SDK versions) did not
change is taken from the graph cache instead of being re-run.
"""
from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from inventory import models as m
from stacks.capture import capture
from stacks.diff import diff
from stacks.errors import UnknownStack
from stacks.models import PROJECT, PlanResult, StackContext, StackDiff, StackGraph, Violation
from stacks.policies import evaluate
from stacks.program import build, hub_of

HERE = Path(__file__).resolve().parent
_CODE_FILES = ("program.py", "platform.py", "dr.py", "tenant.py", "models.py", "capture.py")


@dataclass(frozen=True)
class Source:
    """An inventory ready to plan: validated model, IPv6 plan, name shown to users."""

    inventory: m.Inventory
    ipv6: Any
    shown: str


def reference_name(stack: str) -> str:
    return f"organization/{PROJECT}/{stack}"


def select(inv: m.Inventory, names: list[str] | None) -> list[str]:
    """The stacks to plan, in inventory order; unknown names are an input error listing the known ones."""
    known = [p.id for p in inv.platforms]
    if not names:
        return known
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UnknownStack(f"--stack: no stack named {', '.join(repr(u) for u in unknown)} "
                           f"(stacks of this inventory: {', '.join(known)})")
    return [k for k in known if k in names]


def _code_digest() -> str:
    h = hashlib.sha256()
    for name in _CODE_FILES:
        h.update((HERE / name).read_bytes())
    for dist in ("pulumi", "pulumi-openstack"):
        try:
            h.update(metadata.version(dist).encode())
        except metadata.PackageNotFoundError:
            pass
    return h.hexdigest()


def inputs_key(inv: m.Inventory, ipv6: Any, stack: str, references: dict[str, Any], code: str) -> str:
    """Hash of everything one stack's program reads."""
    platform = next(p for p in inv.platforms if p.id == stack)
    tenants = [t.model_dump(mode="json") for t in inv.tenants if t.platform == stack]
    prefix = f"cloud/{stack}/"
    doc = {
        "code": code, "project": PROJECT, "province": inv.province.id, "hub": hub_of(inv).id,
        "platform": platform.model_dump(mode="json"), "tenants": tenants,
        "sites": [s.model_dump(mode="json") for s in inv.sites.sites],
        "tenant_platforms": sorted((t.id, t.platform) for t in inv.tenants if t.platform != stack),
        "ipv6": sorted((k, a.prefix) for k, a in ipv6.allocations.items() if k.startswith(prefix)),
        "references": references,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def run_stack(inv: m.Inventory, ipv6: Any, stack: str, references: dict[str, Any]) -> StackGraph:
    """One stack under the mock runtime, in this process."""
    ctx = StackContext(inventory=inv, ipv6=ipv6, platform=stack, reference_prefix=f"organization/{PROJECT}")
    return capture(stack, lambda: build(ctx), references)


# Worker processes get the inventory once, by fork, instead of pickling it per stack.
_WORKER: dict[str, Any] = {}


def _worker_init(inv: m.Inventory, ipv6: Any) -> None:
    # A loop inherited through fork may hold executor threads that do not exist in the child.
    asyncio.set_event_loop(asyncio.new_event_loop())
    _WORKER["inv"], _WORKER["ipv6"] = inv, ipv6


def _worker_run(stack: str, references: dict[str, Any]) -> dict[str, Any]:
    g = run_stack(_WORKER["inv"], _WORKER["ipv6"], stack, references)
    d = g.as_dict()
    d["seconds"] = g.seconds
    return d


def graphs(src: Source, stacks: list[str], store: Any | None = None, workers: int | None = None) -> dict[str, StackGraph]:
    """Captured graphs of ``stacks`` (the hub is always computed first when another stack needs it)."""
    inv, ipv6 = src.inventory, src.ipv6
    hub = hub_of(inv).id
    code = _code_digest()
    out: dict[str, StackGraph] = {}
    workers = workers if workers is not None else (os.cpu_count() or 1)

    def lookup(stack: str, refs: dict[str, Any]) -> tuple[str, StackGraph | None]:
        key = inputs_key(inv, ipv6, stack, refs, code)
        g = store.cached(key) if store is not None else None
        return key, g

    def keep(stack: str, key: str, g: StackGraph) -> None:
        g.inputs_hash = key
        out[stack] = g
        if store is not None and not g.cached:
            store.remember(key, g)

    others = [s for s in stacks if s != hub]
    if hub in stacks or others:
        key, g = lookup(hub, {})
        keep(hub, key, g if g is not None else run_stack(inv, ipv6, hub, {}))
    refs = {reference_name(hub): out[hub].outputs} if others else {}
    todo: list[tuple[str, str]] = []
    for s in others:
        key, g = lookup(s, refs)
        if g is not None:
            keep(s, key, g)
        else:
            todo.append((s, key))
    if todo:
        if workers <= 1 or len(todo) == 1:
            for s, key in todo:
                keep(s, key, run_stack(inv, ipv6, s, refs))
        else:
            size = {p.id: 0 for p in inv.platforms}
            for t in inv.tenants:
                size[t.platform] = size.get(t.platform, 0) + 1 + len(t.networks)
            ordered = sorted(todo, key=lambda sk: -size.get(sk[0], 0))
            done = _in_pool(inv, ipv6, [(s, refs) for s, _ in ordered], workers)
            for s, key in todo:
                keep(s, key, done[s])
    if hub not in stacks:
        out.pop(hub, None)
    return {s: out[s] for s in stacks}


def _in_pool(inv: m.Inventory, ipv6: Any, jobs: list[tuple[str, dict[str, Any]]], workers: int) -> dict[str, StackGraph]:
    ctx = multiprocessing.get_context("fork")
    # Objects inherited through fork are never collected in the workers: keep the GC (and copy-on-write
    # page faults) off them.
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx, initializer=_worker_init,
                                 initargs=(inv, ipv6)) as pool:
            futures = {s: pool.submit(_worker_run, s, refs) for s, refs in jobs}
            result: dict[str, StackGraph] = {}
            for s, f in futures.items():
                d = f.result()
                g = StackGraph.from_dict(d)
                g.seconds = d.get("seconds", 0.0)
                result[s] = g
    finally:
        gc.unfreeze()
    return result


def policy_config(inv: m.Inventory) -> dict[str, Any]:
    return {"sharing-declared": {"shares": {t.id: list(t.shared_with) for t in inv.tenants if t.shared_with}}}


def violations(inv: m.Inventory, planned: dict[str, StackGraph]) -> list[Violation]:
    conf = policy_config(inv)
    out: list[Violation] = []
    for stack, g in planned.items():
        out.extend(Violation(policy, level, stack, urn, msg) for policy, level, urn, msg in evaluate(g, conf))
    return out


def compare(src: Source, planned: dict[str, StackGraph], bases: dict[str, tuple[StackGraph | None, str]],
            started: float | None = None) -> PlanResult:
    diffs = []
    # Cross-stack references (StackReference outputs) resolve through the other stacks' states when known.
    all_ids = {r.id: f"<id:{r.urn}>" for b, _ in bases.values() if b is not None
               for r in b.resources.values() if r.id}
    for stack, g in planned.items():
        base, label = bases.get(stack, (None, "nothing"))
        diffs.append(StackDiff(stack=stack, base=label, changes=diff(g, base, all_ids), resources=len(g.resources),
                               seconds=g.seconds, cached=g.cached))
    return PlanResult(inventory=src.shown, diffs=diffs, violations=violations(src.inventory, planned),
                      seconds=0.0 if started is None else time.perf_counter() - started)
