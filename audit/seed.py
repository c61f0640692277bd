"""Create the model's objects in a live cloud in dependency order, and delete them in reverse.

This is what the contract tests and the benchmark use to prove that what the stacks generate is accepted
by real OpenStack services (it is not a deployment tool: Pulumi applies the stacks). Items of one
dependency level go out concurrently; a rejected item is data (an ``Outcome``), and what depends on it is
skipped, never attempted with a dangling reference.
"""
from __future__ import annotations

import threading
import time
from contextlib import nullcontext
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from govctl.audit.cloud import Api
from govctl.audit.errors import CloudError, Unresolved
from govctl.audit.graph import Item, levels
from govctl.audit.mapping import resolve_all
from govctl.audit.models import Outcome, Profile, SeedResult
from govctl.stacks.models import ID_PREFIX, LOOKUP_PREFIX

SCOPE_ROLE = "admin"  # what the seeding user needs in a project to act inside it, like a scoped provider
CASCADED = ("openstack:networking/secGroupRule:SecGroupRule", "openstack:networking/subnet:Subnet")


class LiveCtx:
    """Resolves ``<id:URN>`` through the live ids found or created so far, and data-source lookups."""

    def __init__(self, api: Api, profile: Profile, ids: dict[str, str]) -> None:
        self.api, self.profile, self.ids = api, profile, ids
        self.own_project = api.project_id
        self._lookups: dict[str, str] = {}
        self._lock = threading.Lock()

    def resolve(self, value: str) -> str:
        if value.startswith(ID_PREFIX):
            urn = value[len(ID_PREFIX):-1]
            live = self.ids.get(urn)
            if live is None:
                raise Unresolved(urn)
            return live
        if value.startswith(LOOKUP_PREFIX):
            return self._lookup(value[len(LOOKUP_PREFIX):-1])
        raise Unresolved(value)

    def _lookup(self, what: str) -> str:
        with self._lock:
            if what in self._lookups:
                return self._lookups[what]
        fn, _, name = what.partition("/")
        if fn == "getAuthScope":  # the operator: whoever the audit's credentials are
            return self.api.user_id
        if fn != "getRole":
            raise Unresolved(f"data source '{fn}' has no live lookup")
        roles = self.api.call("identity", "GET", f"/roles?name={name}")["roles"]
        if not roles:
            raise Unresolved(f"role '{name}' does not exist in the cloud")
        with self._lock:
            self._lookups[what] = roles[0]["id"]
        return roles[0]["id"]


def _short(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


class Seeder:
    def __init__(self, api: Api, profile: Profile, workers: int = 8, ids: dict[str, str] | None = None) -> None:
        """``ids`` may be shared between seeders (one per platform) so cross-stack references resolve."""
        self.api, self.profile, self.workers = api, profile, workers
        self.result = SeedResult(ids=ids if ids is not None else {})
        self.ctx = LiveCtx(api, profile, self.result.ids)
        self._bodies: dict[str, dict[str, Any]] = {}
        self._scoped: set[str] = set()
        self._scope_locks: dict[str, threading.Lock] = {}
        self._quota_locks: dict[tuple[str, str | None, str], threading.Lock] = {}
        self._lock = threading.Lock()

    def _scope_role(self, project: str) -> None:
        """Give the seeding user a role in ``project`` once, as the stacks' scoped providers need."""
        with self._lock:
            gate = self._scope_locks.setdefault(project, threading.Lock())
        with gate:  # two items of one project in one level: the second waits for the grant
            if project in self._scoped:
                return
            role = self.ctx._lookup(f"getRole/{SCOPE_ROLE}")
            self.api.call("identity", "PUT", f"/projects/{project}/users/{self.api.user_id}/roles/{role}")
            self._scoped.add(project)

    def _quota_lock(self, it: Item, body: dict[str, Any]) -> threading.Lock:
        """One PUT at a time per project's quota in one live region. Several model regions mapped onto one
        live region (a one-region lab) give one project several quota items there, and Cinder creates a
        project's first quota rows without a unique key: concurrent PUTs leave duplicate rows, after which
        an update changes one row while reads show another."""
        key = (it.spec.collection, it.live_region, str(body.get("project_id")))
        with self._lock:
            return self._quota_locks.setdefault(key, threading.Lock())

    def _create(self, it: Item) -> Outcome:
        if not self.api.has(it.spec.service or ""):
            return Outcome(it.urn, it.type, "unserved", message=f"no {it.spec.service} service in the catalog")
        try:
            inputs = resolve_all(it.inputs, self.ctx)
        except Unresolved as exc:
            return Outcome(it.urn, it.type, "skipped", message=f"needs {_short(str(exc))}, which has no live id")
        body = it.spec.body(inputs, self.ctx)
        project = body.get("project_id") if it.spec.scoped else None
        gate = self._quota_lock(it, body) if it.spec.quota else nullcontext()
        try:
            if project:
                self._scope_role(project)
            with gate:
                live_id = it.spec.create(self.api, body, it.live_region, project)
        except CloudError as exc:
            return Outcome(it.urn, it.type, "rejected", message=str(exc))
        with self._lock:
            self._bodies[it.urn] = body
            self.result.ids[it.urn] = live_id
        return Outcome(it.urn, it.type, "created", id=live_id)

    def _create_bulk(self, chunk: list[Item]) -> list[Outcome]:
        """One Neutron bulk POST for ``chunk``; on any refusal, each item again on its own (for its verdict)."""
        spec = chunk[0].spec
        try:
            bodies = [spec.body(resolve_all(it.inputs, self.ctx), self.ctx) for it in chunk]
            ids = spec.create_many(self.api, bodies, chunk[0].live_region)
        except (CloudError, Unresolved):
            return [self._create(it) for it in chunk]
        with self._lock:
            for it, body, live_id in zip(chunk, bodies, ids):
                self._bodies[it.urn] = body
                self.result.ids[it.urn] = live_id
        return [Outcome(it.urn, it.type, "created", id=i) for it, i in zip(chunk, ids)]

    def create(self, items: list[Item], bulk: bool = False) -> SeedResult:
        """Create ``items`` level by level. ``bulk`` uses Neutron's bulk create where it exists (fast
        seeding for benchmarks); contract tests leave it off so every object gets its own verdict."""
        started, calls = time.perf_counter(), self.api.calls
        with ThreadPoolExecutor(self.workers) as pool:
            for level in levels(items):
                single = level
                jobs = []
                if bulk:
                    groups: dict[tuple[str, str | None], list[Item]] = {}
                    for it in level:
                        if it.spec.bulk_path is not None and self.api.has(it.spec.service or ""):
                            groups.setdefault((it.type, it.live_region), []).append(it)
                    grouped = {it.urn for g in groups.values() for it in g}
                    single = [it for it in level if it.urn not in grouped]
                    jobs = [g[i:i + 100] for g in groups.values() for i in range(0, len(g), 100)]
                bulk_out = pool.map(self._create_bulk, jobs)
                self.result.outcomes += list(pool.map(self._create, single))
                self.result.outcomes += [o for chunk in bulk_out for o in chunk]
        self.result.seconds += time.perf_counter() - started
        self.result.api_calls += self.api.calls - calls
        return self.result

    def _delete(self, it: Item) -> Outcome | None:
        live_id = self.result.ids.get(it.urn)
        if live_id is None:
            return None
        for attempt in range(4):
            try:
                it.spec.delete(self.api, live_id, self._bodies[it.urn], it.live_region)
                break
            except CloudError as exc:
                if exc.status == 404:
                    break
                # 409 "in use": Neutron frees a router's gateway port a moment after the router is gone.
                if exc.status != 409 or attempt == 3:
                    return Outcome(it.urn, it.type, "delete-failed", live_id, str(exc))
                time.sleep(0.5 * (attempt + 1))
        with self._lock:
            self.result.ids.pop(it.urn, None)
        return Outcome(it.urn, it.type, "deleted", live_id)

    def delete(self, items: list[Item], cascade: bool = False) -> list[Outcome]:
        """Delete what this seeder created, deepest level first; returns one outcome per deletion.

        ``cascade`` leaves security-group rules and subnets to the deletion of their group and network
        (Neutron removes them with it): fewer calls for benchmarks; tests delete each object."""
        started, calls = time.perf_counter(), self.api.calls
        out: list[Outcome] = []
        skip = CASCADED if cascade else ()
        with ThreadPoolExecutor(self.workers) as pool:
            for level in reversed(levels(items)):
                out += [o for o in pool.map(self._delete, [i for i in level if i.type not in skip]) if o is not None]
        for it in items:
            if it.type in skip and self.result.ids.pop(it.urn, None) is not None:
                out.append(Outcome(it.urn, it.type, "deleted", message="with its parent"))
        self.result.outcomes += out
        self.result.seconds += time.perf_counter() - started
        self.result.api_calls += self.api.calls - calls
        return out
