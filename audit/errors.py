"""Errors of the live-cloud step: input errors exit 2, runtime failures exit 1 (see cli.handle_errors)."""
from __future__ import annotations

from govctl.core.errors import InputError, RuntimeFailure


class CloudConfigError(InputError):
    """clouds.yaml does not parse, names no such cloud, or lacks what is needed to authenticate."""


class AuthenticationFailed(InputError):
    """Keystone refused the credentials of the named cloud (wrong user, password or project)."""


class UnknownPlatform(InputError):
    """``--platform`` names no platform of the inventory."""


class CloudUnreachable(RuntimeFailure):
    """The auth URL or a service endpoint does not answer."""


class CloudError(RuntimeFailure):
    """An API call failed; ``status`` is the HTTP status (0 when none)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class UnmappedType(RuntimeFailure):
    """The stacks emit a resource type the live mapping does not know: a new type cannot slip in unchecked."""


class Unresolved(RuntimeFailure):
    """An input references a resource that has no live id (its creation failed or it is missing)."""
