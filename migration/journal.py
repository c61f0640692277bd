"""The migration journal: an append-only JSON Lines file of what has moved.

Default place: ``<inventory>/migration-journal.jsonl`` (kept beside the
inventory so it is versioned with it). The latest entry of a system overrides
the ``status`` written in systems.yaml. Only ids, events, dates and free-text
notes are recorded; never credentials.
"""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from govctl.migration.errors import JournalError, MigrationInputError, OutputFailure
from govctl.migration.models import EVENT_STATUS, Event, JournalEntry

JOURNAL_FILE = "migration-journal.jsonl"

# event -> statuses it may follow
ALLOWED_FROM: dict[Event, set[str]] = {
    Event.started: {"legacy"},
    Event.migrated: {"legacy", "migrating"},
    Event.rolled_back: {"migrating", "migrated"},
    Event.retired: {"legacy", "migrating", "migrated"},
}


def read(path: Path, shown: str | None = None) -> list[JournalEntry]:
    """Every entry, in file order; a missing journal is an empty one."""
    shown = shown or str(path)
    if not path.exists():
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise JournalError(f"{shown}: cannot read the journal ({exc})") from None
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
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


def append(path: Path, entry: JournalEntry) -> None:
    line = json.dumps(entry.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    except OSError as exc:
        raise OutputFailure(f"cannot append to {path}: {exc.strerror}") from None
