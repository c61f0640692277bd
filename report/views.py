"""The report's six views, each computed from ``Sources`` (never from hand-entered numbers).

A view is a ``View``: its title, the facts it states in text (what a reader, and the browser tests, find
in the page), a note where a source is missing, and ECharts options (plain dicts, JSON-serialisable) for
its charts. Labels come from ``i18n.T`` in the report's language.
"""
from __future__ import annotations

import ipaddress
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from govctl.inventory import models as m
from govctl.inventory.rules import distance_km
from govctl.migration.models import Report
from govctl.report.i18n import T
from govctl.report.sources import Sources

# Okabe-Ito: eight colours that readers with the common colour-vision deficiencies tell apart
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]
STATUS_COLOURS = {"not_started": "#BBBBBB", "pushed": "#56B4E9", "verified": "#009E73", "failed": "#D55E00"}
ROLE_COLOURS = {"primary": "#0072B2", "same_city": "#56B4E9", "remote_dr": "#E69F00", "regional": "#999999"}
STATUSES = ("not_started", "pushed", "verified", "failed")


@dataclass
class View:
    id: str
    title: str
    facts: list[str] = field(default_factory=list)
    note: str = ""
    charts: list[dict[str, Any]] = field(default_factory=list)
    controls: dict[str, Any] = field(default_factory=dict)  # data the page's script needs (wave graphs)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


# ---------------------------------------------------------------- 1. targets


def egress_metric(inv: m.Inventory) -> tuple[int, int]:
    """(divisions of each egress level with exactly one egress, divisions of those levels)."""
    by_division = Counter((e.level, e.division) for e in inv.egress)
    divisions: list[tuple[m.Tier, str]] = []
    for level in inv.province.rules.egress_levels:
        if level == m.Tier.province:
            divisions.append((level, ""))
        elif level == m.Tier.city:
            divisions.extend((level, c.id) for c in inv.province.cities)
        elif level == m.Tier.county:
            divisions.extend((level, f"{c.id}/{k.id}") for c in inv.province.cities for k in c.counties)
    return sum(by_division[d] == 1 for d in divisions), len(divisions)


def _cumulative(days: list[date], total: int, base: int = 0) -> list[list[Any]]:
    """[[day, share], ...] of a count reaching ``total``, one point per day something got there; ``base``:
    how many were there before the journal has anything (e.g. systems.yaml's own ``migrated``)."""
    out, n = [], base
    for day, k in sorted(Counter(days).items()):
        n += k
        out.append([day.isoformat(), round(100 * n / total, 2) if total else 0])
    return out


def targets(src: Sources, rep: Report, lang: str) -> View:
    t = T(lang)
    inv = src.inv
    due = f"{rep.target_year}-12-31"
    v = View("targets", t["v_targets"])
    rows = [(mt.key, t.get("m_" + mt.key, mt.title), mt.done, mt.total, mt.share, mt.target) for mt in rep.metrics]
    one, levels = egress_metric(inv)
    rows.append(("internet_egress_consolidated", t["m_egress"], one, levels,
                 one / levels if levels else None, inv.province.targets.internet_egress_consolidated))
    for _key, title, done, total, share, target in rows:
        v.facts.append(t["f_target"].format(title=title, done=done, total=total, share=_pct(share),
                                            target=_pct(target), due=due))
    names = [r[1] for r in rows]
    v.charts.append({
        "title": {"text": t["v_targets"], "subtext": t["due"].format(due=due), "left": "left"},
        "legend": {"top": 30, "data": [t["reached"], t["target"]]},
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 10, "right": 50, "top": 70, "bottom": 30, "containLabel": True},
        "xAxis": {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "yAxis": {"type": "category", "data": names, "inverse": True},
        "series": [
            {"name": t["reached"], "type": "bar", "barWidth": 14, "itemStyle": {"color": OKABE_ITO[4]},
             "label": {"show": True, "position": "right", "formatter": "{c}%"},
             "data": [None if r[4] is None else round(100 * r[4], 1) for r in rows]},
            {"name": t["target"], "type": "scatter", "symbol": "rect", "symbolSize": [4, 22],
             "itemStyle": {"color": OKABE_ITO[5]},
             "data": [None if r[5] is None else round(100 * r[5], 1) for r in rows]},
        ],
    })
    systems = next(mt for mt in rep.metrics if mt.key == "systems_on_cloud")
    trends = {
        t["m_systems_on_cloud"]: _cumulative(list(src.migrated_on.values()), systems.total,
                                             max(0, systems.done - len(src.migrated_on))),
        t["m_extranet_nodes_ipv6"]: _cumulative(list(src.push.first_done.values()), len(inv.nodes)),
        t["m_dedicated_networks_integrated"]: _cumulative(
            list(src.integrated_on.values()),
            sum(d.classification != m.Classification.classified for d in inv.dedicated_networks)),
    }
    if any(trends.values()):
        v.charts.append({
            "title": {"text": t["trend"], "left": "left"},
            "legend": {"top": 30}, "tooltip": {"trigger": "axis"},
            "grid": {"left": 60, "right": 40, "top": 70, "bottom": 40},
            "xAxis": {"type": "time"}, "yAxis": {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
            "series": [{"name": k, "type": "line", "step": "end", "data": pts, "color": OKABE_ITO[i],
                        "markLine": {"silent": True, "symbol": "none", "data": [{"xAxis": due}]}}
                       for i, (k, pts) in enumerate(trends.items()) if pts],
        })
    else:
        v.note = t["no_trend"]
    return v


# ---------------------------------------------------------------- 2. the cloud


def cloud(src: Sources, lang: str) -> View:
    t = T(lang)
    inv = src.inv
    v = View("cloud", t["v_cloud"])
    sites = {s.id: s for s in inv.sites.sites}
    primary = next((s for s in inv.sites.sites if s.role == m.SiteRole.primary), None)
    tenant_platform = {tn.id: tn.platform for tn in inv.tenants}
    region_sites = {p.id: {r.site for r in p.openstack.regions} for p in inv.platforms}
    problems: dict[str, list[str]] = defaultdict(list)  # site id -> messages
    platform_problems: dict[str, list[str]] = defaultdict(list)
    for f in src.findings:
        text = f"{f.rule}: {f.message}"
        if f.kind == "site" and f.ident in sites:
            problems[f.ident].append(text)
        elif f.kind == "platform":
            platform_problems[f.ident].append(text)
        elif f.kind == "tenant" and f.ident in tenant_platform:
            platform_problems[tenant_platform[f.ident]].append(text)
    for pid, msgs in platform_problems.items():  # a platform's violation shows on its primary region's site
        for sid in sorted(region_sites.get(pid, ())):
            problems[sid].extend(f"{pid}: {x}" for x in msgs)
            break
    kinds = Counter(p.kind.value for p in inv.platforms)
    v.facts.append(t["f_platforms"].format(n=len(inv.platforms), prov=kinds.get("provincial", 0),
                                           ind=kinds.get("industry", 0), mun=kinds.get("municipal", 0)))
    v.facts.append(t["f_tenants"].format(n=len(inv.tenants)))
    for s in inv.sites.sites:
        if s.role == m.SiteRole.remote_dr and primary is not None:
            v.facts.append(t["f_dr_distance"].format(site=s.name, km=round(distance_km(primary, s))))
    for link in inv.sites.links:
        v.facts.append(t["f_link"].format(a=link.a, b=link.b, count=link.count, gbps=f"{link.gbps:g}"))
    n_violations = sum(len(x) for x in problems.values())
    v.facts.append(t["f_violations"].format(n=n_violations))
    data_by_role: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in inv.sites.sites:
        hosted = sorted(p for p, ss in region_sites.items() if s.id in ss)
        label = s.name
        if s.role == m.SiteRole.remote_dr and primary is not None:
            label += f"\n{distance_km(primary, s):.0f} km"
        item: dict[str, Any] = {"name": s.name, "value": [s.longitude, s.latitude], "id": s.id,
                                "platforms": hosted, "label": {"formatter": label},
                                "problems": problems.get(s.id, [])}
        if problems.get(s.id):
            item["itemStyle"] = {"borderColor": "#D55E00", "borderWidth": 4}
            item["symbol"] = "triangle"
            item["label"] = {"formatter": "⚠ " + label, "color": "#D55E00", "fontWeight": "bold"}
        data_by_role[s.role.value].append(item)
    lines = []
    for link in inv.sites.links:
        a, b = sites.get(link.a), sites.get(link.b)
        if a and b:
            lines.append({"coords": [[a.longitude, a.latitude], [b.longitude, b.latitude]],
                          "name": f"{link.count} × {link.gbps:g}G"})
    series: list[dict[str, Any]] = []
    roles = [r for r in ("primary", "same_city", "remote_dr", "regional") if data_by_role.get(r)]
    for r in roles:
        big = r != "regional"
        series.append({"name": t["role_" + r], "type": "scatter", "coordinateSystem": "cartesian2d",
                       "symbolSize": 16 if big else 8, "itemStyle": {"color": ROLE_COLOURS[r]},
                       "label": {"show": big, "position": "right"}, "labelLayout": {"hideOverlap": True},
                       "data": data_by_role[r]})
    series.append({"name": t["links"], "type": "lines", "coordinateSystem": "cartesian2d", "polyline": False,
                   "lineStyle": {"color": "#555", "width": 2, "opacity": 0.6},
                   "label": {"show": True, "position": "middle", "formatter": "{b}"},
                   "labelLayout": {"hideOverlap": True}, "data": lines})
    lons = [s.longitude for s in inv.sites.sites] or [0.0]
    lats = [s.latitude for s in inv.sites.sites] or [0.0]
    v.charts.append({
        "title": {"text": t["map_title"], "subtext": t["map_sub"], "left": "left"},
        "legend": {"top": 45, "data": [t["role_" + r] for r in roles]},
        "tooltip": {"trigger": "item"},
        "grid": {"left": 50, "right": 30, "top": 90, "bottom": 40},
        "xAxis": {"type": "value", "name": "°E", "scale": True, "min": round(min(lons) - 0.5, 1),
                  "max": round(max(lons) + 0.5, 1)},
        "yAxis": {"type": "value", "name": "°N", "scale": True, "min": round(min(lats) - 0.5, 1),
                  "max": round(max(lats) + 0.5, 1)},
        "series": series,
    })
    # tenants per platform by 等保 level and isolation tier
    cells: Counter[tuple[str, str]] = Counter()
    for tn in inv.tenants:
        cells[(tn.platform, f"{t['level']}{tn.security_level} · {t['iso_' + tn.isolation.value]}")] += 1
    stacks = sorted({k for _p, k in cells})
    pids = [p.id for p in inv.platforms]
    v.charts.append({
        "title": {"text": t["tenants_title"], "left": "left"},
        "legend": {"top": 30, "type": "scroll"}, "tooltip": {"trigger": "axis"},
        "grid": {"left": 60, "right": 30, "top": 70, "bottom": 90},
        "xAxis": {"type": "category", "data": pids, "axisLabel": {"rotate": 45, "interval": 0}},
        "yAxis": {"type": "value", "name": t["tenants"]},
        "series": [{"name": k, "type": "bar", "stack": "t", "color": OKABE_ITO[i % len(OKABE_ITO)],
                    "data": [cells.get((p, k), 0) for p in pids]} for i, k in enumerate(stacks)],
    })
    return v


# ---------------------------------------------------------------- 3. the extranet


def node_status(src: Sources) -> dict[str, str]:
    return {n.id: src.push.status.get(n.id, "not_started") for n in src.inv.nodes}


def extranet(src: Sources, lang: str) -> View:
    """A tree province -> city -> county, cities collapsed (a click expands one): 1,771 nodes stay readable.

    Each division shows how many of its nodes (its own and those below) are in each IPv6 status; its colour
    is its worst status (failed, else not started, else pushed, else verified)."""
    t = T(lang)
    inv = src.inv
    status = node_status(src)
    v = View("extranet", t["v_extranet"])
    counts: dict[str, Counter[str]] = defaultdict(Counter)  # division prefix ("" province, "c", "c/k") -> status
    for n in inv.nodes:
        parts = n.division.split("/") if n.division else []
        for depth in range(0, min(len(parts), 2) + 1):
            counts["/".join(parts[:depth])][status[n.id]] += 1
    egress_at: dict[str, list[str]] = defaultdict(list)
    node_division = {n.id: n.division for n in inv.nodes}
    for e in inv.egress:
        where = node_division.get(e.node, e.division)
        parts = where.split("/") if where else []
        egress_at["/".join(parts[:2])].append(f"{e.id}: " + ", ".join(c.name for c in e.carriers))

    def item(key: str, name: str, children: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        c = counts.get(key, Counter())
        worst = next((s for s in ("failed", "not_started", "pushed", "verified") if c.get(s)), "not_started")
        total = sum(c.values())
        d: dict[str, Any] = {"name": f"{name} ({total})", "value": total, "key": key,
                             "counts": {s: c.get(s, 0) for s in STATUSES},
                             "itemStyle": {"color": STATUS_COLOURS[worst], "borderColor": STATUS_COLOURS[worst]}}
        if egress_at.get(key):
            d["egress"] = egress_at[key]
            d["symbol"] = "diamond"
            d["symbolSize"] = 16
            d["name"] = f"⇅ {d['name']}"
        if children:
            d["children"] = children
            d["collapsed"] = True
        return d

    cities = [item(c.id, c.name, [item(f"{c.id}/{k.id}", k.name) for k in c.counties]) for c in inv.province.cities]
    root = item("", inv.province.name, cities)
    root["collapsed"] = False
    total = Counter(status.values())
    v.facts.append(t["f_nodes"].format(n=len(inv.nodes), cities=len(inv.province.cities),
                                       counties=sum(len(c.counties) for c in inv.province.cities)))
    v.facts.append(t["f_status"].format(**{s: total.get(s, 0) for s in STATUSES}))
    for e in inv.egress:
        v.facts.append(t["f_egress"].format(id=e.id, node=e.node, level=t["tier_" + e.level.value],
                                            carriers=", ".join(f"{c.name} {c.mbps // 1000}G" for c in e.carriers)))
    if not src.push.runs:
        v.note = t["no_push"]
    v.charts.append({
        "title": {"text": t["topo_title"], "subtext": t["topo_sub"], "left": "left"},
        "legend": {"top": 45, "data": [t["st_" + s] for s in STATUSES], "selectedMode": False},
        "tooltip": {"trigger": "item"},
        "series": [
            {"type": "tree", "id": "topology", "data": [root], "top": 90, "left": 90, "bottom": 20, "right": 140,
             "symbolSize": 10, "initialTreeDepth": 1, "expandAndCollapse": True, "roam": True,
             "animationDuration": 200, "animationDurationUpdate": 200,
             "label": {"position": "left", "verticalAlign": "middle", "align": "right", "fontSize": 11},
             "leaves": {"label": {"position": "right", "align": "left"}}},
            # legend entries for the status colours (the tree itself has no per-status series)
            *({"name": t["st_" + s], "type": "graph", "data": [], "itemStyle": {"color": STATUS_COLOURS[s]}}
              for s in STATUSES),
        ],
    })
    return v


# ---------------------------------------------------------------- 4. the IPv6 plan


def _size64(prefix: str) -> float:
    """Size of a prefix in /64s (a /128 is 2**-64 of one): comparable across every pool."""
    return 2.0 ** (64 - int(prefix.rsplit("/", 1)[1]))


def pool_usage(src: Sources) -> list[dict[str, Any]]:
    """Per pool: its prefix, the space its top-level allocations take per kind, and the share left."""
    out: list[dict[str, Any]] = []
    if src.ipv6 is None:
        return out
    top: dict[str, list[Any]] = defaultdict(list)  # "pool:<use>" -> its top-level allocations
    for a in src.ipv6.allocations.values():
        if a.parent.startswith("pool:"):
            top[a.parent].append(a)
    for pool in src.inv.ipv6.pools:
        net = ipaddress.IPv6Network(pool.prefix)
        used: dict[str, float] = defaultdict(float)
        n: Counter[str] = Counter()
        for a in top.get(f"pool:{pool.use.value}", []):
            used[a.kind.value] += _size64(a.prefix)
            n[a.kind.value] += 1
        size = _size64(str(net))
        out.append({"use": pool.use.value, "prefix": str(net), "size": size, "used": dict(used), "count": dict(n),
                    "free_share": max(0.0, 1 - sum(used.values()) / size)})
    return out


def ipv6(src: Sources, lang: str) -> View:
    t = T(lang)
    v = View("ipv6", t["v_ipv6"])
    usage = pool_usage(src)
    if src.ipv6 is None:
        v.note = t["no_ipv6"]
        return v
    data = []
    for p in usage:
        children = [{"name": f"{t.get('kind_' + k, k)} ×{p['count'][k]}", "value": val}
                    for k, val in sorted(p["used"].items())]
        free = p["size"] - sum(p["used"].values())
        children.append({"name": t["headroom"], "value": free, "itemStyle": {"color": "#DDDDDD"}})
        data.append({"name": f"{t.get('pool_' + p['use'], p['use'])} {p['prefix']}", "value": p["size"],
                     "children": children})
        v.facts.append(t["f_pool"].format(use=t.get("pool_" + p["use"], p["use"]), prefix=p["prefix"],
                                          used=_pct(1 - p["free_share"]), free=_pct(p["free_share"]),
                                          n=sum(p["count"].values())))
    kinds = Counter(a.kind.value for a in src.ipv6.allocations.values())
    detail = ", ".join(f"{t.get('kind_' + k, k)} {c}" for k, c in sorted(kinds.items()))
    v.facts.append(t["f_alloc"].format(n=len(src.ipv6.allocations), detail=detail))
    # every pool drawn at the same size (a /34 and a /48 differ 2**14-fold): the rings show shares
    for d in data:
        scale = 100 / d["value"]
        d["value"] = 100
        for c in d["children"]:
            c["value"] = round(c["value"] * scale, 4)
    v.charts.append({
        "title": {"text": t["ipv6_title"], "subtext": t["ipv6_sub"], "left": "left"},
        "tooltip": {"trigger": "item", "formatter": "{b}: {c}%"},
        "color": OKABE_ITO,
        "series": [{"type": "sunburst", "data": data, "radius": [30, "85%"], "center": ["50%", "56%"],
                    "sort": None, "label": {"rotate": "radial", "minAngle": 8, "fontSize": 10},
                    "levels": [{}, {"r0": 30, "r": "45%", "label": {"rotate": "tangential"}},
                               {"r0": "45%", "r": "85%", "label": {"align": "right"}}]}],
    })
    return v


# ---------------------------------------------------------------- 5. migration


def migration(src: Sources, plan: Any, lang: str) -> View:
    """Waves on a calendar with the change freezes; the dependency graph of a chosen wave (a select)."""
    t = T(lang)
    v = View("migration", t["v_migration"])
    inv = src.inv
    waves = plan.waves if plan is not None else []
    v.facts.append(t["f_waves"].format(n=len(waves), systems=sum(len(w.moves) for w in waves),
                                       freezes=len(inv.province.change_freezes)))
    for f in inv.province.change_freezes:
        v.facts.append(t["f_freeze"].format(name=f.name, start=f.start.date().isoformat(),
                                            end=f.end.date().isoformat()))
    if not waves:
        v.note = t["no_waves"]
        return v
    days = [w.date for w in waves if w.date is not None] + [f.start.date() for f in inv.province.change_freezes] \
        + [f.end.date() for f in inv.province.change_freezes]
    first, last = min(days), max(days)
    first = first.replace(day=1)
    freeze_days: list[tuple[str, int]] = []
    for f in inv.province.change_freezes:
        d = f.start.date()
        while d <= f.end.date():
            freeze_days.append((d.isoformat(), 1))
            d += timedelta(days=1)
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    cal_rows = max(1, (months + 5) // 6)
    calendars, wave_series, freeze_series = [], [], []
    for i in range(cal_rows):
        y0, m0 = divmod(first.month - 1 + 6 * i, 12)
        start = date(first.year + y0, m0 + 1, 1)
        y1, m1 = divmod(start.month - 1 + 6, 12)
        end = date(start.year + y1, m1 + 1, 1) - timedelta(days=1)
        calendars.append({"top": 80 + 170 * i, "left": 50, "right": 30, "cellSize": ["auto", 18],
                          "range": [start.isoformat(), end.isoformat()], "yearLabel": {"show": True},
                          "dayLabel": {"firstDay": 1, "nameMap": "ZH" if lang == "zh" else "EN"},
                          "monthLabel": {"nameMap": "ZH" if lang == "zh" else "EN"}})
        freeze_series.append({"name": t["freeze"], "type": "heatmap", "coordinateSystem": "calendar",
                              "itemStyle": {"color": "#E69F00"},
                              "calendarIndex": i, "data": [d for d in freeze_days if start.isoformat() <= d[0]
                                                           <= end.isoformat()]})
        wave_series.append({"name": t["wave"], "type": "scatter", "coordinateSystem": "calendar", "calendarIndex": i,
                            "symbolSize": 14, "itemStyle": {"color": "#0072B2"},
                            "label": {"show": True, "formatter": "{@[2]}", "color": "#fff", "fontSize": 9},
                            "data": [[w.date.isoformat(), len(w.moves), w.number] for w in waves
                                     if w.date is not None and start <= w.date <= end]})
    v.charts.append({
        "title": {"text": t["cal_title"], "subtext": t["cal_sub"], "left": "left"},
        "legend": {"top": 45, "data": [t["wave"], t["freeze"]]},
        "tooltip": {"trigger": "item"},
        "visualMap": {"show": False, "min": 0, "max": 1, "seriesIndex": list(range(len(freeze_series))),
                      "inRange": {"color": ["#F0E442", "#E69F00"]}},
        "calendar": calendars,
        "series": freeze_series + wave_series,
        "_height": 120 + 170 * cal_rows,
    })
    deps = {s.id: list(s.depends_on) for s in inv.systems}
    names = {s.id: s.name for s in inv.systems}
    graphs = []
    for w in waves:
        ids = [mv.system for mv in w.moves]
        inside = set(ids)
        outside = sorted({d for s in ids for d in deps.get(s, []) if d not in inside})
        nodes = [{"name": s, "value": names.get(s, s), "category": 0} for s in ids] + \
                [{"name": d, "value": names.get(d, d), "category": 1, "symbolSize": 8} for d in outside]
        edges = [{"source": s, "target": d} for s in ids for d in deps.get(s, []) if d in inside or d in outside]
        graphs.append({"number": w.number, "date": w.date.isoformat() if w.date else "", "nodes": nodes,
                       "links": edges})
    v.controls["waves"] = graphs
    v.facts.append(t["f_wave1"].format(n=len(waves[0].moves), date=waves[0].date or "-",
                                       deps=len(graphs[0]["links"])))
    v.charts.append({
        "title": {"text": t["deps_title"], "left": "left"},
        "legend": {"top": 30, "data": [t["in_wave"], t["outside_wave"]]},
        "tooltip": {"trigger": "item", "formatter": "{b}: {c}"},
        "series": [{"type": "graph", "id": "deps", "layout": "force", "roam": True, "draggable": True, "top": 70,
                    "force": {"repulsion": 120, "edgeLength": 60}, "symbolSize": 14,
                    "edgeSymbol": ["none", "arrow"], "edgeSymbolSize": 7,
                    "label": {"show": True, "position": "right", "fontSize": 10},
                    "labelLayout": {"hideOverlap": True},
                    "categories": [{"name": t["in_wave"], "itemStyle": {"color": "#0072B2"}},
                                   {"name": t["outside_wave"], "itemStyle": {"color": "#E69F00"}}],
                    "data": graphs[0]["nodes"], "links": graphs[0]["links"]}],
        "_wave_select": True,
    })
    return v


# ---------------------------------------------------------------- 6. last plan and audit


def plan_audit(src: Sources, lang: str) -> View:
    t = T(lang)
    v = View("plan", t["v_plan"])
    notes = []
    if src.plan is None:
        notes.append(t["no_plan"])
    else:
        p = src.plan
        stacks = list(p.stacks)
        totals = Counter[str]()
        for s in stacks:
            totals.update(p.stacks[s])
        verdicts = Counter[str]()
        for s in stacks:
            verdicts.update(p.violations.get(s, {}))
        v.facts.append(t["f_plan"].format(n=len(stacks), create=totals["create"], update=totals["update"],
                                          delete=totals["delete"], mandatory=verdicts["mandatory"],
                                          advisory=verdicts["advisory"]))
        if p.missing:
            v.facts.append(t["f_plan_missing"].format(stacks=", ".join(p.missing)))
        kinds = [("create", "#009E73"), ("update", "#E69F00"), ("replace", "#CC79A7"), ("delete", "#D55E00")]
        v.charts.append({
            "title": {"text": t["plan_title"], "subtext": t["plan_sub"], "left": "left"},
            "legend": {"top": 45}, "tooltip": {"trigger": "axis"},
            "grid": {"left": 60, "right": 30, "top": 90, "bottom": 90},
            "xAxis": {"type": "category", "data": stacks, "axisLabel": {"rotate": 45, "interval": 0}},
            "yAxis": [{"type": "value", "name": t["resources"]}, {"type": "value", "name": t["verdicts"]}],
            "series": [{"name": t["ch_" + k], "type": "bar", "color": c,
                        "data": [p.stacks[s].get(k, 0) for s in stacks]} for k, c in kinds]
            + [{"name": t["verdict_" + lv], "type": "line", "yAxisIndex": 1, "color": c,
                "data": [p.violations.get(s, {}).get(lv, 0) for s in stacks]}
               for lv, c in (("mandatory", "#000000"), ("advisory", "#56B4E9"))],
        })
    if src.audit is None:
        notes.append(t["no_audit"])
    else:
        a = src.audit
        by_class = Counter(str(f.get("class")) for f in a["findings"])
        classes = ["violation", "missing", "drifted", "unverifiable"]
        v.facts.append(t["f_audit"].format(cloud=a.get("cloud", "?"), **{c: by_class.get(c, 0) for c in classes}))
        by_rule = Counter((str(f.get("class")), str(f.get("rule") or "-")) for f in a["findings"])
        rules = sorted({r for _c, r in by_rule})
        v.charts.append({
            "title": {"text": t["audit_title"], "left": "left"},
            "legend": {"top": 30, "type": "scroll"}, "tooltip": {"trigger": "axis"},
            "grid": {"left": 60, "right": 30, "top": 70, "bottom": 40},
            "xAxis": {"type": "category", "data": [t["cls_" + c] for c in classes]},
            "yAxis": {"type": "value", "name": t["findings"]},
            "series": [{"name": r, "type": "bar", "stack": "a", "color": OKABE_ITO[i % len(OKABE_ITO)],
                        "data": [by_rule.get((c, r), 0) for c in classes]} for i, r in enumerate(rules)],
        })
    v.note = " ".join(notes)
    return v


def build(src: Sources, rep: Report, wave_plan: Any, lang: str) -> list[View]:
    return [targets(src, rep, lang), cloud(src, lang), extranet(src, lang), ipv6(src, lang),
            migration(src, wave_plan, lang), plan_audit(src, lang)]
