"""Has the lab's network of today (the IPv4 baseline) converged? Read on every router, locally.

Converged means what a network engineer checks before a change window opens: every lab link has its
OSPFv2 adjacency Full at both ends (a router listing only the neighbours it has, all Full, is not
enough: a link whose adjacency never started shows no neighbour at all), and every iBGP IPv4 session
of every router is Established. The probes' zero-loss goal means nothing on a network that has not.
"""
from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from govctl.network.platforms.frr.driver import json_documents
from govctl.network.errors import LabError
from govctl.network.models import LabNode, LabState

COMMANDS = ("show ip ospf neighbor json", "show bgp ipv4 unicast summary json")


def _full(neighbors: object) -> int:
    """OSPFv2 neighbours in state Full (FRR 8.4: router id -> list of adjacencies)."""
    if not isinstance(neighbors, dict):
        return 0
    return sum(1 for adj in neighbors.values() if isinstance(adj, list)
               for a in adj if str(a.get("state", "")).startswith("Full"))


def problem(node: LabNode, timeout: float = 20) -> str:
    """What is not converged on ``node`` ("" when nothing)."""
    args = ["ip", "netns", "exec", node.netns, "vtysh", "-N", node.pathspace]
    for c in COMMANDS:
        args += ["-c", c]
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=timeout).stdout
        ospf, bgp = (json_documents(out) + [{}, {}])[:2]
    except (subprocess.TimeoutExpired, json.JSONDecodeError, OSError) as exc:
        return f"unreadable ({type(exc).__name__})"
    wanted = len(node.ports)
    full = _full(ospf.get("neighbors") if isinstance(ospf, dict) else None)
    issues = []
    if full < wanted:
        issues.append(f"OSPFv2 {full}/{wanted} links Full")
    peers = bgp.get("peers", {}) if isinstance(bgp, dict) else {}
    down = sorted(a for a, p in peers.items() if p.get("state") != "Established")
    if not peers:
        issues.append("no iBGP IPv4 session")
    elif down:
        issues.append(f"iBGP IPv4 not Established: {', '.join(down[:3])}" + (f" (+{len(down) - 3})"
                                                                            if len(down) > 3 else ""))
    return "; ".join(issues)


def unconverged(state: LabState, workers: int = 16) -> dict[str, str]:
    """Router -> what is not converged there; empty when the whole lab has converged."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        found = dict(zip((n.node for n in state.nodes), pool.map(problem, state.nodes)))
    return {n: p for n, p in found.items() if p}


def wait_converged(state: LabState, timeout: float = 180, interval: float = 1.0,
                   on_pass: Callable[[int], None] | None = None) -> float:
    """Seconds until the lab had converged (``on_pass(routers not yet converged)`` after each pass);
    LabError naming the routers still unconverged when ``timeout`` runs out."""
    t0 = time.monotonic()
    while True:
        left = unconverged(state)
        if on_pass is not None:
            on_pass(len(left))
        if not left:
            return time.monotonic() - t0
        if time.monotonic() - t0 >= timeout:
            shown = "; ".join(f"{n}: {p}" for n, p in sorted(left.items())[:5])
            raise LabError(f"the lab's IPv4 network had not converged after {timeout:.0f} s on {len(left)} of "
                           f"{len(state.nodes)} routers: {shown}" + (" ..." if len(left) > 5 else ""))
        time.sleep(interval)
