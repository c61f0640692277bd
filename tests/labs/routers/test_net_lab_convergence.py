"""The lab's network of today converges on every link, and `govctl lab up` says when (real FRR).

Guangdong's first 26 routers: each province core has 25 links. Linux lets one socket join 20
multicast groups by default, and ospfd joins AllSPFRouters on every interface through one socket, so
before the lab raised that limit a core's 21st and later links never formed an OSPFv2 adjacency, and
the old check (every neighbour a router lists is Full) passed anyway: such a link lists none.
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from capabilities import need_router_lab
from net_helpers import router_lab_env

pytestmark = pytest.mark.lab
ROOT = Path(__file__).resolve().parents[3]
GUANGDONG = ROOT / "inventories" / "guangdong"

need_router_lab(["/usr/lib/frr/ospfd", "/usr/sbin/sshd"], module_level=True)


def _govctl(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from govctl.cli import main; main()", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    with router_lab_env(tmp_path_factory.mktemp("convergence"), "guangdong") as env:
        r = _govctl("lab", "up", str(GUANGDONG), "--max-nodes", "26", "--json", env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        yield json.loads(r.stdout)


def test_lab_up_returns_once_every_link_and_session_is_up(lab: dict[str, object]) -> None:
    from govctl.labs.routers import runner
    from govctl.labs.routers.convergence import unconverged

    assert lab["routers"] == 26 and lab["converged_seconds"] is not None
    state = runner.load_state("guangdong")
    core = next(n for n in state.nodes if n.node == "gd-core1")
    assert len(core.ports) > 20  # more links than the kernel's default multicast joins per socket
    assert unconverged(state) == {}
    out = subprocess.run(["ip", "netns", "exec", core.netns, "vtysh", "-N", core.pathspace, "-c",
                          "show ip ospf neighbor json"], capture_output=True, text=True, timeout=30).stdout
    full = sum(1 for adj in json.loads(out)["neighbors"].values() for a in adj if a["state"].startswith("Full"))
    assert full == len(core.ports)


def test_a_link_without_adjacency_is_named(lab: dict[str, object]) -> None:
    from govctl.labs.routers import runner
    from govctl.labs.routers.convergence import problem

    state = runner.load_state("guangdong")
    core = next(n for n in state.nodes if n.node == "gd-core1")
    port = max(core.ports)
    itf = core.ports[port]
    subprocess.run(["ip", "-n", core.netns, "link", "set", itf, "down"], check=True, timeout=10)
    try:
        found = problem(core)
        assert f"OSPFv2 {len(core.ports) - 1}/{len(core.ports)} links Full" in found
    finally:
        subprocess.run(["ip", "-n", core.netns, "link", "set", itf, "up"], check=True, timeout=10)
