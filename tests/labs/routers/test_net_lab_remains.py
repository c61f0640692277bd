"""A router lab whose run was killed before `lab down` (its lab directory gone with it) leaves namespaces,
veths and a bridge behind. The next `lab up` of that lab clears dead remains and builds; remains with a live
process in them are another run's lab, which `lab up` refuses and leaves alone."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from capabilities import need_router_lab
from net_helpers import lab_inventory, router_lab_env, wait_for

from govctl.labs.routers.topology import lab_tag

NAME = "remnet"  # the lab's name: beside any other lab module's
NEEDS = ["/usr/lib/frr/zebra", "/usr/lib/frr/frr-reload.py", "/usr/sbin/sshd"]


def _govctl(*args: str) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-c", "from govctl.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.mark.lab
def test_lab_up_clears_a_killed_labs_remains_and_refuses_a_live_one(tmp_path: Path):
    need_router_lab(NEEDS)
    inventory = lab_inventory(tmp_path, NAME, "2001:db8:fff4:")
    tag = lab_tag(NAME)
    dead, live, bridge = f"gl{tag}-000", f"gl{tag}-099", f"govlab-{tag}"
    sleeper = None
    try:
        # what a killed run leaves: a namespace with nothing running in it, its veth, and the bridge
        # holding the lab's management prefix on-link
        _ip("netns", "add", dead)
        _ip("link", "add", f"m{tag}0000", "type", "veth", "peer", "name", "mgmt0", "netns", dead)
        _ip("link", "add", bridge, "type", "bridge")
        _ip("link", "set", bridge, "up")
        _ip("-6", "addr", "add", "2001:db8:fff4::fffe/64", "dev", bridge, "nodad")
        with router_lab_env(tmp_path, NAME):
            code, out = _govctl("lab", "up", str(inventory), "--max-nodes", "2", "--json")
            assert code == 0, out
            code, out = _govctl("lab", "down", str(inventory))
            assert code == 0, out

            _ip("netns", "add", live)
            sleeper = subprocess.Popen(["ip", "netns", "exec", live, "sleep", "300"])
            wait_for(lambda: subprocess.run(["ip", "netns", "pids", live], capture_output=True,
                                            text=True).stdout.strip(), f"a process in {live}")
            code, out = _govctl("lab", "up", str(inventory), "--max-nodes", "2")
            assert code == 1, out
            assert "running here from another lab directory" in out and live in out
            assert live in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
            sleeper.kill()
            sleeper.wait(timeout=30)
            _ip("netns", "del", live)
    finally:
        if sleeper is not None and sleeper.poll() is None:
            sleeper.kill()
            sleeper.wait(timeout=30)
        for ns in (dead, live):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        subprocess.run(["ip", "link", "del", bridge], capture_output=True)
