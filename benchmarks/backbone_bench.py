"""Guangdong's backbone in the router lab, the way a user runs it: one command, one table.

The province core, its 21 cities (two routers each) and the first counties, 143 FRR routers by default
(``--routers``), each step through the real CLI (``govctl ... --json``):

1. ``lab up`` until converged: every lab link's OSPFv2 adjacency Full at both ends and every iBGP IPv4
   session Established (target: under 2 minutes from the start);
2. ``net push --lab``: the IPv6 rollout, canary then tier by tier, every device verified, while probes
   send IPv4 and IPv6 packets between edge prefixes every 10 ms (target: zero IPv4 packets lost);
3. ``net verify --lab``: the whole network checked again from scratch;
4. ``net rollback --lab``: back to IPv4 only, probes again (target: zero IPv4 packets lost);
5. ``lab down``, and what it left behind.

Run as root, alone on the machine if the times are to mean anything (2 cores: the routers, sshd and
govctl share them):

    python benchmarks/backbone_bench.py [--inventory inventories/guangdong] [--routers 143]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]


def govctl(*args: str, timeout: float = 900) -> tuple[float, int, Any, str]:
    """(seconds, exit code, the JSON it printed or None, stderr) of one govctl command."""
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", "from govctl.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    seconds = time.monotonic() - t0
    try:
        data = json.loads(proc.stdout) if proc.stdout.strip() else None
    except json.JSONDecodeError:
        data = None
    return seconds, proc.returncode, data, proc.stderr.strip()[-600:]


def probe_rows(step: str, data: Any) -> list[tuple[str, str, str]]:
    rows = []
    for family in ("ipv4", "ipv6"):
        flows = [p for p in (data or {}).get("probes", []) if p["family"] == family]
        if not flows:
            continue
        lost, sent = sum(p["lost"] for p in flows), sum(p["sent"] for p in flows)
        gap = max(p["longest_gap_ms"] for p in flows)
        target = ("target 0 lost: " + ("met" if lost == 0 else "MISSED")) if family == "ipv4" else \
            "IPv6 exists only once pushed"
        rows.append((f"  {step}: {family} probes", f"{lost} lost", f"{len(flows)} flows, {sent} sent, "
                                                                    f"longest gap {gap:.0f} ms; {target}"))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inventory", default=str(ROOT / "inventories" / "guangdong"))
    ap.add_argument("--routers", type=int, default=143)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("backbone_bench: the router lab needs root", file=sys.stderr)
        return 2
    console = Console()
    rows: list[tuple[str, str, str]] = []
    work = Path(tempfile.mkdtemp(prefix="govctl-backbone-"))
    os.environ.update({"GOVCTL_LAB_DIR": str(work / "lab"), "GOVCTL_STATE_DIR": str(work / "state")})
    inv = args.inventory
    try:
        console.print(f"lab up: {args.routers} routers ...")
        s, rc, up, errs = govctl("lab", "up", inv, "--max-nodes", str(args.routers), "--json")
        if rc != 0 or not up:
            rows.append(("lab up", f"{s:.1f} s", f"FAILED (exit {rc}): {errs}"))
            return 1
        conv = up["converged_seconds"]
        rows.append(("lab up", f"{up['seconds']:.1f} s", f"{up['routers']} routers, {up['links']} links"))
        rows.append(("  up and converged", f"{conv:.1f} s",
                     "OSPFv2 Full on every link, iBGP IPv4 Established; target < 120 s: "
                     + ("met" if conv < 120 else "MISSED")))
        console.print("net push --lab ...")
        s, rc, push, errs = govctl("net", "push", inv, "--lab", "--json")
        counts: dict[str, int] = {}
        for r in (push or {}).get("results", []):
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        rows.append(("net push --lab", f"{s:.1f} s", f"exit {rc}; {counts or errs}"))
        rows += probe_rows("push", push)
        console.print("net verify --lab ...")
        s, rc, verify, errs = govctl("net", "verify", inv, "--lab", "--json")
        rows.append(("net verify --lab", f"{s:.1f} s", f"exit {rc}; {len(verify['results'])} devices, "
                     f"{len(verify['failed'])} failing" if verify else f"exit {rc}: {errs}"))
        if push and push.get("run_id"):
            console.print("net rollback --lab ...")
            s, rc, back, errs = govctl("net", "rollback", push["run_id"], inv, "--lab", "--json")
            rows.append(("net rollback --lab", f"{s:.1f} s", f"exit {rc}" + ("" if back else f": {errs}")))
            rows += probe_rows("rollback", back)
    finally:
        s, rc, _, errs = govctl("lab", "down", inv)
        rows.append(("lab down", f"{s:.1f} s", f"exit {rc}" + (f": {errs}" if rc else "")))
        from govctl.inventory.validate import load_valid
        from govctl.labs.routers.topology import lab_tag

        mine = f"gl{lab_tag(load_valid(Path(inv)).inventory.name)}-"  # this lab's namespaces, not another's
        left = [n for n in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
                if n.startswith(mine)]
        rows.append(("  left behind", "", ", ".join(left[:5]) or "nothing"))
        table = Table(title=f"backbone_bench: {Path(inv).name}, {args.routers} routers")
        for col in ("measure", "value", "notes"):
            table.add_column(col)
        for row in rows:
            table.add_row(*row)
        console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
