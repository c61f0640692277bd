"""The journal core (govctl.core.durable): one durability and one torn-tail policy, and the three journals on it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fsync_gate import FsyncGate

from govctl.core.durable import JournalDamaged, JournalFile, write_private


def _tear(path: Path, tail: bytes) -> None:
    with open(path, "ab") as fh:  # a power cut in the middle of a write
        fh.write(tail)


@pytest.mark.parametrize("tail", [b'{"n": 2, "wh', b"\0\0\0\0\0\0"], ids=["cut-short", "nul-filled"])
def test_a_torn_last_line_is_ignored_and_cut_before_the_next_append(tmp_path: Path, tail: bytes) -> None:
    j = JournalFile(tmp_path / "j.jsonl")
    j.append({"n": 0})
    j.append({"n": 1})
    _tear(j.path, tail)
    fresh = JournalFile(j.path)  # the next process, after the crash
    assert [r["n"] for r in fresh.records()] == [0, 1]
    assert fresh.append({"n": 2}) == 2
    assert j.path.read_bytes().endswith(b'{"n": 1}\n{"n": 2}\n')  # no garbage before the new line
    assert [r["n"] for r in JournalFile(j.path).records()] == [0, 1, 2]


def test_a_damaged_complete_line_is_reported_with_its_number(tmp_path: Path) -> None:
    j = JournalFile(tmp_path / "j.jsonl")
    j.append({"n": 0})
    _tear(j.path, b"garbage\n")
    j.append({"n": 2})
    with pytest.raises(JournalDamaged, match=r"j.jsonl:2: damaged"):
        j.records()


def test_a_new_journal_is_owner_only(tmp_path: Path) -> None:
    j = JournalFile(tmp_path / "runs" / "r1" / "j.jsonl")
    j.append({"n": 0})
    assert j.path.stat().st_mode & 0o077 == 0 and (tmp_path / "runs").stat().st_mode & 0o077 == 0


def test_concurrent_appends_share_fsyncs_and_each_returns_once_on_disk(tmp_path: Path, monkeypatch) -> None:
    j = JournalFile(tmp_path / "j.jsonl")
    # a loaded disk: the first fsync lasts until each of the 12 writers has appended its first line
    gate = FsyncGate(j.path, 12, os.fsync)
    synced = gate.synced
    monkeypatch.setattr(os, "fsync", gate)
    late: list[int] = []

    def writer(w: int) -> None:
        for i in range(5):
            index = j.append({"w": w, "i": i})
            if not synced or max(synced) <= index:  # returned before an fsync covering its line finished
                late.append(index)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gate.held.is_set() and not gate.timed_out
    assert late == []
    # shared, not one per line: the fsync after the held one covers the 11 lines appended meanwhile
    assert len(j.records()) == 60 and len(synced) <= 60 - 10


WRITER = """
import sys
from pathlib import Path
from govctl.core.durable import JournalFile
j = JournalFile(Path(sys.argv[1]))
for i in range(40):
    j.append(lambda n: {"w": sys.argv[2], "i": i, "index": n})
"""


def test_appends_from_several_processes_all_land_whole_and_numbered(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(w)]) for w in range(4)]
    assert all(p.wait(60) == 0 for p in procs)
    recs = JournalFile(path).records()
    assert len(recs) == 160
    assert [r["index"] for r in recs] == list(range(160))  # each writer saw the others' lines before numbering
    for w in map(str, range(4)):
        assert [r["i"] for r in recs if r["w"] == w] == list(range(40))


def test_write_private_is_atomic_owner_only_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "saved" / "r1.cfg"
    write_private(target, "hostname r1\n")
    write_private(target, "hostname r1\ninterface lo\n")
    assert target.read_text() == "hostname r1\ninterface lo\n"
    assert target.stat().st_mode & 0o077 == 0 and (tmp_path / "saved").stat().st_mode & 0o077 == 0
    assert [p.name for p in target.parent.iterdir()] == ["r1.cfg"]


# ---------------------------------------------------------------- the three journals through the core


def test_push_journal_steps_survive_a_torn_tail(tmp_path: Path) -> None:
    from govctl.network.journal import Journal

    j = Journal("run1", root=tmp_path)
    j.record("r1", "commit-intent", checkpoint="before/r1.cfg")
    _tear(j.dir / "journal.jsonl", b'{"ts": 1, "node": "r1", "st')
    again = Journal("run1", root=tmp_path, create=False)
    assert [s.step for s in again.steps()] == ["commit-intent"] and again.touched() == ["r1"]
    again.record("r1", "committed")
    assert [s.step for s in Journal("run1", root=tmp_path, create=False).steps()] == ["commit-intent", "committed"]


def test_cutover_journal_numbers_records_after_a_torn_tail(tmp_path: Path) -> None:
    from govctl.cutover.journal import Journal

    j = Journal.create(tmp_path, "health-net")
    j.append("start", network="health-net")
    j.append("step", "precheck", "begin")
    _tear(j.path, b'{"run": "x", "seq": 2, "at"')
    again = Journal(tmp_path, j.run)
    intent = again.intent("pe1", "vpn-pe1", "merge", "checkpoint text", "target text")
    assert intent.seq == 2 and [r.seq for r in again.records()] == [0, 1, 2]
    assert again.intent_texts(intent) == ("checkpoint text", "target text")
    assert again.unsettled() == [intent]


def test_migration_journal_appends_durably_and_ignores_a_torn_tail(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from govctl.migration import journal as jr
    from govctl.migration.models import Event, JournalEntry

    path = tmp_path / "state" / "migration" / "journal.jsonl"
    at = datetime(2026, 11, 25, tzinfo=timezone.utc)
    jr.append(path, JournalEntry(at=at, system="idm", event=Event.started))
    _tear(path, b'{"at": "2026-11-26T00:00:00Z", "sys')
    assert [e.system for e in jr.read(path)] == ["idm"]
    jr.append(path, JournalEntry(at=at, system="idm", event=Event.migrated))
    assert jr.statuses(jr.read(path)) == {"idm": "migrated"}
    assert all(json.loads(line) for line in path.read_text().splitlines())


def test_migration_journal_inside_the_inventory_is_read_then_carried_over(tmp_path: Path, monkeypatch) -> None:
    from datetime import datetime, timezone

    from govctl.migration import journal as jr
    from govctl.migration.models import Event, JournalEntry

    monkeypatch.setenv("GOVCTL_STATE_DIR", str(tmp_path / "state"))
    inv = tmp_path / "inv"
    inv.mkdir()
    at = datetime(2026, 11, 25, tzinfo=timezone.utc)
    jr.append(inv / jr.LEGACY_FILE, JournalEntry(at=at, system="idm", event=Event.started))
    assert jr.readable(inv) == inv / jr.LEGACY_FILE
    jr.append(jr.default_path(inv), JournalEntry(at=at, system="idm", event=Event.migrated),
              earlier=jr.readable(inv))
    assert jr.readable(inv) == jr.default_path(inv) == tmp_path / "state" / "migration" / "journal.jsonl"
    assert [e.event for e in jr.read(jr.default_path(inv))] == [Event.started, Event.migrated]
