"""Entry point Pulumi runs (Pulumi.yaml: main: stacks/).

Stack config: ``govctl:inventory`` (inventory directory, relative to the
project) and ``govctl:platform`` (platform id; defaults to the stack name).
"""
from __future__ import annotations

from pathlib import Path

import pulumi

from govctl.inventory.validate import load_valid
from govctl.ipv6.planner import plan
from govctl.stacks.models import StackContext
from govctl.stacks.program import build

# The Pulumi project directory (where Pulumi.yaml lives): a relative inventory is read from there.
ROOT = Path(__file__).resolve().parent.parent

config = pulumi.Config("govctl")
inventory_dir = ROOT / config.get("inventory", "inventories/example")
loaded = load_valid(inventory_dir, str(inventory_dir))
build(StackContext(inventory=loaded.inventory, ipv6=plan(loaded.inventory),
                   platform=config.get("platform") or pulumi.get_stack(),
                   reference_prefix=config.get("referencePrefix") or f"organization/{pulumi.get_project()}"))
