"""No credential reaches an SSH server whose host key is not trusted, whatever the driver.

A stand-in SSH server on 127.0.0.1 (paramiko, a fresh random host key, a bounded life) records every
authentication attempt it receives: none, password, publickey, keyboard-interactive. Every platform
the registry serves (read from the registry, so a new driver is covered the day it is registered)
meets it with an unknown key and with a changed one, through the registry and as the bare driver
class, and must send nothing; with the key pinned or in known_hosts the password does arrive, which
is what proves the recorder would have caught a leak. A CLI run against such servers prints govctl's
one line per device and no library traceback.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import paramiko
import pytest

import govctl
from govctl.network.drivers import hostkeys
from govctl.network.drivers.registry import DRIVERS, driver_for, platforms
from govctl.network.errors import DeviceError
from govctl.network.models import DeviceTarget

SECRET = "stand-in-must-never-see-this-7f3a"
PASSWORD_ENV = "GOVCTL_HOSTKEY_TEST_PW"
LIFETIME = 30.0  # seconds a stand-in server lives at most, whatever the test does


class Recorder(paramiko.ServerInterface):
    """Refuses every authentication and writes down what it was offered."""

    def __init__(self, attempts: list[tuple[str, str, str]]) -> None:
        self.attempts = attempts

    def get_allowed_auths(self, username: str) -> str:
        return "password,publickey,keyboard-interactive"

    def check_auth_none(self, username: str) -> int:
        self.attempts.append(("none", username, ""))
        return paramiko.AUTH_FAILED

    def check_auth_password(self, username: str, password: str) -> int:
        self.attempts.append(("password", username, password))
        return paramiko.AUTH_FAILED

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        self.attempts.append(("publickey", username, key.get_base64()))
        return paramiko.AUTH_FAILED

    def check_auth_interactive(self, username: str, submethods: str) -> Any:
        self.attempts.append(("keyboard-interactive", username, submethods))
        return paramiko.InteractiveQuery("", "", ("Password: ", False))

    def check_auth_interactive_response(self, responses: list[str]) -> int:
        self.attempts.append(("keyboard-interactive", "", " ".join(responses)))
        return paramiko.AUTH_FAILED


class StandIn:
    """An SSH server on 127.0.0.1 that authenticates nobody. ``ssh=False``: a TCP service that
    answers with something that is not SSH and hangs up (paramiko's banner error)."""

    def __init__(self, ssh: bool = True) -> None:
        self.key = paramiko.ECDSAKey.generate()  # fresh per server: nothing on this machine knows it
        self.ssh = ssh
        self.attempts: list[tuple[str, str, str]] = []
        self.connections = 0
        self._transports: list[paramiko.Transport] = []
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="stand-in-ssh", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        deadline = time.monotonic() + LIFETIME
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            self.connections += 1
            if not self.ssh:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
                conn.close()
                continue
            transport = paramiko.Transport(conn)
            transport.add_server_key(self.key)
            self._transports.append(transport)
            # with an event, start_server returns at once; the transport's thread serves this client
            transport.start_server(event=threading.Event(), server=Recorder(self.attempts))
        self._sock.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for transport in self._transports:
            transport.close()

    def line(self, key: paramiko.PKey | None = None) -> str:
        """A known_hosts line for this server (with ``key``, another key under its name)."""
        k = key or self.key
        return f"{hostkeys.host_id('127.0.0.1', self.port)} {k.get_name()} {k.get_base64()}\n"

    def leaked(self) -> list[tuple[str, str, str]]:
        return [a for a in self.attempts if a[0] in ("password", "publickey", "keyboard-interactive", "none")]


@pytest.fixture
def server():
    s = StandIn()
    yield s
    s.stop()


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(PASSWORD_ENV, SECRET)
    return f"env:{PASSWORD_ENV}"


def _target(platform: str, server: StandIn, credentials: str, known_hosts: Path, **extra: Any) -> DeviceTarget:
    # known_hosts always explicit: the tests never read this machine's ~/.ssh
    return DeviceTarget(node=f"lab-{platform}-r1", platform=platform, host="127.0.0.1", port=server.port,
                        username="noc", credentials=credentials, known_hosts=str(known_hosts), **extra)


def _refused(opener: Any) -> DeviceError:
    started = time.monotonic()
    with pytest.raises(DeviceError) as info:
        opener()
    assert time.monotonic() - started < 20
    return info.value


def test_every_registered_platform_is_covered():
    assert set(platforms()) >= {"frr", "h3c_comware", "huawei_vrp", "ios"}


@pytest.mark.parametrize("platform", platforms())
def test_unknown_key_is_refused_with_the_fingerprint_before_any_credential(platform, server, credentials, tmp_path):
    kh = tmp_path / "known_hosts"
    kh.write_text("")
    t = _target(platform, server, credentials, kh)
    exc = _refused(driver_for(t).open)
    assert exc.device == t.node and exc.step == "connect"
    assert "host key not trusted" in exc.message and server.key.fingerprint in exc.message
    assert str(kh) in exc.message and "\n" not in str(exc)
    assert server.leaked() == []


@pytest.mark.parametrize("platform", platforms())
def test_changed_key_is_refused_before_any_credential(platform, server, credentials, tmp_path):
    other = paramiko.ECDSAKey.generate()
    kh = tmp_path / "known_hosts"
    kh.write_text(server.line(other))
    t = _target(platform, server, credentials, kh)
    exc = _refused(driver_for(t).open)
    assert exc.device == t.node and "host key CHANGED" in exc.message
    assert server.key.fingerprint in exc.message and other.fingerprint in exc.message
    assert "\n" not in str(exc)
    assert server.leaked() == []


@pytest.mark.parametrize("case", ["unknown", "changed"])
@pytest.mark.parametrize("platform", platforms())
def test_the_bare_driver_class_refuses_too(platform, case, server, credentials, tmp_path):
    """Without the registry's check: the driver's own SSH client must be strict (netmiko's default
    auto-adds any key, which is how NAPALM's drivers sent passwords)."""
    kh = tmp_path / "known_hosts"
    kh.write_text(server.line(paramiko.ECDSAKey.generate()) if case == "changed" else "")
    t = _target(platform, server, credentials, kh)
    exc = _refused(DRIVERS[platform](t).open)
    assert exc.device == t.node
    assert ("host key CHANGED" if case == "changed" else "host key not trusted") in exc.message
    assert "\n" not in str(exc)
    assert server.connections >= 1  # it did dial the stand-in, and then said nothing
    assert server.leaked() == []


@pytest.mark.parametrize("trust", ["pinned", "known_hosts"])
@pytest.mark.parametrize("platform", platforms())
def test_a_trusted_key_lets_the_password_through(platform, trust, server, credentials, tmp_path):
    """The control: with the key trusted, the stand-in does receive the password (and refuses it),
    so the empty records above mean nothing was sent, not that nothing could be seen."""
    kh = tmp_path / "known_hosts"
    kh.write_text(server.line() if trust == "known_hosts" else "")
    pin = {"host_key": f"{server.key.get_name()} {server.key.get_base64()}"} if trust == "pinned" else {}
    t = _target(platform, server, credentials, kh, **pin)
    exc = _refused(driver_for(t).open)
    assert exc.message == "authentication failed"
    assert ("password", "noc", SECRET) in server.attempts


@pytest.mark.parametrize("platform", platforms())
def test_known_hosts_as_openssh_writes_it(platform, server, credentials, tmp_path):
    """A hashed entry (HashKnownHosts) is found; markers and a line nobody can read do not stop the
    lookup (paramiko alone would raise on them, so netmiko gets a file of the trusted keys only)."""
    name = hostkeys.host_id("127.0.0.1", server.port)
    kh = tmp_path / "known_hosts"
    kh.write_text("@cert-authority *.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv\n"
                  "203.0.113.9 ssh-ed25519 !!!not-base64\n"
                  f"{paramiko.HostKeys.hash_host(name)} {server.key.get_name()} {server.key.get_base64()}\n")
    exc = _refused(driver_for(_target(platform, server, credentials, kh)).open)
    assert exc.message == "authentication failed"
    assert ("password", "noc", SECRET) in server.attempts


@pytest.mark.parametrize("platform", platforms())
def test_a_revoked_key_is_refused_even_when_listed(platform, server, credentials, tmp_path):
    kh = tmp_path / "known_hosts"
    kh.write_text(server.line() + "@revoked " + server.line())
    t = _target(platform, server, credentials, kh)
    for opener in (driver_for(t).open, DRIVERS[platform](t).open):
        assert "host key not trusted" in _refused(opener).message
    assert server.leaked() == []


def test_a_pinned_key_that_is_not_a_key_is_refused_without_dialling(server, credentials, tmp_path):
    t = _target("frr", server, credentials, tmp_path / "absent", host_key="ssh-ed25519 not-base64!")
    exc = _refused(lambda: hostkeys.verify_host_key(t))
    assert "host_key" in exc.message and "not an OpenSSH public key" in exc.message
    assert server.connections == 0


def test_a_host_without_known_hosts_file_is_unknown(server, credentials, tmp_path):
    t = _target("frr", server, credentials, tmp_path / "absent")
    exc = _refused(lambda: hostkeys.verify_host_key(t))
    assert "host key not trusted" in exc.message and server.key.fingerprint in exc.message


CLI_RUN = """
import sys
from dataclasses import replace

from govctl.network import workflow

port, node, known_hosts, entry = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
production_targets = workflow.production_targets


def stand_in_targets(inv, plan):
    return {n: replace(t, host="127.0.0.1", port=port, credentials="env:{env}", known_hosts=known_hosts)
            for n, t in production_targets(inv, plan).items()}


workflow.production_targets = stand_in_targets
from govctl import cli

sys.argv = ["govctl", "net", "diff", "--limit", node]
cli.main() if entry == "main" else cli.app()
""".replace("{env}", PASSWORD_ENV)


def _cli(server: StandIn, tmp_path: Path, entry: str = "main") -> subprocess.CompletedProcess[str]:
    import os

    script = tmp_path / "run.py"
    script.write_text(CLI_RUN)
    kh = tmp_path / "known_hosts"
    kh.write_text("")
    env = {**os.environ, PASSWORD_ENV: SECRET, "GOVCTL_STATE_DIR": str(tmp_path / "state"),
           # the package this test imported (a symlinked working copy or an install)
           "PYTHONPATH": str(Path(govctl.__file__).parent.parent), "COLUMNS": "1000"}  # one table row per device
    return subprocess.run([sys.executable, str(script), str(server.port), "example-core1", str(kh), entry],
                          capture_output=True, text=True, timeout=90, env=env, cwd=tmp_path)


def test_cli_prints_one_line_for_an_unknown_key_and_no_traceback(server, tmp_path):
    r = _cli(server, tmp_path)
    both = r.stdout + r.stderr
    assert "Traceback" not in both
    assert "example-core1" in both and "host key not trusted" in both and server.key.fingerprint in both
    assert server.leaked() == []


def test_cli_hides_paramiko_thread_traceback_of_a_server_that_is_not_ssh(tmp_path):
    not_ssh = StandIn(ssh=False)
    try:
        r = _cli(not_ssh, tmp_path)
        control = _cli(not_ssh, tmp_path, entry="app")  # the same run without main()'s quieting
    finally:
        not_ssh.stop()
    both = r.stdout + r.stderr
    assert "Traceback" not in both, r.stderr
    assert "example-core1" in both and "protocol banner" in both
    # the traceback this guards against is real: without main() paramiko's thread prints it
    assert "Traceback" in control.stderr
