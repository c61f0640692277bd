"""File I/O of the migration step: candidate inventories and plan output directories.

Everything is computed and validated before the first byte is written; an
output directory is replaced as a whole (written beside it, then renamed), and
only if it is empty or was written by govctl before (marker file).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from govctl.inventory import models as m
from govctl.inventory.errors import InventoryInvalid
from govctl.inventory.loader import FILES
from govctl.migration.errors import MigrationInputError, OutputFailure, SystemsInvalid

MARKER = ".govctl-migration"


def dump_yaml(data: Any, header: str) -> str:
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=120)
    return "".join(f"# {line}\n" for line in header.splitlines()) + body


def read_text(directory: Path, name: str) -> str:
    """An inventory file's text ("" when it does not exist), to be edited in place."""
    path = directory / name
    if not path.exists():
        return ""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:  # pragma: no cover - the loader read it a moment ago
        raise OutputFailure(f"cannot re-read {path}: {exc.strerror}") from None


def systems_raw(systems: list[m.System]) -> dict[str, Any]:
    """systems.yaml data for a system list (defaults left out, as a person would write it)."""
    out = []
    for s in systems:
        d = s.model_dump(mode="json", exclude_defaults=True)
        row: dict[str, Any] = {"id": s.id, "name": s.name, "department": s.department}
        row.update({k: v for k, v in d.items() if k not in row})
        if isinstance(row.get("last_used"), str):
            row["last_used"] = date.fromisoformat(row["last_used"])
        if isinstance(row.get("data_gb"), float) and row["data_gb"].is_integer():
            row["data_gb"] = int(row["data_gb"])
        out.append(row)
    return {"systems": out}


def merge_systems(data: Any, new: dict[str, Any]) -> Any:
    """The user's systems.yaml (round-trip data) made to hold a new system list in place: a system still
    listed keeps its entry (comments, order, style), with only changed values set and keys the new list
    leaves out removed unless they hold the default; new systems are appended; dropped ones removed."""
    if not isinstance(data, dict) or not isinstance(data.get("systems"), list):
        return new
    defaults = {k: f.default for k, f in m.System.model_fields.items()}
    existing = {e.get("id"): e for e in data["systems"] if isinstance(e, dict)}
    wanted = [r["id"] for r in new["systems"]]
    for i in reversed(range(len(data["systems"]))):
        e = data["systems"][i]
        if not isinstance(e, dict) or e.get("id") not in wanted:
            del data["systems"][i]
    for row in new["systems"]:
        entry = existing.get(row["id"])
        if entry is None:
            data["systems"].append(row)
            continue
        for k, v in row.items():
            if entry.get(k) != v:
                entry[k] = v
        for k in [k for k in entry if k not in row]:
            default = defaults.get(k)
            if entry[k] != getattr(default, "value", default) and entry[k] not in (None, [], ""):
                del entry[k]
    order = {sid: i for i, sid in enumerate(wanted)}
    if [e.get("id") for e in data["systems"]] != wanted:  # the spreadsheet's order wins when it differs
        data["systems"].sort(key=lambda e: order[e.get("id")])
    return None


def inventory_files(directory: Path, replaced: dict[str, str]) -> dict[str, bytes]:
    """The inventory's files, some replaced by new text (a candidate inventory)."""
    out: dict[str, bytes] = {}
    for name in FILES:
        if name in replaced:
            out[name] = replaced[name].encode("utf-8")
        elif (directory / name).exists():
            out[name] = (directory / name).read_bytes()
    return out


def validate_candidate(files: dict[str, bytes], shown: str) -> None:
    """Load the candidate inventory from a scratch directory; any error raises ``SystemsInvalid``."""
    from govctl.inventory.validate import load_valid

    with tempfile.TemporaryDirectory(prefix="govctl-candidate-") as tmp:
        for name, data in files.items():
            (Path(tmp) / name).write_bytes(data)
        try:
            load_valid(tmp, shown)
        except InventoryInvalid as exc:
            raise SystemsInvalid(exc.problems, what=f"{shown} (the inventory after the planned changes)") from None


def check_output_dir(out: Path) -> None:
    """Refuse before any work is done if ``out`` holds something govctl did not write."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise MigrationInputError(f"--out {out}: exists and was not written by govctl migrate; choose an empty "
                                  "or new directory")


def write_tree(out: Path, files: dict[str, bytes | str]) -> None:
    check_output_dir(out)
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
        marker = "written by govctl migrate; the whole directory is replaced on rewrite\n"
        for rel, data in {**files, MARKER: marker}.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except OSError as exc:
        raise OutputFailure(f"cannot write {out}: {exc.strerror or exc}") from None


def write_in_place(directory: Path, files: dict[str, str]) -> list[Path]:
    """Replace inventory files atomically (temporary file, fsync, rename); the caller validated them."""
    from govctl.inventory.yamlwrite import write_inventory_files

    return write_inventory_files(directory, files, validate=False)
