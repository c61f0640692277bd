"""Errors of the network step (intent, rendering, drivers, push, lab)."""
from __future__ import annotations

from govctl.core.errors import InputError, RuntimeFailure


class UnknownPlatform(InputError):
    """A node's platform has no templates (or no driver)."""


class PlatformInvalid(InputError):
    """A platform folder's record is missing, of the wrong type, or named other than its folder."""


class TemplateFailure(InputError):
    """A vendor template is missing or failed to render; names the template and the device."""


class UnknownDevice(InputError):
    """``--device`` / ``--limit`` matched nothing, or a run id does not exist."""


class CredentialsMissing(InputError):
    """A credentials reference cannot be resolved (unset variable, unreadable file). Never shows the secret."""


class DeviceError(RuntimeFailure):
    """A device refused or failed an operation (connect, auth, load, commit, rollback)."""

    def __init__(self, device: str, step: str, message: str) -> None:
        super().__init__(f"{device}: {step}: {message}")
        self.device = device
        self.step = step
        self.message = message


class PushFailed(RuntimeFailure):
    """A push run ended with failed or rolled-back devices."""


class LabError(RuntimeFailure):
    """The router lab could not be built, inspected or removed."""


class LabNotRunning(InputError):
    """``--lab`` was given but no lab is up for this inventory."""
