"""Errors of the inventory step (loading, shape, references, the plans' rules)."""
from __future__ import annotations

from dataclasses import dataclass

from govctl.core.errors import ProblemsFound


@dataclass
class InventoryInvalid(ProblemsFound):
    """The inventory failed validation; carries every problem found, warnings included. Exit 2."""

    def summary(self) -> str:
        n = len(self.errors)
        return f"inventory invalid: {n} error{'s' if n != 1 else ''}"
