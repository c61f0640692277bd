"""The migration journal: an append-only JSON Lines file of what has moved.

Default place: ``<state dir>/migration/journal.jsonl`` (``govctl.core.statedir``: ``<inventory>/.govctl/`` unless
overridden), like every other govctl journal; ``--journal FILE`` names another. An older journal inside the
inventory (``<inventory>/migration-journal.jsonl``) is read while the state directory has none, and copied there
by the next ``migrate record`` (the old file is left for you to remove). Appends go through
``govctl.core.durable``: each entry returns once on disk, and a line torn by a crash is ignored and cut. The latest
entry of a system overrides the ``status`` written in systems.yaml. Only ids, events, dates and free-text notes
are recorded; never credentials.
"""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from govctl.core import statedir
from govctl.core.durable import JournalFile, write_private
from govctl.migration.errors import JournalError, MigrationInputError, OutputFailure
from govctl.migration.models import EVENT_STATUS, Event, JournalEntry

JOURNAL_FILE = "journal.jsonl"  # in <state dir>/migration/
LEGACY_FILE = "migration-journal.jsonl"  # where older versions kept it: inside the inventory

# event -> statuses it may follow
ALLOWED_FROM: dict[Event, set[str]] = {
    Event.started: {"legacy"},
    Event.migrated: {"legacy", "migrating"},
    Event.rolled_back: {"migrating", "migrated"},
    Event.retired: {"legacy", "migrating", "migrated"},
}


def default_path(inventory_dir: Path) -> Path:
    """Where the inventory's migration journal is appended to."""
    return statedir.area(inventory_dir, "migration") / JOURNAL_FILE


def readable(inventory_dir: Path) -> Path:
    """The journal to read: the state directory's, else an older one inside the inventory, else the (absent)
    state directory's."""
    path, legacy = default_path(inventory_dir), inventory_dir / LEGACY_FILE
    return legacy if not path.exists() and legacy.exists() else path


def read(path: Path, shown: str | None = None) -> list[JournalEntry]:
    """Every entry, in file order; a missing journal is an empty one, a line torn by a crash is not an entry."""
    shown = shown or str(path)
    if not path.exists():
        return []
    try:
        lines = JournalFile(path).lines()
    except OSError as exc:
        raise JournalError(f"{shown}: cannot read the journal ({exc})") from None
    out = []
    for n, line in lines:
        try:
            out.append(JournalEntry.model_validate(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise JournalError(f"{shown}:{n}: not a JSON line ({exc.msg})") from None
        except ValidationError as exc:
            e = exc.errors()[0]
            where = ".".join(str(p) for p in e["loc"]) or "entry"
            raise JournalError(f"{shown}:{n}: {where}: {e['msg']}") from None
    return out


def statuses(entries: list[JournalEntry]) -> dict[str, str]:
    """system -> status after its latest journal entry."""
    out: dict[str, str] = {}
    for e in entries:
        out[e.system] = EVENT_STATUS[e.event]
    return out


def check_transition(system: str, current: str, event: Event) -> None:
    if current not in ALLOWED_FROM[event]:
        raise MigrationInputError(
            f"system '{system}' is {current}: '{event.value}' only follows "
            f"{' or '.join(sorted(ALLOWED_FROM[event]))}")


def append(path: Path, entry: JournalEntry, earlier: Path | None = None) -> None:
    """Append one entry; returns once it is on disk. ``earlier``: the journal read so far, when it is another
    file (an older one inside the inventory): its entries are carried over first, so history is not split."""
    record = dict(sorted(entry.model_dump(mode="json").items()))
    try:
        if earlier is not None and earlier != path and earlier.exists() and not path.exists():
            _carry_over(earlier, path)
        journal = JournalFile(path)
        journal.append(record)
        journal.close()
    except OSError as exc:
        raise OutputFailure(f"cannot append to {path}: {exc.strerror}") from None


def _carry_over(earlier: Path, path: Path) -> None:
    write_private(path, "".join(line + "\n" for _, line in JournalFile(earlier).lines()))
