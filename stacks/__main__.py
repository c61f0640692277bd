"""Entry point Pulumi runs (Pulumi.yaml: main: stacks/).

Stack config: ``govctl:inventory`` (inventory directory, relative to the
project) and ``govctl:platform`` (platform id; defaults to the stack name).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pulumi  # noqa: E402

from inventory.validate import load_valid  # noqa: E402
from ipv6.planner import plan  # noqa: E402
from stacks.models import StackContext  # noqa: E402
from stacks.program import build  # noqa: E402

config = pulumi.Config("govctl")
inventory_dir = ROOT / config.get("inventory", "inventories/example")
loaded = load_valid(inventory_dir, str(inventory_dir))
build(StackContext(inventory=loaded.inventory, ipv6=plan(loaded.inventory),
                   platform=config.get("platform") or pulumi.get_stack(),
                   reference_prefix=config.get("referencePrefix") or f"organization/{pulumi.get_project()}"))
