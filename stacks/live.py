"""Live preview and update through Pulumi's Automation API (needs the Pulumi CLI and the provider plugin).

Backend: a local file backend under the state directory unless PULUMI_BACKEND_URL
says otherwise; secrets: the passphrase provider, passphrase read from the
environment (never printed, never written by govctl).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from govctl.core.errors import InputError
from govctl.stacks.errors import LiveFailure, PulumiMissing

ROOT = Path(__file__).resolve().parent.parent
INSTALL_HINT = ("install the Pulumi CLI (https://www.pulumi.com/docs/install/, e.g. "
                "`curl -fsSL https://get.pulumi.com | sh`) and the OpenStack plugin "
                "(`pulumi plugin install resource openstack`); `govctl plan` without --live needs neither")


def pulumi_command() -> Any:
    """The CLI wrapper, or ``PulumiMissing`` at once when the CLI is not installed."""
    from pulumi import automation as auto

    try:
        return auto.PulumiCommand()
    except FileNotFoundError as exc:
        raise PulumiMissing(f"the Pulumi CLI is not installed ('{exc.filename or 'pulumi'}' not found): "
                            f"{INSTALL_HINT}; nothing was changed") from exc


def _env(state_dir: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    if not os.environ.get("PULUMI_BACKEND_URL"):
        backend = (state_dir / "backend").resolve()
        for d in reversed([backend, *backend.parents]):
            if not d.exists():
                d.mkdir(mode=0o700)  # state holds encrypted secrets: owner-only all the way down
        env["PULUMI_BACKEND_URL"] = f"file://{backend}"
    if not (os.environ.get("PULUMI_CONFIG_PASSPHRASE") or os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")):
        raise InputError("live mode encrypts stack secrets with a passphrase: set PULUMI_CONFIG_PASSPHRASE or "
                         "PULUMI_CONFIG_PASSPHRASE_FILE in the environment")
    return env


def stack(name: str, inventory_dir: Path, state_dir: Path) -> Any:
    """Select (or create) the stack, with its config naming the inventory and the platform."""
    from pulumi import automation as auto

    cmd = pulumi_command()
    env = _env(state_dir)
    try:
        s = auto.create_or_select_stack(
            stack_name=name, work_dir=str(ROOT),
            opts=auto.LocalWorkspaceOptions(work_dir=str(ROOT), env_vars=env, secrets_provider="passphrase",
                                            pulumi_command=cmd))
        s.set_config("govctl:inventory", auto.ConfigValue(str(inventory_dir.resolve())))
        s.set_config("govctl:platform", auto.ConfigValue(name))
    except FileNotFoundError as exc:
        raise PulumiMissing(f"the Pulumi CLI disappeared: {INSTALL_HINT}") from exc
    except auto.CommandError as exc:
        raise LiveFailure(f"stack '{name}': {_short(exc)}") from exc
    return s


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return " / ".join(line for line in text[-6:] if line.strip())


def preview(name: str, inventory_dir: Path, state_dir: Path, on_output: Callable[[str], None]) -> dict[str, int]:
    from pulumi import automation as auto

    s = stack(name, inventory_dir, state_dir)
    try:
        result = s.preview(on_output=on_output, policy_packs=[str(ROOT / "stacks" / "policypack")])
    except auto.CommandError as exc:
        raise LiveFailure(f"stack '{name}': preview failed: {_short(exc)}") from exc
    return dict(result.change_summary)


def up(name: str, inventory_dir: Path, state_dir: Path, on_output: Callable[[str], None]) -> dict[str, int]:
    from pulumi import automation as auto

    s = stack(name, inventory_dir, state_dir)
    try:
        result = s.up(on_output=on_output, policy_packs=[str(ROOT / "stacks" / "policypack")])
    except auto.CommandError as exc:
        raise LiveFailure(f"stack '{name}': update failed: {_short(exc)}") from exc
    return dict(result.summary.resource_changes or {})
