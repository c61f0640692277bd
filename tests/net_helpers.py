"""Shared helpers for the network and router-lab tests (tests/network, tests/labs/routers, tests/ansible): a
frozen copy of the example inventory (golden files must not move when the bundled example grows) and an
in-memory device that honours the driver contract. Imported as ``net_helpers`` (tests/ is on sys.path through
tests/conftest.py's rootdir)."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import pytest

from govctl.inventory.validate import load_valid
from govctl.ipv6.planner import plan
from govctl.network.drivers.napalm_adapter import NapalmAdapter
from govctl.network.errors import DeviceError
from govctl.network.intent import build
from govctl.network.models import BgpNeighbor, DeviceIntent, DeviceTarget, OspfNeighbor
from govctl.network.render import port_name
from govctl.network.verify import device_checks

HERE = Path(__file__).resolve().parent / "network"  # its fixtures and golden files
FIXTURE = HERE / "fixtures" / "extranet"
GOLDEN = HERE / "golden"


def lab_inventory(root: Path, name: str, mgmt: str) -> Path:
    """A copy of the frozen inventory, named ``name`` under ``root``, whose router lab takes the management
    prefix ``mgmt`` (e.g. "2001:db8:fff7:") instead of the fixture's: each lab module its own name and /64, so
    that it builds beside any other lab module's."""
    inventory = root / name
    shutil.copytree(FIXTURE, inventory)
    for file in ("ipv6.yaml", "ipv6-allocations.yaml"):
        p = inventory / file
        p.write_text(p.read_text().replace("2001:db8:fffd:", mgmt))
    return inventory


@contextmanager
def router_lab_env(root: Path, name: str) -> Iterator[dict[str, str]]:
    """The lab and journal directories of a router-lab module under ``root`` (returned as the
    environment for subprocesses too); on the way out the lab ``name`` is taken down, the environment
    restored, and nothing of the lab may be left (its network namespaces)."""
    keys = {"GOVCTL_LAB_DIR": str(root / "lab"), "GOVCTL_STATE_DIR": str(root / "state")}
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(keys)
    try:
        yield {**os.environ}
    finally:
        from govctl.labs.routers import runner
        from govctl.labs.routers.topology import lab_tag

        runner.down(name)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
        assert not [x for x in left if x.startswith(f"gl{lab_tag(name)}-")]


def lab_vtysh(netns: str, *commands: str) -> str:
    """What a lab router's vtysh prints for ``commands``, run inside its namespace."""
    args = ["ip", "netns", "exec", netns, "vtysh", "-N", netns]
    for c in commands:
        args += ["-c", c]
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=30).stdout


def lab_configs(netns: str) -> tuple[str, str]:
    """(running, startup) of a lab router as it has them, in the form the push journal saves."""
    from govctl.network.platforms.frr.driver import clean_running

    running = clean_running(lab_vtysh(netns, "show running-config"))
    startup = clean_running(Path(f"/etc/frr/{netns}/frr.conf").read_text())
    return running, startup


def wait_for(condition: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    """Poll ``condition`` until it holds. The timeout only catches a hang: it is far above what the condition
    takes on a loaded machine, so the test never depends on the machine's speed."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        time.sleep(0.05)


def router_sessions(netns: str) -> list[int]:
    """Pids of the lab router's SSH sessions in progress (its ForceCommand, labs/labshell.sh, run
    for ``netns``), the revert timer's subshell among them."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            words = proc.joinpath("cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
        except OSError:
            continue
        if any(w.endswith("/labshell.sh") and words[i + 1:i + 2] == [netns] for i, w in enumerate(words)):
            pids.append(int(proc.name))
    return pids


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has finished: it only waits for its parent to read its status


def vendor_sample(vendor: str, name: str) -> str:
    """A captured-output fixture of ``fixtures/<vendor>/``, without its ``#|`` provenance header lines."""
    text = (HERE / "fixtures" / vendor / name).read_text()
    return "".join(line for line in text.splitlines(True) if not line.startswith("#|"))


def cut_out(text: str, first: str, resume: str) -> str:
    """``text`` without what lies from ``first`` up to ``resume``: output with a block lost in transit."""
    return text[:text.index(first)] + text[text.index(resume):]


@lru_cache(maxsize=1)
def fixture():  # noqa: ANN201
    inv = load_valid(FIXTURE).inventory
    return inv, plan(inv)


D = TypeVar("D")


def checks_through_napalm(monkeypatch: pytest.MonkeyPatch, node: str, platform: str, host: str, ready: set[str],
                          double_for: Callable[[dict[str, list[str]]], D],
                          spelled: Callable[[str], str] = str) -> tuple[list, D]:
    """verify's checks of ``node`` (of the fixture inventory, on ``platform``) through the NAPALM adapter, whose
    driver is the double ``double_for`` makes from the node's addresses (port name -> ["address/len"], each as
    ``spelled`` writes it: the spelling the device's driver reports); with the double, for what it was asked."""
    monkeypatch.setenv("GOVCTL_T_PW", "pw")
    inv, plan_ = fixture()
    intents = build(inv, plan_)
    me = intents[node]
    assert me.platform == platform
    double = double_for({port_name(platform, i.port): [spelled(i.ipv6)] for i in me.interfaces if i.ipv6})
    dev = NapalmAdapter(DeviceTarget(node=node, platform=platform, host=host, credentials="env:GOVCTL_T_PW"),
                        driver_class=double)
    dev.open()
    return device_checks(dev, me, intents, ready, platform), double


class FakeNetwork:
    """Devices as dicts of running configs; routing "converges" instantly between devices that run
    their intended config, so the push engine's verification can be exercised without a lab."""

    def __init__(self, intents: dict[str, DeviceIntent], intended: dict[str, str], running: dict[str, str]):
        self.intents, self.intended, self.running = intents, intended, dict(running)
        self.refuse_commit: set[str] = set()
        self.unreachable: set[str] = set()
        self.broken_after_commit: set[str] = set()  # config applies but the device then fails checks
        self.log: list[tuple[str, str]] = []
        self.startup: dict[str, str] = dict(running)
        self.unsaved: set[str] = set()  # a commit applies but does not reach the startup config

    def converged(self, node: str) -> bool:
        return self.running[node] == self.intended[node] and node not in self.broken_after_commit

    def factory(self, target: DeviceTarget) -> FakeDevice:
        return FakeDevice(self, target.node)


class FakeDevice:
    name = "fake"

    def __init__(self, net: FakeNetwork, node: str) -> None:
        self.net, self.node = net, node
        self.candidate: str | None = None
        self.saved: str | None = None

    def open(self) -> None:
        if self.node in self.net.unreachable:
            raise DeviceError(self.node, "connect", "unreachable")
        self.net.log.append((self.node, "open"))

    def close(self) -> None:
        pass

    def load_replace_candidate(self, config: str) -> None:
        self.candidate = config

    def load_merge_candidate(self, config: str) -> None:
        self.candidate = self.net.running[self.node] + config

    def compare_config(self) -> str:
        if "BOGUS" in (self.candidate or ""):
            raise DeviceError(self.node, "load", "candidate rejected: % Unknown command: BOGUS")
        if self.candidate == self.net.running[self.node]:
            return ""
        return "".join(f"+ {line}\n" for line in (self.candidate or "").splitlines())

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        if self.node in self.net.refuse_commit:
            # half-applied: the candidate's first top-level IPv6 lines (govctl's: it renders them) took
            half = [line for line in (self.candidate or "").splitlines() if line.startswith("ipv6 ")][:2]
            assert half, "the fake's refused commit needs a candidate with top-level IPv6 lines"
            self.net.running[self.node] += "".join(f"{line}\n" for line in half)
            raise DeviceError(self.node, "commit", "refused")
        self.saved = self.net.running[self.node]
        self.net.running[self.node] = self.candidate or ""
        if self.node not in self.net.unsaved:
            self.net.startup[self.node] = self.net.running[self.node]
        self.net.log.append((self.node, "commit"))

    def confirm_commit(self) -> None:
        pass

    def has_pending_commit(self) -> bool:
        return False

    def discard_config(self) -> None:
        self.candidate = None

    def rollback(self) -> None:
        assert self.saved is not None
        self.restore(self.saved)

    def restore(self, config: str) -> None:
        self.net.running[self.node] = self.net.startup[self.node] = config
        self.net.broken_after_commit.discard(self.node)
        self.net.log.append((self.node, "restore"))

    @staticmethod
    def _drift(config: str, actual: str) -> str:
        if config == actual:
            return ""
        a, b = config.splitlines(), actual.splitlines()
        return "".join(f"- {x}\n" for x in a if x not in b) + "".join(f"+ {x}\n" for x in b if x not in a) or "~\n"

    def running_drift(self, config: str) -> str:
        return self._drift(config, self.net.running[self.node])

    def startup_drift(self, config: str) -> str:
        return self._drift(config, self.net.startup[self.node])

    def save_config(self) -> None:
        self.net.startup[self.node] = self.net.running[self.node]
        self.net.log.append((self.node, "save"))

    def get_config(self) -> str:
        return self.net.running[self.node]

    def reread_config(self) -> str:
        return self.net.running[self.node]

    def get_facts(self) -> dict[str, object]:
        return {"hostname": self.node}

    def _intent(self) -> DeviceIntent:
        return self.net.intents[self.node]

    def get_interfaces_ip(self) -> dict[str, dict[str, list[str]]]:
        if not self.net.converged(self.node):
            return {}
        i = self._intent()
        return {port_name("frr", x.port): {"ipv4": [], "ipv6": [x.ipv6] if x.ipv6 else []} for x in i.interfaces}

    def get_ospfv3_neighbors(self) -> list[OspfNeighbor]:
        if not self.net.converged(self.node):
            return []
        return [OspfNeighbor(x.peer or "", "Full", port_name("frr", x.port)) for x in self._intent().links
                if x.peer and self.net.converged(x.peer)]

    def get_bgp_neighbors(self) -> list[BgpNeighbor]:
        i = self._intent()
        by_lo = {(v.loopback.ipv6 or "").split("/")[0]: n for n, v in self.net.intents.items()}
        return [BgpNeighbor(p.address, p.remote_as,
                            "Established" if self.net.converged(self.node) and self.net.converged(by_lo[p.address])
                            else "Active", 1) for p in (i.bgp.peers if i.bgp else ())]

    def get_ipv6_routes(self) -> dict[str, str]:
        if not self.net.converged(self.node):
            return {}
        return {f"{(v.loopback.ipv6 or '').split('/')[0]}/128": "ospf6" for n, v in self.net.intents.items()
                if self.net.converged(n)}

    def ping(self, source: str, destinations: list[str]) -> dict[str, bool]:
        routes = self.get_ipv6_routes()
        return {d: f"{d}/128" in routes for d in destinations}


class NapalmDouble:
    """The part every double of a NAPALM driver shares: the adapter calls the driver class with the
    connection's arguments and opens the instance; a double is both, and its session opens and closes
    without a device."""

    def __call__(self, host, username, password, timeout=60, optional_args=None):  # noqa: ANN001,ANN204
        return self

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass


class CheckpointSession:
    """napalm-huawei-vrp's netmiko session (``device``) as the adapter's checkpoint uses it: VRP asks
    before `save <file>` and reports success."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send_command(self, text: str, **kwargs: object) -> str:
        self.sent.append(text)
        if text == "y":
            return "y\nInfo: Save the configuration successfully.\n<r1>"
        return f"{text}\nWarning: Are you sure to save the configuration to cfcard:/{text.split()[-1]}? [Y/N]:"
