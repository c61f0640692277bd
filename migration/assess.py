"""Assessment: where every system goes, what DR it needs, how hard it is, and which are zombies.

Rules (issue 6; DOMAIN.md):

* Placement from classification and 等保 level: 涉密 -> ``intranet`` (never on the
  cloud); level 4 and above -> ``off_shared_cloud``; 敏感非涉密 -> ``strong_isolation``
  (the strongly logically isolated plane, Guangdong plan); others -> ``standard``.
* Target platform, first rule that applies:
  1. ``target_platform`` written in the inventory / spreadsheet;
  2. an industry platform on which the owner department already has a tenant;
  3. an industry platform whose ``sector`` (or one of its keywords, see
     ``models.SECTOR_KEYWORDS``) appears in the department's name; the longest
     match wins, then the platform id;
  4. province-level department -> the provincial platform;
  5. city/county/town department -> the municipal platform of its city, else
     the provincial platform.
  The platform must be able to host the system: its 等保 level at least the
  system's, and for sensitive systems a strong isolation plane
  (``strong_isolation_ipv4``). If the chosen one cannot, the provincial platform
  is tried; if that cannot either, the system is ``blocked``.
* Required DR grade from RTO/RPO: ``DR_TABLE`` (below).
* Zombie candidates (listed for retirement, not migrated): unused for
  ``zombie_days`` (default 365) before ``as_of``; an owner column present but
  empty (no owner); or nobody depends on it and unused for ``orphan_days``
  (default 180).
* Difficulty score 0 (easy) .. 100 (hard), weights in ``ScoreWeights``:
  size = min(1, log10(1 + data_gb) / 5)          (100 TB -> 1)
  deps = min(1, (dependencies + dependants) / 10)
  level = min(1, (等保 level - 1) / 3)            (level 1 -> 0, level 4 -> 1)
  dr = required DR grade / 6
  score = 100 x sum(weight x term) / sum(weights)
"""
from __future__ import annotations

import math
from datetime import timedelta

from govctl.inventory import models as m
from govctl.core.errors import Problem
from govctl.migration.errors import SystemsInvalid
from govctl.migration.graph import strongly_connected
from govctl.migration.models import (
    Assessment,
    AssessSettings,
    Disposition,
    DrGrade,
    Placement,
    ScoreWeights,
    SystemAssessment,
)
from govctl.migration.sources import SystemSource

# GB/T 20988 disaster-recovery grades against recovery objectives. The standard's informative
# annex (2007 edition, carried into GB/T 20988-2025) gives ranges per grade:
#   grade 1: RTO 2 days+,            RPO 1-7 days
#   grade 2: RTO 24 h+,              RPO 1-7 days
#   grade 3: RTO 12 h+,              RPO hours to 1 day
#   grade 4: RTO hours to 2 days,    RPO hours to 1 day
#   grade 5: RTO minutes to 2 days,  RPO 0-30 minutes
#   grade 6: RTO minutes,            RPO 0
# As floors (minutes) a system's objectives must be at or above for the grade to satisfy it;
# "hours" is read as 2 h, "minutes" as 15 min. The required grade is the lowest grade whose
# floors the system's RTO and RPO both meet; grade 0 (no DR) when both are a week or more.
DR_TABLE: tuple[tuple[int, int, int], ...] = (
    # grade, RTO floor, RPO floor
    (0, 10080, 10080),
    (1, 2880, 1440),
    (2, 1440, 1440),
    (3, 720, 120),
    (4, 120, 120),
    (5, 15, 1),
    (6, 0, 0),
)


def dr_grade(rto: int, rpo: int, standard: str) -> DrGrade:
    """The lowest GB/T 20988 grade that meets both objectives (see ``DR_TABLE``)."""
    by_rto = next(g for g, r, _ in DR_TABLE if rto >= r)
    by_rpo = next(g for g, _, p in DR_TABLE if rpo >= p)
    grade = next(g for g, r, p in DR_TABLE if rto >= r and rpo >= p)
    basis = "RTO and RPO" if by_rto == by_rpo else ("RTO" if by_rto > by_rpo else "RPO")
    return DrGrade(grade, rto, rpo, standard, basis)


def score(data_gb: float, links: int, level: int, grade: int, weights: ScoreWeights) -> tuple[float, dict[str, float]]:
    """Difficulty 0 (easy) .. 100 (hard) and its parts (see the module docstring)."""
    parts = {
        "size": min(1.0, math.log10(1 + data_gb) / 5),
        "deps": min(1.0, links / 10),
        "level": min(1.0, max(0, level - 1) / 3),
        "dr": grade / 6,
    }
    w = {k: getattr(weights, k) for k in parts}
    total = sum(w.values())
    weighted = {k: 100 * w[k] * parts[k] / total for k in parts}
    return sum(weighted.values()), weighted


def placement_of(s: m.System) -> Placement:
    if s.classification == m.Classification.classified:
        return Placement.intranet
    if s.security_level >= 4:
        return Placement.off_shared_cloud
    if s.classification == m.Classification.sensitive:
        return Placement.strong_isolation
    return Placement.standard


class _Platforms:
    """Platform choice for a department; the rules are in the module docstring."""

    def __init__(self, inv: m.Inventory, settings: AssessSettings) -> None:
        self.by_id = {p.id: p for p in inv.platforms}
        self.provincial = next((p for p in inv.platforms if p.kind == m.PlatformKind.provincial), None)
        self.municipal = {p.city: p for p in sorted(inv.platforms, key=lambda p: p.id)
                          if p.kind == m.PlatformKind.municipal and p.city}
        self.industry = sorted((p for p in inv.platforms if p.kind == m.PlatformKind.industry), key=lambda p: p.id)
        self.industry_tenant: dict[str, str] = {}
        for t in sorted(inv.tenants, key=lambda t: t.id):
            p = self.by_id.get(t.platform)
            if p is not None and p.kind == m.PlatformKind.industry:
                self.industry_tenant.setdefault(t.department, p.id)
        self.keywords = settings.sector_keywords
        self._cache: dict[str, tuple[m.Platform | None, str]] = {}

    def sector_match(self, dept: m.Department) -> tuple[m.Platform, str] | None:
        best: tuple[int, str, m.Platform, str] | None = None
        for p in self.industry:
            if not p.sector:
                continue
            words = {p.sector, *self.keywords.get(p.sector, [])}
            for w in words:
                if w and w in dept.name:
                    cand = (-len(w), p.id, p, w)
                    if best is None or cand[:2] < best[:2]:
                        best = cand
        return None if best is None else (best[2], best[3])

    def for_department(self, dept: m.Department) -> tuple[m.Platform | None, str]:
        hit = self._cache.get(dept.id)
        if hit is not None:
            return hit
        if dept.id in self.industry_tenant:
            pid = self.industry_tenant[dept.id]
            res: tuple[m.Platform | None, str] = (self.by_id[pid], f"department already has a tenant on industry "
                                                                    f"platform {pid}")
        elif (match := self.sector_match(dept)) is not None:
            res = (match[0], f"department name matches sector '{match[0].sector}' ({match[1]})")
        elif dept.level == m.Tier.province:
            res = (self.provincial, "provincial department -> provincial platform")
        elif dept.city in self.municipal:
            res = (self.municipal[dept.city], f"{dept.level.value} department of {dept.city} -> its municipal "
                                              "platform")
        else:
            res = (self.provincial, f"no municipal platform for city {dept.city} -> provincial platform")
        self._cache[dept.id] = res
        return res

    @staticmethod
    def cannot_host(p: m.Platform, s: m.System, placement: Placement) -> str | None:
        if s.security_level > p.security_level:
            return f"platform {p.id} is 等保 level {p.security_level}, below the system's {s.security_level}"
        if placement == Placement.strong_isolation and p.strong_isolation_ipv4 is None:
            return f"platform {p.id} has no strong isolation plane for a sensitive system"
        return None

    def choose(self, s: m.System, dept: m.Department | None, placement: Placement) -> tuple[m.Platform | None, str]:
        if s.target_platform is not None:
            p = self.by_id.get(s.target_platform)
            if p is None:
                return None, f"target platform {s.target_platform} does not exist"
            why = self.cannot_host(p, s, placement)
            return (None, f"target platform set, but {why}") if why else (p, "target platform set in the list")
        if dept is None:
            return None, f"department {s.department} does not exist"
        p, reason = self.for_department(dept)
        if p is None:
            return None, "no provincial platform in clouds.yaml"
        why = self.cannot_host(p, s, placement)
        if why is None:
            return p, reason
        prov = self.provincial
        if prov is not None and prov.id != p.id and self.cannot_host(prov, s, placement) is None:
            return prov, f"{reason}, but {why} -> provincial platform"
        return None, why


def assess(inv: m.Inventory, source: SystemSource, settings: AssessSettings,
           statuses: dict[str, str] | None = None) -> Assessment:
    """Assess every system of ``source`` against the inventory. Pure; raises ``SystemsInvalid``
    for a dependency cycle through a classified system (it cannot move with the others)."""
    statuses = statuses or {}
    systems = source.systems
    ids = [s.id for s in systems]
    known = set(ids)
    edges = {s.id: [d for d in s.depends_on if d in known] for s in systems}
    dependants: dict[str, list[str]] = {i: [] for i in ids}
    for s in systems:
        for d in edges[s.id]:
            dependants[d].append(s.id)
    by_id = {s.id: s for s in systems}
    components = strongly_connected(ids, edges)
    cycles = sorted((c for c in components if len(c) > 1), key=lambda c: c[0])
    problems: list[Problem] = []
    warnings: list[str] = []
    for comp in cycles:
        members = set(comp)
        for sid in comp:
            s = by_id[sid]
            if s.classification == m.Classification.classified:
                into = [d for d in s.depends_on if d in members]
                problems.append(source.locator.problem(
                    sid, "depends_on",
                    f"dependency cycle through classified system '{sid}' ({' -> '.join(comp)}): a cycle moves "
                    "together, but a classified system never moves to the cloud; break the cycle",
                    ", ".join(into)))
            elif s.security_level >= 4:
                warnings.append(f"cycle {' -> '.join(comp)} includes level-{s.security_level} system {sid}, "
                                "which stays off the shared cloud: the cycle will span networks")
    if problems:
        raise SystemsInvalid(problems, what=source.shown)

    departments = {d.id: d for d in inv.departments}
    platforms = _Platforms(inv, settings)
    zombie_cut = settings.as_of - timedelta(days=settings.zombie_days)
    orphan_cut = settings.as_of - timedelta(days=settings.orphan_days)
    out: list[SystemAssessment] = []
    for s in systems:
        status = statuses.get(s.id, s.status)
        dept = departments.get(s.department)
        placement = placement_of(s)
        dr = dr_grade(s.rto_minutes, s.rpo_minutes, settings.dr_standard)
        links = len(edges[s.id]) + len(dependants[s.id])
        sc, parts = score(s.data_gb, links, s.security_level, dr.grade, settings.weights)
        extra = source.extras.get(s.id)
        zombie: list[str] = []
        if status == "legacy":
            if s.last_used is not None and s.last_used < zombie_cut:
                zombie.append(f"unused since {s.last_used} ({(settings.as_of - s.last_used).days} days)")
            if extra is not None and extra.owner == "":
                zombie.append("no owner (负责人 empty)")
            if not dependants[s.id] and s.last_used is not None and s.last_used < orphan_cut and not zombie:
                zombie.append(f"no dependants and unused since {s.last_used}")
        notes: list[str] = []
        if placement.on_cloud:
            platform, reason = platforms.choose(s, dept, placement)
        elif placement == Placement.intranet:
            platform, reason = None, "classified (涉密): stays on the e-government intranet"
        else:
            platform, reason = None, f"等保 level {s.security_level}: not on the shared cloud"
        if status == "migrated":
            disposition = Disposition.done
        elif status == "retired":
            disposition = Disposition.retired
        elif status == "migrating":
            disposition = Disposition.in_progress
        elif not placement.on_cloud:
            disposition = Disposition.stays
        elif zombie:
            disposition = Disposition.retire
        elif platform is None:
            disposition = Disposition.blocked
        else:
            disposition = Disposition.migrate
        if zombie and dependants[s.id]:
            notes.append(f"zombie candidate with dependants: {', '.join(dependants[s.id])}; check before retiring")
        out.append(SystemAssessment(
            id=s.id, name=s.name, department=s.department,
            department_level=dept.level.value if dept else "?", classification=s.classification.value,
            security_level=s.security_level, status=status, placement=placement,
            platform=platform.id if platform else None, platform_kind=platform.kind.value if platform else None,
            platform_reason=reason, dr=dr, depends_on=tuple(edges[s.id]), dependants=tuple(dependants[s.id]),
            data_gb=s.data_gb, score=sc, score_parts=parts, zombie_reasons=tuple(zombie),
            disposition=disposition, notes=tuple(notes), owner=extra.owner if extra else None))
    _explain(out)
    return Assessment(inv.name, settings, out, cycles, warnings)


def _explain(out: list[SystemAssessment]) -> None:
    """Second pass, once every system's disposition is known: a system that moves while a dependency does
    not says so, naming the dependency and why it stays; a system held back says each reason why."""
    index = {a.id: a for a in out}
    for a in out:
        notes = list(a.notes)
        if a.placement.on_cloud and a.disposition in (Disposition.migrate, Disposition.in_progress):
            for d in a.depends_on:
                da = index[d]
                if da.disposition == Disposition.retire:
                    notes.append(f"depends on {d}, a zombie candidate ({'; '.join(da.zombie_reasons)}): retiring "
                                 f"{d} breaks {a.id}; keep {d} or move what {a.id} uses from it first")
                elif da.disposition == Disposition.stays:
                    notes.append(f"depends on {d}, which stays off the cloud ({da.platform_reason}): "
                                 "every call crosses the network boundary (open it through the extranet gateway)")
                elif da.disposition == Disposition.retired:
                    notes.append(f"depends on {d}, which is retired: check {a.id} still works without it")
        reasons: list[str] = []
        if a.disposition == Disposition.retire:
            reasons += [f"zombie candidate: {r}" for r in a.zombie_reasons]
        elif a.disposition in (Disposition.stays, Disposition.blocked):
            reasons.append(a.platform_reason)
        elif a.disposition == Disposition.done:
            reasons.append("already migrated")
        elif a.disposition == Disposition.in_progress:
            reasons.append("migrating now")
        elif a.disposition == Disposition.retired:
            reasons.append("retired")
        if a.disposition == Disposition.migrate:
            reasons += [f"waits for {d}, blocked: {index[d].platform_reason}" for d in a.depends_on
                        if index[d].disposition == Disposition.blocked]
        a.notes = tuple(notes)
        a.kept_back = tuple(reasons)
