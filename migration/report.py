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


def write_chart(report: Report, path: Path) -> None:
    """A bar per metric (share reached) with the target marked; PNG or SVG by the file's suffix."""
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise MigrationInputError(f"--chart: {path.name}: expected a .png or .svg file name")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = list(reversed(report.metrics))
    labels = [f"{mt.title} ({mt.done}/{mt.total})" for mt in metrics]
    shares = [100 * (mt.share or 0.0) for mt in metrics]
    colours = ["#2e7d32" if mt.met else "#c62828" if mt.met is False else "#9e9e9e" for mt in metrics]
    with plt.rc_context({"svg.hashsalt": "govctl", "font.size": 9}):
        fig, ax = plt.subplots(figsize=(8, 0.55 * len(metrics) + 1.4))
        ax.barh(range(len(metrics)), shares, color=colours, height=0.6)
        for i, mt in enumerate(metrics):
            if mt.target is not None:
                ax.plot([100 * mt.target] * 2, [i - 0.4, i + 0.4], color="black", linewidth=2)
            ax.text(min(shares[i] + 1, 101), i, f"{shares[i]:.1f}%".replace(".0%", "%"), va="center")
        ax.set_yticks(range(len(metrics)), labels)
        ax.set_xlim(0, 110)
        ax.set_xlabel("share reached, % (black mark: the plan's target)")
        fig.suptitle(f"{report.inventory}: progress against the {report.target_year} targets, as of {report.as_of}",
                     x=0.01, ha="left")
        fig.tight_layout()
        try:
            fig.savefig(path, format=suffix[1:], metadata={"Date": None} if suffix == ".svg" else None)
        except OSError as exc:
            raise OutputFailure(f"cannot write {path}: {exc.strerror}") from None
        finally:
            plt.close(fig)
