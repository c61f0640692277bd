"""The run journal: JSON lines, one fsync'd record per event, so a crashed run can be resumed or rolled back.

Kept in ``<state dir>/cutover/`` (``govctl.core.statedir``; ``--journal-dir`` overrides); appends and saved files go
through ``govctl.core.durable`` (a record returns once on disk; a line torn by a crash is ignored and cut).

Saved device configurations live beside it (``<run>/saved/<device>.conf``), written and
fsync'd before the first change, so a rollback after a crash restores exactly what was there.
Every device commit is write-ahead: ``intent`` (checkpoint and target files, then the record)
before anything is sent, ``settle`` once the device's state is known; ``unsettled`` lists the
commits a crash cut off, whose devices recovery must read.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from govctl.core import statedir
from govctl.core.durable import JournalDamaged, JournalFile, private_dirs, write_private
from govctl.cutover.errors import JournalError
from govctl.cutover.models import JournalRecord


DEFAULT_DIR = Path("<state dir>") / "cutover"  # ``--journal-dir``'s default as --help shows it


def journals_dir(given: Path | None, inventory: Path | None) -> Path:
    """``--journal-dir`` when given, else ``<state dir of the inventory>/cutover``. ``inventory`` None: the one
    the command line would use (the current directory, $GOVCTL_INVENTORY), unless the state dir is overridden."""
    if given is not None and given != DEFAULT_DIR:
        return given
    if inventory is None and not statedir.overridden():
        from govctl.core.clikit import resolve_inventory  # status/resume/rollback take no inventory argument

        inventory = resolve_inventory(None)[0]
    return statedir.area(inventory, "cutover")


def run_inventory(directory: Path, network: str, run: str | None) -> Path | None:
    """The inventory a run was started on (its start record), so resume and rollback take that inventory's lock."""
    journal = Journal.named(directory, run) if run else Journal.latest(directory, network)
    inventory = journal.start().get("inventory")
    return Path(inventory) if inventory else None


def _fsync_write(path: Path, text: str) -> None:
    # device configurations carry hashed secrets and the network's design: owner-only, from creation on
    write_private(path, text)


@dataclass
class Journal:
    directory: Path  # the journals' directory
    run: str
    _file: JournalFile | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def file(self) -> JournalFile:
        if self._file is None or self._file.path != self.path:
            self._file = JournalFile(self.path)
        return self._file

    @property
    def path(self) -> Path:
        return self.directory / f"{self.run}.jsonl"

    @property
    def saved_dir(self) -> Path:
        return self.directory / self.run / "saved"

    @classmethod
    def create(cls, directory: Path, network: str, now: datetime | None = None) -> Journal:
        stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S%f")
        j = cls(directory, f"{network}-{stamp}")
        private_dirs(directory)
        return j

    @classmethod
    def latest(cls, directory: Path, network: str) -> Journal:
        runs = sorted(directory.glob(f"{network}-*.jsonl")) if directory.is_dir() else []
        if not runs:
            raise JournalError(f"no cutover journal for '{network}' in {directory}")
        return cls(directory, runs[-1].stem)

    @classmethod
    def named(cls, directory: Path, run: str) -> Journal:
        j = cls(directory, run)
        if not j.path.exists():
            raise JournalError(f"no journal {j.path}")
        return j

    def append(self, event: str, step: str | None = None, status: str | None = None,
               seconds: float | None = None, **detail: Any) -> JournalRecord:
        made: list[JournalRecord] = []

        def build(seq: int) -> dict[str, Any]:
            made.append(JournalRecord(self.run, seq, datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                                      event, step, status,  # type: ignore[arg-type]
                                      None if seconds is None else round(seconds, 3), detail))
            return made[0].as_dict()

        self.file.append(build)
        return made[0]

    def records(self) -> list[JournalRecord]:
        out = []
        try:
            lines = self.file.records()
        except JournalDamaged as exc:
            raise JournalError(f"{exc}") from None
        for i, d in enumerate(lines, 1):
            try:
                out.append(JournalRecord(**d))
            except TypeError:
                raise JournalError(f"{self.path}: record {i}: damaged journal line (not a journal record)") from None
        return out

    def save_config(self, device: str, text: str) -> None:
        _fsync_write(self.saved_dir / f"{device}.conf", text)

    def saved_config(self, device: str) -> str:
        p = self.saved_dir / f"{device}.conf"
        if not p.exists():
            raise JournalError(f"{self.run}: no saved configuration of {device} ({p})")
        return p.read_text(encoding="utf-8")

    def save_checkpoint(self, device: str, step: str, text: str) -> None:
        """A device's running config just before a step changed it (the undo of that step where the driver
        cannot merge a rendered negation)."""
        _fsync_write(self.directory / self.run / "checkpoints" / device / f"{step}.conf", text)

    def checkpoint(self, device: str, step: str) -> str | None:
        p = self.directory / self.run / "checkpoints" / device / f"{step}.conf"
        return p.read_text(encoding="utf-8") if p.exists() else None

    # -- write-ahead intents: every device commit is announced before it is sent, and settled after
    def intent(self, device: str, step: str | None, kind: str, checkpoint: str, target: str) -> JournalRecord:
        """Before a commit is sent to ``device``: the config it can be undone to (``checkpoint``, the running
        config just read) and what is sent (``target``: the merge candidate for kind 'merge', the whole config
        for kind 'restore'), both fsync'd files, then the fsync'd record naming them. A crash after this
        line and before its outcome (``settle``) leaves the device unknown: recovery reads it."""
        seq = self.file.next_index()  # the intent's own record number: one writer per run (the run lock)
        stem = f"{seq:05d}-{device}"
        _fsync_write(self._intents / f"{stem}.checkpoint.conf", checkpoint)
        _fsync_write(self._intents / f"{stem}.target.conf", target)
        return self.append("commit", step, "intent", device=device, kind=kind, files=stem)

    def settle(self, intent: JournalRecord, state: str, **detail: Any) -> JournalRecord:
        """The outcome of an intent, once the device's state is known: 'applied' (it holds the target) or
        'checkpoint' (it holds the checkpoint again)."""
        return self.append("commit", intent.step, "ok" if state == "applied" else "failed",
                           device=intent.detail["device"], intent=intent.seq, state=state, **detail)

    def intent_texts(self, intent: JournalRecord) -> tuple[str, str]:
        """(checkpoint, target) of an intent."""
        stem = intent.detail["files"]
        try:
            return ((self._intents / f"{stem}.checkpoint.conf").read_text(encoding="utf-8"),
                    (self._intents / f"{stem}.target.conf").read_text(encoding="utf-8"))
        except OSError as exc:
            raise JournalError(f"{self.run}: intent {intent.seq} of {intent.detail['device']}: "
                               f"{exc.filename}: {exc.strerror}") from None

    def unsettled(self) -> list[JournalRecord]:
        """Intents without an outcome: commits a crash interrupted, whose devices are unknown."""
        recs = [r for r in self.records() if r.event == "commit"]
        done = {r.detail.get("intent") for r in recs if r.status != "intent"}
        return [r for r in recs if r.status == "intent" and r.seq not in done]

    def touched(self) -> set[str]:
        """Every device a commit was announced to in this run (whatever became of it)."""
        return {str(r.detail["device"]) for r in self.records() if r.event == "commit" and r.status == "intent"}

    @property
    def _intents(self) -> Path:
        return self.directory / self.run / "intents"

    def save_blob(self, name: str, data: Any) -> None:
        _fsync_write(self.directory / self.run / f"{name}.json", json.dumps(data, ensure_ascii=False, indent=1))

    def blob(self, name: str) -> Any:
        return json.loads((self.directory / self.run / f"{name}.json").read_text(encoding="utf-8"))

    # -- what the records say
    def start(self) -> dict[str, Any]:
        recs = self.records()
        if not recs or recs[0].event != "start":
            raise JournalError(f"{self.path}: no start record")
        return recs[0].detail

    def ended(self) -> JournalRecord | None:
        return next((r for r in reversed(self.records()) if r.event == "end"), None)

    def step_status(self) -> dict[str, str]:
        """Latest status of every forward step ("begin" means interrupted inside it)."""
        st: dict[str, str] = {}
        for r in self.records():
            if r.event == "step" and r.step and r.status:
                st[r.step] = r.status
        return st

    def rolled_back(self) -> set[str]:
        return {r.step for r in self.records() if r.event == "rollback" and r.status == "done" and r.step}


class RunLock:
    """One run per network and inventory at a time: ``statedir.lock`` on ``cutover-<network>`` (an flock held
    for the life of the process; a crash releases it). A second run is refused naming the holder's pid and
    start time."""

    def __init__(self, inventory: Path | None, network: str, command: str = "cutover") -> None:
        self.path = lock_path(inventory, network)
        self.command = f"{command} of {network}"
        self._held: Any = None

    def __enter__(self) -> RunLock:
        self._held = statedir.hold(self.path, self.command)
        self._held.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._held.__exit__(None, None, None)


def lock_path(inventory: Path | None, network: str) -> Path:
    return statedir.lock_path(inventory, f"cutover-{network}")
