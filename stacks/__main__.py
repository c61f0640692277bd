"""Entry point Pulumi runs (Pulumi.yaml: main: stacks/).

Stack config: ``govctl:inventory`` (inventory directory, relative to the
project) and ``govctl:platform`` (platform id; defaults to the stack name).
"""
from __future__ import annotations

from pathlib import Path

import pulumi

from govctl.stacks.models import StackContext
from govctl.stacks.program import build
from govctl.source import check

# The Pulumi project directory (where Pulumi.yaml lives): a relative inventory is read from there.
ROOT = Path(__file__).resolve().parent.parent

config = pulumi.Config("govctl")
inventory_dir = ROOT / config.get("inventory", "inventories/example")
src = check(inventory_dir)
build(StackContext(inventory=src.inventory, ipv6=src.ipv6,
                   platform=config.get("platform") or pulumi.get_stack(),
                   reference_prefix=config.get("referencePrefix") or f"organization/{pulumi.get_project()}"))
