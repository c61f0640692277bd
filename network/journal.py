"""The on-disk journal of a push run: every step of every device, so a run can be resumed or undone.

Layout under ``<state dir>/runs/<run id>/``:
  run.json        what was run (inventory, lab or not, policy, batches) and, at the end, the results
  journal.jsonl   one line per step: time, node, step, detail; a step returns once its line is on disk
  before/<node>.cfg    the running config saved just before the run's first commit to the device (mode
                       0600, on disk before the intent line names it): what rollback restores
  intended/<node>.cfg  the config that was pushed

Write-ahead: a device's ``commit-intent`` line (naming its checkpoint and the checkpoint's digest) is
on disk before anything is sent to it, and ``committed`` / ``commit-failed`` / ``rolled-back`` after.
A device with an intent and no outcome is unknown after a crash: recovery reads it (``push.recover``).

Secrets: credentials are references and never reach the journal. Device configs are stored as
the device returns them, readable by root/the operator only; FRR configs rendered by govctl
carry no passwords.
"""
from __future__ import annotations

import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from govctl.network.errors import UnknownDevice

TERMINAL_OK = {"changed", "unchanged"}


def state_dir() -> Path:
    env = os.environ.get("GOVCTL_STATE_DIR")
    if env:
        return Path(env)
    if os.geteuid() == 0:
        return Path("/var/lib/govctl")
    return Path.home() / ".local" / "state" / "govctl"


def runs_dir() -> Path:
    return state_dir() / "runs"


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


@dataclass
class Step:
    ts: float
    node: str
    step: str
    detail: dict[str, Any]


class Journal:
    def __init__(self, run_id: str, root: Path | None = None, create: bool = True) -> None:
        self.run_id = run_id
        self.dir = (root or runs_dir()) / run_id
        if create:
            (self.dir / "before").mkdir(parents=True, exist_ok=True)
            (self.dir / "intended").mkdir(parents=True, exist_ok=True)
            os.chmod(self.dir, 0o700)
        elif not self.dir.is_dir():
            raise UnknownDevice(f"no run '{run_id}' in {self.dir.parent}")
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._written = 0  # lines this object appended
        self._synced = 0  # of those, lines known to be on disk

    def record(self, node: str, step: str, **detail: Any) -> None:
        """Append one step; returns once it is on disk."""
        line = json.dumps({"ts": round(time.time(), 3), "node": node, "step": step, "detail": detail},
                          ensure_ascii=False)
        with self._lock:
            with open(self.dir / "journal.jsonl", "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
            self._written += 1
            mine = self._written
        self._sync(mine)

    def _sync(self, mine: int) -> None:
        """Group commit: one fsync covers every line appended before it started, so devices
        journaling at the same moment share it instead of queueing one fsync each behind the lock."""
        with self._sync_lock:
            if self._synced >= mine:
                return
            with self._lock:
                upto = self._written
            fd = os.open(self.dir / "journal.jsonl", os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            self._synced = upto

    def _write_private(self, path: Path, text: str) -> None:
        """Atomic and durable: a crash leaves the old file or the new one, never a torn one, and the
        journal line that names the file is written only after this returns."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    def save_before(self, node: str, config: str) -> str:
        """Save the config a rollback gives back, once per run and device: an attempt resumed after a
        crash finds the device half-way or changed, and must not take that for the starting point.
        Returns the saved config (the earlier one where there is one)."""
        earlier = self.before(node)
        if earlier is not None:
            return earlier
        self._write_private(self.dir / "before" / f"{node}.cfg", config)
        return config

    def save_intended(self, node: str, config: str) -> None:
        self._write_private(self.dir / "intended" / f"{node}.cfg", config)

    def before(self, node: str) -> str | None:
        path = self.dir / "before" / f"{node}.cfg"
        return path.read_text(encoding="utf-8") if path.exists() else None

    def write_meta(self, meta: dict[str, Any]) -> None:
        current = self.meta()
        current.update(meta)
        tmp = self.dir / f"run.json.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(current, ensure_ascii=False, indent=1, default=str))
        os.replace(tmp, self.dir / "run.json")

    def meta(self) -> dict[str, Any]:
        path = self.dir / "run.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def steps(self) -> list[Step]:
        path = self.dir / "journal.jsonl"
        if not path.exists():
            return []
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                d = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a crash: the steps before it still count
            out.append(Step(d["ts"], d["node"], d["step"], d.get("detail", {})))
        return out

    def final_status(self) -> dict[str, str]:
        """Last outcome per node ('changed', 'unchanged', 'rolled-back', ... or the last step seen)."""
        out: dict[str, str] = {}
        for s in self.steps():
            if s.node:
                out[s.node] = s.detail.get("status", s.step) if s.step == "result" else s.step
        return out

    def touched(self) -> list[str]:
        """Every device this run may have changed: an intent to commit was journaled for it (older
        journals: a commit), whatever happened after. Rollback and its final check cover all of them."""
        order: list[str] = []
        for s in self.steps():
            if s.step in ("commit-intent", "committed") and s.node and s.node not in order:
                order.append(s.node)
        return order

    def committed_not_undone(self) -> list[str]:
        """Nodes whose commit went through in this run and were not restored since (rollback candidates)."""
        state: dict[str, bool] = {}
        order: list[str] = []
        for s in self.steps():
            if s.step == "committed":
                state[s.node] = True
                if s.node not in order:
                    order.append(s.node)
            elif s.step in ("rolled-back", "restored"):
                state[s.node] = False
        return [n for n in order if state.get(n)]


def list_runs(root: Path | None = None) -> list[str]:
    base = root or runs_dir()
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / "run.json").exists() or (p / "journal.jsonl").exists())
