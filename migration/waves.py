"""Wave planning: dependency order, cycles together, easy first, every wave within its limits.

Algorithm (pure, deterministic):

1. Movable systems are the assessment's ``migrate`` ones, minus any that depend
   (transitively) on a system that is ``blocked``: nothing moves before what it
   depends on, and a blocked dependency never moves.
2. Each strongly connected component of the movable systems is one *unit*: a
   cycle moves together, in one wave. A unit's score is its hardest member's.
3. A unit larger than a wave's limits (systems, or data that one window can copy
   at ``rate_gbps x efficiency``) is an input error naming the system and flag.
4. Waves are filled greedily from a priority queue of *ready* units (all their
   dependency units already placed) ordered by (score, first system id): the
   easiest ready unit that still fits joins the wave; units unlocked by it may
   join the same wave after it (the runbook orders cutovers so dependencies go
   first). Up to ``lookahead`` ready units that do not fit are skipped before
   the wave is closed.
5. Wave dates: ``start`` and then every ``every_days``, each moved past any
   change freeze (封网) its window would overlap.
6. Each wave's tenant changes: one tenant per (department, platform, isolation);
   an existing tenant gets its quotas raised (and 等保 level / DR grade if
   needed), a missing one is created. See ``tenant_changes``.
"""
from __future__ import annotations

import heapq
import math
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone

from govctl.inventory import models as m
from govctl.core.errors import Problem
from govctl.migration.errors import SystemsInvalid
from govctl.migration.graph import strongly_connected
from govctl.migration.models import (
    Assessment,
    Disposition,
    Placement,
    QuotaDelta,
    SystemAssessment,
    TenantChange,
    Wave,
    WaveMove,
    WavePlan,
    WaveSettings,
)
from govctl.migration.sources import Locator

CST = timezone(timedelta(hours=8))  # cutover windows are planned in China Standard Time


def _movable(systems: dict[str, SystemAssessment]) -> tuple[list[str], dict[str, str]]:
    """Systems to plan, and the ones held back because a dependency is blocked."""
    held: dict[str, str] = {}
    queue = [s.id for s in systems.values() if s.disposition == Disposition.blocked]
    seen = set(queue)
    while queue:
        bid = queue.pop()
        for dep in systems[bid].dependants:
            d = systems[dep]
            if d.disposition == Disposition.migrate and dep not in seen:
                seen.add(dep)
                held[dep] = f"waits for blocked dependency {bid}"
                queue.append(dep)
    order = [s.id for s in systems.values() if s.disposition == Disposition.migrate and s.id not in held]
    return order, held


def _check_limits(units: list[list[str]], systems: dict[str, SystemAssessment], settings: WaveSettings,
                  locator: Locator) -> None:
    problems: list[Problem] = []
    window = settings.window_gb
    for unit in units:
        data = sum(systems[s].data_gb for s in unit)
        if len(unit) > settings.max_per_wave:
            problems.append(locator.problem(
                unit[0], "depends_on",
                f"dependency cycle of {len(unit)} systems ({', '.join(unit)}) must move in one wave, but "
                f"--max-per-wave is {settings.max_per_wave}", len(unit)))
        if data > window + 1e-9:
            biggest = max(unit, key=lambda s: systems[s].data_gb)
            what = (f"system '{biggest}' has {data:,.0f} GB" if len(unit) == 1 else
                    f"cycle {', '.join(unit)} has {data:,.0f} GB together")
            need = data * 8 / (settings.rate_gbps * settings.efficiency * 3600)
            problems.append(locator.problem(
                biggest, "data_gb",
                f"{what}, more than one window copies ({settings.window_hours:g} h at {settings.rate_gbps:g} Gbit/s "
                f"x {settings.efficiency:g} = {window:,.0f} GB); raise --window-hours to at least {math.ceil(need)} "
                "or --rate-gbps, or split the copy (pre-seed the data before the window)", systems[biggest].data_gb))
    if problems:
        raise SystemsInvalid(problems, what="wave limits")


def schedule(assessment: Assessment, settings: WaveSettings,
             locator: Locator) -> tuple[list[list[WaveMove]], dict[str, str]]:
    """Units into waves; returns the moves of each wave (cutover order) and systems not planned."""
    systems = assessment.by_id()
    order, held = _movable(systems)
    movable = set(order)
    edges = {s: [d for d in systems[s].depends_on if d in movable] for s in order}
    # Units are the cycles of the *whole* graph: two systems that reach each other only through one
    # that stays behind (level 4) still call each other, so they move together.
    everything = [a.id for a in assessment.systems]
    component: dict[str, int] = {}
    for ci, comp in enumerate(strongly_connected(everything, {a.id: a.depends_on for a in assessment.systems})):
        for sid in comp:
            component[sid] = ci
    grouped: dict[int, list[str]] = {}
    for sid in order:
        grouped.setdefault(component[sid], []).append(sid)
    units = list(grouped.values())
    _check_limits(units, systems, settings, locator)
    unit_of: dict[str, int] = {}
    for u, members in enumerate(units):
        for s in members:
            unit_of[s] = u
    succ: list[set[int]] = [set() for _ in units]
    indeg = [0] * len(units)
    for s in order:
        for d in edges[s]:
            a, b = unit_of[d], unit_of[s]
            if a != b and b not in succ[a]:
                succ[a].add(b)
                indeg[b] += 1
    key = [(max(systems[s].score for s in members), min(members)) for members in units]
    data = [sum(systems[s].data_gb for s in members) for members in units]
    ready = [(key[u], u) for u in range(len(units)) if indeg[u] == 0]
    heapq.heapify(ready)
    waves: list[list[WaveMove]] = []
    window = settings.window_gb + 1e-9
    placed = 0
    while ready:
        moves: list[WaveMove] = []
        count, gb = 0, 0.0
        deferred: list[tuple[tuple[float, str], int]] = []
        while ready and len(deferred) < settings.lookahead and count < settings.max_per_wave:
            item = heapq.heappop(ready)
            u = item[1]
            if count + len(units[u]) > settings.max_per_wave or gb + data[u] > window:
                deferred.append(item)
                continue
            count += len(units[u])
            gb += data[u]
            placed += 1
            for s in units[u]:
                a = systems[s]
                moves.append(WaveMove(s, a.platform or "", "", a.data_gb, a.score, u))
            for v in sorted(succ[u]):
                indeg[v] -= 1
                if indeg[v] == 0:
                    heapq.heappush(ready, (key[v], v))
        for item in deferred:
            heapq.heappush(ready, item)
        if not moves:  # pragma: no cover - every unit fits an empty wave (checked above)
            raise AssertionError("wave planning made no progress")
        waves.append(moves)
    if placed != len(units):  # pragma: no cover - the condensation of a graph is acyclic
        raise AssertionError("wave planning left units unplaced")
    return waves, held


def wave_dates(n: int, start: date, every_days: int, window_hours: float,
               freezes: list[m.ChangeFreeze]) -> list[date]:
    """One date per wave, each window [00:00 CST, + window_hours) kept out of every freeze."""
    out: list[date] = []
    day = start
    for _ in range(n):
        moved = True
        while moved:
            moved = False
            begin = datetime.combine(day, time(0, 0), CST)
            end = begin + timedelta(hours=window_hours)
            for f in freezes:
                if begin < f.end and f.start < end:
                    day = f.end.astimezone(CST).date() + timedelta(days=1)
                    moved = True
        out.append(day)
        day = day + timedelta(days=every_days)
    return out


def _suffix(dept: str, platform: m.Platform) -> str:
    if platform.kind == m.PlatformKind.municipal and platform.city and dept.startswith(f"{platform.city}-"):
        return dept[len(platform.city) + 1:]
    return dept


def _dr_capable(inv: m.Inventory) -> set[str]:
    roles = {s.id: s.role for s in inv.sites.sites}
    out = set()
    for p in inv.platforms:
        have = {roles.get(r.site) for r in p.openstack.regions}
        if m.SiteRole.same_city in have and m.SiteRole.remote_dr in have:
            out.add(p.id)
    return out


def tenant_changes(inv: m.Inventory, waves: list[list[WaveMove]], systems: dict[str, SystemAssessment],
                   settings: WaveSettings) -> tuple[list[list[WaveMove]], list[list[TenantChange]], list[list[str]]]:
    """Tenant of every move, and per wave the tenants to create or raise (cumulative across waves)."""
    platforms = {p.id: p for p in inv.platforms}
    dr_ok = _dr_capable(inv)
    taken = {t.id for t in inv.tenants}
    # (department, platform, strong?) -> [tenant id, level, dr grade, rto, rpo]
    existing: dict[tuple[str, str, bool], list] = {}
    states = {t.id: [t.id, t.security_level, t.dr.grade, t.dr.rto_minutes, t.dr.rpo_minutes] for t in inv.tenants}
    ordered = sorted(inv.tenants, key=lambda t: t.id)
    for t in ordered:
        strong = t.isolation in (m.Isolation.strong, m.Isolation.dedicated_hosts)
        existing.setdefault((t.department, t.platform, strong), states[t.id])
    for t in ordered:  # a strong tenant can host standard systems when the department has no standard one
        if t.isolation != m.Isolation.standard:
            existing.setdefault((t.department, t.platform, False), states[t.id])
    sz = settings.sizing
    out_moves: list[list[WaveMove]] = []
    out_changes: list[list[TenantChange]] = []
    out_warnings: list[list[str]] = []
    for wave in waves:
        per_tenant: dict[str, dict] = {}
        moves: list[WaveMove] = []
        warnings: list[str] = []
        for mv in wave:
            a = systems[mv.system]
            p = platforms[mv.platform]
            strong = a.placement == Placement.strong_isolation
            k = (a.department, p.id, strong)
            state = existing.get(k)
            action = "update"
            if state is None:
                base = f"{p.id}-{_suffix(a.department, p)}" + ("-sec" if strong else "")
                tid, n = base, 2
                while tid in taken:
                    tid, n = f"{base}-{n}", n + 1
                taken.add(tid)
                state = [tid, a.security_level, 0, a.dr.rto_minutes, a.dr.rpo_minutes]
                existing[k] = state
                action = "create"
            tid = str(state[0])
            moves.append(WaveMove(mv.system, mv.platform, tid, mv.data_gb, mv.score, mv.group))
            acc = per_tenant.get(tid)
            if acc is None:
                acc = per_tenant[tid] = {"action": action, "platform": p.id, "department": a.department,
                                         "strong": strong, "quota": [0, 0, 0, 0, 0], "level": state[1],
                                         "grade": state[2], "rto": state[3], "rpo": state[4], "systems": []}
            volume_gb = int(math.ceil(a.data_gb * sz.volume_headroom / 100.0) * 100)
            q = acc["quota"]
            q[0] += sz.cores
            q[1] += sz.ram_gb
            q[2] += sz.instances
            q[3] += sz.volumes
            q[4] += volume_gb
            acc["level"] = max(acc["level"], a.security_level)
            acc["systems"].append(a.id)
            if a.dr.grade > acc["grade"]:
                if p.id in dr_ok:
                    acc["grade"] = a.dr.grade
                    acc["rto"] = min(acc["rto"], a.dr.rto_minutes) if acc["action"] == "update" else a.dr.rto_minutes
                    acc["rpo"] = min(acc["rpo"], a.dr.rpo_minutes) if acc["action"] == "update" else a.dr.rpo_minutes
                else:
                    warnings.append(f"{a.id} needs DR grade {a.dr.grade}, but platform {p.id} has no same-city "
                                    "and remote DR regions: arrange DR outside the platform or move it")
            if a.dr.grade and a.dr.grade <= acc["grade"]:
                acc["rto"] = min(acc["rto"], a.dr.rto_minutes)
                acc["rpo"] = min(acc["rpo"], a.dr.rpo_minutes)
        changes = []
        for tid in sorted(per_tenant):
            acc = per_tenant[tid]
            key_ = (acc["department"], acc["platform"], acc["strong"])
            existing[key_][1:5] = [acc["level"], acc["grade"], acc["rto"], acc["rpo"]]
            changes.append(TenantChange(
                action=acc["action"], tenant=tid, platform=acc["platform"], department=acc["department"],
                quota_increase=QuotaDelta(*acc["quota"]), security_level=acc["level"],
                isolation="strong" if acc["strong"] else "standard",
                classification="sensitive" if acc["strong"] else "unclassified",
                dr_grade=acc["grade"], dr_rto_minutes=acc["rto"] if acc["grade"] else 0,
                dr_rpo_minutes=acc["rpo"] if acc["grade"] else 0, systems=tuple(acc["systems"])))
        out_moves.append(moves)
        out_changes.append(changes)
        out_warnings.append(warnings)
    return out_moves, out_changes, out_warnings


def plan_waves(inv: m.Inventory, assessment: Assessment, settings: WaveSettings, locator: Locator) -> WavePlan:
    """The whole wave plan: order, dates, tenant changes. Raises ``SystemsInvalid`` on impossible limits."""
    systems = assessment.by_id()
    raw, held = schedule(assessment, settings, locator)
    moves, changes, warnings = tenant_changes(inv, raw, systems, settings)
    start = settings.start or (assessment.settings.as_of + timedelta(days=7))
    dates = wave_dates(len(moves), start, settings.every_days, settings.window_hours, inv.province.change_freezes)
    waves = []
    for i, mv in enumerate(moves):
        w = Wave(i + 1, mv, dates[i], changes[i], warnings[i])
        for s in mv:
            a = systems[s.system]
            w.warnings.extend(f"{a.id}: {n}" for n in a.notes)
        waves.append(w)
    not_planned: dict[str, str] = {}
    for a in assessment.systems:
        if a.id in held:
            not_planned[a.id] = held[a.id]
        elif a.disposition != Disposition.migrate:
            why = {
                Disposition.done: "already migrated",
                Disposition.in_progress: "migrating now",
                Disposition.retired: "retired",
                Disposition.retire: "zombie candidate: " + "; ".join(a.zombie_reasons),
                Disposition.stays: a.platform_reason,
                Disposition.blocked: "blocked: " + a.platform_reason,
            }[a.disposition]
            not_planned[a.id] = why
    return WavePlan(assessment.inventory, settings, assessment.settings, waves, not_planned)


def by_platform(plan: WavePlan) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for w in plan.waves:
        for mv in w.moves:
            out[mv.platform] += 1
    return dict(sorted(out.items()))
