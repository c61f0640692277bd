"""What users feel during the IPv6 rollout on a 60-router lab (issue 14, item 3), one command:

lab up (today's IPv4 network: OSPFv2, iBGP IPv4, departments' prefixes at the edges), wait until every
edge routes to every other edge's departments, then `govctl net push --lab` and `govctl net rollback
--lab` exactly as an operator runs them, each with its probes (IPv4 and IPv6 datagrams every 10 ms
between edge routers). Prints per phase and flow: sent, lost, longest gap (targets: no IPv4 packet
lost in the push or the rollback). The lab test (tests/labs/routers/test_net_probes_lab.py) asserts the
same on 8 routers in CI; this is the issue's 60-router measurement, too slow for CI on two cores.

The inventory is copied under the name 'probebench' with its own management /64 (2001:db8:fff5::/64),
so it runs beside any other lab; the lab is always taken down.

    sudo python benchmarks/net_probe_bench.py [--inventory inventories/guangdong] [--routers 60]
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
NAME = "probebench"


def govctl(*args: str) -> dict:  # type: ignore[type-arg]
    from govctl.cli import app

    result = CliRunner().invoke(app, [*args, "--json"])
    if result.exit_code != 0:
        raise SystemExit(f"govctl {' '.join(args)} exited {result.exit_code}: {result.output[-2000:]}")
    return dict(json.loads(result.stdout))


def ipv4_missing(netns: dict[str, str], depts: dict[str, str]) -> int:
    missing = 0
    for node in depts:
        out = subprocess.run(["ip", "netns", "exec", netns[node], "vtysh", "-N", netns[node], "-c",
                              "show ip route json"], capture_output=True, text=True, timeout=30).stdout
        routes = json.loads(out or "{}")
        for other, prefix in depts.items():
            net = str(ipaddress.ip_interface(prefix).network)
            if other != node and not any(r.get("installed") for r in routes.get(net, [])):
                missing += 1
    return missing


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inventory", type=Path, default=ROOT / "inventories" / "guangdong")
    ap.add_argument("--routers", type=int, default=60)
    args = ap.parse_args()
    console = Console(width=max(Console().width, 150))
    if os.geteuid() != 0 or not Path("/usr/lib/frr/ospfd").exists():
        raise SystemExit("needs root and frr, frr-pythontools, openssh-server")
    work = Path(tempfile.mkdtemp(prefix="govctl-probe-bench-"))
    os.environ["GOVCTL_LAB_DIR"], os.environ["GOVCTL_STATE_DIR"] = str(work / "lab"), str(work / "state")
    inventory = work / NAME
    shutil.copytree(args.inventory, inventory)
    for name in ("ipv6.yaml", "ipv6-allocations.yaml"):
        p = inventory / name
        if p.exists():
            p.write_text(p.read_text().replace("2001:db8:fffd:", "2001:db8:fff5:"))
    table = Table("phase", "flow", "sent", "lost", "longest gap ms", "notes",
                  title=f"net_probe_bench: {args.inventory.name}, {args.routers} routers", title_justify="left")
    from govctl.labs.routers import runner

    try:
        t0 = time.monotonic()
        up = govctl("lab", "up", str(inventory), "--max-nodes", str(args.routers))
        state = runner.load_state(NAME)
        netns = {n.node: n.netns for n in state.nodes}
        depts = runner.edge_prefixes(state)
        deadline = time.monotonic() + 180
        while (missing := ipv4_missing(netns, depts)) and time.monotonic() < deadline:
            time.sleep(1)
        table.add_row("lab up + IPv4 converged", "", "", "", "", f"{time.monotonic() - t0:.1f} s, {up['routers']} "
                      f"routers, {len(depts)} edges, {missing} edge routes missing")
        for phase, run in (("push", None), ("rollback", "")):
            console.print(f"{phase} ...")
            t0 = time.monotonic()
            if run is None:
                result = govctl("net", "push", str(inventory), "--lab", "--verify-timeout", "120")
                rollout = result["run_id"]
                notes = f"{result['counts']}"
            else:
                result = govctl("net", "rollback", rollout, str(inventory), "--lab")
                notes = f"{len(result['results'])} routers rolled back"
            seconds = time.monotonic() - t0
            for i, f in enumerate(result.get("probes", [])):
                target = "target 0" if f["family"] == "ipv4" else ""
                table.add_row(f"{phase} ({seconds:.1f} s)" if i == 0 else "", f["name"], str(f["sent"]),
                              str(f["lost"]), f"{f['longest_gap_ms']:.0f}", target if i else f"{notes}; {target}")
    finally:
        runner.down(NAME)
        shutil.rmtree(work, ignore_errors=True)
    console.print(table)


if __name__ == "__main__":
    main()
