"""The on-disk journal of a push run: every step of every device, so a run can be resumed or undone.

Layout under ``<state dir>/runs/<run id>/`` (``govctl.core.statedir``: beside the inventory by default):
  run.json        what was run (inventory, lab or not, policy, batches) and, at the end, the results
  journal.jsonl   one line per step: time, node, step, detail; a step returns once its line is on disk
                  (``govctl.core.durable.JournalFile``: group-commit fsync, a torn last line ignored and cut)
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
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from govctl.core import statedir
from govctl.core.durable import JournalFile, private_dirs, write_private
from govctl.network.errors import UnknownDevice

TERMINAL_OK = {"changed", "unchanged"}


def runs_dir(inventory: Path | None = None) -> Path:
    """Where the push runs of ``inventory`` are kept (None: only with --state-dir or $GOVCTL_STATE_DIR)."""
    return statedir.area(inventory, "runs")


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
            private_dirs(self.dir / "before")
            private_dirs(self.dir / "intended")
            os.chmod(self.dir, 0o700)
        elif not self.dir.is_dir():
            raise UnknownDevice(f"no run '{run_id}' in {self.dir.parent}")
        self._file = JournalFile(self.dir / "journal.jsonl")

    def record(self, node: str, step: str, **detail: Any) -> None:
        """Append one step; returns once it is on disk (steps of devices journaling at once share an fsync)."""
        self._file.append({"ts": round(time.time(), 3), "node": node, "step": step, "detail": detail})

    def _write_private(self, path: Path, text: str) -> None:
        """Atomic and durable: the journal line that names the file is written only after this returns."""
        write_private(path, text)

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
        write_private(self.dir / "run.json", json.dumps(current, ensure_ascii=False, indent=1, default=str))

    def meta(self) -> dict[str, Any]:
        path = self.dir / "run.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def steps(self) -> list[Step]:
        """Every journaled step in order."""
        # a line cut short by a crash is not a step (the journal core drops it); a damaged line elsewhere
        # stops the reader rather than letting a rollback miss an intent
        return [Step(d["ts"], d["node"], d["step"], d.get("detail", {})) for d in self._file.records()]

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

    def armed(self) -> set[str]:
        """Devices a commit-confirm commit was announced to (``--revert-in``). If the process that sent it
        died, the device's timer is still running and will put the old config back by itself later:
        recovery stops it before deciding anything about the device."""
        return {s.node for s in self.steps() if s.step == "commit-intent" and s.detail.get("revert_in")}

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
