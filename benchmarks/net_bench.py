"""Network benchmarks, side by side in one run:

1. render: every extranet device of a province inventory (default Guangdong, ~1,750) from intent
   to vendor config (target: under 5 s);
2. lab push (root + FRR): a lab of N routers (default 60), `govctl net push` wall time without and
   with the next batch prepared ahead (`--no-prefetch` / default; target: at most 0.75x), each batch
   against its slowest device (target: within 2x), then the same rollout with
   `ansible-playbook playbooks/ipv6-rollout.yml` on the same lab (targets: govctl at least 4x faster, its
   own CPU at most 1/30 of Ansible's).

What each side does, per device, is the same code (network.push.Rollout with the FRR driver; the
playbook's govctl_device module calls it): an SSH session, frr-reload's diff of candidate and
`show running-config` computed in the controller with frr-reload.py's own module,
the running config saved to the journal, the diff applied in one vtysh session on the router (and
`frr-reload --reload` there if anything is left), the running config it shows after compared, then
verification polled until it passes (OSPFv3 Full towards the neighbours already done, their
loopback routes, iBGP to the route reflectors, ping6 to those loopbacks), then the config compared
once more. The differences are the orchestration:

- govctl: one process; canary, then one batch per tier, `--parallel` devices at a time in threads;
  push and verify of a device in one session;
- the playbook: one play per tier (`serial`, whole tier), `--parallel` forks; per device two module
  runs (push, then verify: each a Python process that loads the run's pickled context and opens
  its own SSH session), a tier's verify task starting once all its devices are pushed; Ansible's
  own per-task, per-host work in between.

Both start from the same IPv4-only lab (govctl's push is rolled back with `govctl net rollback`
and the LSDB left to settle before the playbook runs) with the same parallelism bound.

    python benchmarks/net_bench.py [--inventory inventories/guangdong] [--routers 60] [--parallel 48]
                                   [--no-lab] [--no-ansible]
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]


def render_rows(directory: Path) -> list[tuple[str, str, str]]:
    from govctl.inventory.validate import load_valid
    from govctl.ipv6.planner import plan
    from govctl.network.intent import build
    from govctl.network.render import render

    t0 = time.perf_counter()
    inv = load_valid(directory).inventory
    t1 = time.perf_counter()
    p = plan(inv)
    t2 = time.perf_counter()
    intents = build(inv, p)
    t3 = time.perf_counter()
    configs = {n: render(i) for n, i in intents.items()}
    t4 = time.perf_counter()
    lines = sum(c.text.count("\n") for c in configs.values())
    n = len(configs)
    return [
        ("load + validate inventory", f"{t1 - t0:.2f} s", f"{len(inv.nodes)} nodes, {len(inv.links)} links"),
        ("IPv6 plan", f"{t2 - t1:.2f} s", f"{len(p.allocations)} allocations"),
        ("intent (all devices)", f"{t3 - t2:.2f} s", ""),
        ("render (all devices)", f"{t4 - t3:.2f} s", f"{n} configs, {lines:,} lines"),
        ("intent + render", f"{t4 - t2:.2f} s", "target < 5 s: " + ("met" if t4 - t2 < 5 else "MISSED")),
    ]


def lab_rows(directory: Path, routers: int, parallel: int, console: Console,
             ansible: bool = True) -> list[tuple[str, str, str]]:
    from govctl.inventory.validate import load_valid
    from govctl.ipv6.planner import plan as ipv6_plan
    from govctl.network.drivers.registry import driver_for
    from govctl.network.journal import Journal, new_run_id
    from govctl.labs.routers import runner
    from govctl.labs.routers.baseline import render as render_baseline
    from govctl.labs.routers.topology import build_topology
    from govctl.network.models import LabState, PushPolicy
    from govctl.network.push import Rollout, rollback_run
    from govctl.network.workflow import lab_options, load

    rows: list[tuple[str, str, str]] = []
    inv = load_valid(directory).inventory
    plan = ipv6_plan(inv)
    topo = build_topology(inv, plan, routers)
    probe = LabState(inventory="", name=inv.name, directory="", bridge="", bridge_address="", prefix="", nodes=[],
                     links=[], created_dirs=[], started=0, ipv4_links=topo.ipv4_links,
                     ipv4_loopbacks=topo.ipv4_loopbacks, ipv4_unnumbered=topo.ipv4_unnumbered)
    baseline = render_baseline(topo, plan, lab_options(probe, "ipv4"))  # today's IPv4 network
    t0 = time.monotonic()
    runner.up(inv, plan, baseline, directory, routers)
    rows.append(("lab up", f"{time.monotonic() - t0:.1f} s", f"{len(topo.nodes)} routers, {len(topo.links)} links"))
    try:
        ctx = load(directory, lab=True)

        def settle() -> None:  # the rolled-back IPv6 LSAs age out before the next run starts
            deadline = time.monotonic() + 180
            while sum(runner.ospf_maxage(inv.name).values()) and time.monotonic() < deadline:
                time.sleep(2)

        # the same push without preparing the next batch ahead, then rolled back: side by side
        console.print("pushing with govctl, --no-prefetch ...")
        journal = Journal(new_run_id())
        t0 = time.monotonic()
        serial = Rollout(ctx.intents, ctx.configs(), ctx.targets, driver_for, journal,
                         PushPolicy(parallel=parallel, verify_timeout=90, prefetch=False), "frr").run(list(ctx.intents))
        push_serial = time.monotonic() - t0
        rows.append(("govctl net push --no-prefetch", f"{push_serial:.1f} s", f"{serial.counts()}"))
        rollback_run(journal, ctx.targets, driver_for, parallel=parallel)
        settle()
        journal = Journal(new_run_id())
        console.print("pushing with govctl ...")
        t0, cpu0 = time.monotonic(), time.process_time()
        result = Rollout(ctx.intents, ctx.configs(), ctx.targets, driver_for, journal,
                         PushPolicy(parallel=parallel, verify_timeout=90), "frr").run(list(ctx.intents))
        push, push_cpu = time.monotonic() - t0, time.process_time() - cpu0
        slowest = max(result.results, key=lambda r: r.seconds)
        rows.append(("govctl net push (next batch prepared ahead)", f"{push:.1f} s", f"{result.counts()}"))
        rows.append(("  prefetch / no prefetch", f"{push / push_serial:.2f}x", "wall time; target <= 0.75x"))
        rows.append(("  govctl's own CPU", f"{push_cpu:.1f} s", "the rest is the routers (frr-reload, vtysh, "
                                                              "sshd) on the same cores"))
        rows.append(("slowest single device", f"{slowest.seconds:.1f} s", slowest.node))
        for bi, seconds in enumerate(result.batch_seconds):
            members = [r for r in result.results if r.batch == bi and r.seconds]
            worst = max((r.seconds for r in members), default=0.0)
            ratio = seconds / worst if worst else 0.0
            rows.append((f"  batch {bi} ({len(members)} devices)", f"{seconds:.1f} s",
                         f"slowest device {worst:.1f} s, ratio {ratio:.2f} (target <= 2)"))
        for name, (avg, worst) in phases(journal).items():
            rows.append((f"  per device: {name}", f"{avg:.2f} s", f"average; slowest {worst:.2f} s"))
        console.print("rolling back to IPv4-only for the Ansible run ...")
        t0 = time.monotonic()
        rollback_run(journal, ctx.targets, driver_for, parallel=parallel)
        rows.append(("govctl net rollback", f"{time.monotonic() - t0:.1f} s", "back to the IPv4-only baseline"))
        if not ansible:
            return rows
        settle()
        console.print("running ansible-playbook ...")
        env = {**os.environ, "GOVCTL_LAB": "1", "ANSIBLE_FORKS": str(parallel)}
        t0 = time.monotonic()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(["ansible-playbook", "-i", str(directory), "playbooks/ipv6-rollout.yml"],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        play = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # children's CPU includes the module processes and, through them, nothing on the routers
        play_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        recap = proc.stdout[proc.stdout.rfind("PLAY RECAP"):].strip().splitlines()
        failed = [line for line in recap[1:] if "failed=0" not in line]
        rows.append(("ansible-playbook ipv6-rollout.yml", f"{play:.1f} s",
                     f"rc {proc.returncode}, {len(recap) - 1} hosts, {len(failed)} failed"))
        rows.append(("  Ansible's own CPU", f"{play_cpu:.1f} s", "ansible-playbook, forks and module runs"))
        rows.append(("govctl speed-up over the playbook", f"{play / push:.1f}x", "wall time; target >= 4x"))
        rows.append(("govctl CPU saving over the playbook", f"{play_cpu / max(push_cpu, 0.01):.1f}x",
                     "orchestrator CPU only; target >= 30x"))
    finally:
        state = runner.load_state(inv.name)
        runner.down(inv.name)
        rows.append(("lab down", "", leftovers(state)))
    return rows


def phases(journal: object) -> dict[str, tuple[float, float]]:
    """Per changed device, the time between journaled steps: where a device's push goes."""
    names = {"compared": "compare (read running, diff)", "saved": "save running config",
             "committed": "commit (apply, re-read)", "verified": "verify (convergence, checks)",
             "result": "close"}
    at: dict[str, dict[str, float]] = {}
    for step in journal.steps():  # type: ignore[attr-defined]
        if step.node:
            at.setdefault(step.node, {}).setdefault(step.step, step.ts)
    spans: dict[str, list[float]] = {}
    for steps in at.values():
        prev = steps.get("start")
        for key in names:
            if prev is not None and key in steps:
                spans.setdefault(names[key], []).append(steps[key] - prev)
                prev = steps[key]
    return {k: (sum(v) / len(v), max(v)) for k, v in spans.items()}


def leftovers(state: object) -> str:
    """What `govctl lab down` left behind of what the lab created: namespaces, links, processes, dirs."""
    names = {n.netns for n in state.nodes}  # type: ignore[attr-defined]
    netns = set(subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split())
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    left = [f"netns {n}" for n in sorted(names & netns)]
    left += [f"link {n}" for n in state.root_links + [state.bridge]  # type: ignore[attr-defined]
             if n and (f" {n}@" in links or f" {n}:" in links)]
    left += [f"dir {d}" for d in state.created_dirs + [state.directory] if Path(d).exists()]  # type: ignore[attr-defined]
    procs = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if any(f"-N {n} " in cmd + " " or f"/{n}/sshd_config" in cmd or f"labshell.sh {n} " in cmd + " "
                   for n in names):
                procs.append(proc.name)
    left += [f"process {p}" for p in procs]
    return "nothing left behind" if not left else "LEFT BEHIND: " + ", ".join(left[:8])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inventory", type=Path, default=ROOT / "inventories" / "guangdong")
    ap.add_argument("--routers", type=int, default=60)
    ap.add_argument("--parallel", type=int, default=48,
                    help="Devices at a time: govctl's --parallel and Ansible's forks alike.")
    ap.add_argument("--no-lab", action="store_true", help="Only the rendering benchmark.")
    ap.add_argument("--no-ansible", action="store_true", help="Lab pushes without the ansible-playbook run.")
    args = ap.parse_args()
    console = Console()
    os.environ.setdefault("GOVCTL_STATE_DIR", tempfile.mkdtemp(prefix="govctl-bench-"))
    table = Table("measure", "time", "notes", title=f"net_bench: {args.inventory.name}", title_justify="left")
    for row in render_rows(args.inventory):
        table.add_row(*row)
    if not args.no_lab:
        if os.geteuid() != 0 or not Path("/usr/lib/frr/zebra").exists():
            table.add_row("lab push", "skipped", "needs root and frr, frr-pythontools, openssh-server")
        else:
            for row in lab_rows(args.inventory, args.routers, args.parallel, console, not args.no_ansible):
                table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
