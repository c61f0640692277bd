"""The device contract on top of existing NAPALM drivers (ios built in, huawei_vrp from PyPI).

What each upstream driver really does decides what the adapter can promise:
- ios: replace and merge candidates (SCP + ``configure replace``), compare, commit with
  ``revert_in`` (archive-based), rollback. A replace candidate is never the rendered config alone
  (that would wipe AAA, vty, IPv4 routing...): it is the device's running config with govctl's
  owned scope made equal to the rendered config (``platforms.scope.scoped_candidate``).
- huawei_vrp (napalm-huawei-vrp 1.2): ``load_replace_candidate`` is an empty stub; merge,
  commit (saves a backup file on the device, then merges) and rollback (reloads the backup) work.
  A replace request is carried out as a merge of the scoped remediation (owned lines the intent
  lacks are undone, nothing else), and said so in the diff header. napalm's own merge diff compares
  lines without their view (an ``ospfv3 1 area`` under one interface hides the same line missing
  under another) and as text (VRP shows ``2001:DB8::1``), so it would miss changes and never be
  idempotent: the adapter computes the change itself (``blocks.remediation``, per view,
  canonical addresses) and hands napalm only those lines, with their views.
  napalm's backup file is known only to the driver object that made it, and a merge of the saved
  config cannot remove what the rollout added, so the adapter keeps its own checkpoint
  (``vrp_config``: ``save <file>`` before the commit, ``rollback configuration to file`` and proof
  that the running config equals it), found again by content from a later session (``restore``).
Startup configuration (what a reboot brings back; crash recovery reads it): ios's commit (without
``revert_in``), ``confirm_commit`` and rollback end in napalm's own ``write memory``, whose answer
napalm does not read; napalm-huawei-vrp's commit ends in ``save``. ``save_config`` sends ``write
memory`` / ``save`` on napalm's netmiko session and reads the answer; ``startup_drift`` reads
``show startup-config`` (napalm's ``get_config(retrieve="startup")``) / ``display
saved-configuration`` (napalm-huawei-vrp returns no startup config). Configs compare as
``ios_cli.drift`` (volatile header, timestamp and ``ntp clock-period`` lines aside) /
``vrp_config.drift`` (as ``same_config``) do.
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
import time
from typing import Any

from govctl.network.drivers import hostkeys
from govctl.network.platforms.huawei_vrp import cli as vrp_cli
from govctl.network.platforms.huawei_vrp import config as vrp_config
from govctl.network.platforms.ios import cli as ios_cli
from govctl.network.platforms.blocks import Mode, commands, diff_text, remediation
from govctl.network.drivers.credentials import resolve
from govctl.network.errors import DeviceError
from govctl.network.models import BgpNeighbor, DeviceTarget, OspfNeighbor
from govctl.network.platforms import get as get_platform
from govctl.network.platforms.scope import scoped_candidate

NAPALM_NAMES = {"ios": "ios", "huawei_vrp": "huawei_vrp"}


def _canonical(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


MERGE_ONLY = {"huawei_vrp"}


def _stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime())


class NapalmAdapter:
    """Wraps ``napalm.get_network_driver(platform)``; ``driver_class`` can be injected for tests."""

    def __init__(self, target: DeviceTarget, driver_class: Any = None, timeout: int = 60) -> None:
        self.target = target
        self.name = target.platform
        if target.platform not in NAPALM_NAMES:
            raise DeviceError(target.node, "open", f"no NAPALM config driver for platform '{target.platform}' "
                                                   "(napalm-h3c-comware has getters only)")
        scope = get_platform(target.platform)
        assert scope is not None  # noqa: S101 - NAPALM_NAMES are all registered platforms
        self._scope = scope  # its owned scope, for the block remediation of merge-only platforms
        self._cls = driver_class
        self._timeout = timeout
        self._dev: Any = None
        self._pending = False
        self._intended: str | None = None  # huawei_vrp: the candidate, diffed by the adapter
        self._mode: Mode = "replace"
        self._committed = False
        self._checkpoint: str | None = None  # huawei_vrp: file saved before this session's commit
        self._before: str | None = None  # ... and the running config it holds
        self._running = ""  # huawei_vrp: the running config the last diff was computed from

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
        # netmiko's default auto-adds any host key. napalm's ios and napalm-huawei-vrp both hand the
        # optional args netmiko knows (napalm.base.netmiko_helpers.netmiko_args) to ConnectHandler,
        # so ssh_strict and the trusted keys reach paramiko's RejectPolicy there
        with hostkeys.netmiko_trust(t) as trust:
            self._dev = cls(t.host, creds.username, creds.password or "", timeout=self._timeout,
                            optional_args={**optional, **trust})
            try:
                self._dev.open()
            except Exception as exc:  # noqa: BLE001 - NAPALM/netmiko raise anything; one line per device
                raise hostkeys.connect_failure(t, exc) from None

    def close(self) -> None:
        if self._dev is not None:
            try:
                self._dev.close()
            except Exception:  # noqa: BLE001, S110 - closing must never raise
                pass
            self._dev = None

    def load_replace_candidate(self, config: str) -> None:
        """Replace within govctl's owned scope only (``network.platforms``). huawei_vrp: the scoped
        block remediation, sent as a merge. ios: ``configure replace`` with the device's own running
        config in which only the owned scope was made equal to ``config`` (``scope.scoped_candidate``):
        AAA, vty, IPv4 routing and every other foreign line are in the candidate exactly as the device
        shows them, so IOS's replace changes none of them, and commit-confirm and napalm's archive
        rollback work as for any replace."""
        if self.name in MERGE_ONLY:
            self._intended, self._mode = config, "replace"
            return
        spec = get_platform(self.name)
        assert spec is not None  # noqa: S101 - NAPALM_NAMES are all registered platforms
        running = ios_cli.without_headers(self.get_config())
        self._call("load", "load_replace_candidate", config=scoped_candidate(running, config, spec))

    def load_merge_candidate(self, config: str) -> None:
        if self.name in MERGE_ONLY:
            self._intended, self._mode = config, "merge"
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
        self._running = self.get_config()
        changes = remediation(self._running, self._intended, self._mode, self._scope)
        self._call("load", "discard_config")  # napalm appends to its merge buffer: start it afresh
        if not changes:
            return ""
        self._call("load", "load_merge_candidate", config="\n".join(commands(changes)))
        how = "replace within the owned scope" if self._mode == "replace" else "merge"
        return f"# {how}, sent as a merge (napalm-huawei-vrp has no replace)\n" + diff_text(changes)

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        if revert_in and self.name == "ios":
            self._call("commit", "commit_config", message=message, revert_in=revert_in)
            self._pending = True
        elif self.name in MERGE_ONLY:
            # diff again right before the commit: napalm's buffer then holds exactly what is missing now
            if self._merge_diff():
                self._save_checkpoint()
                try:
                    self._call("commit", "commit_config")
                except DeviceError as exc:
                    raise self._restored_after(exc) from None
        else:
            self._call("commit", "commit_config")
        self._committed = True

    def confirm_commit(self) -> None:
        self._call("confirm", "confirm_commit")
        self._pending = False

    def has_pending_commit(self) -> bool:
        return self._pending

    def discard_config(self) -> None:
        self._intended = None
        self._call("discard", "discard_config")

    def rollback(self) -> None:
        if self.name != "huawei_vrp":
            self._call("rollback", "rollback")  # ios: configure replace (or revert now), write memory
            self._pending = False
            return
        if self._checkpoint is None or self._before is None:
            raise DeviceError(self.target.node, "rollback", "no checkpoint from a commit in this session")
        self._replace_from(self._checkpoint, self._before)

    def restore(self, config: str) -> None:
        """Back to ``config`` (the config the journal saved before a commit, or the device's config now
        with govctl's part made equal to it: ``scope.rollback_candidate``), in this session or a
        later one (`govctl net rollback RUN_ID`). huawei_vrp: from the checkpoint file on the device
        whose content is ``config`` (a merge of ``config`` would not remove what the rollout added);
        where none holds it, the exact remediation from the running config (``remediation(...,
        "exact")``: ``undo`` of the lines and views ``config`` lacks), sent as a merge.
        ios: napalm's rollback after a commit in this session, else ``configure replace`` with
        ``config`` (exact on IOS); either way the running config must then equal ``config``
        (``running_drift``), and the startup config too (napalm writes memory without reading the
        answer: saved again, checked, if it differs). A device already running ``config`` (a crash
        config the commit) only has it saved."""
        if not self._pending and not self.running_drift(config):
            self._save("rollback")
            return
        if self.name != "huawei_vrp":
            if self._committed:
                self.rollback()
            else:
                self._call("rollback", "load_replace_candidate", config=config)
                self._call("rollback", "commit_config")
            left = self.running_drift(config)
            if left:
                raise DeviceError(self.target.node, "rollback", "after `configure replace` the running config "
                                                                f"still differs from the saved one:\n{left}")
            if self.startup_drift(config):
                self._save("rollback")
            return
        if self._checkpoint and self._before is not None and vrp_config.same_config(self._before, config):
            self._replace_from(self._checkpoint, config)
            return
        listing = self._cli(vrp_config.LIST_FILES, "rollback")
        for name in vrp_config.checkpoint_files(listing, self.target.node):
            if vrp_config.same_config(self._cli(vrp_config.show_file(name), "rollback"), config):
                self._replace_from(name, config)
                return
        # no checkpoint holds it: the device's config now with govctl's part restored (lines outside
        # govctl's scope changed since the push). The exact remediation to it touches govctl's part only
        changes = remediation(self.get_config(), config, "exact", self._scope)
        self._call("rollback", "discard_config")
        self._call("rollback", "load_merge_candidate", config="\n".join(commands(changes)))
        self._call("rollback", "commit_config")
        if not vrp_config.same_config(self.get_config(), config):
            raise DeviceError(self.target.node, "rollback", "after the remediation the running config still "
                              f"differs:\n{vrp_config.drift(config, self.get_config())}")
        self._save("rollback")

    # ------------------------------------------------------------ huawei_vrp checkpoint and rollback

    def _interactive(self, command: str, step: str) -> str:
        """One user-view (VRP) / privileged EXEC (ios) command on the napalm driver's netmiko session,
        its questions answered."""
        conn = getattr(self._dev, "device", None)
        if conn is None:
            raise DeviceError(self.target.node, step, f"the napalm {self.name} driver has no open session")
        if self.name == "huawei_vrp":
            expect, answer_to = vrp_config.EXPECT, vrp_config.prompt_answer
        else:
            expect, answer_to = ios_cli.SAVE_EXPECT, ios_cli.save_prompt_answer

        def send(text: str) -> str:
            try:
                return str(conn.send_command(text, expect_string=expect, read_timeout=300,
                                             strip_prompt=False, strip_command=False))
            except Exception as exc:  # noqa: BLE001 - netmiko raises many kinds; keep it per device
                raise DeviceError(self.target.node, step, f"{type(exc).__name__}: {exc}") from None

        out = send(command)
        for _ in range(4):
            answer = answer_to(out)
            if answer is None:
                break
            out += send(answer)
        return out

    def _save_checkpoint(self) -> None:
        name = vrp_config.checkpoint_name(self.target.node, _stamp())
        before = self._running  # read by the diff just before: no second `display current-configuration`
        out = self._interactive(vrp_config.save_checkpoint(name), "commit")
        if not vrp_config.saved(out):
            bad = vrp_config.refused(out)
            raise DeviceError(self.target.node, "commit", f"could not save the checkpoint {name}"
                              f"{': ' + bad[0] if bad else ''}; nothing was changed")
        self._checkpoint, self._before = name, before

    def _restored_after(self, exc: DeviceError) -> DeviceError:
        """A commit napalm could not finish may have applied some lines (VRP V5 applies each at once)."""
        if self._checkpoint is None or self._before is None:
            return exc
        try:
            self._replace_from(self._checkpoint, self._before)
        except DeviceError as again:
            return DeviceError(self.target.node, "commit", f"{exc.message}; restoring {self._checkpoint} "
                                                           f"failed too: {again.message}")
        return DeviceError(self.target.node, "commit", f"{exc.message}; restored {self._checkpoint}")

    def _replace_from(self, checkpoint: str, before: str) -> None:
        out = self._interactive(vrp_config.rollback_command(checkpoint), "rollback")
        if not vrp_config.rolled_back(out):
            bad = vrp_config.refused(out)
            raise DeviceError(self.target.node, "rollback", f"`{vrp_config.rollback_command(checkpoint)}` "
                              f"did not succeed{': ' + bad[0] if bad else ''}")
        if not vrp_config.same_config(self.get_config(), before):
            raise DeviceError(self.target.node, "rollback", f"after `{vrp_config.rollback_command(checkpoint)}` "
                                                            "the running config still differs from the checkpoint")
        # napalm's commit saved the rolled-out config as the startup config: a reboot must not bring it back
        out = self._interactive(vrp_config.SAVE_STARTUP, "rollback")
        if not vrp_config.saved(out):
            raise DeviceError(self.target.node, "rollback", "running config restored, but `save` to the "
                                                            "startup configuration did not succeed")
        self._pending = False

    # ------------------------------------------------------------ startup configuration, drift

    def _drift(self, config: str, actual: str) -> str:
        return vrp_config.drift(config, actual) if self.name == "huawei_vrp" else ios_cli.drift(config, actual)

    def running_drift(self, config: str) -> str:
        return self._drift(config, self.get_config())

    def startup_drift(self, config: str) -> str:
        if self.name == "huawei_vrp":
            startup = self._cli(vrp_config.SAVED_CONFIG, "get")
        else:
            startup = str(self._call("get", "get_config", retrieve="startup").get("startup", ""))
        return self._drift(config, startup)

    def save_config(self) -> None:
        self._save("save")

    def _save(self, step: str) -> None:
        """``save`` (VRP, its question answered y) / ``write memory`` (ios), the answer checked."""
        if self.name == "huawei_vrp":
            command, ok, errors = vrp_config.SAVE_STARTUP, vrp_config.saved, vrp_config.refused
        else:
            command, ok, errors = ios_cli.SAVE_STARTUP, ios_cli.saved, ios_cli.save_errors
        out = self._interactive(command, step)
        if not ok(out):
            bad = errors(out)
            raise DeviceError(self.target.node, step, f"`{command}` did not save the running config as the "
                                                      f"startup configuration{': ' + bad[0] if bad else ''}")

    def get_config(self) -> str:
        return str(self._call("get", "get_config", retrieve="running").get("running", ""))

    def reread_config(self) -> str:
        return self.get_config()  # never cached

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

    def _cli(self, command: str, step: str = "verify") -> str:
        return str(self._call(step, "cli", [command]).get(command, ""))

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
