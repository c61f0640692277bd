"""Both validation layers together: shape (loader) and the plans' rules."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from govctl.core.errors import Problem
from govctl.inventory.errors import InventoryInvalid
from govctl.inventory.loader import Loaded, load_partial
from govctl.inventory.rules import check_rules


@dataclass
class Report:
    loaded: Loaded | None
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def validate(directory: Path | str, shown: str | None = None) -> Report:
    """Every problem in the inventory, both layers; never raises for the inventory's own faults.

    ``loaded`` is None when a file could not be read at all; it is set (but not
    to be used downstream) when only references or rules failed.
    """
    try:
        loaded, problems = load_partial(directory, shown)
    except InventoryInvalid as exc:  # the directory itself is missing or a file
        return Report(None, exc.problems)
    if loaded is None:
        return Report(None, problems)
    problems = problems + check_rules(loaded, tolerate_dangling=bool(problems))
    # a total order: two rules may flag the same key, and output must not depend on set iteration order
    return Report(loaded, sorted(set(problems), key=lambda p: (p.severity != "error", p.file, p.line or 0, p.path,
                                                               p.rule or "", p.message)))


def load_valid(directory: Path | str, shown: str | None = None) -> Loaded:
    """Load an inventory for downstream work; any error (shape or rule) raises ``InventoryInvalid``."""
    report = validate(directory, shown)
    if report.errors or report.loaded is None:
        raise InventoryInvalid(report.problems)
    return report.loaded
