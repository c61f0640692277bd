"""Round-trip writes of inventory files: comments, order, quoting and blank lines stay; checked; atomic."""
from __future__ import annotations

import difflib
import shutil
from pathlib import Path
from typing import Any

import pytest

from govctl.inventory.errors import InventoryInvalid
from govctl.inventory.yamlwrite import edit_text, merge_mapping, patch_lines, write_atomic, write_inventory_files

ROOT = Path(__file__).resolve().parents[2]
# every file of the bundled inventories but the large generated lists (the example's stand for them)
INVENTORIES = sorted(p for p in (ROOT / "inventories").glob("*/*.yaml")
                     if p.name not in ("ipv6-allocations.yaml", "systems.yaml") or p.parent.name == "example")


def _changed_lines(a: str, b: str) -> list[str]:
    return [line for line in difflib.unified_diff(a.splitlines(), b.splitlines(), n=0, lineterm="")
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


@pytest.mark.parametrize("path", INVENTORIES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_change_is_no_diff(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert edit_text(text, str(path), lambda d: None) == text


SAMPLE = """\
# Tenants of the province (reviewed 2026-11).
tenants:
  - id: prov-oa          # the OA tenant
    department: "gov-office"
    quotas: {cores: 64, ram_gb: 256}

  - id: prov-finance
    department: 'finance'
    departments:
      [a, b,
       c]
    quotas:
      cores: 32   # raised in wave 1
      ram_gb: 128
"""


@pytest.mark.parametrize(("change", "old", "new"), [
    (lambda d: d["tenants"][1]["quotas"].__setitem__("cores", 48), "      cores: 32   # raised in wave 1",
     "      cores: 48   # raised in wave 1"),
    (lambda d: d["tenants"][0]["quotas"].__setitem__("cores", 80), "    quotas: {cores: 64, ram_gb: 256}",
     "    quotas: {cores: 80, ram_gb: 256}"),
    (lambda d: d["tenants"][0].__setitem__("department", "gov"), '    department: "gov-office"',
     '    department: "gov"'),
])
def test_one_value_is_one_line(change: Any, old: str, new: str) -> None:
    after = edit_text(SAMPLE, "t.yaml", change)
    assert _changed_lines(SAMPLE, after) == [f"-{old}", f"+{new}"]


def test_added_entry_keeps_the_rest() -> None:
    after = edit_text(SAMPLE, "t.yaml", lambda d: d["tenants"].append({"id": "new", "quotas": {"cores": 8}}))
    assert after.startswith(SAMPLE)  # the multi-line flow list, quotes, blank line and comments untouched
    assert after[len(SAMPLE):] == "  - id: new\n    quotas:\n      cores: 8\n"


def test_patch_falls_back_to_the_dump_next_to_a_reformatted_line() -> None:
    original = "a: 1\nl:\n  [x,\n   y]\nb: 2\n"
    before = "a: 1\nl: [x, y]\nb: 2\n"
    after = "a: 1\nl: [x, y, z]\nb: 2\n"
    assert patch_lines(original, before, after) == after
    # a change right above the reformatted lines has no anchor between them: both come from the dump
    assert patch_lines(original, before, "a: 5\nl: [x, y]\nb: 2\n") == "a: 5\nl: [x, y]\nb: 2\n"
    # one line further away, the user's layout stays
    assert (patch_lines("a: 1\nk: 0\nl:\n  [x,\n   y]\n", "a: 1\nk: 0\nl: [x, y]\n", "a: 5\nk: 0\nl: [x, y]\n")
            == "a: 5\nk: 0\nl:\n  [x,\n   y]\n")


def test_merge_mapping_inserts_in_place() -> None:
    text = "m:\n  a: 1  # keep\n  c: 3\n  d: 4\n"
    after = edit_text(text, "m.yaml", lambda d: merge_mapping(d["m"], {"a": 1, "b": 2, "c": 3}))
    assert after == "m:\n  a: 1  # keep\n  b: 2\n  c: 3\n"


def test_write_is_checked_and_atomic(tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    shutil.copytree(ROOT / "inventories" / "example", inv, ignore=shutil.ignore_patterns(".govctl"))
    before = {p.name: p.read_bytes() for p in inv.iterdir()}
    bad = edit_text((inv / "tenants.yaml").read_text(encoding="utf-8"), "tenants.yaml",
                    lambda d: d["tenants"][0].__setitem__("platform", "nowhere"))
    with pytest.raises(InventoryInvalid):
        write_inventory_files(inv, {"tenants.yaml": bad}, "inv")
    assert {p.name: p.read_bytes() for p in inv.iterdir()} == before  # nothing written, no temp file left
    good = edit_text((inv / "tenants.yaml").read_text(encoding="utf-8"), "tenants.yaml",
                     lambda d: d["tenants"][0]["quotas"].__setitem__("cores", 65))
    assert write_inventory_files(inv, {"tenants.yaml": good}, "inv") == [inv / "tenants.yaml"]
    assert len(_changed_lines(before["tenants.yaml"].decode(), (inv / "tenants.yaml").read_text())) == 2
    assert sorted(p.name for p in inv.iterdir()) == sorted(before)


def test_write_atomic_keeps_the_old_file_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from govctl.core.errors import RuntimeFailure

    target = tmp_path / "f.yaml"
    target.write_text("a: 1\n")

    def boom(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(RuntimeFailure, match="No space left"):
        write_atomic(target, "a: 2\n")
    assert target.read_text() == "a: 1\n" and [p.name for p in tmp_path.iterdir()] == ["f.yaml"]
