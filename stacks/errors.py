"""Errors of the cloud step; each is an ``InputError`` (exit 2) or a ``RuntimeFailure`` (exit 1)."""
from __future__ import annotations

from govctl.core.errors import InputError, RuntimeFailure


class UnknownStack(InputError):
    """``--stack`` names no platform of the inventory."""


class BaseRevisionError(InputError):
    """``--base`` is not a revision of the inventory's git repository, or the inventory is not in one."""


class StateInvalid(InputError):
    """A checkpoint or snapshot file that cannot be read as Pulumi state."""


class CredentialsInvalid(InputError):
    """The clouds.yaml entry named by ``OS_CLOUD`` is missing or unreadable."""


class ProgramError(RuntimeFailure):
    """The stack program failed; the message names the stack and the resource."""


class PulumiMissing(RuntimeFailure):
    """Live mode needs the Pulumi CLI, which is not installed."""


class LiveFailure(RuntimeFailure):
    """A live preview or update through the Automation API failed."""
