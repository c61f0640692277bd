"""A NAPALM-style driver for FRR: vtysh over SSH (paramiko exec, one connection per device for all
steps), frr-reload.py's semantics for the transaction.

- compare: frr-reload's diff of the candidate against ``show running-config``, computed in the
           controller with frr-reload.py's own module (``frr_diff``); vtysh -m validates the candidate.
           A replace candidate is scoped first (``platforms.scope.scoped_candidate``): the running
           config with govctl's owned scope made equal to the rendered config, so frr-reload's
           whole-config replace never touches a line outside that scope
- commit:  save ``show running-config``, apply exactly that diff in one vtysh session on the router
           (``apply``; with ``--revert-in`` the router restores the saved config itself unless
           ``confirm`` arrives: commit-confirm), then re-read the running config and diff again: if
           anything is left (commands that need frr-reload's second pass), ``frr-reload --reload``
           on the router finishes, and a config still different is a refused commit
- rollback: the same with the saved config as the target; the result is checked to equal it exactly

Without frr-reload.py and vtysh on the controller, the router's own frr-reload does compare
(``--test``), commit and rollback (``--reload``).

On the device side the SSH account hands commands to that router's vtysh and to frr-reload
(the lab's ``labshell.sh`` is such an account; on a production FRR box the same commands are
a sudoers line away).
"""
from __future__ import annotations

import json
import socket

import paramiko

from govctl.network.drivers import hostkeys
from govctl.network.platforms.frr import diff as frr_diff
from govctl.network.drivers.credentials import resolve
from govctl.network.errors import DeviceError
from govctl.network.models import BgpNeighbor, DeviceTarget, OspfNeighbor
from govctl.network.platforms.frr import PLATFORM as FRR
from govctl.network.platforms.scope import scoped_candidate

CONNECT_TIMEOUT = 8.0
# the device's ``apply`` prints this line, then its running config after the change
RUNNING_MARK = "!--- running-config after apply ---"
# the getters' sources, in the order ``refresh`` reads them
SNAPSHOT = ("show interface json", "show ipv6 ospf6 neighbor json", "show ipv6 route json",
            "show bgp ipv6 unicast summary json")


def clean_running(text: str) -> str:
    """``show running-config`` without the banner lines vtysh adds, as frr-reload can load it back."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("frr version")), 0)
    body = [line for line in lines[start:] if line.strip() != "end"]
    return "\n".join(body).rstrip("\n") + "\n"


def json_documents(text: str) -> list[object]:
    """The JSON documents vtysh prints one after the other, one per ``-c`` command (json.JSONDecodeError
    when the text is not such a sequence)."""
    docs: list[object] = []
    decoder, pos = json.JSONDecoder(), 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return docs
        value, pos = decoder.raw_decode(text, pos)
        docs.append(value)


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
        self._fresh = False  # _last_running was the last thing read and nothing was sent since
        # diff in this process with frr-reload's own module when the controller has it, else on the router
        self.local_diff = frr_diff.available()
        self._snapshot: dict[str, object] = {}

    # ------------------------------------------------------------ session

    def open(self) -> None:
        t = self.target
        creds = resolve(t.credentials, t.username, t.node)
        client = hostkeys.strict_client(t)  # only the device's trusted keys; any other is refused before auth
        try:
            client.connect(t.host, port=t.port, username=creds.username, password=creds.password,
                           key_filename=creds.key_file, timeout=CONNECT_TIMEOUT, banner_timeout=CONNECT_TIMEOUT,
                           auth_timeout=CONNECT_TIMEOUT, look_for_keys=False, allow_agent=False)
        except paramiko.AuthenticationException:
            raise DeviceError(t.node, "connect", "authentication failed") from None
        except paramiko.SSHException as exc:
            raise hostkeys.refusal(t, exc) or DeviceError(t.node, "connect", f"SSH: {exc}") from None
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
              timeout: float | None = None, stderr: bool = True) -> tuple[int, str]:
        """Run one command on the device. ``stderr``: append what it wrote there to the output
        (tools' messages); a ``show`` keeps it apart, since whatever the account's login shell
        prints on stderr must never become part of a configuration."""
        rc, out, err = self._run(command, stdin, step, timeout)
        return rc, out + err if stderr or rc != 0 else out

    def _run(self, command: str, stdin: str | None = None, step: str = "exec",
             timeout: float | None = None) -> tuple[int, str, str]:
        # what was read before is only current until the device is asked anything else
        self._snapshot, self._fresh = {}, False
        return self._channel(command, stdin, step, timeout)

    def _channel(self, command: str, stdin: str | None, step: str,
                 timeout: float | None) -> tuple[int, str, str]:
        """One exec channel on the session: (exit status, stdout, stderr)."""
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
            errs: list[bytes] = []
            while True:
                data = chan.recv(65536)
                if not data:
                    break
                chunks.append(data)
            while chan.recv_stderr_ready():
                errs.append(chan.recv_stderr(65536))
            rc = chan.recv_exit_status()
            chan.close()
        except (paramiko.SSHException, OSError, socket.timeout, EOFError) as exc:
            raise DeviceError(self.target.node, step, f"session lost: {exc or type(exc).__name__}") from None
        return rc, b"".join(chunks).decode(errors="replace"), b"".join(errs).decode(errors="replace")

    def _show(self, command: str) -> str:
        rc, out = self._exec(command, step="get", stderr=False)
        if rc != 0:
            raise DeviceError(self.target.node, "get", f"'{command}' exited {rc}: {out.strip()[:200]}")
        return out

    def refresh(self) -> None:
        """Read what the getters read, all in one vtysh session (one SSH channel, one vtysh start
        instead of four); the next call of each getter answers from this snapshot, later calls ask
        the device again. Verification polls call this once per pass."""
        rc, out = self._exec("\n".join(SNAPSHOT), step="get", stderr=False)
        try:
            docs = json_documents(out)
        except json.JSONDecodeError:
            docs = []
        # a daemon with nothing configured prints nothing: the answers cannot be told apart then
        self._snapshot = dict(zip(SNAPSHOT, docs)) if rc == 0 and len(docs) == len(SNAPSHOT) else {}

    def _json(self, command: str) -> dict:  # type: ignore[type-arg]
        if command in self._snapshot:
            value = self._snapshot.pop(command)
        else:
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
            # replace within govctl's owned scope only: the router's running config with the owned
            # scope made equal to the rendered one, so frr-reload's whole-config diff never deletes
            # or changes a line outside it (IPv4 routing, users, other peers and families...)
            return scoped_candidate(self.get_config(), self._candidate, FRR)
        # merge = running config followed by the new lines; frr-reload folds repeated contexts
        return self.get_config() + "!\n" + self._candidate

    def _delta(self, config: str, running: str, step: str) -> frr_diff.Delta:
        try:
            return frr_diff.delta(config, running)
        except frr_diff.Rejected as exc:
            if exc.which == "candidate":
                raise DeviceError(self.target.node, step, f"candidate rejected: {exc}") from None
            raise DeviceError(self.target.node, step, "this controller's vtysh does not understand the "
                                                      f"router's running config: {exc}") from None

    def compare_config(self) -> str:
        candidate = self._full_candidate()
        if not self.local_diff:
            rc, out = self._exec("frr-reload --test", stdin=candidate, step="compare")
            if rc != 0:
                raise DeviceError(self.target.node, "load", "candidate rejected: " + _reason(out))
            return parse_reload_test(out)
        return parse_reload_test(self._delta(candidate, self.get_config(), "load").test_output())

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        candidate = self._full_candidate()
        # the engine has just read (and journaled) the running config: reuse it rather than ask twice
        self._saved = self._last_running if self._last_running is not None else self.get_config()
        suffix = f" --revert-in {int(revert_in)}" if revert_in else ""
        if not self.local_diff:
            rc, out = self._exec("frr-reload --reload" + suffix, stdin=candidate, step="commit")
            self._pending = bool(revert_in)
            if rc != 0:
                raise DeviceError(self.target.node, "commit", "refused: " + _reason(out))
            return
        # the delta from the very config the engine saved, so what is applied and what a rollback
        # restores belong together
        delta = self._delta(candidate, self._saved, "commit")
        self._pending = bool(revert_in)  # armed as soon as the command arrives, whatever happens next
        self._apply(delta, candidate, "apply" + suffix, "commit")

    def _apply(self, delta: frr_diff.Delta, config: str, command: str, step: str) -> None:
        """Apply ``delta`` in one vtysh session; the device answers with its running config after
        it, which must now be ``config``. A few FRR commands take a second pass (a deleted line that
        took another with it, a 'no' form vtysh wants shorter); frr-reload --reload on the router
        knows those, so it finishes the job. A revert timer armed by ``command`` stays armed (it
        holds the config from before)."""
        rc, out, _ = self._run(command, stdin=delta.script(), step=step)
        messages, mark, running = out.partition(RUNNING_MARK + "\n")
        if not mark:
            raise DeviceError(self.target.node, step, "no running config after apply: " + _reason(messages))
        self._last_running, self._fresh = clean_running(running), True
        if not self._delta(config, self._last_running, step):
            return
        rc2, out2 = self._exec("frr-reload --reload", stdin=config, step=step)
        left = self._delta(config, self.get_config(), step)
        if left:
            why = _reason(out2) if rc2 else (_reason(messages) if rc else "")
            raise DeviceError(self.target.node, step, "refused: " + (why or "config differs after apply")
                              + "\n" + parse_reload_test(left.test_output()))

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
        if self.local_diff:
            delta = self._delta(config, self.get_config(), "rollback")
            if delta:
                self._apply(delta, config, "apply", "rollback")  # `apply` saves the startup config too
            else:
                self._persist(config)
            return
        rc, out = self._exec("frr-reload --reload", stdin=config, step="rollback")
        if self.get_config() == config:
            self._persist(config)
            return
        # the text can differ only in order; ask frr-reload whether anything is really left
        _, left_out = self._exec("frr-reload --test", stdin=config, step="rollback")
        left = parse_reload_test(left_out)
        if left:
            why = f" (frr-reload exited {rc}: {_reason(out)})" if rc else ""
            raise DeviceError(self.target.node, "rollback", f"config differs after restore{why}:\n{left}")

    def _persist(self, config: str) -> None:
        """Running is ``config``; make the startup config say so too (a controller that died after a
        router applied a change but before it saved leaves the two apart)."""
        if self.startup_drift(config):
            self.save_config()

    def save_config(self) -> None:
        rc, out = self._exec("write memory", step="save")
        if rc != 0 or _reason(out).startswith("%"):
            raise DeviceError(self.target.node, "save", "write memory refused: " + _reason(out))

    def get_startup_config(self) -> str:
        rc, out = self._exec("startup", step="get", stderr=False)
        if rc != 0:
            raise DeviceError(self.target.node, "get", f"cannot read the startup config (exit {rc})")
        return clean_running(out)

    def running_drift(self, config: str) -> str:
        return self._drift(config, self.get_config())

    def startup_drift(self, config: str) -> str:
        return self._drift(config, self.get_startup_config())

    def _drift(self, config: str, actual: str) -> str:
        """'-' lines of ``config`` that ``actual`` lacks, '+' lines ``actual`` has beyond it: what
        frr-reload would delete and add to turn ``config`` into ``actual``. Semantic where the
        controller has frr-reload.py (order and spelling vtysh normalises do not count), else by text."""
        if clean_running(config) == actual:
            return ""
        if not self.local_diff:
            import difflib

            return "".join(line + "\n" for line in difflib.unified_diff(
                clean_running(config).splitlines(), actual.splitlines(), lineterm="", n=0)
                if line[:1] in "+-" and line[:3] not in ("+++", "---"))
        return parse_reload_test(self._delta(actual, config, "get").test_output())

    # ------------------------------------------------------------ getters

    def get_config(self) -> str:
        """The running config. Read from the device unless the last thing this session did was
        reading it (the engine journals the config the compare has just read: one read, not two,
        and the saved config is exactly the one the diff was computed from)."""
        if not (self._fresh and self._last_running is not None):
            self._last_running = clean_running(self._show("show running-config"))
            self._fresh = True
        return self._last_running

    def reread_config(self) -> str:
        self._fresh = False
        return self.get_config()

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
