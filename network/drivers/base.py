"""The device contract, NAPALM-shaped: one method per step of a transactional change, plus getters.

The push engine, ``govctl net`` and the Ansible module only ever talk to this Protocol.
Drivers register by platform name in ``network.drivers.registry``.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from govctl.network.models import BgpNeighbor, OspfNeighbor


@runtime_checkable
class DeviceDriver(Protocol):
    """One open session to one device."""

    name: str

    def open(self) -> None:
        """Connect and authenticate (host key verified). Raises ``DeviceError`` (step 'connect')."""

    def close(self) -> None:
        """Close the session; never raises."""

    def load_replace_candidate(self, config: str) -> None:
        """Stage ``config`` as the device's whole intended configuration. Nothing is applied yet."""

    def load_merge_candidate(self, config: str) -> None:
        """Stage ``config`` to be merged into the running configuration."""

    def compare_config(self) -> str:
        """The change the staged candidate would make ('-'/'+' lines); '' when there is none.

        Also validates the candidate: a line the device rejects raises ``DeviceError`` (step 'load').
        """

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        """Apply the candidate. Saves the running config first so ``rollback`` restores it exactly.

        ``revert_in``: seconds after which the device restores the previous config by itself unless
        ``confirm_commit`` is called (commit-confirm), where the platform has one.
        """

    def confirm_commit(self) -> None:
        """Keep a commit made with ``revert_in``."""

    def has_pending_commit(self) -> bool:
        """True between a ``commit_config(revert_in=...)`` and its confirmation."""

    def discard_config(self) -> None:
        """Drop the staged candidate."""

    def rollback(self) -> None:
        """Restore the configuration saved by the last ``commit_config`` exactly."""

    def restore(self, config: str) -> None:
        """Make the running config exactly ``config`` (a config read from this device earlier, as the
        journal saved it), in this session or a later one, and persist it to the startup config.
        Raises ``DeviceError`` (step 'rollback') unless the result equals ``config``."""

    def running_drift(self, config: str) -> str:
        """How the running config differs from ``config`` (one read from this device earlier): '-'
        lines the device lacks, '+' lines it has beyond it; '' when they are the same config.
        Recovery and the end of a rollback decide with this what a device holds."""

    def save_config(self) -> None:
        """Persist the running config as the startup config (what a reboot brings back)."""

    def startup_drift(self, config: str) -> str:
        """Like ``running_drift``, against the startup config."""

    def get_config(self) -> str:
        """The running configuration as text."""

    def reread_config(self) -> str:
        """The running configuration read from the device now, never a copy from earlier in the session
        (a session opened ahead of its batch is re-read before its prepared diff is used)."""

    def get_facts(self) -> dict[str, object]:
        """hostname, vendor, os_version, uptime, interface_list."""

    def get_interfaces_ip(self) -> dict[str, dict[str, list[str]]]:
        """{interface: {"ipv4": ["a/len"], "ipv6": ["a/len"]}}"""

    def get_ospfv3_neighbors(self) -> list[OspfNeighbor]:
        """OSPFv3 neighbours with their state."""

    def get_bgp_neighbors(self) -> list[BgpNeighbor]:
        """BGP IPv6 unicast sessions."""

    def get_ipv6_routes(self) -> dict[str, str]:
        """{prefix: protocol} of the IPv6 RIB's selected routes."""

    def ping(self, source: str, destinations: list[str]) -> dict[str, bool]:
        """Reachability from ``source`` (an address on the device) to each destination."""
