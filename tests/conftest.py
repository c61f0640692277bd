"""Shared by every test: the inventory a command uses when it is given none."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "inventories" / "example"


@pytest.fixture(autouse=True)
def default_inventory(monkeypatch: pytest.MonkeyPatch) -> Path:
    """govctl has no built-in default inventory (README: "Which inventory"); the tests name the example
    through $GOVCTL_INVENTORY, as a user would, so that commands given no inventory use it."""
    monkeypatch.setenv("GOVCTL_INVENTORY", str(EXAMPLE))
    return EXAMPLE


@pytest.fixture(autouse=True)
def isolated_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own govctl state directory (govctl.statedir): no test writes beside the example
    inventory or into another test's runs, journals or locks. A module fixture that already exported
    GOVCTL_STATE_DIR (the lab tests) keeps its own."""
    from govctl import statedir

    statedir.set_override(None)
    if not os.environ.get(statedir.ENV):
        monkeypatch.setenv(statedir.ENV, str(tmp_path_factory.mktemp("govctl-state")))
    yield
    statedir.set_override(None)
