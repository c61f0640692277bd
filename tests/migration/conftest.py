"""Shared fixtures of the migration tests: the example inventory, loaded once."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventories" / "example"


@pytest.fixture(scope="session")
def example_loaded():
    from govctl.inventory.validate import load_valid

    return load_valid(EXAMPLE, "inventories/example")
