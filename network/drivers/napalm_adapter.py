"""The device contract on top of existing NAPALM drivers (ios built in, huawei_vrp from PyPI).

What each upstream driver really does decides what the adapter can promise:
- ios: replace and merge candidates (SCP + ``configure replace``), compare, commit with
  ``revert_in`` (archive-based), rollback. Used as is.
- huawei_vrp (napalm-huawei-vrp 1.2): ``load_replace_candidate`` is an empty stub; merge,
  commit (saves a backup file on the device, then merges) and rollback (reloads the backup) work.
  The IPv6 rollout only *adds* configuration, so a replace request is carried out as a merge, and
  said so in the diff header. Its merge diff compares lines without their view (an ``ospfv3 1
  area`` under one interface hides the same line missing under another) and as text (VRP shows
  ``2001:DB8::1``), so it would miss changes and never be idempotent: the adapter computes the
  merge itself (``comware_config.remediation``, per view, canonical addresses) and hands napalm
  only the lines that are missing, with their views.
- h3c_comware (napalm-h3c-comware 0.1.5): getters only, no config operations, so H3C is served
  by govctl's own netmiko-based driver (``comware.py``), not by this adapter.
OSPFv3/BGP-IPv6/IPv6-RIB getters do not exist in NAPALM. For huawei_vrp the adapter runs
``display ospfv3 peer``, ``display ipv6 routing-table``, ``display bgp ipv6 peer`` and
``ping ipv6 -a`` through the driver's ``cli()`` and reads them with ``vrp_cli`` (the driver's own
``ping`` sends an IPv4 command line). For ios, which has none of them either, the same is done
with ``show ipv6 ospf neighbor``, ``show ipv6 route``, ``show bgp ipv6 unicast summary`` and
``ping ipv6 ... source ... repeat 2``, read by ``ios_cli``.
"""
from __future__ import annotations

import ipaddress
from typing import Any

from network.drivers import ios_cli, vrp_cli
from network.drivers.comware_config import commands, diff_text, remediation
from network.drivers.credentials import resolve
from network.errors import DeviceError
from network.models import BgpNeighbor, DeviceTarget, OspfNeighbor

NAPALM_NAMES = {"ios": "ios", "huawei_vrp": "huawei_vrp"}


def _canonical(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address
MERGE_ONLY = {"huawei_vrp"}


class NapalmAdapter:
    """Wraps ``napalm.get_network_driver(platform)``; ``driver_class`` can be injected for tests."""

    def __init__(self, target: DeviceTarget, driver_class: Any = None, timeout: int = 60) -> None:
        self.target = target
        self.name = target.platform
        if target.platform not in NAPALM_NAMES:
            raise DeviceError(target.node, "open", f"no NAPALM config driver for platform '{target.platform}' "
                                                   "(napalm-h3c-comware has getters only)")
        self._cls = driver_class
        self._timeout = timeout
        self._dev: Any = None
        self._pending = False
        self._intended: str | None = None  # huawei_vrp: the candidate, diffed by the adapter

    def _call(self, step: str, fn: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self._dev, fn)(*args, **kwargs)
        except NotImplementedError:
            raise DeviceError(self.target.node, step, f"{self.name} driver does not implement {fn}") from None
        except Exception as exc:  # noqa: BLE001 - NAPALM drivers raise anything; keep it per device
            raise DeviceError(self.target.node, step, f"{type(exc).__name__}: {exc}") from None

    def open(self) -> None:
        t = self.target
        creds = resolve(t.credentials, t.username, t.node)
        cls = self._cls
        if cls is None:
            import napalm
            cls = napalm.get_network_driver(NAPALM_NAMES[t.platform])
        optional: dict[str, Any] = {"port": t.port}
        if creds.key_file:
            optional["key_file"] = creds.key_file
        if t.known_hosts:
            optional["ssh_config_file"] = None
            optional["system_host_keys"] = False
            optional["alt_host_keys"] = True
            optional["alt_key_file"] = t.known_hosts
        self._dev = cls(t.host, creds.username, creds.password or "", timeout=self._timeout,
                        optional_args=optional)
        self._call("connect", "open")

    def close(self) -> None:
        if self._dev is not None:
            try:
                self._dev.close()
            except Exception:  # noqa: BLE001, S110 - closing must never raise
                pass
            self._dev = None

    def load_replace_candidate(self, config: str) -> None:
        if self.name in MERGE_ONLY:
            self._intended = config
        else:
            self._call("load", "load_replace_candidate", config=config)

    def load_merge_candidate(self, config: str) -> None:
        if self.name in MERGE_ONLY:
            self._intended = config
        else:
            self._call("load", "load_merge_candidate", config=config)

    def compare_config(self) -> str:
        if self.name in MERGE_ONLY:
            return self._merge_diff()
        diff = self._call("compare", "compare_config") or ""
        return diff if diff.endswith("\n") or not diff else diff + "\n"

    def _merge_diff(self) -> str:
        if self._intended is None:
            return ""
        changes = remediation(self.get_config(), self._intended, "merge")
        self._call("load", "discard_config")  # napalm appends to its merge buffer: start it afresh
        if not changes:
            return ""
        self._call("load", "load_merge_candidate", config="\n".join(commands(changes)))
        return "# merge (napalm-huawei-vrp has no replace)\n" + diff_text(changes)

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        if revert_in and self.name == "ios":
            self._call("commit", "commit_config", message=message, revert_in=revert_in)
            self._pending = True
        elif self.name in MERGE_ONLY:
            # diff again right before the commit: napalm's buffer then holds exactly what is missing now
            if self._merge_diff():
                self._call("commit", "commit_config")
        else:
            self._call("commit", "commit_config")

    def confirm_commit(self) -> None:
        self._call("confirm", "confirm_commit")
        self._pending = False

    def has_pending_commit(self) -> bool:
        return self._pending

    def discard_config(self) -> None:
        self._intended = None
        self._call("discard", "discard_config")

    def rollback(self) -> None:
        self._call("rollback", "rollback")

    def get_config(self) -> str:
        return str(self._call("get", "get_config", retrieve="running").get("running", ""))

    def get_facts(self) -> dict[str, object]:
        return dict(self._call("get", "get_facts"))

    def get_interfaces_ip(self) -> dict[str, dict[str, list[str]]]:
        raw = self._call("get", "get_interfaces_ip")
        out: dict[str, dict[str, list[str]]] = {}
        for name, fam in raw.items():
            # VRP prints "2001:DB8::1"; intent and verify use the canonical spelling
            out[name] = {v: [f"{_canonical(a)}/{d.get('prefix_length')}" for a, d in fam.get(v, {}).items()]
                         for v in ("ipv4", "ipv6")}
        return out

    def _cli(self, command: str) -> str:
        return str(self._call("verify", "cli", [command]).get(command, ""))

    def _parsed(self, command: str, parse: Any) -> Any:
        try:
            return parse(self._cli(command))
        except (vrp_cli.VrpParseError, ios_cli.IosParseError) as exc:
            raise DeviceError(self.target.node, "verify", str(exc)) from None

    def get_ospfv3_neighbors(self) -> list[OspfNeighbor]:
        if self.name == "huawei_vrp":
            return list(self._parsed(vrp_cli.OSPFV3_PEER, vrp_cli.parse_ospfv3_peer))
        return list(self._parsed(ios_cli.OSPFV3_NEIGHBORS, ios_cli.parse_ospfv3_neighbors))

    def get_bgp_neighbors(self) -> list[BgpNeighbor]:
        if self.name == "huawei_vrp":
            return list(self._parsed(vrp_cli.BGP_IPV6_PEER, vrp_cli.parse_bgp_peer))
        # not napalm's get_bgp_neighbors: it reports only is_up, and verify names the state (Active, Idle)
        return list(self._parsed(ios_cli.BGP_IPV6_SUMMARY, ios_cli.parse_bgp_summary))

    def get_ipv6_routes(self) -> dict[str, str]:
        if self.name == "huawei_vrp":
            return dict(self._parsed(vrp_cli.IPV6_ROUTES, vrp_cli.parse_ipv6_routing_table))
        return dict(self._parsed(ios_cli.IPV6_ROUTES, ios_cli.parse_ipv6_route))

    def ping(self, source: str, destinations: list[str]) -> dict[str, bool]:
        cli = vrp_cli if self.name == "huawei_vrp" else ios_cli
        return {d: bool(self._parsed(cli.ping_command(source, d), cli.parse_ping)) for d in destinations}
