"""Reading and writing what the IPv6 plan persists: the pinned allocations and exports."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from govctl.core.errors import RuntimeFailure
from govctl.ipv6.models import Ipv6Plan

ALLOCATIONS_FILE = "ipv6-allocations.yaml"
_HEADER = """\
# IPv6 allocations pinned by `govctl ipv6 plan --write`. Do not edit by hand:
# every prefix here keeps its owner for good, so adding a city, county or tenant
# never renumbers an existing one. Delete a line only to renumber that one thing.
"""


def write_allocations(directory: Path, plan: Ipv6Plan, prune: bool = False) -> Path:
    """Pin the plan in the inventory's allocations file: edited in place when it exists (the user's
    comments and order stay; new pins are inserted, a changed pin is a one-line diff), checked with the
    whole inventory before it is written, and replaced atomically."""
    from govctl.inventory.yamlwrite import dump_text, edit_text, merge_mapping, write_inventory_files

    target = directory / ALLOCATIONS_FILE
    pinned = plan.pinned_map(prune)
    try:
        text = target.read_text(encoding="utf-8") if target.exists() else ""
    except OSError as exc:
        raise RuntimeFailure(f"cannot read {target}: {exc.strerror}") from exc

    def change(data: object) -> object:
        if not isinstance(data, dict) or not isinstance(data.get("allocations"), dict):
            return {"allocations": dict(pinned)}
        merge_mapping(data["allocations"], pinned)
        return None

    new = edit_text(text, str(target), change) if text.strip() else _HEADER + dump_text({"allocations": dict(pinned)})
    write_inventory_files(directory, {ALLOCATIONS_FILE: new}, str(directory))
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
