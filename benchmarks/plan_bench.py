"""Benchmark `govctl plan` against the bare mock-runtime run of the same programs, side by side.

    python benchmarks/plan_bench.py [INVENTORY] [--repeat N]   (default: inventories/guangdong, else the example)

Each measurement runs in a fresh process; wall time and peak RSS (largest process
of the tree, from wait4) are reported:

  bare        every stack's program under the SDK's mock runtime, one process, one after another
  plan        `govctl plan --no-cache --summary` (parallel stacks, the hub itself in parallel chunks of
              tenants, diff, policies, rendering); with --repeat N, bare and plan alternate N times and
              the ratio is taken of the fastest of each, so that a burst of load from other users of the
              machine hits neither side alone
  plan-cold   `govctl plan` filling an empty graph cache
  one-tenant  `govctl plan` after changing one tenant's quota, cache warm: its stack re-runs only that
              tenant (platform-level components plus the tenant, spliced into the cached graph), every
              other stack comes from the cache. First for a tenant of the provincial hub stack (the
              largest) against no state at all, where printing every resource as a create dominates;
              then against snapshots recorded the way `govctl apply` records them (the everyday case:
              the plan shows that tenant's changes), for a hub tenant and for another platform's.

Targets (issue 3): plan <= 0.7 x bare; one-tenant < 5 s; peak memory < 1 GB. The machine is
shared and noisy: run it at least twice and compare within one run.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOVCTL = [sys.executable, "-c", "import sys; sys.argv[0] = 'govctl'; from govctl.cli import main; main()"]

BARE = """
import sys, time
from govctl.inventory.validate import load_valid
from govctl.ipv6.planner import plan
from govctl.stacks import engine
loaded = load_valid({inv!r})
src = engine.Source(loaded.inventory, plan(loaded.inventory), "bench")
hub = engine.hub_of(src.inventory).id
refs = {{}}
n = 0
for p in [hub] + [p.id for p in src.inventory.platforms if p.id != hub]:
    g = engine.run_stack(src.inventory, src.ipv6, p, refs if p != hub else {{}})
    if p == hub:
        refs = {{engine.reference_name(hub): g.outputs}}
    n += len(g.resources)
print(n)
"""


def measure(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB of the largest process in the tree, stdout)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env={**os.environ})
    out = proc.stdout.read().decode() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 3):
        raise SystemExit(f"{' '.join(cmd[:4])}... failed with {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_maxrss / 1024, out


APPLY = """
import sys
from govctl.inventory.validate import load_valid
from govctl.ipv6.planner import plan
from govctl.stacks import engine
from govctl.stacks.state import Store
loaded = load_valid({inv!r})
src = engine.Source(loaded.inventory, plan(loaded.inventory), "bench")
store = Store(__import__("pathlib").Path({state!r}), src.inventory.name)
for g in engine.graphs(src, engine.select(src.inventory, None), store).values():
    store.write_snapshot(g)
"""


def _record_snapshots(inv: Path, state: Path, cwd: Path) -> None:
    """What `govctl apply` leaves behind: a snapshot per stack (from the warm cache; not measured)."""
    subprocess.run([sys.executable, "-c", APPLY.format(root=str(ROOT), inv=str(inv), state=str(state))], cwd=cwd,
                   check=True, stdout=subprocess.DEVNULL, env={**os.environ})


def _hub(inv: Path) -> str:
    import yaml

    clouds = yaml.safe_load((inv / "clouds.yaml").read_text(encoding="utf-8"))
    return next(p["id"] for p in clouds["platforms"] if p["kind"] == "provincial")


def _change_one_tenant(inv: Path, on_hub: bool, hub: str) -> str | None:
    """Raise one explicitly listed tenant's core quota (comments are lost: this is a temp copy)."""
    import yaml

    path = inv / "tenants.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for t in doc.get("tenants") or []:
        if (t["platform"] == hub) == on_hub:
            quotas = t.setdefault("quotas", {})
            quotas["cores"] = int(quotas.get("cores", 20)) + 1
            path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
            return f"{t['id']} on {t['platform']}"
    return None


def main() -> None:
    args = sys.argv[1:]
    repeat = 1
    if "--repeat" in args:
        i = args.index("--repeat")
        repeat = max(1, int(args[i + 1]))
        del args[i:i + 2]
    arg = args[0] if args else None
    default = ROOT / "inventories" / "guangdong"
    inv = Path(arg) if arg else (default if default.is_dir() else ROOT / "inventories" / "example")
    inv = inv.resolve()
    rows: list[tuple[str, float, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="govctl-bench-") as tmp:
        work = Path(tmp)
        bares, plans = [], []
        for n in range(1, repeat + 1):
            wall, rss, out = measure([sys.executable, "-c", BARE.format(root=str(ROOT), inv=str(inv))], work)
            resources = int(out.strip().splitlines()[-1])
            rows.append((f"bare mock runtime, 1 process (#{n})", wall, rss, f"{resources} resources"))
            bares.append(wall)
            wall, rss, _ = measure([*GOVCTL, "plan", str(inv), "--no-cache", "--summary"], work)
            rows.append((f"govctl plan (parallel, no cache) (#{n})", wall, rss, f"{wall / bares[-1]:.2f} x bare"))
            plans.append(wall)
        bare = min(bares)
        if repeat > 1:
            rows.append(("plan / bare, fastest of each", min(plans), 0, f"{min(plans) / bare:.2f} x bare"))
        copy = work / "inv" / inv.name
        shutil.copytree(inv, copy)
        wall, rss, _ = measure([*GOVCTL, "plan", str(copy), "--summary", "--state-dir", str(work / "state")], work)
        rows.append(("govctl plan, filling the cache", wall, rss, f"{wall / bare:.2f} x bare"))
        hub = _hub(copy)
        applied, bare_state = work / "applied", work / "no-state"
        shutil.copytree(work / "state", applied)
        shutil.copytree(work / "state", bare_state)
        _record_snapshots(copy, applied, work)
        # Each row's cache holds the graphs from before its edit, so each re-runs one tenant of one stack.
        for label, on_hub, state in (("a hub tenant, no state", True, bare_state), ("a hub tenant", True, applied),
                                     ("a federated tenant", False, applied)):
            who = _change_one_tenant(copy, on_hub, hub)
            if who is None:
                continue
            wall, rss, out = measure([*GOVCTL, "plan", str(copy), "--summary", "--state-dir", str(state)], work)
            total = next((ln for ln in out.splitlines() if ln.startswith("Plan:")), "").removeprefix("Plan: ")
            rows.append((f"govctl plan after changing {label}", wall, rss, f"{who}; {total.split(' in ')[0]}"))
    print(f"inventory: {inv}")
    print(f"{'measurement':<52} {'wall s':>8} {'peak MiB':>9}  note")
    for name, wall, rss, note in rows:
        print(f"{name:<52} {wall:>8.2f} {rss:>9.0f}  {note}")
    print("targets: plan <= 0.70 x bare; one tenant < 5 s; peak < 1024 MiB")


if __name__ == "__main__":
    main()
