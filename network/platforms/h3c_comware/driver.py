"""The device contract for H3C Comware V7 over SSH (netmiko ``hp_comware``).

napalm-h3c-comware has getters only, so the transaction is built from what Comware V7 offers:
- running config: ``display current-configuration``;
- compare: ``comware_config.remediation`` (a per-block diff, merge or scoped replace);
- commit: ``save flash:/govctl-<stamp>.cfg`` (a checkpoint of the running config, the startup
  configuration is not touched), then the remediation typed in system view; a line the device
  refuses restores the checkpoint at once and fails the commit;
- commit-confirm: ``configuration commit delay <minutes>`` before the remediation, ``configuration
  commit`` to keep it (Comware rolls back by itself otherwise);
- rollback: ``configuration replace file <checkpoint>``, then the running config must equal the
  checkpoint again, or the rollback fails; only then ``save force`` writes it as the startup
  configuration (``restore``'s promise; the commit itself never saves). A scoped rollback target no
  checkpoint holds (lines outside govctl's scope changed since the push) is reached by typing the
  exact remediation (``comware_config.remediation(..., "exact")``), checked the same way;
- startup configuration: ``save force`` (``save_config``), ``display saved-configuration``
  (``startup_drift``); configs compared as ``comware_config.same_config`` does, drift shown with
  ``comware_config.drift``;
- getters: ``display ospfv3 peer``, ``display ipv6 routing-table``, ``display bgp peer ipv6``,
  ``ping ipv6`` (``comware_cli``); addresses as configured.
The sequences and parsers are pure functions, tested against golden files; this class only sends
them. It has not run against a real Comware device (see README, vendor support).
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from govctl.network.drivers import hostkeys
from govctl.network.platforms.h3c_comware import cli
from govctl.network.platforms.h3c_comware import config as cfg
from govctl.network.drivers.credentials import resolve
from govctl.network.errors import DeviceError
from govctl.network.models import BgpNeighbor, DeviceTarget, OspfNeighbor

CONNECT_TIMEOUT = 15.0


def prompt_answer(output: str) -> str | None:
    """The answer to the confirmation prompt Comware ends ``output`` with, if any. Saving the
    running config over the startup config is never what a checkpoint or a rollback wants."""
    tail = output.rstrip().splitlines()[-1] if output.strip() else ""
    if not re.search(r"\[Y/N\]:?\s*$", tail, re.I):
        return None
    if re.search(r"save (the )?current configuration", tail, re.I):
        return "N"
    return "Y"


class ComwareDriver:
    name = "h3c_comware"

    def __init__(self, target: DeviceTarget, connect: Callable[..., Any] | None = None) -> None:
        self.target = target
        self._connect = connect
        self._conn: Any = None
        self._candidate: str | None = None
        self._mode: cfg.Mode = "merge"
        self._changes: list[cfg.Change] | None = None
        self._before: str | None = None  # running config when the checkpoint was taken
        self._checkpoint: str | None = None
        self._pending = False

    # ------------------------------------------------------------ session

    def _fail(self, step: str, message: str) -> DeviceError:
        return DeviceError(self.target.node, step, message)

    def _do(self, step: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._conn is None:
            raise self._fail(step, "not connected")
        try:
            return fn(*args, **kwargs)
        except DeviceError:
            raise
        except Exception as exc:  # noqa: BLE001 - netmiko/paramiko raise many kinds; keep it per device
            raise self._fail(step, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None

    def _show(self, command: str, step: str = "get") -> str:
        return str(self._do(step, self._conn.send_command, command, read_timeout=120))

    def _interactive(self, command: str, step: str) -> str:
        out = str(self._do(step, self._conn.send_command_timing, command, read_timeout=120))
        for _ in range(4):
            answer = prompt_answer(out)
            if answer is None:
                break
            out += str(self._do(step, self._conn.send_command_timing, answer, read_timeout=300))
        return out

    def open(self) -> None:
        t = self.target
        creds = resolve(t.credentials, t.username, t.node)
        args: dict[str, Any] = {
            "device_type": "hp_comware", "host": t.host, "port": t.port, "username": creds.username,
            "password": creds.password or "", "conn_timeout": CONNECT_TIMEOUT,
        }
        if creds.key_file:
            args.update(use_keys=True, key_file=creds.key_file)
        connect = self._connect
        if connect is None:
            from netmiko import ConnectHandler

            connect = ConnectHandler
        try:
            # netmiko's default auto-accepts unknown host keys: only the device's trusted keys
            with hostkeys.netmiko_trust(t) as trust:
                self._conn = connect(**args, **trust)
        except DeviceError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise hostkeys.connect_failure(t, exc) from None

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.disconnect()
            except Exception:  # noqa: BLE001, S110 - closing must never raise
                pass
            self._conn = None

    # ------------------------------------------------------------ transaction

    def load_replace_candidate(self, config: str) -> None:
        self._candidate, self._mode, self._changes = config, "replace", None

    def load_merge_candidate(self, config: str) -> None:
        self._candidate, self._mode, self._changes = config, "merge", None

    def compare_config(self) -> str:
        if self._candidate is None:
            return ""
        self._changes = cfg.remediation(self.get_config(), self._candidate, self._mode)
        return cfg.diff_text(self._changes)

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        if self._changes is None:
            self.compare_config()
        if not self._changes:
            return
        changes = self._changes
        self._checkpoint = cfg.checkpoint_name(self.target.node, time.strftime("%Y%m%dT%H%M%S", time.gmtime()))
        self._before = self.get_config()
        saved = "".join(self._interactive(c, "commit") for c in cfg.save_checkpoint(self._checkpoint))
        if not re.search(r"successful", saved, re.I) or cfg.refused(saved):
            raise self._fail("commit", f"could not save the checkpoint {self._checkpoint}; nothing was changed")
        out = str(self._do("commit", self._conn.send_config_set, cfg.commit_sequence(changes, revert_in),
                           read_timeout=300))
        bad = cfg.refused(out)
        if bad:
            self.rollback()
            raise self._fail("commit", f"the device refused: {bad[0]}; restored {self._checkpoint}")
        self._pending = bool(revert_in)
        self._changes = None

    def confirm_commit(self) -> None:
        out = str(self._do("confirm", self._conn.send_config_set, cfg.confirm_sequence()))
        if cfg.refused(out):
            raise self._fail("confirm", cfg.refused(out)[0])
        self._pending = False

    def has_pending_commit(self) -> bool:
        return self._pending

    def discard_config(self) -> None:
        self._candidate, self._changes = None, None

    def rollback(self) -> None:
        if self._checkpoint is None or self._before is None:
            raise self._fail("rollback", "no checkpoint from a commit in this session")
        self._replace_from(self._checkpoint, self._before)

    def restore(self, config: str) -> None:
        """Back to ``config``, in this session or a later one (`govctl net rollback RUN_ID`): a config
        the journal saved before a commit, or the device's config now with govctl's part made equal to
        it (``scope.rollback_candidate``). Replace from the checkpoint file whose content is ``config``
        where there is one (exact, whole views the rollout added included); otherwise (lines outside
        govctl's scope changed since the checkpoint) type the exact remediation from the running
        config to ``config``, which touches govctl's part only, undoing views the rollout added too.
        A device already running ``config`` (a crash before the commit) only has it saved."""
        if not self._pending and not self.running_drift(config):
            self._save("rollback")
            return
        if self._checkpoint and self._before is not None and cfg.same_config(self._before, config):
            self._replace_from(self._checkpoint, config)
            return
        listing = self._show(f"dir {cfg.CHECKPOINT_DIR}", "rollback")
        for name in cfg.checkpoint_files(listing, self.target.node):
            if cfg.same_config(self._show(f"more {name}", "rollback"), config):
                self._replace_from(name, config)
                return
        self._remediate_to(config)

    def _remediate_to(self, config: str) -> None:
        changes = cfg.remediation(self.get_config(), config, "exact")
        out = str(self._do("rollback", self._conn.send_config_set,
                           cfg.commands(changes) + (cfg.confirm_sequence() if self._pending else []),
                           read_timeout=300))
        self._pending = False
        if cfg.refused(out):
            raise self._fail("rollback", cfg.refused(out)[0])
        left = self.running_drift(config)
        if left:
            raise self._fail("rollback", f"after the remediation the running config still differs:\n{left}")
        self._save("rollback")

    def _replace_from(self, checkpoint: str, before: str) -> None:
        self._before = before
        self._do("rollback", self._conn.config_mode)
        out = "".join(self._interactive(c, "rollback") for c in cfg.rollback_sequence(checkpoint))
        if self._pending:
            out += str(self._do("rollback", self._conn.send_command_timing, cfg.confirm_sequence()[0]))
            self._pending = False
        self._do("rollback", self._conn.exit_config_mode)
        if cfg.refused(out):
            raise self._fail("rollback", cfg.refused(out)[0])
        left = self.running_drift(self._before)
        if left:
            raise self._fail("rollback", f"after `configuration replace file {checkpoint}` the running "
                                         f"config still differs from the checkpoint:\n{left}")
        self._save("rollback")

    def running_drift(self, config: str) -> str:
        return cfg.drift(config, self.get_config())

    def startup_drift(self, config: str) -> str:
        return cfg.drift(config, self._show(cfg.SAVED_CONFIG))

    def save_config(self) -> None:
        self._save("save")

    def _save(self, step: str) -> None:
        out = self._interactive(cfg.SAVE_STARTUP, step)
        if not cfg.saved(out):
            lines = [line.strip() for line in out.splitlines() if line.strip()] or ["no answer"]
            why = next((line for line in lines if re.search(r"%|fail|error", line, re.I)), lines[-1])
            raise self._fail(step, f"`{cfg.SAVE_STARTUP}` did not save the running config as the startup "
                                   f"configuration: {why}")

    # ------------------------------------------------------------ getters

    def get_config(self) -> str:
        return self._show(cli.RUNNING)

    def reread_config(self) -> str:
        return self.get_config()  # never cached

    def get_facts(self) -> dict[str, object]:
        running = self.get_config()
        version = self._show("display version")
        m = re.search(r"Comware Software, Version ([^\n]+)", version)
        host = re.search(r"^\s*sysname (\S+)", running, re.M)
        return {"hostname": host.group(1) if host else self.target.node, "vendor": "H3C",
                "os_version": m.group(1).strip() if m else "", "uptime": -1,
                "interface_list": sorted(cli.interfaces_ip(running))}

    def get_interfaces_ip(self) -> dict[str, dict[str, list[str]]]:
        return cli.interfaces_ip(self.get_config())

    def _parsed(self, command: str, parse: Callable[[str], Any]) -> Any:
        try:
            return parse(self._show(command, "verify"))
        except cli.ComwareParseError as exc:
            raise self._fail("verify", str(exc)) from None

    def get_ospfv3_neighbors(self) -> list[OspfNeighbor]:
        return list(self._parsed(cli.OSPFV3_PEER, cli.parse_ospfv3_peer))

    def get_bgp_neighbors(self) -> list[BgpNeighbor]:
        return list(self._parsed(cli.BGP_IPV6_PEER, cli.parse_bgp_peer))

    def get_ipv6_routes(self) -> dict[str, str]:
        return dict(self._parsed(cli.IPV6_ROUTES, cli.parse_ipv6_routing_table))

    def ping(self, source: str, destinations: list[str]) -> dict[str, bool]:
        return {d: bool(self._parsed(cli.ping_command(source, d), cli.parse_ping)) for d in destinations}
