"""Where the province stands against its plan's targets (province.yaml ``targets``).

What each share counts (numerator / denominator):

* systems_on_cloud: systems migrated / systems that may be on the cloud (not
  classified, 等保 level below 4, not retired). Status is the journal's latest
  event, else systems.yaml's ``status``.
* provincial_departments_on_cloud: province-level departments with a tenant on
  the provincial or an industry platform / province-level departments.
* city_departments_on_cloud: city-level departments with a tenant on any platform
  (their municipal cloud, or the provincial one where the city has none) /
  city-level departments.
* dedicated_networks_integrated: dedicated networks with status ``integrated`` /
  non-classified dedicated networks (classified ones are kept by rule).
* extranet_nodes_ipv6: extranet nodes with ``ipv6: true`` / all nodes.
* tenant_networks_ipv6: tenant networks with ``ipv6: true`` / all tenant networks.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from govctl.inventory import models as m
from govctl.migration.errors import MigrationInputError, OutputFailure
from govctl.migration.models import Metric, Report


def build_report(inv: m.Inventory, systems: list[m.System], statuses: dict[str, str], as_of: date) -> Report:
    t = inv.province.targets
    kinds = {p.id: p.kind for p in inv.platforms}
    eff = {s.id: statuses.get(s.id, s.status) for s in systems}
    eligible = [s for s in systems if s.classification != m.Classification.classified and s.security_level < 4
                and eff[s.id] != "retired"]
    with_tenant: dict[str, set[m.PlatformKind]] = {}
    for tn in inv.tenants:
        if tn.platform in kinds:
            with_tenant.setdefault(tn.department, set()).add(kinds[tn.platform])
    prov = [d for d in inv.departments if d.level == m.Tier.province]
    city = [d for d in inv.departments if d.level == m.Tier.city]
    dn = [d for d in inv.dedicated_networks if d.classification != m.Classification.classified]
    networks = [n for tn in inv.tenants for n in tn.networks]
    metrics = [
        Metric("systems_on_cloud", "Systems on the cloud", sum(eff[s.id] == "migrated" for s in eligible),
               len(eligible), t.systems_on_cloud,
               "migrated / systems not classified, 等保 below 4, not retired"),
        Metric("provincial_departments_on_cloud", "Provincial departments on the cloud",
               sum(bool(with_tenant.get(d.id, set()) & {m.PlatformKind.provincial, m.PlatformKind.industry})
                   for d in prov), len(prov), t.provincial_departments_on_cloud,
               "province-level departments with a tenant on the provincial or an industry platform"),
        Metric("city_departments_on_cloud", "City departments on the cloud",
               sum(d.id in with_tenant for d in city), len(city), t.city_departments_on_cloud,
               "city-level departments with a tenant on any platform"),
        Metric("dedicated_networks_integrated", "Dedicated networks integrated",
               sum(d.status == "integrated" for d in dn), len(dn), t.dedicated_networks_integrated,
               "status integrated / non-classified dedicated networks"),
        Metric("extranet_nodes_ipv6", "Extranet nodes on IPv6", sum(n.ipv6 for n in inv.nodes), len(inv.nodes),
               t.extranet_nodes_ipv6, "nodes with ipv6: true"),
        Metric("tenant_networks_ipv6", "Tenant networks on IPv6", sum(n.ipv6 for n in networks), len(networks),
               t.tenant_networks_ipv6, "tenant networks with ipv6: true"),
    ]
    counts: dict[str, int] = {}
    for s in systems:
        counts[eff[s.id]] = counts.get(eff[s.id], 0) + 1
    return Report(inv.name, inv.province.name, inv.province.plan, t.year, as_of, metrics, dict(sorted(counts.items())))


# Okabe-Ito colours: told apart by readers with the common colour-vision deficiencies (and in greyscale
# by their lightness); met / not met / no target.
MET_COLOURS = {True: "#009E73", False: "#D55E00", None: "#999999"}
TARGET_COLOUR = "#000000"
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
             "WenQuanYi Micro Hei", "Droid Sans Fallback")
_WORDS = {
    "zh": {"title": "{inv}：{year} 年目标进展（截至 {as_of}）", "x": "完成比例 %", "met": "已达标", "unmet": "未达标",
           "none": "无目标", "target": "规划目标"},
    "en": {"title": "{inv}: progress against the {year} targets, as of {as_of}", "x": "share reached, %",
           "met": "target met", "unmet": "target not met", "none": "no target", "target": "the plan's target"},
}
_TITLES_ZH = {"systems_on_cloud": "系统上云", "provincial_departments_on_cloud": "省直部门上云",
              "city_departments_on_cloud": "地市部门上云", "dedicated_networks_integrated": "部门专网整合",
              "extranet_nodes_ipv6": "外网节点 IPv6", "tenant_networks_ipv6": "租户网络 IPv6"}


def cjk_font() -> str | None:
    """The first installed font family that has Chinese glyphs (Debian: fonts-noto-cjk), else None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = next((f for f in CJK_FONTS if f in installed), None)
    if found is None:
        # matplotlib's font cache predates a font package installed since: add the CJK files it has not seen
        for path in font_manager.findSystemFonts():
            if any(k in Path(path).name for k in ("CJK", "wqy", "DroidSansFallback")):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        installed = {f.name for f in font_manager.fontManager.ttflist}
        found = next((f for f in CJK_FONTS if f in installed), None)
    return found


def write_chart(report: Report, path: Path, lang: str = "en") -> None:
    """A bar per metric (share reached) with the target marked; PNG or SVG by the file's suffix.

    A legend names the colours and the target mark; each share is written inside the plot at the bar's end,
    moved past the target mark when the two would overlap; labels are drawn in a CJK font when one is
    installed (Chinese province and metric names)."""
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise MigrationInputError(f"--chart: {path.name}: expected a .png or .svg file name")
    words = _WORDS.get(lang, _WORDS["en"])
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    font = cjk_font()
    metrics = list(reversed(report.metrics))
    titles = [_TITLES_ZH.get(mt.key, mt.title) if lang == "zh" else mt.title for mt in metrics]
    labels = [f"{t} ({mt.done}/{mt.total})" for t, mt in zip(titles, metrics)]
    shares = [100 * (mt.share or 0.0) for mt in metrics]
    colours = [MET_COLOURS[mt.met] for mt in metrics]
    with plt.rc_context({"svg.hashsalt": "govctl", "font.size": 9, "axes.unicode_minus": False}):
        if font is not None:  # restored with the rest when the context ends
            plt.rcParams["font.family"] = [font, "DejaVu Sans"]
        fig, ax = plt.subplots(figsize=(9, 0.6 * len(metrics) + 2.0))
        ax.barh(range(len(metrics)), shares, color=colours, height=0.6)
        for i, mt in enumerate(metrics):
            text_x = shares[i] + 1
            if mt.target is not None:
                tx = 100 * mt.target
                ax.plot([tx] * 2, [i - 0.4, i + 0.4], color=TARGET_COLOUR, linewidth=2.5)
                if abs(text_x - tx) < 7:  # the label would sit on the target mark: put it past the mark
                    text_x = tx + 1.5
            ax.text(text_x, i, f"{shares[i]:.1f}%".replace(".0%", "%"), va="center", ha="left")
        ax.set_yticks(range(len(metrics)), labels)
        ax.set_xlim(0, 118)  # room for a label at 100 %
        ax.set_ylim(-0.7, len(metrics) - 0.3)
        ax.set_xlabel(words["x"])
        handles = [Patch(color=MET_COLOURS[True], label=words["met"]),
                   Patch(color=MET_COLOURS[False], label=words["unmet"]),
                   Patch(color=MET_COLOURS[None], label=words["none"]),
                   Line2D([], [], color=TARGET_COLOUR, linewidth=2.5, label=words["target"])]
        fig.legend(handles=handles, loc="lower center", ncol=4, frameon=False, bbox_to_anchor=(0.5, 0.0))
        fig.suptitle(words["title"].format(inv=report.province if lang == "zh" else report.inventory,
                                           year=report.target_year, as_of=report.as_of), x=0.01, ha="left")
        fig.tight_layout(rect=(0, 0.07, 1, 1))
        try:
            fig.savefig(path, format=suffix[1:], metadata={"Date": None} if suffix == ".svg" else None)
        except OSError as exc:
            raise OutputFailure(f"cannot write {path}: {exc.strerror}") from None
        finally:
            plt.close(fig)
