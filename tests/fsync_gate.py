"""A stand-in for os.fsync in tests of group commit (several writers sharing one fsync). It holds the first fsync
of one file, after it has synced, until ``lines`` lines are in the file: every writer has appended meanwhile, as
they would on a slow disk, so the next fsync must cover several lines. An event instead of a sleep: the test does
not depend on how fast the machine schedules the writers; the timeout only catches a hang."""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path


class FsyncGate:
    def __init__(self, path: Path, lines: int, real: Callable[[int], None], timeout: float = 60.0) -> None:
        self.path, self.lines, self.real, self.timeout = path, lines, real, timeout
        self.synced: list[int] = []  # per fsync of the file: the lines it was sure to cover
        self.held = threading.Event()  # set once the first fsync has been held and let go
        self.timed_out = False
        self._first = threading.Lock()

    def _count(self) -> int:
        return self.path.read_bytes().count(b"\n") if self.path.exists() else 0

    def __call__(self, fd: int) -> None:
        try:
            ours = self.path.exists() and os.fstat(fd).st_ino == self.path.stat().st_ino
        except OSError:
            ours = False
        if not ours:  # the directory's fsync, for one
            self.real(fd)
            return
        covers = self._count()
        self.real(fd)
        if self._first.acquire(blocking=False):  # the first fsync of the file: wait for the others' lines
            deadline = time.monotonic() + self.timeout
            while self._count() < self.lines:
                if time.monotonic() > deadline:
                    self.timed_out = True
                    break
                time.sleep(0.001)
            self.held.set()
        self.synced.append(covers)
