"""Benchmark: load, validate and plan IPv6 for a province-sized inventory.

    python benchmarks/core_bench.py [INVENTORY ...] [--repeat N]

Each inventory runs in a fresh child process (so peak RSS is that run's own),
N times; the table shows the median per stage and the worst peak memory.
Targets (issue 2): Guangdong under 2 s and 300 MB on a 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from govctl.inventory.loader import load
from govctl.inventory.rules import check_rules
from govctl.ipv6.planner import plan
t1 = time.perf_counter()
loaded = load(sys.argv[1])
t2 = time.perf_counter()
problems = check_rules(loaded)
t3 = time.perf_counter()
p = plan(loaded.inventory)
t4 = time.perf_counter()
inv = loaded.inventory
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "rules": t3 - t2, "ipv6": t4 - t3,
                  "total": t4 - t1, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "nodes": len(inv.nodes), "links": len(inv.links), "tenants": len(inv.tenants),
                  "allocations": len(p.allocations),
                  "errors": sum(1 for x in problems if x.severity == "error")}))
"""


def run_once(inventory: Path) -> dict:
    res = subprocess.run([sys.executable, "-c", CHILD, str(inventory), str(ROOT)], capture_output=True, text=True,
                         check=True)
    return json.loads(res.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inventories", nargs="*", default=[str(ROOT / "inventories" / "guangdong")])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    head = f"{'inventory':<14}{'nodes':>7}{'links':>7}{'tenants':>8}{'allocs':>8}" \
           f"{'load s':>8}{'rules s':>8}{'ipv6 s':>8}{'total s':>8}{'peak MB':>9}  target"
    print(head)
    print("-" * len(head))
    for inv in args.inventories:
        runs = [run_once(Path(inv)) for _ in range(args.repeat)]
        med = {k: statistics.median(r[k] for r in runs) for k in ("load", "rules", "ipv6", "total")}
        peak = max(r["rss_mb"] for r in runs)
        r0 = runs[0]
        ok = "ok" if med["total"] < 2.0 and peak < 300 else "MISSED (2 s / 300 MB)"
        print(f"{Path(inv).name:<14}{r0['nodes']:>7}{r0['links']:>7}{r0['tenants']:>8}{r0['allocations']:>8}"
              f"{med['load']:>8.2f}{med['rules']:>8.2f}{med['ipv6']:>8.2f}{med['total']:>8.2f}{peak:>9.0f}  {ok}")
    print(f"\nmedian of {args.repeat} runs each, fresh process per run; peak = max RSS including the "
          "interpreter and imports")


if __name__ == "__main__":
    main()
