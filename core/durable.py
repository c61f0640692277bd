"""Durable files: the one append-only journal and the one atomic file write that every govctl journal uses.

Durability: a record returns once its line is on disk (fsync). Appends made at the same moment share one
fsync (group commit): when many devices journal at once each waits for the next fsync instead of queueing
one fsync each. Saved files (device configs, checkpoints, run metadata) are written to a temporary file,
fsync'd, renamed into place and their directory fsync'd: a crash leaves the old file or the new one.

Torn tail: a crash can cut the last line short (or, on some filesystems, leave it as NUL bytes). Whatever
follows the last newline is not a record: it is ignored on read and truncated away before the next append,
so a later record never follows garbage. A complete line that does not parse is damage (someone edited the
file, or the disk failed) and the journal's own reader reports it with its line number.

Writers in several processes (Ansible forks journaling one push run) serialise each append with an flock
on the journal, so one process never mistakes another's line in flight for a torn tail.
"""
from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from govctl.core.errors import RuntimeFailure


class JournalDamaged(RuntimeFailure):
    """A complete journal line is not JSON: the file was damaged, not torn by a crash."""


def fsync_dir(directory: Path) -> None:
    """Make a file's creation, rename or removal in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def private_dirs(directory: Path) -> None:
    """Create ``directory`` and missing parents owner-only (0700): saved configs carry hashed secrets."""
    missing = [d for d in [directory, *directory.parents] if not d.exists()]
    for d in reversed(missing):
        try:
            d.mkdir(mode=0o700)
        except FileExistsError:
            pass  # another writer made it first


def write_private(path: Path, text: str) -> None:
    """Atomic and durable, mode 0600: a crash leaves the old file or the new one, never a torn one; a journal
    line naming the file is written only after this returns."""
    private_dirs(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


class JournalFile:
    """One append-only JSON Lines file. ``append`` returns once the line is on disk; ``lines`` and ``records``
    read the complete lines only (a torn tail is not a record)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # one writer thread at a time in this process
        self._sync_lock = threading.Lock()
        self._fd: int | None = None
        self._size = -1  # file size after our last write; another size means someone else wrote
        self._count = 0  # complete lines in the file at that size
        self._written = 0  # lines this object appended
        self._synced = 0  # of those, lines known to be on disk

    # ---------------------------------------------------------------- write
    def append(self, record: dict[str, Any] | Callable[[int], dict[str, Any]]) -> int:
        """Append one record and return its line index (0-based) once it is on disk. ``record`` may be a
        function of that index (a journal numbering its records), called while no other append can run."""
        with self._lock:
            fd = self._open()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                self._catch_up(fd)
                index = self._count
                data = record(index) if callable(record) else record
                line = (json.dumps(data, ensure_ascii=False, default=str) + "\n").encode("utf-8")
                view = memoryview(line)
                while view:  # one write() in practice; a short write is continued, never interleaved (flock)
                    view = view[os.write(fd, view):]
                self._size += len(line)
                self._count += 1
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            self._written += 1
            mine = self._written
        self._sync(mine)
        return index

    def next_index(self) -> int:
        """The index the next record will get (the number of complete lines), without re-reading the file
        when only this object has written to it."""
        with self._lock:
            fd = self._open()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                self._catch_up(fd)
                return self._count
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _open(self) -> int:
        if self._fd is None:
            private_dirs(self.path.parent)
            try:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
                fsync_dir(self.path.parent)  # the new file's name is durable before any record in it
            except FileExistsError:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        return self._fd

    def _catch_up(self, fd: int) -> None:
        """Under the flock: when the file is not as we left it (first append, another writer, a crash before
        us), cut a torn tail and recount the lines."""
        size = os.fstat(fd).st_size
        if size == self._size:
            return
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end != len(data):
            os.truncate(self.path, end)  # the torn line was never acknowledged: no writer returned for it
            os.fsync(fd)
        self._size, self._count = end, data.count(b"\n", 0, end)

    def _sync(self, mine: int) -> None:
        """Group commit: one fsync covers every line appended before it started."""
        with self._sync_lock:
            if self._synced >= mine:
                return
            with self._lock:
                upto = self._written
                fd = self._fd
            assert fd is not None
            os.fsync(fd)
            self._synced = upto

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __del__(self) -> None:
        fd, self._fd = getattr(self, "_fd", None), None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    # ---------------------------------------------------------------- read
    def lines(self) -> list[tuple[int, str]]:
        """(line number from 1, text) of every complete line; blank lines are skipped, a torn tail dropped."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        data = data[:data.rfind(b"\n") + 1]
        return [(n, line) for n, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1)
                if line.strip()]

    def records(self) -> list[dict[str, Any]]:
        """Every complete line as JSON; ``JournalDamaged`` names the first line that is not."""
        out = []
        for n, line in self.lines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise JournalDamaged(f"{self.path}:{n}: damaged journal line ({exc.msg})") from None
        return out

    def exists(self) -> bool:
        return self.path.exists()
