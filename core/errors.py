"""The project's exception tree.

Every failure a user can cause or meet derives from these; each domain keeps its own types in its own
``errors.py``. Only the CLI plumbing (``core/clikit.py``, its one table) turns them into messages and exit
codes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or worth a warning) in an inventory, located for the user."""

    file: str
    line: int | None
    path: str
    message: str
    value: str | None = None
    severity: Severity = "error"
    rule: str | None = None
    source: str | None = None

    def render(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        head = f"{where}: {self.severity}"
        if self.rule:
            head += f" [{self.rule}]"
        text = f"{head}: {self.path}: {self.message}" if self.path else f"{head}: {self.message}"
        if self.value is not None:
            text += f" (got {self.value})"
        if self.source:
            text += f" [source: {self.source}]"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "path": self.path,
            "message": self.message,
            "value": self.value,
            "severity": self.severity,
            "rule": self.rule,
            "source": self.source,
        }


class GovctlError(Exception):
    """Base of every error govctl raises on purpose."""


class InputError(GovctlError):
    """Something the user wrote (file, flag) is wrong. Exit code 2."""


@dataclass
class ProblemsFound(InputError):
    """Something the user wrote has located problems; carries every problem found, warnings included. Exit 2,
    the problems printed before the summary. Each domain derives its own (inventory, cutover, migration)."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.summary())

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def summary(self) -> str:
        n = len(self.errors)
        return f"{n} error{'s' if n != 1 else ''}"


class PlatformsPathInvalid(InputError):
    """``$GOVCTL_PLATFORMS_PATH`` names a folder that does not exist, or two platform folders share a name."""


class RuntimeFailure(GovctlError):
    """Something outside the user's input failed (device, cloud, filesystem). Exit code 1."""


class ChangesPresent(GovctlError):
    """Work is pending: a plan, diff, audit or report found changes (asked for with --detailed-exitcode,
    or always for an audit). Not a failure of govctl; exit code 3."""


class PolicyViolations(GovctlError):
    """Mandatory policies or the plans' rules are violated (the plan's policy pack, an audit's findings).
    Exit code 4."""
