"""Rendering a wave plan: Markdown table and runbooks, JSON, and inventory changes (tenants.yaml, systems.yaml).

Inventory changes are applied to the *raw* YAML data of tenants.yaml and
systems.yaml (what the user wrote), so the result is an inventory a person
could have written: compact ``tenant_sets`` stay compact unless one of their
tenants must change, in which case that department is taken out of the set
and written out explicitly on every platform of the set's kind.
"""
from __future__ import annotations

import copy
from typing import Any

from govctl.inventory import models as m
from govctl.migration.i18n import level, t, text_of, value
from govctl.migration.models import Assessment, TenantChange, Wave, WavePlan

# ---------------------------------------------------------------- JSON


def plan_dict(plan: WavePlan, assessment: Assessment) -> dict[str, Any]:
    systems = assessment.by_id()
    s = plan.settings
    return {
        "inventory": plan.inventory,
        "settings": {"max_per_wave": s.max_per_wave, "window_hours": s.window_hours, "rate_gbps": s.rate_gbps,
                     "efficiency": s.efficiency, "window_gb": round(s.window_gb, 1), "every_days": s.every_days,
                     "as_of": plan.assess_settings.as_of.isoformat(),
                     "weights": plan.assess_settings.weights.model_dump()},
        "waves": [{
            "wave": w.number, "date": w.date.isoformat() if w.date else None, "systems": len(w.moves),
            "data_gb": round(w.data_gb, 1), "copy_hours": round(w.copy_hours(s), 2),
            "moves": [{"order": i + 1, "system": mv.system, "name": systems[mv.system].name,
                       "department": systems[mv.system].department, "platform": mv.platform, "tenant": mv.tenant,
                       "data_gb": mv.data_gb, "score": round(mv.score, 2), "group": mv.group,
                       "depends_on": list(systems[mv.system].depends_on)}
                      for i, mv in enumerate(w.moves)],
            "tenant_changes": [c.as_dict() for c in w.changes],
            "warnings": w.warnings,
        } for w in plan.waves],
        "not_planned": [{"system": k, "reason": v} for k, v in plan.not_planned.items()],
    }


# ---------------------------------------------------------------- Markdown


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def waves_markdown(plan: WavePlan, assessment: Assessment, lang: str = "en") -> str:
    s = plan.settings
    lines = [f"# {t('plan_title', lang, inv=plan.inventory)}", "",
             t("limits", lang, n=s.max_per_wave, gb=f"{s.window_gb:,.0f}", h=f"{s.window_hours:g}",
               rate=f"{s.rate_gbps:g}", eff=f"{s.efficiency:g}", as_of=plan.assess_settings.as_of), "",
             t("plan_head", lang), "|---:|---|---:|---:|---:|---|---:|---:|"]
    for w in plan.waves:
        plats = sorted({mv.platform for mv in w.moves})
        lines.append(f"| {w.number} | {w.date or ''} | {len(w.moves)} | {w.data_gb:,.0f} | {w.copy_hours(s):.1f} | "
                     f"{_md(', '.join(plats))} | {sum(c.action == 'create' for c in w.changes)} | "
                     f"{sum(c.action == 'update' for c in w.changes)} |")
    if plan.not_planned:
        lines += ["", f"## {t('not_planned', lang)}", "", t("not_planned_head", lang), "|---|---|"]
        lines += [f"| {_md(k)} | {_md(text_of(v, lang))} |" for k, v in plan.not_planned.items()]
    return "\n".join(lines) + "\n"


def runbook(wave: Wave, plan: WavePlan, assessment: Assessment, inventory_arg: str, preview_dir: str,
            lang: str = "en") -> str:
    """The Markdown runbook of one wave: what moves in which order, the changes first, the checks after."""
    s = plan.settings
    systems = assessment.by_id()
    wave_of = plan.wave_of()
    lines = [f"# {t('wave_title', lang, n=wave.number, inv=plan.inventory)}", "",
             t("window", lang, date=wave.date, h=f"{s.window_hours:g}") if wave.date else t("window_tbd", lang),
             t("systems_line", lang, n=len(wave.moves), max=s.max_per_wave),
             t("data_line", lang, gb=f"{wave.data_gb:,.0f}", cap=f"{s.window_gb:,.0f}",
               h=f"{wave.copy_hours(s):.1f}", rate=f"{s.rate_gbps:g}", eff=f"{s.efficiency:g}"), ""]
    lines += [t("before", lang), "", *t("before_steps", lang, preview=preview_dir, inv=inventory_arg).split("\n"), ""]
    if wave.changes:
        lines += [t("tenant_changes", lang), "", t("tenant_head", lang),
                  "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|"]
        for c in wave.changes:
            q = c.quota_increase
            lines.append(f"| {value('action', c.action, lang)} | {c.tenant} | {c.platform} | {c.department} | "
                         f"{value('isolation', c.isolation, lang)} | {level(c.security_level, lang)} | {c.dr_grade} | "
                         f"{q.cores} | {q.ram_gb} | {q.instances} | {q.volume_gb} |")
        lines.append("")
    lines += [t("order", lang), "", t("order_head", lang), "|---:|---|---|---|---|---:|---:|---|"]
    groups: dict[int, list[str]] = {}
    for mv in wave.moves:
        groups.setdefault(mv.group, []).append(mv.system)
    for i, mv in enumerate(wave.moves, 1):
        a = systems[mv.system]
        deps = ", ".join(f"{d} ({wave_of[d]})" if d in wave_of
                         else f"{d} ({value('disposition', systems[d].disposition.value, lang)})"
                         for d in a.depends_on) or "-"
        lines.append(f"| {i} | {mv.system} | {_md(a.name)} | {a.department} | {mv.platform} / {mv.tenant} | "
                     f"{mv.data_gb:,.0f} | {a.dr.grade} | {_md(deps)} |")
    cycles = [g for g in groups.values() if len(g) > 1]
    if cycles:
        lines += ["", t("cycles", lang)]
        lines += [f"- {', '.join(c)}" for c in cycles]
    lines += ["", *t("per_system", lang, n=wave.number, inv=inventory_arg).split("\n"), "",
              t("rollback", lang), "", t("rollback_text", lang), ""]
    if wave.warnings:
        lines += [t("warnings", lang), ""] + [f"- {_md(text_of(w, lang))}" for w in wave.warnings] + [""]
    return "\n".join(lines)


# ---------------------------------------------------------------- inventory changes


def changes_document(wave: Wave) -> dict[str, Any]:
    """The wave's inventory changes as data (changes.yaml)."""
    return {
        "wave": wave.number,
        "date": wave.date.isoformat() if wave.date else None,
        "tenants": [c.as_dict() for c in wave.changes],
        "systems": [{"id": mv.system, "set": {"target_platform": mv.platform}, "tenant": mv.tenant}
                    for mv in wave.moves],
    }


_QUOTA_DEFAULTS = m.Quotas().model_dump()


def _raise_tenant(raw: dict[str, Any], c: TenantChange) -> None:
    quotas = raw.setdefault("quotas", {})
    for k, v in c.quota_increase.as_dict().items():
        if v:
            quotas[k] = int(quotas.get(k, _QUOTA_DEFAULTS[k])) + v
    if c.security_level > int(raw.get("security_level", 2)):
        raw["security_level"] = c.security_level
    dr = raw.get("dr") or {}
    if c.dr_grade > int(dr.get("grade", 0)):
        raw["dr"] = {**dr, "grade": c.dr_grade, "rto_minutes": c.dr_rto_minutes, "rpo_minutes": c.dr_rpo_minutes}


def _new_tenant(c: TenantChange) -> dict[str, Any]:
    quotas = {k: v for k, v in c.quota_increase.as_dict().items() if v}
    raw: dict[str, Any] = {"id": c.tenant, "department": c.department, "platform": c.platform,
                           "security_level": c.security_level, "classification": c.classification,
                           "isolation": c.isolation, "quotas": quotas}
    if c.dr_grade:
        raw["dr"] = {"grade": c.dr_grade, "rto_minutes": c.dr_rto_minutes, "rpo_minutes": c.dr_rpo_minutes}
    return raw


def _explode_set(data: dict[str, Any], inv: m.Inventory, tenant_id: str) -> dict[str, Any] | None:
    """Take the tenant out of its tenant_set (on every platform of that kind); return its explicit entry."""
    for si, ts in enumerate(data.get("tenant_sets") or []):
        kind = ts.get("platform_kind")
        for suffix in list(ts.get("departments") or []):
            for p in inv.platforms:
                if p.kind.value != kind or f"{p.id}-{suffix}" != tenant_id:
                    continue
                ts["departments"].remove(suffix)
                template = ts.get("template") or {}
                made = None
                for q in sorted((q for q in inv.platforms if q.kind.value == kind), key=lambda q: q.id):
                    owner = f"{q.city}-{suffix}" if q.kind == m.PlatformKind.municipal and q.city else suffix
                    entry = {"id": f"{q.id}-{suffix}", "department": owner, "platform": q.id,
                             **copy.deepcopy(template)}
                    data.setdefault("tenants", []).append(entry)
                    if entry["id"] == tenant_id:
                        made = entry
                if not ts["departments"]:
                    data["tenant_sets"].pop(si)
                return made
    return None


def apply_to_tenants(data: dict[str, Any], inv: m.Inventory, waves: list[Wave]) -> dict[str, Any]:
    """tenants.yaml raw data after the given waves' changes (a new object; the input is not modified)."""
    data = copy.deepcopy(data) if data else {}
    data.setdefault("tenants", [])
    for w in waves:
        for c in w.changes:
            index = {t.get("id"): t for t in data["tenants"]}
            if c.action == "create":
                data["tenants"].append(_new_tenant(c))
                continue
            raw = index.get(c.tenant) or _explode_set(data, inv, c.tenant)
            if raw is None:  # pragma: no cover - updates only name tenants of the inventory
                raise KeyError(c.tenant)
            _raise_tenant(raw, c)
    if not data.get("tenant_sets"):
        data.pop("tenant_sets", None)
    return data


def apply_to_systems(data: dict[str, Any], waves: list[Wave]) -> dict[str, Any]:
    """systems.yaml raw data with each planned system's target platform written down."""
    data = copy.deepcopy(data) if data else {"systems": []}
    target = {mv.system: mv.platform for w in waves for mv in w.moves}
    for s in data.get("systems") or []:
        if s.get("id") in target and not s.get("target_platform"):
            s["target_platform"] = target[s["id"]]
    return data
