"""Verification through the driver's getters: is the device (and the network) what the intent says?

Per device, right after a commit, only what can already hold is checked: the config is what was
pushed, the addresses are up, and adjacencies/routes/pings toward neighbours that already run the
new intent ("ready"). The network-wide ``verify`` checks everything: every OSPFv3 adjacency Full,
a route to every loopback, iBGP sessions to the route reflectors, ping6 between every pair of
loopbacks.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from govctl.core.errors import GovctlError

from govctl.network.drivers.base import DeviceDriver
from govctl.network.models import Check, DeviceIntent, DeviceResult, Status
from govctl.network.render import port_name


def _addr(v: str | None) -> str:
    return (v or "").split("/")[0]


def device_checks(driver: DeviceDriver, intent: DeviceIntent, intents: dict[str, DeviceIntent],
                  ready: set[str], platform: str, *, everything: bool = False,
                  all_loopbacks: bool = False, stop_early: bool = False) -> list[Check]:
    """One pass of checks (no waiting). ``everything``: treat all intended neighbours as ready.
    ``stop_early``: return at the first failing check (polling: later checks cannot pass yet, and
    each costs a round trip to a device that is busy converging)."""
    checks: list[Check] = []
    want_ready = set(intents) if everything else ready
    refresh = getattr(driver, "refresh", None)
    if refresh is not None:
        refresh()  # a driver that can read every getter's source in one round trip does it here
    ips = driver.get_interfaces_ip()
    missing = []
    for itf in intent.interfaces:
        name = port_name(platform, itf.port)
        have = ips.get(name, {}).get("ipv6", [])
        if itf.ipv6 and itf.ipv6 not in have:
            missing.append(f"{name} {itf.ipv6}")
    checks.append(Check("ipv6-addresses", not missing, ", ".join(missing) or
                        f"{sum(1 for i in intent.interfaces if i.ipv6)} present"))
    if stop_early and not checks[-1].ok:
        return checks
    if intent.ospf is None:
        return checks

    nbrs = driver.get_ospfv3_neighbors()
    full_on = {n.interface for n in nbrs if n.state == "Full"}
    expect = [(itf, port_name(platform, itf.port)) for itf in intent.links
              if itf.peer in want_ready and itf.ospf_area]
    down = [f"{name} ({itf.peer})" for itf, name in expect if name not in full_on]
    checks.append(Check("ospfv3-full", not down,
                        f"not Full: {', '.join(down)}" if down else f"{len(expect)} Full"))
    if stop_early and not checks[-1].ok:
        return checks

    routes = driver.get_ipv6_routes()
    peers = sorted({itf.peer for itf, _ in expect if itf.peer})
    targets = [n for n in intents if n != intent.node] if all_loopbacks else peers
    want = {n: _addr(intents[n].loopback.ipv6) for n in targets if n in intents and intents[n].loopback.ipv6}
    no_route = [n for n, a in want.items() if f"{a}/128" not in routes]
    checks.append(Check("ipv6-routes", not no_route,
                        f"no route to loopback of {', '.join(no_route[:5])}"
                        + (f" (+{len(no_route) - 5})" if len(no_route) > 5 else "") if no_route
                        else f"{len(want)} loopbacks routed"))
    if stop_early and not checks[-1].ok:
        return checks

    if intent.bgp is not None:
        by_loopback = {_addr(i.loopback.ipv6): n for n, i in intents.items()}
        sessions = {b.address: b.state for b in driver.get_bgp_neighbors()}
        rr = [p for p in intent.bgp.peers if by_loopback.get(p.address) in want_ready]
        not_up = [f"{p.address} ({sessions.get(p.address, 'absent')})" for p in rr
                  if sessions.get(p.address) != "Established"]
        checks.append(Check("bgp-sessions", not not_up,
                            f"not Established: {', '.join(not_up[:4])}" if not_up else f"{len(rr)} Established"))
        if stop_early and not checks[-1].ok:
            return checks

    if want and not no_route:
        result = driver.ping(_addr(intent.loopback.ipv6), list(want.values()))
        lost = [n for n, a in want.items() if not result.get(a)]
        checks.append(Check("ping6-loopbacks", not lost,
                            f"no reply from {', '.join(lost[:5])}" if lost else f"{len(want)} reachable"))
    elif want:
        checks.append(Check("ping6-loopbacks", False, "skipped: routes missing"))
    return checks


def wait_checks(run: Callable[[bool], list[Check]], timeout: float, interval: float = 0.3) -> list[Check]:
    """Poll the checks (stopping at the first failure) until all pass or ``timeout`` runs out; then
    one complete pass, so the report names every check that still fails."""
    deadline = time.monotonic() + timeout
    while True:
        checks = run(True)
        if all(c.ok for c in checks):
            return checks
        if time.monotonic() >= deadline:
            return run(False)
        time.sleep(interval)
        # a pass is one round trip (drivers with ``refresh``): at most 1.5 s late on a network that
        # converges in a few seconds, without a flood of polls from a whole batch
        interval = min(interval * 1.5, 1.5)


def verify_network(ctx: object, nodes: list[str], parallel: int, timeout: float) -> list[DeviceResult]:
    """Every check on every selected device, waiting up to ``timeout`` for convergence."""
    from govctl.network.drivers.credentials import preflight
    from govctl.network.drivers.registry import driver_for

    intents: dict[str, DeviceIntent] = ctx.intents  # type: ignore[attr-defined]
    platform: str | None = ctx.platform  # type: ignore[attr-defined]
    targets = ctx.targets  # type: ignore[attr-defined]
    preflight(targets[n] for n in nodes)

    def one(node: str) -> DeviceResult:
        t0 = time.monotonic()
        try:
            driver = driver_for(targets[node])
            driver.open()
            try:
                checks = wait_checks(lambda early: device_checks(
                    driver, intents[node], intents, set(intents), platform or intents[node].platform,
                    everything=True, all_loopbacks=True, stop_early=early), timeout)
            finally:
                driver.close()
        except GovctlError as exc:
            return DeviceResult(node, Status.failed, error=str(exc), seconds=round(time.monotonic() - t0, 3))
        status = Status.verified if all(c.ok for c in checks) else Status.failed
        return DeviceResult(node, status, checks=checks, seconds=round(time.monotonic() - t0, 3))

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return list(pool.map(one, nodes))
