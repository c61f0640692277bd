"""Ownership on real FRR routers: routers full of configuration govctl does not own (IPv4 BGP with its
own peer, address family and route-map, IPv4 and IPv6 static routes, an access list, IPv4 and IPv6
prefix lists govctl does not name, syslog and vty lines) plus stale lines of govctl's own scope (an
old IPv6 loopback address, an iBGP peer to a retired route reflector, an extra entry of a prefix
list the intent names). `net push --lab` removes exactly the stale lines, every foreign line stays
byte for byte and in its place, IPv4 routing keeps working; between push and rollback an operator adds
a static route (foreign) and a loopback IPv6 address (owned) on every router; `net rollback` gives
govctl's part back: the static route stays byte for byte, the address goes, and every other line is the
config from before, byte for byte, running and startup.

Its own lab: inventory 'ownnet', management /64 2001:db8:fff7::/64, three routers; taken down after.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from capabilities import need_router_lab
from net_helpers import lab_configs, lab_inventory, lab_vtysh, router_lab_env
from typer.testing import CliRunner

pytestmark = pytest.mark.lab

NEEDS = ["/usr/lib/frr/zebra", "/usr/lib/frr/frr-reload.py", "/usr/sbin/sshd"]
ROUTERS = 3


def foreign(asn: int) -> list[str]:
    """What an operator configured on the router, govctl's scope aside (vtysh lines, config mode)."""
    return ["log syslog informational",
            "ip route 203.0.113.0/26 blackhole", "ipv6 route 2001:db8:aaaa::/48 blackhole",
            "access-list EDGE-IN seq 5 permit 198.51.100.0/24",
            "ip prefix-list OPS-V4 seq 5 permit 203.0.113.0/26",
            "ipv6 prefix-list OPS-V6 seq 5 permit 2001:db8:aaaa::/48",
            "route-map OPS-IN permit 10", "set local-preference 200", "exit",
            "line vty", "exec-timeout 10 0", "exit",
            f"router bgp {asn}", "no bgp default ipv4-unicast",
            f"neighbor 198.51.100.250 remote-as {asn + 1}", "neighbor 198.51.100.250 description carrier IPv4",
            "address-family ipv4 unicast", "network 203.0.113.0/26", "neighbor 198.51.100.250 activate",
            "neighbor 198.51.100.250 route-map OPS-IN in", "exit-address-family", "exit"]


def stale(asn: int) -> list[str]:
    """Lines of govctl's own scope the intent does not hold (an earlier rollout's leftovers)."""
    return ["interface lo", "ipv6 address 2001:db8:eeee::8/128", "exit",
            f"router bgp {asn}", f"neighbor 2001:db8:eeee::99 remote-as {asn}",
            "address-family ipv6 unicast", "neighbor 2001:db8:eeee::99 activate", "exit-address-family", "exit",
            "ipv6 prefix-list DEPT-VPN-V6 seq 20 deny 2001:db8:eeee::/48 le 128"]


STALE_MARK = "2001:db8:eeee:"


def _govctl(*args: str) -> tuple[int, str]:
    from govctl.cli import app

    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout + (result.stderr if result.stderr_bytes else "")


class Lab:
    def __init__(self, inventory: Path) -> None:
        self.inventory = inventory
        self.netns: dict[str, str] = {}
        self.before: dict[str, str] = {}

    def vtysh(self, node: str, *commands: str) -> str:
        return lab_vtysh(self.netns[node], *commands)

    def read(self, node: str) -> tuple[str, str]:
        return lab_configs(self.netns[node])


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    need_router_lab(NEEDS)
    root = tmp_path_factory.mktemp("own")
    inventory = lab_inventory(root, "ownnet", "2001:db8:fff7:")
    with router_lab_env(root, "ownnet"):
        from govctl.labs.routers import runner
        from govctl.network.workflow import load

        code, out = _govctl("lab", "up", str(inventory), "--max-nodes", str(ROUTERS), "--json")
        assert code == 0, out
        lab = Lab(inventory)
        lab.netns = {n.node: n.netns for n in runner.load_state("ownnet").nodes}
        ctx = load(inventory, lab=True)
        for node in lab.netns:
            bgp = ctx.intents[node].bgp
            assert bgp is not None
            lab.vtysh(node, "configure terminal", *foreign(bgp.asn), *stale(bgp.asn), "end", "write memory")
            running, startup = lab.read(node)
            assert running == startup
            lab.before[node] = running
        yield lab


def _foreign_lines(config: str) -> list[str]:
    """Every line of ``config`` that is neither a stale line of govctl's scope nor one govctl renders
    over (``description``, ``hostname``, ``bgp router-id``...: a rendered value may replace them)."""
    rendered_keys = ("description ", "hostname ", "bgp router-id ", "timers bgp ")
    return [x for x in config.splitlines()
            if STALE_MARK not in x and not x.strip().startswith(rendered_keys) and x.strip() not in ("!", "exit")]


def _in_order(wanted: list[str], text: str) -> list[str]:
    rest = iter(text.splitlines())
    return [x for x in wanted if not any(x == y for y in rest)]


def test_push_changes_only_govctls_scope_and_rollback_restores_every_byte(lab: Lab) -> None:
    from govctl.network.platforms.frr.driver import FrrDriver
    from govctl.network.workflow import load

    code, out = _govctl("net", "push", str(lab.inventory), "--lab", "--json", "--canary", "0",
                        "--verify-timeout", "40")
    assert code == 0, out
    run: dict[str, Any] = json.loads(out)
    assert run["counts"] == {"changed": ROUTERS}, run["counts"]
    ctx = load(lab.inventory, lab=True)
    for node, before in lab.before.items():
        running, startup = lab.read(node)
        assert running == startup, f"{node}: startup config not saved"
        lost = _in_order(_foreign_lines(before), running)
        assert not lost, f"{node}: foreign lines changed, moved or removed by the push: {lost[:5]}"
        assert STALE_MARK not in running, f"{node}: a stale line of govctl's scope stayed"
        assert "ipv6 ospf6 area" in running and "address-family ipv6 unicast" in running
        # IPv4 routing still there: the static route and the IPv4 BGP network
        routes = json.loads(lab.vtysh(node, "show ip route 203.0.113.0/26 json"))
        assert "203.0.113.0/26" in routes
        assert "network 203.0.113.0/26" in lab.vtysh(node, "show running-config bgpd")
        d = FrrDriver(ctx.targets[node], timeout=15)
        d.open()
        try:
            d.load_replace_candidate(ctx.configs()[node])
            assert d.compare_config() == "", f"{node}: not on its intended scope after the push"
        finally:
            d.close()
    # between push and rollback an operator adds a static route (not govctl's) and an IPv6 address on the
    # loopback (govctl's scope): the rollback keeps the first byte for byte and takes the second away
    added, owned = "ip route 203.0.113.64/26 blackhole", "ipv6 address 2001:db8:ffff:fffe::1/128"
    for node in lab.before:
        lab.vtysh(node, "configure terminal", added, "interface lo", owned, "exit", "end", "write memory")
    code, out = _govctl("net", "rollback", run["run_id"], str(lab.inventory), "--lab", "--json")
    assert code == 0, out
    for node, before in lab.before.items():
        running, startup = lab.read(node)
        assert added in running.splitlines(), f"{node}: the rollback removed a line added after the push"
        assert "2001:db8:ffff:fffe::1" not in running, f"{node}: an owned line added after the push stayed"
        assert [x for x in running.splitlines() if x != added] == before.splitlines(), \
            f"{node}: running config is not the one from before the push (plus the operator's line)"
        assert startup == running, f"{node}: startup config is not the rolled-back running config"
