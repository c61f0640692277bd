"""Errors of the migration step; all are input errors (exit 2) except journal I/O."""
from __future__ import annotations

from dataclasses import dataclass

from govctl.core.errors import InputError, ProblemsFound, RuntimeFailure


@dataclass
class SystemsInvalid(ProblemsFound):
    """A system list (YAML, CSV or XLSX) or a plan limit is wrong; every problem is located."""

    what: str = "system list"

    def summary(self) -> str:
        return f"{self.what} invalid: {super().summary()}; nothing written"


class MigrationInputError(InputError):
    """A flag or file given to a migrate command is wrong."""


class JournalError(InputError):
    """The migration journal cannot be read (a line is not a journal entry)."""


class OutputFailure(RuntimeFailure):
    """Writing the plan's files failed."""
