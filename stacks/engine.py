"""Offline planning: run every stack's program under mocks (in parallel), diff, evaluate policies.

Order: the provincial (hub) stack first, because federated stacks read its
outputs through StackReference; then every other stack in parallel worker
processes. A stack whose inputs (its slice of the inventory, its IPv6
allocations, the hub's outputs, the program's code, the SDK versions) did not
change is taken from the graph cache instead of being re-run; a stack where only
some tenants' slices changed re-runs just those tenants and splices them into its
latest cached graph (stacks/incremental.py).
"""
from __future__ import annotations

import asyncio
import functools
import gc
import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from govctl.inventory import models as m
from govctl.stacks.capture import capture
from govctl.stacks.diff import diff
from govctl.stacks.errors import UnknownStack
from govctl.stacks.models import PROJECT, PlanResult, StackContext, StackDiff, StackGraph, Violation
from govctl.stacks.policies import evaluate
from govctl.stacks.incremental import Delta, Slices, delta, slices_of, splice
from govctl.stacks.program import TenantPlan, build, hub_of, tenant_plans, with_local_shares

HERE = Path(__file__).resolve().parent
_CODE_FILES = ("program.py", "incremental.py", "platform.py", "dr.py", "tenant.py", "models.py", "capture.py")


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


@functools.lru_cache(maxsize=1)  # once per process: the code this process has loaded, not later edits
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
    return stack_slices(inv, ipv6, stack, references, code)[0].key


def stack_slices(inv: m.Inventory, ipv6: Any, stack: str, references: dict[str, Any],
                 code: str) -> tuple[Slices, dict[str, TenantPlan]]:
    plans = tenant_plans(StackContext(inventory=inv, ipv6=ipv6, platform=stack))
    return slices_of(inv, ipv6, stack, plans, references, code), plans


def run_stack(inv: m.Inventory, ipv6: Any, stack: str, references: dict[str, Any],
              only: frozenset[str] | None = None) -> StackGraph:
    """One stack under the mock runtime, in this process (``only``: just these tenants, see ``build``)."""
    ctx = StackContext(inventory=inv, ipv6=ipv6, platform=stack, reference_prefix=f"organization/{PROJECT}")
    return capture(stack, lambda: build(ctx, only), references)


# Worker processes get the inventory once, by fork, instead of pickling it per stack.
_WORKER: dict[str, Any] = {}


def _worker_init(inv: m.Inventory, ipv6: Any) -> None:
    # A loop inherited through fork may hold executor threads that do not exist in the child: drop it.
    # capture() makes (and closes) its own loop per run; one made here would be left to the garbage
    # collector, whose finalizer of an unclosed loop can fail noisily ("Invalid file descriptor: -1").
    asyncio.set_event_loop(None)
    _WORKER["inv"], _WORKER["ipv6"] = inv, ipv6


def _worker_run(stack: str, references: dict[str, Any], only: frozenset[str] | None) -> dict[str, Any]:
    g = run_stack(_WORKER["inv"], _WORKER["ipv6"], stack, references, only)
    d = g.as_dict()
    d["seconds"] = g.seconds
    return d


@dataclass(frozen=True)
class _Job:
    """One stack to run: whole (``partial`` None) or only some tenants, to be spliced into ``partial``'s graph."""

    stack: str
    slices: Slices
    plans: dict[str, TenantPlan]
    only: frozenset[str] | None = None
    partial: tuple[StackGraph, Delta] | None = None


def _plan_job(stack: str, slices: Slices, plans: dict[str, TenantPlan], store: Any | None) -> _Job:
    """A partial job when the stack's latest cached graph differs from these inputs in some tenants only."""
    latest = store.latest(stack) if store is not None else None
    if latest is None:
        return _Job(stack, slices, plans)
    g, recorded = latest
    old = Slices.from_dict(recorded)
    d = delta(old, slices) if old is not None else None
    if d is None:
        return _Job(stack, slices, plans)
    return _Job(stack, slices, plans, frozenset(with_local_shares(plans, set(d.changed))), (g, d))


def graphs(src: Source, stacks: list[str], store: Any | None = None, workers: int | None = None,
           on_stack: Callable[[str], None] | None = None) -> dict[str, StackGraph]:
    """Captured graphs of ``stacks`` (the hub is always computed first when another stack needs it).

    With a ``store``: a stack whose inputs are cached is not run; a stack whose platform-level inputs are
    those of its latest cached graph re-runs only the tenants whose slices changed (see stacks.incremental).
    ``on_stack(name)`` is called as each stack's graph is ready (a progress bar).
    """
    def ready(stack: str) -> None:
        if on_stack is not None and stack in stacks:
            on_stack(stack)

    inv, ipv6 = src.inventory, src.ipv6
    hub = hub_of(inv).id
    code = _code_digest()
    out: dict[str, StackGraph] = {}
    workers = workers if workers is not None else (os.cpu_count() or 1)

    def prepare(stack: str, refs: dict[str, Any]) -> _Job | None:
        """None when the cache holds the graph (then it is in ``out``)."""
        slices, plans = stack_slices(inv, ipv6, stack, refs, code)
        g = store.cached(slices.key) if store is not None else None
        if g is not None and store is not None:
            g.inputs_hash = slices.key
            out[stack] = g
            store.mark_latest(stack, slices.key)
            ready(stack)
            return None
        return _plan_job(stack, slices, plans, store)

    def finish(job: _Job, g: StackGraph, refs: dict[str, Any]) -> None:
        if job.partial is not None:
            base, d = job.partial
            spliced = splice(base, g, job.only or frozenset(), d.removed)
            # A platform-level resource that depends on which tenants exist: only a whole run is right.
            g = spliced if spliced is not None else run_stack(inv, ipv6, job.stack, refs)
        g.inputs_hash = job.slices.key
        out[job.stack] = g
        if store is not None:
            store.remember(job.slices.key, g, job.slices.as_dict())
        ready(job.stack)

    others = [s for s in stacks if s != hub]
    if hub in stacks or others:
        job = prepare(hub, {})
        if job is not None:
            whole = None
            if job.partial is None and workers > 1 and len(job.plans) >= 4 * workers:
                whole = _in_chunks(inv, ipv6, hub, job.plans, workers)
            finish(job, whole if whole is not None else run_stack(inv, ipv6, hub, {}, job.only), {})
    refs = {reference_name(hub): out[hub].outputs} if others else {}
    todo = [j for j in (prepare(s, refs) for s in others) if j is not None]
    if todo:
        if workers <= 1 or len(todo) == 1:
            for j in todo:
                finish(j, run_stack(inv, ipv6, j.stack, refs, j.only), refs)
        else:
            size = {p.id: 0 for p in inv.platforms}
            for t in inv.tenants:
                size[t.platform] = size.get(t.platform, 0) + 1 + len(t.networks)

            def weight(j: _Job) -> int:
                return len(j.only) if j.only is not None else size.get(j.stack, 0)

            ordered = sorted(todo, key=lambda j: -weight(j))
            _in_pool(inv, ipv6, [(j.stack, refs, j.only) for j in ordered], workers,
                     on_result=lambda i, g: finish(ordered[i], g, refs))
    if hub not in stacks:
        out.pop(hub, None)
    return {s: out[s] for s in stacks}


def _in_chunks(inv: m.Inventory, ipv6: Any, stack: str, plans: dict[str, TenantPlan],
               workers: int) -> StackGraph | None:
    """A stack's whole graph from parallel partial runs, spliced together; None if they disagree.

    Every other stack waits for the hub's outputs, so the hub, the largest stack, would otherwise run
    alone on one core. One run registers the platform-level components only; each of ``workers`` runs
    adds a share of the tenants. Each splice checks that the platform-level resources and outputs are
    those of the run without tenants, so a platform-level resource that depends on which tenants exist
    makes this give up (and the caller run the stack whole).
    """
    ids = list(plans)
    chunks = [frozenset(with_local_shares(plans, set(ids[i::workers]))) for i in range(workers)]
    parts = _in_pool(inv, ipv6, [(stack, {}, c) for c in chunks] + [(stack, {}, frozenset())], workers)
    whole: StackGraph | None = parts[-1]
    for chunk, part in zip(chunks, parts):
        whole = splice(whole, part, chunk, frozenset()) if whole is not None else None
    if whole is not None:
        whole.seconds = sum(p.seconds for p in parts)
    return whole


def _in_pool(inv: m.Inventory, ipv6: Any, jobs: list[tuple[str, dict[str, Any], frozenset[str] | None]],
             workers: int, on_result: Callable[[int, StackGraph], None] | None = None) -> list[StackGraph]:
    """The jobs' graphs, in the jobs' order; ``on_result(index, graph)`` as each one is collected."""
    ctx = multiprocessing.get_context("fork")
    # Objects inherited through fork are never collected in the workers: keep the GC (and copy-on-write
    # page faults) off them.
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx, initializer=_worker_init,
                                 initargs=(inv, ipv6)) as pool:
            futures = [pool.submit(_worker_run, s, refs, only) for s, refs, only in jobs]
            result: list[StackGraph] = []
            for f in futures:
                d = f.result()
                g = StackGraph.from_dict(d)
                g.seconds = d.get("seconds", 0.0)
                if on_result is not None:
                    on_result(len(result), g)
                result.append(g)
    finally:
        gc.unfreeze()
    return result


def policy_config(inv: m.Inventory) -> dict[str, Any]:
    return {"sharing-declared": {"shares": {t.id: list(t.shared_with) for t in inv.tenants if t.shared_with}}}


@functools.lru_cache(maxsize=1)
def _policy_digest() -> str:
    """The policies' code: policies.py, the first-party modules it imports, the CrossGuard SDK's version."""
    import ast

    source = (HERE / "policies.py").read_bytes()
    h = hashlib.sha256(source)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            path = HERE.parent / (node.module.replace(".", "/") + ".py")
            if path.is_file():
                h.update(path.read_bytes())
    try:
        h.update(metadata.version("pulumi-policy").encode())
    except metadata.PackageNotFoundError:
        pass
    return h.hexdigest()


def violations(inv: m.Inventory, planned: dict[str, StackGraph], store: Any | None = None) -> list[Violation]:
    """Policy results per stack; with a ``store``, cached per (graph inputs, policy config, policy code)."""
    conf = policy_config(inv)
    conf_digest = hashlib.sha256(json.dumps(conf, sort_keys=True).encode()).hexdigest()
    out: list[Violation] = []
    for stack, g in planned.items():
        key = (hashlib.sha256(f"{g.inputs_hash}/{conf_digest}/{_policy_digest()}".encode()).hexdigest()
               if store is not None and g.inputs_hash else None)
        found = store.cached_violations(key) if store is not None and key is not None else None
        if found is None:
            found = evaluate(g, conf)
            if store is not None and key is not None:
                store.remember_violations(key, found)
        out.extend(Violation(policy, level, stack, urn, msg) for policy, level, urn, msg in found)
    return out


def compare(src: Source, planned: dict[str, StackGraph], bases: dict[str, tuple[StackGraph | None, str]],
            started: float | None = None, store: Any | None = None) -> PlanResult:
    diffs = []
    # Cross-stack references (StackReference outputs) resolve through the other stacks' states when known.
    all_ids = {r.id: f"<id:{r.urn}>" for b, _ in bases.values() if b is not None
               for r in b.resources.values() if r.id}
    for stack, g in planned.items():
        base, label = bases.get(stack, (None, "nothing"))
        diffs.append(StackDiff(stack=stack, base=label, changes=diff(g, base, all_ids), resources=len(g.resources),
                               seconds=g.seconds, cached=g.cached))
    return PlanResult(inventory=src.shown, diffs=diffs, violations=violations(src.inventory, planned, store),
                      seconds=0.0 if started is None else time.perf_counter() - started)
