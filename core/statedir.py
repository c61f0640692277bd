"""Where govctl keeps state, and the lock that lets one state-changing run at a time touch an inventory.

The rule: an inventory's state directory is ``<inventory dir>/.govctl/``, so every command on the same
inventory finds the same runs whatever the working directory. ``--state-dir DIR`` (``set_override``) or
else ``$GOVCTL_STATE_DIR`` names the state directory itself instead. Inside it:

  runs/        ``net push`` journals (one directory per run)
  cutover/     cutover journals (``<run>.jsonl`` and ``<run>/``)
  migration/   the migration journal (``journal.jsonl``)
  stacks/      ``govctl plan``/``apply``: graph cache, snapshots and the default Pulumi local backend (not
               named a cache: the backend is the record of real cloud resources, not to be deleted lightly)
  locks/       one lock file per kind of run (``net``, ``cutover-<network>``, ``apply``)

Exception, labs: the router, cutover and cloud labs are host-wide (network namespaces, bridges, ports,
root-owned processes), so two inventories cannot each have their own; their state stays host-wide
(``lab_dir()``: ``$GOVCTL_LAB_DIR`` or ``/var/lib/govctl/lab``).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from govctl.core.errors import InputError, RuntimeFailure

ENV = "GOVCTL_STATE_DIR"
DIRNAME = ".govctl"
AREAS = ("runs", "cutover", "migration", "stacks", "locks")

_override: Path | None = None


class StateLocked(RuntimeFailure):
    """Another run of the same kind holds the inventory's lock (exit 1); names its pid and start time."""


def set_override(path: Path | None) -> None:
    """What the global ``--state-dir`` option sets: the state directory for every command of this process."""
    global _override
    _override = None if path is None else Path(path)


def overridden() -> bool:
    """``--state-dir`` or ``$GOVCTL_STATE_DIR`` names the state directory: no inventory is needed to find it."""
    return _override is not None or bool(os.environ.get(ENV))


def root(inventory: Path | None = None) -> Path:
    """The state directory of ``inventory``; None only when ``overridden()`` (else an input error)."""
    if _override is not None:
        return _override
    env = os.environ.get(ENV)
    if env:
        return Path(env)
    if inventory is None:
        raise InputError("no inventory to find the state beside: name the inventory, or give --state-dir DIR "
                         f"or ${ENV}")
    inv = Path(inventory).resolve()
    if _installed(inv):
        return _user_state(inv)
    return inv / DIRNAME


def area(inventory: Path | None, name: str) -> Path:
    """One area of the state directory (``runs``, ``cutover``, ``migration``, ``stacks``, ``locks``)."""
    if name not in AREAS:
        raise ValueError(f"unknown state area {name!r} (one of {', '.join(AREAS)})")
    return root(inventory) / name


def _installed(inv: Path) -> bool:
    # An inventory shipped inside an installed package (the bundled example in site-packages, or any
    # read-only directory) is not the user's to write into: pip replaces those files on upgrade and a
    # system install is root-owned. Its state goes to the user's state directory instead.
    if any(part in ("site-packages", "dist-packages") for part in inv.parts):
        return True
    return inv.is_dir() and not os.access(inv, os.W_OK)


def _user_state(inv: Path) -> Path:
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "govctl"
    digest = hashlib.sha256(str(inv).encode("utf-8")).hexdigest()[:12]
    return base / f"{inv.name}-{digest}"  # one per inventory path: two installs never share runs


def lab_dir() -> Path:
    """The router lab's host-wide directory (see the module docstring for why labs are the exception)."""
    return Path(os.environ.get("GOVCTL_LAB_DIR", "/var/lib/govctl/lab"))


# ---------------------------------------------------------------- the lock


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: read from the lock file's JSON body."""

    pid: int | None
    started: str
    command: str

    def describe(self) -> str:
        pid = f"pid {self.pid}" if self.pid is not None else "pid unknown"
        return f"{pid}, started {self.started or 'at an unknown time'}" + (f" ({self.command})" if self.command else "")


def lock_path(inventory: Path | None, what: str) -> Path:
    return area(inventory, "locks") / f"{what}.lock"


@contextmanager
def lock(inventory: Path | None, what: str, command: str | None = None) -> Iterator[Path]:
    """Hold ``<state>/locks/<what>.lock`` for the block, or raise ``StateLocked`` naming the holder.

    An flock: the kernel releases it when the holder dies, so a lock file left by a crashed run is simply
    taken over (its body is rewritten). Example: ``with statedir.lock(inv, "net", "net push"): ...``
    """
    with hold(lock_path(inventory, what), command or what):
        yield lock_path(inventory, what)


@contextmanager
def hold(path: Path, command: str) -> Iterator[None]:
    """``lock`` for an explicit lock file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = _read_holder(path, wait=True)
            raise StateLocked(f"another {command} is running on this inventory: {who.describe()}; "
                              f"lock {path}") from None
        body = json.dumps({"pid": os.getpid(),
                           "started": datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds"),
                           "command": command})
        os.ftruncate(fd, 0)
        os.pwrite(fd, body.encode("utf-8"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # a free lock names nobody
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def holder(path: Path) -> Holder | None:
    """Who holds the lock file now, or None when it is free (no live process holds it)."""
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(path, wait=True)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_holder(path: Path, wait: bool) -> Holder:
    # the holder writes its body just after taking the flock: give it a moment before saying "unknown"
    for _ in range(20 if wait else 1):
        try:
            doc = json.loads(path.read_text(encoding="utf-8") or "null")
        except (OSError, json.JSONDecodeError):
            doc = None
        if isinstance(doc, dict):
            pid = doc.get("pid")
            return Holder(pid if isinstance(pid, int) else None, str(doc.get("started", "")),
                          str(doc.get("command", "")))
        time.sleep(0.01)
    return Holder(None, "", "")
