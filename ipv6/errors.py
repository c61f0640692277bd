"""Errors of the IPv6 plan."""
from __future__ import annotations

from govctl.core.errors import InputError


class AllocationError(InputError):
    """An address pool cannot satisfy the plan (exhausted, or a pinned prefix no longer fits). Exit 2.

    ``key`` names the pinned allocation at fault, when there is one, so the
    message can point at its line in ipv6-allocations.yaml.
    """

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key
