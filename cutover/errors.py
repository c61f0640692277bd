"""Errors of the cutover step."""
from __future__ import annotations

from dataclasses import dataclass

from govctl.core.errors import InputError, ProblemsFound, RuntimeFailure


@dataclass
class CutoverRefused(ProblemsFound):
    """The cutover may not run as planned (pre-check failed); every reason is located in the inventory. Exit 2."""

    network: str = ""

    def summary(self) -> str:
        n = len(self.errors)
        return (f"cutover of '{self.network}' refused: {n} failed pre-check{'s' if n != 1 else ''}; "
                "no device was touched")


class UnknownNetwork(InputError):
    """No dedicated network with that id in the inventory."""


class OutsideWindow(InputError):
    """``run`` was asked outside the network's maintenance window (use --force to override)."""


class JournalError(InputError):
    """A journal is missing, unreadable or does not match the command (e.g. resume of a finished run)."""


class CutoverFailed(RuntimeFailure):
    """A cutover step or post-check failed; the message says whether rollback restored the previous state."""


class ManualStepPending(RuntimeFailure):
    """A person's step (a carrier circuit move) is not confirmed yet; the run waits, resumable. Exit 1."""


class DeviceAccessFailed(CutoverFailed):
    """A device of the cutover is unreachable or refuses the login: found before any change."""
