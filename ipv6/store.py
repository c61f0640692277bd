"""Reading and writing what the IPv6 plan persists: the pinned allocations and exports."""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

import yaml

from govctl.inventory.errors import RuntimeFailure
from govctl.ipv6.models import Ipv6Plan

ALLOCATIONS_FILE = "ipv6-allocations.yaml"
_HEADER = """\
# IPv6 allocations pinned by `govctl ipv6 plan --write`. Do not edit by hand:
# every prefix here keeps its owner for good, so adding a city, county or tenant
# never renumbers an existing one. Delete a line only to renumber that one thing.
"""


def write_allocations(directory: Path, plan: Ipv6Plan, prune: bool = False) -> Path:
    """Atomically replace the inventory's allocations file."""
    target = directory / ALLOCATIONS_FILE
    body = yaml.safe_dump({"allocations": plan.pinned_map(prune)}, sort_keys=False, allow_unicode=True, width=200)
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".ipv6-allocations.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(_HEADER + body)
        os.replace(tmp, target)
    except OSError as exc:
        raise RuntimeFailure(f"cannot write {target}: {exc.strerror}") from exc
    return target


def to_rows(plan: Ipv6Plan) -> list[dict[str, str]]:
    return [{"key": a.key, "kind": a.kind.value, "prefix": a.prefix, "parent": a.parent,
             "pinned": "yes" if a.pinned else "no"} for a in plan.allocations.values()]


def to_csv(plan: Ipv6Plan) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=["key", "kind", "prefix", "parent", "pinned"], lineterminator="\n")
    w.writeheader()
    w.writerows(to_rows(plan))
    return buf.getvalue()


def to_json(plan: Ipv6Plan, inventory: str) -> str:
    return json.dumps({"inventory": inventory,
                       "allocations": [{**r, "pinned": r["pinned"] == "yes"} for r in to_rows(plan)],
                       "stale": plan.stale}, ensure_ascii=False, indent=2)
