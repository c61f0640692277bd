"""Shared helpers for tests/stacks: bundled inventories planned once per session under the mock runtime."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from govctl.inventory.validate import load_valid
from govctl.ipv6.planner import plan
from govctl.stacks import engine

ROOT = Path(__file__).resolve().parents[2]
INVENTORIES = sorted(p.parent for p in (ROOT / "inventories").glob("*/clouds.yaml"))
SMALL = {"example"}  # everything else is province-sized: @slow


def inventory_params() -> list:
    return [pytest.param(p.name, id=p.name, marks=() if p.name in SMALL else pytest.mark.slow) for p in INVENTORIES]


@lru_cache(maxsize=2)  # example + one province: province-sized graphs are large
def planned(name: str) -> tuple[engine.Source, dict]:
    """(source, {stack: graph}) of a bundled inventory; planned once, with parallel stacks, no cache."""
    loaded = load_valid(ROOT / "inventories" / name)
    src = engine.Source(loaded.inventory, plan(loaded.inventory), f"inventories/{name}")
    return src, engine.graphs(src, engine.select(src.inventory, None), store=None, workers=2)


@pytest.fixture
def example() -> tuple[engine.Source, dict]:
    return planned("example")
