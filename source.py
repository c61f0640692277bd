"""The checked source: an inventory loaded, validated and given its IPv6 plan, the input of every later step.

Every command, the Pulumi program, the report and the Ansible collection start here, so that the inventory is
read one way and a planning failure is located the same way everywhere (the pinned line at fault, else the
pools). It sits above ``inventory`` and ``ipv6`` and below every domain (the import-linter contract in
pyproject.toml).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govctl.core.clikit import resolve_inventory
from govctl.core.errors import Problem
from govctl.inventory.errors import InventoryInvalid
from govctl.ipv6.errors import AllocationError


@dataclass
class CheckedSource:
    loaded: Any  # govctl.inventory.loader.Loaded (its import costs time; --help stays fast without it)
    shown: str  # the inventory's path as messages show it
    _ipv6: Any = field(default=None, repr=False)

    @property
    def inventory(self) -> Any:
        return self.loaded.inventory

    @property
    def ipv6(self) -> Any:
        """The IPv6 plan, made on first use (commands that only validate never pay for it)."""
        if self._ipv6 is None:
            self._ipv6 = plan_ipv6(self.loaded)
        return self._ipv6


def check(directory: Path | str, shown: str | None = None) -> CheckedSource:
    """Load and validate the inventory in ``directory``; InventoryInvalid (exit 2) names every problem."""
    from govctl.inventory.validate import load_valid  # imported lazily to keep --help fast

    text = shown if shown is not None else str(directory)
    return CheckedSource(load_valid(directory, text), text)


def load(path: Path | None) -> tuple[Any, str]:
    """The CLI's way in: resolve the inventory a command was given (or ./, or $GOVCTL_INVENTORY), load and
    validate it: (Loaded, the path as shown in messages)."""
    directory, shown = resolve_inventory(path)
    src = check(directory, shown)
    return src.loaded, shown


def plan_ipv6(loaded: Any) -> Any:
    """The IPv6 plan of a loaded inventory; a planning failure becomes a located inventory error."""
    from govctl.ipv6.planner import plan

    try:
        return plan(loaded.inventory)
    except AllocationError as exc:
        raise InventoryInvalid([allocation_problem(loaded, exc)]) from None


def allocation_problem(loaded: Any, exc: AllocationError) -> Problem:
    """Locate a planning failure: the pinned line at fault, else the pools in ipv6.yaml."""
    if exc.key is not None:
        return loaded.origins.in_file("ipv6-allocations.yaml", ("allocations", exc.key), str(exc))
    return loaded.origins.in_file("ipv6.yaml", ("pools",), str(exc))


def inventory_digests(directory: Path) -> dict[str, str]:
    """sha256 of each file the inventory loader reads (``loader.FILES``), "absent" for one that is not there: only
    those, so a plan, journal or state written beside the inventory does not move it. What a saved plan records."""
    from govctl.core.sealed import sha256
    from govctl.inventory.loader import FILES

    out = {}
    for name in FILES:
        path = Path(directory) / name
        out[name] = sha256(path.read_bytes()) if path.is_file() else "absent"
    return out


def moved_files(recorded: dict[str, str], now: dict[str, str]) -> list[str]:
    """Inventory files whose bytes differ from ``recorded`` (or appeared, or went)."""
    return sorted(n for n in set(recorded) | set(now) if recorded.get(n, "absent") != now.get(n, "absent"))
