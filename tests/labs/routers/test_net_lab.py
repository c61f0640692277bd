"""The IPv6 rollout on a live lab: FRR routers in network namespaces, SSH over a lab-only bridge.

One module-scoped lab (the frozen example: 22 routers, IPv4-only), then in order: a push in which one
router gets a config that cannot verify and another loses management right after its commit; both
end on their exact previous config while every other router runs the new one, and the journal tells
the story. A clean push completes the rollout, `net verify` proves OSPFv3 Full, routes and ping6
between every pair of loopbacks, a third push changes nothing, and `net rollback` undoes a run.
The lab is removed even when a test fails (processes by pid file, namespaces, bridge, files).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from capabilities import need_router_lab
from net_helpers import FIXTURE, lab_vtysh, router_lab_env
from typer.testing import CliRunner

pytestmark = pytest.mark.lab

NEEDS = ["/usr/lib/frr/zebra", "/usr/lib/frr/frr-reload.py", "/usr/sbin/sshd", "/usr/bin/ping"]
BAD_CONFIG = "alpha-west-town03-r1"  # gets a wrong OSPFv3 area: its adjacency can never come up
CUT_OFF = "beta-north-town02-r1"  # loses its management link right after the commit
REVERT_IN = 40




def _govctl(*args: str) -> tuple[int, str]:
    from govctl.cli import app

    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    need_router_lab(NEEDS)
    root = tmp_path_factory.mktemp("lab")
    inventory = root / "extranet"
    shutil.copytree(FIXTURE, inventory)
    with router_lab_env(root, "extranet"):
        t0 = time.monotonic()
        code, out = _govctl("lab", "up", str(inventory), "--json")
        assert code == 0, out
        info = json.loads(out)
        info["up_seconds"] = time.monotonic() - t0
        info["inventory"] = str(inventory)
        yield info


def _context(lab: dict[str, object]):  # noqa: ANN202
    from govctl.network.workflow import load

    return load(Path(str(lab["inventory"])), lab=True)


def _driver(ctx, node: str):  # noqa: ANN001,ANN202
    from govctl.network.platforms.frr.driver import FrrDriver

    d = FrrDriver(ctx.targets[node], timeout=10)
    d.open()
    return d


def test_lab_starts_as_todays_ipv4_only_network(lab: dict[str, object]) -> None:
    assert lab["routers"] == 22 and lab["links"] == 32
    code, out = _govctl("lab", "status", str(lab["inventory"]), "--json")
    assert code == 0
    rows = json.loads(out)
    assert all(r["daemons"] == ["bgpd", "ospf6d", "ospfd", "sshd", "staticd", "zebra"] for r in rows)
    ctx = _context(lab)
    d = _driver(ctx, "alpha-r1")
    try:
        running = d.get_config()
        assert "ip address 198.51.100." in running and "ipv6" not in running
        assert d.get_facts()["hostname"] == "alpha-r1"
    finally:
        d.close()
    # bad input meets real devices: each is a per-device error and the device stays as it was
    from dataclasses import replace

    from govctl.network.platforms.frr.driver import FrrDriver
    from govctl.network.errors import DeviceError

    target = ctx.targets["alpha-r1"]
    stranger = Path(str(lab["inventory"])).parent / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    with pytest.raises(DeviceError, match="authentication failed"):
        FrrDriver(replace(target, credentials=f"file:{stranger}")).open()
    empty = stranger.with_suffix(".known_hosts")
    empty.write_text("")
    with pytest.raises(DeviceError, match="not found in known_hosts"):
        FrrDriver(replace(target, known_hosts=str(empty))).open()
    with pytest.raises(DeviceError, match="unreachable"):
        FrrDriver(replace(target, host=ctx.lab.unused_address)).open()
    d = _driver(ctx, "alpha-r1")
    try:
        d.load_replace_candidate(running + "interface eth1\n ipv6 ospf6 bogus-knob\nexit\n")
        with pytest.raises(DeviceError, match="alpha-r1: load: candidate rejected"):
            d.compare_config()
        assert d.get_config() == running
    finally:
        d.close()
    code, out = _govctl("net", "diff", str(lab["inventory"]), "--lab", "--json", "--detailed-exitcode")
    assert code == 3  # changes present
    assert json.loads(out)["counts"] == {"would-change": 22}


def test_push_rolls_back_exactly_the_devices_that_fail(lab: dict[str, object]) -> None:
    from govctl.network.platforms.frr.driver import FrrDriver
    from govctl.network.journal import Journal, new_run_id
    from govctl.network.models import PushPolicy, Status
    from govctl.network.push import Rollout

    ctx = _context(lab)
    configs = ctx.configs()
    # a config the router accepts but that can never verify: its uplink in the wrong area
    configs[BAD_CONFIG] = configs[BAD_CONFIG].replace("ipv6 ospf6 area 0.0.0.1", "ipv6 ospf6 area 0.0.0.9")
    netns = {n.node: n.netns for n in ctx.lab.nodes}

    def cut_management(node: str, step: str) -> None:
        if node == CUT_OFF and step == "committed":
            subprocess.run(["ip", "-n", netns[node], "link", "set", "mgmt0", "down"], check=True)

    before = {}
    for node in (BAD_CONFIG, CUT_OFF):
        d = _driver(ctx, node)
        before[node] = d.get_config()
        d.close()
    journal = Journal(new_run_id())
    rollout = Rollout(ctx.intents, configs, ctx.targets, lambda t: FrrDriver(t, timeout=15), journal,
                      PushPolicy(parallel=10, verify_timeout=20, max_fail_share=0.5), "frr",
                      hook=cut_management, revert_in=REVERT_IN)
    t0 = time.monotonic()
    result = rollout.run(list(ctx.intents))
    lab["push_seconds"] = time.monotonic() - t0
    status = {r.node: r for r in result.results}
    assert status[BAD_CONFIG].status == Status.rolled_back, status[BAD_CONFIG]
    assert "ospfv3-full" in status[BAD_CONFIG].error
    assert status[CUT_OFF].status == Status.rollback_failed
    assert f"restores its previous config itself within {REVERT_IN} s" in status[CUT_OFF].error
    others = [n for n in ctx.intents if n not in (BAD_CONFIG, CUT_OFF)]
    assert all(status[n].status == Status.changed for n in others), [
        (n, status[n].status, status[n].error) for n in others if status[n].status != Status.changed]

    # the broken router is back on its exact previous config
    d = _driver(ctx, BAD_CONFIG)
    try:
        assert d.get_config() == before[BAD_CONFIG] == journal.before(BAD_CONFIG)
    finally:
        d.close()
    # the cut-off router restores itself (commit-confirm) once its timer runs out
    subprocess.run(["ip", "-n", netns[CUT_OFF], "link", "set", "mgmt0", "up"], check=True)
    deadline = time.monotonic() + REVERT_IN + 30
    restored = False
    while time.monotonic() < deadline and not restored:
        time.sleep(2)
        try:
            d = _driver(ctx, CUT_OFF)
            restored = d.get_config() == before[CUT_OFF]
            d.close()
        except Exception:  # noqa: BLE001 - the router may still be busy reverting
            continue
    assert restored, "the cut-off router did not restore its previous config"
    # FRR 8.4: a router re-added before its flushed (MaxAge) LSAs are gone everywhere can stay
    # unflooded; an operator waits for the LSDB to settle before pushing again, and so do we
    from govctl.labs.routers import runner

    deadline = time.monotonic() + 120
    while sum(runner.ospf_maxage("extranet").values()) and time.monotonic() < deadline:
        time.sleep(2)
    # everyone else runs the new config
    d = _driver(ctx, "alpha-west-r1")
    try:
        d.load_replace_candidate(configs["alpha-west-r1"])
        assert d.compare_config() == ""
    finally:
        d.close()
    steps = {n: [s.step for s in journal.steps() if s.node == n] for n in (BAD_CONFIG, CUT_OFF)}
    assert steps[BAD_CONFIG][-3:] == ["verify-failed", "rolled-back", "result"]
    assert "committed" in steps[CUT_OFF] and "rollback-failed" in steps[CUT_OFF]


def test_second_push_completes_and_verify_proves_the_network(lab: dict[str, object]) -> None:
    inv = str(lab["inventory"])
    code, out = _govctl("net", "push", inv, "--lab", "--json", "--verify-timeout", "40")
    assert code == 0, out
    run = json.loads(out)
    assert run["counts"] == {"changed": 2, "unchanged": 20}, run["counts"]
    lab["run_id"] = run["run_id"]
    code, out = _govctl("net", "verify", inv, "--lab", "--json", "--timeout", "60")
    assert code == 0, out
    report = json.loads(out)
    assert report["failed"] == []
    for r in report["results"]:
        checks = {c["name"]: c for c in r["checks"]}
        assert checks["ospfv3-full"]["ok"] and checks["ipv6-routes"]["ok"] and checks["bgp-sessions"]["ok"]
        assert checks["ping6-loopbacks"]["detail"] == "21 reachable"  # every other loopback
    _network_as_the_routers_tell_it(lab)


def _network_as_the_routers_tell_it(lab: dict[str, object]) -> None:
    """The same claims as `net verify`, read from the routers with vtysh and ping and parsed here, with
    expectations that do not come from govctl's intent: each router's loopback as its own config has it,
    one OSPFv3 adjacency per inventory link, every BGP peer a router has Established."""
    ctx = _context(lab)
    netns = {n.node: n.netns for n in ctx.lab.nodes}
    from govctl.inventory.validate import load_valid

    inventory = load_valid(Path(str(lab["inventory"]))).inventory  # the lab runs all of it (no --max-nodes)
    assert len(netns) == len(inventory.nodes)
    links = Counter(end for link in inventory.links for end in (link.a, link.b))
    loopbacks = {}
    for node, ns in netns.items():
        config = lab_vtysh(ns, "show running-config")
        block = config.split("\ninterface lo\n", 1)[1].split("\nexit", 1)[0]
        (loopbacks[node],) = re.findall(r"^ ipv6 address ([0-9a-f:]+)/128$", block, re.M)
    assert len(set(loopbacks.values())) == len(netns) == 22
    for node, ns in netns.items():
        ospf6 = json.loads(lab_vtysh(ns, "show ipv6 ospf6 neighbor json"))["neighbors"]
        assert [n["state"] for n in ospf6] == ["Full"] * links[node], (node, ospf6)
        routes = json.loads(lab_vtysh(ns, "show ipv6 route json"))
        missing = [o for o, addr in loopbacks.items() if o != node and f"{addr}/128" not in routes]
        assert not missing, f"{node} has no route to the loopbacks of {missing}"
        peers = json.loads(lab_vtysh(ns, "show bgp ipv6 unicast summary json")).get("peers", {})
        assert peers and {p["state"] for p in peers.values()} == {"Established"}, (node, peers)
    source = "alpha-r1"  # and the routes carry packets: from one router to every other loopback
    for other, addr in loopbacks.items():
        if other != source:
            ping = subprocess.run(["ip", "netns", "exec", netns[source], "ping", "-6", "-c", "1", "-W", "5", "-I",
                                   loopbacks[source], addr], capture_output=True, text=True, timeout=30)
            assert ping.returncode == 0, f"{source} -> {other} ({addr}): {ping.stdout}{ping.stderr}"


def test_third_push_changes_nothing_and_rollback_undoes_a_run(lab: dict[str, object]) -> None:
    inv = str(lab["inventory"])
    code, out = _govctl("net", "push", inv, "--lab", "--json")
    assert code == 0, out
    assert json.loads(out)["counts"] == {"unchanged": 22}
    code, out = _govctl("net", "rollback", str(lab["run_id"]), inv, "--lab", "--json")
    assert code == 0, out
    undone = json.loads(out)["results"]
    assert sorted(r["node"] for r in undone) == sorted([BAD_CONFIG, CUT_OFF])
    ctx = _context(lab)
    d = _driver(ctx, BAD_CONFIG)
    try:
        assert "ipv6" not in d.get_config()
    finally:
        d.close()
