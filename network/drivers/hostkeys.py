"""SSH host-key trust: the one place that decides which SSH servers govctl authenticates to.

A device's trusted keys are
- the entries for its address in its ``known_hosts`` file (the target's, else ``~/.ssh/known_hosts``),
  looked up as OpenSSH writes them (``host``, or ``[host]:port`` off port 22; hashed names too);
- the key its target pins (``host_key: "ssh-ed25519 AAAA..."``, from the cutover device overlay; the
  inventory has no such key yet); it replaces the file's key of the same type.
Nothing is learnt on first use. An unknown key, or a known host presenting another key, ends the
connection right after the key exchange, before any credential is sent, with one line naming the
device and the fingerprint the server presented.

Two layers use this: ``verify_host_key`` runs a key exchange alone before every driver's ``open``
(the registry guarantees it, for drivers present and future), and each driver's own connection is
strict as well (``strict_client`` for paramiko, ``netmiko_trust`` for netmiko and NAPALM), so a key
swapped between the two connections is refused too.
"""
from __future__ import annotations

import base64
import binascii
import hmac
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paramiko

from govctl.network.errors import DeviceError
from govctl.network.models import DeviceTarget

DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"
CONNECT_TIMEOUT = 10.0


class HostKeyRefused(paramiko.SSHException):
    """The server's key is not trusted; the message is the line the user sees."""


def known_hosts_file(target: DeviceTarget) -> Path:
    return Path(target.known_hosts or DEFAULT_KNOWN_HOSTS).expanduser()


def host_id(host: str, port: int) -> str:
    """The name a known_hosts line gives this server (OpenSSH's and paramiko's rule)."""
    return host if port == 22 else f"[{host}]:{port}"


def _where(target: DeviceTarget) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    return f"{host}:{target.port}"


def describe(key: paramiko.PKey) -> str:
    """``ssh-ed25519 SHA256:...``, as ``ssh-keygen -lf`` prints it."""
    return f"{key.get_name()} {key.fingerprint}"


def pinned_key(target: DeviceTarget) -> paramiko.PKey | None:
    # getattr: a target pickled before the field existed (a resumed run's cached context) pins nothing
    text = (getattr(target, "host_key", None) or "").strip()
    if not text:
        return None
    parts = text.split()
    try:
        if len(parts) < 2:
            raise ValueError("expected '<type> <base64>'")
        key = paramiko.PKey.from_type_string(parts[0], base64.b64decode(parts[1], validate=True))
    except (ValueError, binascii.Error, paramiko.SSHException) as exc:
        raise DeviceError(target.node, "connect", f"host_key {text[:40]!r} is not an OpenSSH public key "
                                                  f"('ssh-ed25519 AAAA...'): {exc}") from None
    return key


def _matches(patterns: list[str], name: str) -> bool:
    for pattern in patterns:
        if pattern == name:
            return True
        # HashKnownHosts: |1|salt|hash
        if pattern.startswith("|1|") and hmac.compare_digest(paramiko.HostKeys.hash_host(name, pattern), pattern):
            return True
    return False


def _from_file(target: DeviceTarget) -> tuple[list[paramiko.PKey], bool]:
    """The keys the known_hosts file lists for the device (first of each type, as paramiko and
    OpenSSH take them; none that an ``@revoked`` line names), and whether paramiko can read the file
    as it is. A line neither can read is skipped, as OpenSSH does (paramiko alone stops at it);
    ``@cert-authority`` lines trust nobody here (govctl's clients use no host certificates)."""
    path = known_hosts_file(target)
    if not path.exists():
        return [], True
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        raise DeviceError(target.node, "connect", f"cannot read known_hosts {path}: {exc.strerror or exc}") from None
    name = host_id(target.host, target.port)
    listed: dict[str, paramiko.PKey] = {}
    revoked: list[bytes] = []
    plain = True
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        marker = ""
        if line.startswith("@"):
            marker, _, line = line.partition(" ")
            line, plain = line.strip(), False
        try:
            entry = paramiko.hostkeys.HostKeyEntry.from_line(line, lineno)
        except (paramiko.SSHException, paramiko.hostkeys.InvalidHostKey):
            plain = False
            continue
        if entry is None or entry.key is None or not _matches(entry.hostnames, name):
            continue
        if marker == "@revoked":
            revoked.append(entry.key.asbytes())
        elif not marker:
            listed.setdefault(entry.key.get_name(), entry.key)
    return [k for k in listed.values() if k.asbytes() not in revoked], plain


def trusted_keys(target: DeviceTarget) -> list[paramiko.PKey]:
    """The keys this device may present, at most one per key type."""
    by_type = {k.get_name(): k for k in _from_file(target)[0]}
    pinned = pinned_key(target)
    if pinned is not None:
        by_type[pinned.get_name()] = pinned
    return list(by_type.values())


def _sources(target: DeviceTarget) -> str:
    pinned = " nor pinned as host_key" if not getattr(target, "host_key", None) else " nor the pinned host_key"
    return f"known_hosts {known_hosts_file(target)}{pinned}"


def unknown_message(target: DeviceTarget, key: paramiko.PKey | None) -> str:
    seen = f"{describe(key)} of " if key is not None else ""
    return (f"host key not trusted: {seen}{_where(target)} not found in {_sources(target)}; "
            "check the fingerprint out of band, then add it (nothing was sent)")


def changed_message(target: DeviceTarget, key: paramiko.PKey, trusted: list[paramiko.PKey]) -> str:
    return (f"host key CHANGED: {_where(target)} presented {describe(key)}, trusted is "
            f"{', '.join(describe(k) for k in trusted)} ({_sources(target)}); a replaced device or someone "
            "in between: check out of band before updating it (nothing was sent)")


def check(target: DeviceTarget, key: paramiko.PKey, trusted: list[paramiko.PKey] | None = None) -> None:
    """Raise ``HostKeyRefused`` unless ``key`` is one of the device's trusted keys."""
    trusted = trusted_keys(target) if trusted is None else trusted
    if any(key.asbytes() == k.asbytes() for k in trusted):
        return
    raise HostKeyRefused(changed_message(target, key, trusted) if trusted else unknown_message(target, key))


class TrustedOnly(paramiko.MissingHostKeyPolicy):
    """paramiko's policy for a server whose name has no trusted key: refuse, with govctl's line."""

    def __init__(self, target: DeviceTarget) -> None:
        self.target = target

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        check(self.target, key)


def strict_client(target: DeviceTarget) -> paramiko.SSHClient:
    """A paramiko client that knows exactly the device's trusted keys and refuses any other
    (paramiko raises ``BadHostKeyException`` for a known name with another key, ``TrustedOnly``
    for an unknown one); ``refusal`` turns either into the one line."""
    client = paramiko.SSHClient()
    known = client.get_host_keys()
    for key in trusted_keys(target):
        known.add(host_id(target.host, target.port), key.get_name(), key)
    client.set_missing_host_key_policy(TrustedOnly(target))
    return client


@contextmanager
def netmiko_trust(target: DeviceTarget) -> Iterator[dict[str, Any]]:
    """netmiko's host-key arguments (NAPALM's netmiko drivers take them as ``optional_args``):
    ``ssh_strict`` (RejectPolicy; netmiko's default auto-adds any key) and the trusted keys.
    A known_hosts file paramiko reads as it is, with no pinned key, is passed as it is; otherwise a
    private file holding exactly the trusted keys, for as long as the connect lasts (netmiko reads it
    while connecting)."""
    if pinned_key(target) is None and _from_file(target)[1]:
        yield {"ssh_strict": True, "system_host_keys": target.known_hosts is None,
               "alt_host_keys": target.known_hosts is not None, "alt_key_file": target.known_hosts or ""}
        return
    name = host_id(target.host, target.port)
    lines = [f"{name} {k.get_name()} {k.get_base64()}\n" for k in trusted_keys(target)]
    with tempfile.TemporaryDirectory(prefix="govctl-hostkeys-") as tmp:
        path = Path(tmp) / "known_hosts"
        path.write_text("".join(lines))
        yield {"ssh_strict": True, "system_host_keys": False, "alt_host_keys": True, "alt_key_file": str(path)}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        cur = cur.__cause__ or cur.__context__


def refusal(target: DeviceTarget, exc: BaseException) -> DeviceError | None:
    """The one line for a connect that ended on a host key, or None. netmiko and NAPALM wrap
    paramiko's exception in their own multi-line ones; the original is in the chain."""
    for e in _chain(exc):
        if isinstance(e, HostKeyRefused):
            return DeviceError(target.node, "connect", str(e))
        if isinstance(e, paramiko.BadHostKeyException):
            return DeviceError(target.node, "connect", changed_message(target, e.key, [e.expected_key]))
        if isinstance(e, paramiko.SSHException) and "not found in known_hosts" in str(e):
            # paramiko's own RejectPolicy (netmiko's ssh_strict) does not say which key it saw
            return DeviceError(target.node, "connect", unknown_message(target, None))
    return None


def connect_failure(target: DeviceTarget, exc: BaseException) -> DeviceError:
    """The one line for a connect that failed (netmiko and NAPALM raise anything, over several lines):
    the host key's refusal, else "authentication failed", else the exception's kind and first line."""
    kind = type(exc).__name__
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    reason = "authentication failed" if "Authentication" in kind else f"{kind}: {lines[0] if lines else ''}"
    return refusal(target, exc) or DeviceError(target.node, "connect", reason)


def _prefer_trusted_types(transport: paramiko.Transport, trusted: list[paramiko.PKey]) -> None:
    """Ask for the key types the device is trusted with first (as paramiko's SSHClient and
    OpenSSH do), so a server holding several keys presents the one known_hosts has."""
    opts = transport.get_security_options()
    available = list(opts.key_types)
    wanted: list[str] = []
    for key in trusted:
        name = key.get_name()
        wanted += ["rsa-sha2-512", "rsa-sha2-256", name] if name == "ssh-rsa" else [name]
    first = [n for n in dict.fromkeys(wanted) if n in available]
    opts.key_types = first + [n for n in available if n not in first]


def verify_host_key(target: DeviceTarget, timeout: float = CONNECT_TIMEOUT) -> None:
    """Key exchange with the device and nothing else: the connection is closed before any
    authentication (not even the ``ssh-userauth`` service request). Raises ``DeviceError``
    (step 'connect') unless the key presented is trusted; an unreachable device fails here too."""
    trusted = trusted_keys(target)  # a bad file or pin is reported without dialling
    try:
        sock = socket.create_connection((target.host, target.port), timeout=timeout)
    except OSError as exc:
        raise DeviceError(target.node, "connect", f"unreachable ({target.host} port {target.port}): "
                                                  f"{exc.strerror or exc}") from None
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = timeout
        _prefer_trusted_types(transport, trusted)
        transport.start_client(timeout=timeout)
        key = transport.get_remote_server_key()
    except (paramiko.SSHException, EOFError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DeviceError(target.node, "connect", f"SSH: {first}") from None
    finally:
        transport.close()
        sock.close()
    try:
        check(target, key, trusted)
    except HostKeyRefused as exc:
        raise DeviceError(target.node, "connect", str(exc)) from None
