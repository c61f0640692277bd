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


def read_raw(directory: Path, name: str) -> dict[str, Any]:
    path = directory / name
    if not path.exists():
        return {}
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:  # pragma: no cover - the loader read it a moment ago
        raise OutputFailure(f"cannot re-read {path}: {exc}") from None


def systems_raw(systems: list[m.System]) -> dict[str, Any]:
    """systems.yaml data for a system list (defaults left out, as a person would write it)."""
    out = []
    for s in systems:
        d = s.model_dump(mode="json", exclude_defaults=True)
        row = {"id": s.id, "name": s.name, "department": s.department}
        row.update({k: v for k, v in d.items() if k not in row})
        if isinstance(row.get("last_used"), str):
            row["last_used"] = date.fromisoformat(row["last_used"])
        if isinstance(row.get("data_gb"), float) and row["data_gb"].is_integer():
            row["data_gb"] = int(row["data_gb"])
        out.append(row)
    return {"systems": out}


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
        for rel, data in {**files, MARKER: "written by govctl migrate; the whole directory is replaced on rewrite\n"}.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except OSError as exc:
        raise OutputFailure(f"cannot write {out}: {exc.strerror or exc}") from None


def write_in_place(directory: Path, files: dict[str, str]) -> list[Path]:
    written = []
    for name, text in files.items():
        path = directory / name
        tmp = path.with_name(f".{name}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            raise OutputFailure(f"cannot write {path}: {exc.strerror}") from None
        written.append(path)
    return written
