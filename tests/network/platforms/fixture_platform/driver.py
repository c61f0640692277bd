"""The fixture platform's config driver: the whole ``DeviceDriver`` contract against an in-memory device
(``device.NETWORK``). A replace is scoped to govctl's owned part (``scope.scoped_candidate``, as for FRR and
IOS); a merge only adds and updates lines; a commit saves the running config first and persists the new
one; every change is read back."""
from __future__ import annotations

import dataclasses
import difflib

from govctl.network.drivers.credentials import resolve
from govctl.network.errors import DeviceError
from govctl.network.models import BgpNeighbor, DeviceTarget, OspfNeighbor
from govctl.network.platforms.fixture_platform import PLATFORM
from govctl.network.platforms.fixture_platform.device import NETWORK, Device, refused
from govctl.network.platforms.scope import scoped_candidate

# a merge owns nothing: it adds and updates lines, never removes one
_MERGE = dataclasses.replace(PLATFORM, owned=lambda path, line, names: False)


def diff(old: str, new: str) -> str:
    """'-' lines only ``old`` has, '+' lines only ``new`` has, in order; '' when they are the same."""
    if old == new:
        return ""
    rows = difflib.ndiff(old.splitlines(), new.splitlines())
    return "".join(f"{r[0]}{r[2:]}\n" for r in rows if r[:1] in "+-") or "~ order or spacing differs\n"


class FixtureDriver:
    name = "fixture_platform"

    def __init__(self, target: DeviceTarget) -> None:
        self.target = target
        self._dev: Device | None = None
        self._candidate: str | None = None
        self._saved: str | None = None  # the running config before this session's commit

    def _device(self, step: str = "read") -> Device:
        if self._dev is None:
            raise DeviceError(self.target.node, step, "not connected")
        return self._dev

    # ------------------------------------------------ session

    def open(self) -> None:
        dev = NETWORK.device(self.target.node)
        if dev is None:
            raise DeviceError(self.target.node, "connect", f"unreachable ({self.target.host})")
        if resolve(self.target.credentials, self.target.username, self.target.node).password != dev.password:
            raise DeviceError(self.target.node, "connect", "authentication failed")
        dev.sessions += 1
        self._dev = dev

    def close(self) -> None:
        self._dev = None

    # ------------------------------------------------ change

    def _stage(self, candidate: str) -> None:
        bad = refused(candidate)
        if bad:
            raise DeviceError(self.target.node, "load", f"unknown command: {bad[0].strip()}")
        self._candidate = candidate

    def load_replace_candidate(self, config: str) -> None:
        self._stage(scoped_candidate(self._device("load").running, config, PLATFORM))

    def load_merge_candidate(self, config: str) -> None:
        self._stage(scoped_candidate(self._device("load").running, config, _MERGE))

    def compare_config(self) -> str:
        return diff(self._device().running, self._candidate) if self._candidate is not None else ""

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        dev = self._device("commit")
        if self._candidate is None:
            raise DeviceError(self.target.node, "commit", "no candidate loaded")
        self._saved = dev.running
        dev.running = dev.startup = self._candidate
        self._candidate = None

    def confirm_commit(self) -> None:
        """No commit-confirm on this platform (``PLATFORM.commit_confirm`` is False): nothing is pending."""

    def has_pending_commit(self) -> bool:
        return False

    def discard_config(self) -> None:
        self._candidate = None

    def rollback(self) -> None:
        if self._saved is None:
            raise DeviceError(self.target.node, "rollback", "no commit in this session to roll back")
        self.restore(self._saved)

    def restore(self, config: str) -> None:
        dev = self._device("rollback")
        dev.running = dev.startup = config
        left = diff(config, dev.running)
        if left:
            raise DeviceError(self.target.node, "rollback", f"running config differs from the target:\n{left}")

    def running_drift(self, config: str) -> str:
        return diff(config, self._device().running)

    def save_config(self) -> None:
        dev = self._device("save")
        dev.startup = dev.running

    def startup_drift(self, config: str) -> str:
        return diff(config, self._device().startup)

    # ------------------------------------------------ getters

    def get_config(self) -> str:
        return self._device().running

    def reread_config(self) -> str:
        return self._device().running

    def get_facts(self) -> dict[str, object]:
        ips = NETWORK.interfaces_ip(self.target.node)
        return {"hostname": self.target.node, "vendor": PLATFORM.vendor, "os_version": "fixture 1",
                "uptime": 0, "interface_list": sorted(ips)}

    def get_interfaces_ip(self) -> dict[str, dict[str, list[str]]]:
        return NETWORK.interfaces_ip(self._device().node)

    def get_ospfv3_neighbors(self) -> list[OspfNeighbor]:
        return NETWORK.ospf_neighbors(self._device().node)

    def get_bgp_neighbors(self) -> list[BgpNeighbor]:
        return NETWORK.bgp_neighbors(self._device().node)

    def get_ipv6_routes(self) -> dict[str, str]:
        return NETWORK.routes(self._device().node)

    def ping(self, source: str, destinations: list[str]) -> dict[str, bool]:
        return NETWORK.ping(self._device().node, source, destinations)
