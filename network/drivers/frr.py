"""A NAPALM-style driver for FRR: vtysh over SSH (paramiko exec), frr-reload.py for the transaction.

- compare: ``frr-reload.py --test`` with the candidate (also validates it: vtysh parses it first)
- commit:  save ``show running-config``, then ``frr-reload.py --reload`` (with ``--revert-in``: the
           router restores the saved config itself unless ``confirm`` arrives: commit-confirm)
- rollback: reload the saved config; the result is checked to equal it exactly

On the device side the SSH account hands commands to that router's vtysh and to frr-reload
(the lab's ``labshell.sh`` is such an account; on a production FRR box the same commands are
a sudoers line away).
"""
from __future__ import annotations

import json
import socket

import paramiko

from network.drivers.credentials import resolve
from network.errors import DeviceError
from network.models import BgpNeighbor, DeviceTarget, OspfNeighbor

CONNECT_TIMEOUT = 8.0


def clean_running(text: str) -> str:
    """``show running-config`` without the banner lines vtysh adds, as frr-reload can load it back."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("frr version")), 0)
    body = [line for line in lines[start:] if line.strip() != "end"]
    return "\n".join(body).rstrip("\n") + "\n"


def parse_reload_test(text: str) -> str:
    """frr-reload --test output -> '-'/'+' lines ('' when nothing would change)."""
    out: list[str] = []
    mode = ""
    last: dict[tuple[str, int], str] = {}
    for line in text.splitlines():
        if line.startswith("Lines To Delete"):
            mode, last = "-", {}
            continue
        if line.startswith("Lines To Add"):
            mode, last = "+", {}
            continue
        if not mode or not line.strip() or set(line.strip()) == {"="}:
            continue
        if line[:4].isdigit() and " INFO: " in line or " WARNING: " in line or " ERROR: " in line:
            continue  # log lines
        # frr-reload repeats the enclosing context before every line; show each context once
        indent = len(line) - len(line.lstrip())
        if last.get((mode, indent)) == line:
            continue
        last[(mode, indent)] = line
        for k in [k for k in last if k[0] == mode and k[1] > indent]:
            del last[k]
        out.append(f"{mode} {line}")
    return "\n".join(out) + ("\n" if out else "")


class FrrDriver:
    """One SSH session to one FRR router."""

    name = "frr"

    def __init__(self, target: DeviceTarget, timeout: float = 60.0) -> None:
        self.target = target
        self.timeout = timeout
        self._ssh: paramiko.SSHClient | None = None
        self._candidate: str | None = None
        self._merge = False
        self._saved: str | None = None
        self._pending = False
        self._last_running: str | None = None

    # ------------------------------------------------------------ session

    def open(self) -> None:
        t = self.target
        creds = resolve(t.credentials, t.username, t.node)
        client = paramiko.SSHClient()
        if t.known_hosts:
            client.load_host_keys(t.known_hosts)
        else:
            client.load_system_host_keys()
        client.set_missing_host_key_policy(paramiko.RejectPolicy())  # never accept an unknown key silently
        try:
            client.connect(t.host, port=t.port, username=creds.username, password=creds.password,
                           key_filename=creds.key_file, timeout=CONNECT_TIMEOUT, banner_timeout=CONNECT_TIMEOUT,
                           auth_timeout=CONNECT_TIMEOUT, look_for_keys=False, allow_agent=False)
        except paramiko.AuthenticationException:
            raise DeviceError(t.node, "connect", "authentication failed") from None
        except paramiko.SSHException as exc:
            raise DeviceError(t.node, "connect", f"SSH: {exc}") from None
        except (OSError, socket.timeout) as exc:
            raise DeviceError(t.node, "connect", f"unreachable ({t.host} port {t.port}): "
                                                 f"{exc.strerror or exc}") from None
        self._ssh = client

    def close(self) -> None:
        if self._ssh is not None:
            self._ssh.close()
            self._ssh = None

    def __enter__(self) -> FrrDriver:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _exec(self, command: str, stdin: str | None = None, step: str = "exec",
              timeout: float | None = None) -> tuple[int, str]:
        if self._ssh is None:
            raise DeviceError(self.target.node, step, "not connected")
        try:
            chan = self._ssh.get_transport().open_session(timeout=CONNECT_TIMEOUT)  # type: ignore[union-attr]
            chan.settimeout(timeout or self.timeout)
            chan.exec_command(command)
            if stdin is not None:
                chan.sendall(stdin.encode())
            chan.shutdown_write()
            chunks: list[bytes] = []
            while True:
                data = chan.recv(65536)
                if not data:
                    break
                chunks.append(data)
            while chan.recv_stderr_ready():
                chunks.append(chan.recv_stderr(65536))
            rc = chan.recv_exit_status()
            chan.close()
        except (paramiko.SSHException, OSError, socket.timeout, EOFError) as exc:
            raise DeviceError(self.target.node, step, f"session lost: {exc or type(exc).__name__}") from None
        return rc, b"".join(chunks).decode(errors="replace")

    def _show(self, command: str) -> str:
        rc, out = self._exec(command, step="get")
        if rc != 0:
            raise DeviceError(self.target.node, "get", f"'{command}' exited {rc}: {out.strip()[:200]}")
        return out

    def _json(self, command: str) -> dict:  # type: ignore[type-arg]
        text = self._show(command).strip()
        if not text:
            return {}
        try:
            # vtysh may print a warning after the document; the first JSON value is the answer
            value, _ = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError as exc:
            raise DeviceError(self.target.node, "get", f"'{command}' did not return JSON ({exc})") from None
        return value if isinstance(value, dict) else {}

    # ------------------------------------------------------------ transaction

    def load_replace_candidate(self, config: str) -> None:
        self._candidate, self._merge = config, False

    def load_merge_candidate(self, config: str) -> None:
        self._candidate, self._merge = config, True

    def _full_candidate(self) -> str:
        if self._candidate is None:
            raise DeviceError(self.target.node, "load", "no candidate loaded")
        if not self._merge:
            return self._candidate
        # merge = running config followed by the new lines; frr-reload folds repeated contexts
        return self.get_config() + "!\n" + self._candidate

    def compare_config(self) -> str:
        rc, out = self._exec("frr-reload --test", stdin=self._full_candidate(), step="compare")
        if rc != 0:
            raise DeviceError(self.target.node, "load", "candidate rejected: " + _reason(out))
        return parse_reload_test(out)

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        candidate = self._full_candidate()
        # the engine has just read (and journaled) the running config: reuse it rather than ask twice
        self._saved = self._last_running if self._last_running is not None else self.get_config()
        command = "frr-reload --reload" + (f" --revert-in {int(revert_in)}" if revert_in else "")
        rc, out = self._exec(command, stdin=candidate, step="commit")
        self._pending = bool(revert_in)
        if rc != 0:
            raise DeviceError(self.target.node, "commit", "refused: " + _reason(out))

    def confirm_commit(self) -> None:
        rc, out = self._exec("confirm", step="confirm")
        if rc != 0:
            raise DeviceError(self.target.node, "confirm", out.strip()[:200])
        self._pending = False

    def has_pending_commit(self) -> bool:
        return self._pending

    def discard_config(self) -> None:
        self._candidate = None

    def rollback(self) -> None:
        if self._saved is None:
            raise DeviceError(self.target.node, "rollback", "nothing committed in this session")
        self.restore(self._saved)

    def restore(self, config: str) -> None:
        """Replace the running config with ``config`` and check the result equals it exactly."""
        if self._pending:
            self._exec("confirm", step="rollback")  # stop the device's own revert timer first
            self._pending = False
        rc, out = self._exec("frr-reload --reload", stdin=config, step="rollback")
        if self.get_config() == config:
            return
        # the text can differ only in order; ask frr-reload whether anything is really left
        _, left_out = self._exec("frr-reload --test", stdin=config, step="rollback")
        left = parse_reload_test(left_out)
        if left:
            why = f" (frr-reload exited {rc}: {_reason(out)})" if rc else ""
            raise DeviceError(self.target.node, "rollback", f"config differs after restore{why}:\n{left}")

    # ------------------------------------------------------------ getters

    def get_config(self) -> str:
        self._last_running = clean_running(self._show("show running-config"))
        return self._last_running

    def get_facts(self) -> dict[str, object]:
        version = self._show("show version")
        itf = self._json("show interface json")
        running = self.get_config()
        hostname = next((line.split(None, 1)[1] for line in running.splitlines()
                         if line.startswith("hostname ")), self.target.node)
        first = version.strip().splitlines()[0] if version.strip() else ""
        return {"hostname": hostname, "vendor": "FRRouting", "os_version": first,
                "interface_list": sorted(itf)}

    def get_interfaces_ip(self) -> dict[str, dict[str, list[str]]]:
        data = self._json("show interface json")
        out: dict[str, dict[str, list[str]]] = {}
        for name, info in data.items():
            entry: dict[str, list[str]] = {"ipv4": [], "ipv6": []}
            for a in info.get("ipAddresses", []):
                addr = a.get("address", "")
                if addr.startswith("fe80"):
                    continue
                entry["ipv6" if ":" in addr else "ipv4"].append(addr)
            out[name] = entry
        return out

    def get_ospfv3_neighbors(self) -> list[OspfNeighbor]:
        data = self._json("show ipv6 ospf6 neighbor json")
        return [OspfNeighbor(n.get("neighborId", ""), n.get("state", ""), n.get("interfaceName", ""))
                for n in data.get("neighbors", [])]

    def get_bgp_neighbors(self) -> list[BgpNeighbor]:
        data = self._json("show bgp ipv6 unicast summary json")
        peers = data.get("peers", {})
        return [BgpNeighbor(addr, int(p.get("remoteAs", 0)), p.get("state", ""), int(p.get("pfxRcd", 0)))
                for addr, p in peers.items()]

    def get_ipv6_routes(self) -> dict[str, str]:
        data = self._json("show ipv6 route json")
        out: dict[str, str] = {}
        for prefix, entries in data.items():
            chosen = [e for e in entries if e.get("selected")]
            if chosen:
                out[prefix] = chosen[0].get("protocol", "")
        return out

    def ping(self, source: str, destinations: list[str]) -> dict[str, bool]:
        if not destinations:
            return {}
        rc, out = self._exec(f"ping6 {source} {' '.join(destinations)}", step="ping", timeout=30)
        result = {d: False for d in destinations}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] in result:
                result[parts[0]] = parts[1] == "ok"
        return result


def _reason(out: str) -> str:
    errors = [line.strip() for line in out.splitlines()
              if line.lstrip().startswith("%") or "Unknown command" in line or "failed" in line]
    if errors:
        return " | ".join(dict.fromkeys(errors))[:400]
    useful = [line for line in out.splitlines()
              if line.strip() and "INFO:" not in line and not set(line.strip()) <= {"="}]
    return " | ".join(useful[-4:])[:400] or "no output"
