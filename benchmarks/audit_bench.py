"""Audit of a 200-tenant platform seeded into the local OpenStack lab: wall time and API calls.

    python benchmarks/audit_bench.py [--tenants 200] [--keep]

Needs root and the cloud lab (govctl.labs.cloud.lab; started here unless already up, as
`govctl lab cloud up` does, and left running for the next run). Builds an inventory from
the bundled example with N generated standard tenants on the provincial platform, seeds every object the
stacks generate (dependency order, 8 concurrent requests), audits it (bulk: each collection listed once),
then measures the resource-by-resource alternative on a sample of the same objects and extrapolates, and
finally deletes everything in reverse. Prints one table. Target: audit under 30 s.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent


def make_inventory(n: int, target: Path) -> Path:
    shutil.copytree(ROOT / "inventories" / "example", target)
    (target / "ipv6-allocations.yaml").unlink(missing_ok=True)
    deps = ["departments:"] + [f"  - {{id: bench-d{i:03d}, name: 基准部门{i:03d}, level: province}}"
                               for i in range(1, n + 1)]
    (target / "departments.yaml").write_text("\n".join(deps) + "\n", encoding="utf-8")
    (target / "systems.yaml").write_text("systems: []\n", encoding="utf-8")
    (target / "dedicated_networks.yaml").write_text("dedicated_networks: []\n", encoding="utf-8")
    # Only the provincial platform, with an external range that holds a gateway address for every router
    # (each tenant router takes one: a /25 would refuse the 126th with HTTP 409).
    (target / "clouds.yaml").write_text(
        "platforms:\n  - id: prov\n    name: 基准省政务云\n    kind: provincial\n    security_level: 3\n"
        "    openstack:\n      auth_url: https://keystone.prov.example.invalid:5000/v3\n      domain: gov-prov\n"
        "      regions:\n        - {name: RegionMain, site: alpha-main, availability_zones: [az-main-1]}\n"
        "    external_ipv4: 198.51.100.0/24\n", encoding="utf-8")
    lines = ["tenants:"]
    for i in range(1, n + 1):
        lines += [f"  - id: bench-t{i:03d}", f"    department: bench-d{i:03d}", "    platform: prov",
                  "    security_level: 2", "    access_type: B",
                  "    networks: [{name: app, ipv4: 203.0.113.0/26}]"]
    (target / "tenants.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def note(rows: list[tuple[str, str, str, str]], row: tuple[str, str, str, str]) -> None:
    """Keep a row for the final table and show it at once (a long run is not silent)."""
    rows.append(row)
    print(" | ".join(row), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tenants", type=int, default=200)
    ap.add_argument("--sample", type=int, default=300, help="objects fetched one by one for the comparison")
    ap.add_argument("--keep", action="store_true", help="leave the seeded objects in the lab")
    ap.add_argument("--reuse", action="store_true",
                    help="the lab already holds this benchmark's objects (a run with --keep): audit them")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root (the OpenStack lab); see `govctl lab cloud up --help`")
    from govctl.labs.cloud import lab

    try:
        st = lab.up()
    except lab.CloudLabError as exc:
        sys.exit(f"the OpenStack lab did not start: {exc}")
    os.environ.update(st.env())

    from govctl.inventory.validate import load_valid
    from govctl.ipv6.planner import plan
    from govctl.audit.audit import Auditor
    from govctl.audit.cloud import Cloud
    from govctl.audit.graph import capture, items_of
    from govctl.audit.models import Profile
    from govctl.audit.seed import Seeder

    profile = Profile.parse(["*=RegionOne"], ["strong-isolation=physnet1"], az_hints=False)
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        inv = load_valid(make_inventory(args.tenants, Path(tmp) / "bench")).inventory
        t = time.perf_counter()
        items = items_of(capture(inv, plan(inv), ["prov"]), profile)
        note(rows, ("capture (mock runtime)", f"{time.perf_counter() - t:.1f} s", "0", f"{len(items)} objects"))
        api = Cloud(st.cloud)
        seeder = Seeder(api, profile)
        try:
            if not args.reuse:
                res = seeder.create(items, bulk=True)
                bad = res.rejected
                note(rows, ("seed (create, 8 concurrent, Neutron bulk)", f"{res.seconds:.1f} s", str(res.api_calls),
                            f"{len(res.with_status('created'))} created, {len(bad)} rejected, "
                            f"{len(res.with_status('unserved'))} unserved"))
            auditor = Auditor(api, profile, inv, ["prov"], st.cloud)
            report = auditor.run(items)
            summary = report.as_dict()["summary"]
            note(rows, ("audit, bulk listing", f"{report.seconds:.1f} s", str(report.api_calls),
                        f"{report.matched}/{report.resources} matched; {summary}"))
            # What the audit found is what there is to delete (with --reuse the seeder created nothing).
            res = seeder.result
            res.ids.update(auditor.ids)
            seeder._bodies.update({u: b for u, b in auditor.bodies.items() if u in auditor.ids})
            # The alternative: one GET per object by id (what a resource-by-resource refresh does).
            sample = random.Random(7).sample([i for i in items if i.urn in res.ids and not i.spec.quota
                                              and "/" not in res.ids[i.urn] and ":" not in res.ids[i.urn]],
                                             k=min(args.sample, len(res.ids)))
            paths = {"networks": "/networks/", "subnets": "/subnets/", "routers": "/routers/",
                     "security_groups": "/security-groups/", "security_group_rules": "/security-group-rules/",
                     "router_ports": "/ports/", "rbac_policies": "/rbac-policies/", "projects": "/projects/",
                     "groups": "/groups/", "domains": "/domains/", "aggregates": "/os-aggregates/",
                     "volume_types": "/types/", "server_groups": "/os-server-groups/", "flavors": "/flavors/"}
            calls0, t = api.calls, time.perf_counter()
            fetched = 0
            for it in sample:
                path = paths.get(it.spec.collection)
                if path is None:
                    continue
                api.call(it.spec.service or "", "GET", path + res.ids[it.urn], region=it.live_region)
                fetched += 1
            each = (time.perf_counter() - t) / max(1, fetched)
            per_calls = (api.calls - calls0) / max(1, fetched)
            note(rows, (f"one GET per object ({fetched} sampled)", f"{each * len(items):.1f} s (extrapolated)",
                         f"{per_calls * len(items):.0f} (extrapolated)",
                         f"{each * 1000:.0f} ms per object"))
        finally:
            if not args.keep:
                t = time.perf_counter()
                calls0 = api.calls
                out = seeder.delete(items, cascade=True)
                note(rows, ("delete (reverse order)", f"{time.perf_counter() - t:.1f} s", str(api.calls - calls0),
                             f"{sum(o.status == 'deleted' for o in out)} deleted"))
    table = Table("step", "wall time", "API calls", "notes",
                  title=f"audit of {args.tenants} tenants in the local OpenStack Zed lab (target: audit < 30 s)")
    for r in rows:
        table.add_row(*r)
    Console().print(table)


if __name__ == "__main__":
    main()
