"""Live preview and update through Pulumi's Automation API (needs the Pulumi CLI and the provider plugin).

Everything the engine keeps is in govctl's state directory of the inventory (``<state>/stacks``), never in
the package or the checkout:

- ``work/``: the Pulumi project the engine runs (a ``Pulumi.yaml`` whose ``main`` is the installed package's
  ``stacks/``) and the per-stack settings ``Pulumi.<stack>.yaml`` (the encryption salt, the inventory path);
- ``backend/``: Pulumi's file backend (unless ``PULUMI_BACKEND_URL`` names another);
- the passphrase: ``PULUMI_CONFIG_PASSPHRASE`` or ``PULUMI_CONFIG_PASSPHRASE_FILE`` when set, else a random
  one govctl makes once in ``<state>/secrets/pulumi-passphrase`` (0600, outside the backend). The engine is
  handed the file's path, never the value: it is not in any argument, setting, state file or output.

The program runs on govctl's own interpreter (``PULUMI_PYTHON_CMD`` = ``sys.executable``), not whichever
``python3`` is first on PATH.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govctl.core.errors import InputError
from govctl.stacks.errors import LiveFailure, PulumiMissing
from govctl.stacks.models import PROJECT

ROOT = Path(__file__).resolve().parent.parent
INSTALL_HINT = ("build or install govctl's pinned engine (tools/engine/build.sh, or --from-bundle FILE on a machine "
                "without network) and put it on PATH (`eval \"$(tools/engine/build.sh --env)\"`); "
                "`govctl plan` without --live needs neither")
PASSPHRASE_FILE = "secrets/pulumi-passphrase"


class AuthFailed(InputError):
    """The cloud refused the credentials (clouds.yaml / OS_* variables)."""


class CloudUnreachable(LiveFailure):
    """The cloud's Keystone (or another endpoint) does not answer."""


class QuotaExhausted(LiveFailure):
    """The cloud refused a create for a project's quota, half-way through an update."""


class HubNotApplied(InputError):
    """A federated stack reads the hub's outputs, and the hub stack has none yet."""


def pulumi_command() -> Any:
    """The CLI wrapper, or ``PulumiMissing`` at once when the CLI is not installed."""
    from pulumi import automation as auto

    try:
        return auto.PulumiCommand(skip_version_check=True)
    except FileNotFoundError as exc:
        raise PulumiMissing(f"the Pulumi CLI is not installed ('{exc.filename or 'pulumi'}' not found): "
                            f"{INSTALL_HINT}; nothing was changed") from exc


def _private_dir(path: Path) -> Path:
    for d in reversed([path, *path.parents]):
        if not d.exists():
            d.mkdir(mode=0o700)
    return path


def passphrase_file(state_dir: Path) -> Path:
    """The inventory's passphrase file (made once, random, 0600). ``state_dir`` is the ``stacks`` area."""
    path = state_dir.parent / PASSPHRASE_FILE
    if not path.exists():
        _private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_urlsafe(32) + "\n")
    return path


def work_dir(state_dir: Path) -> Path:
    """The Pulumi project directory of this inventory: ``Pulumi.yaml`` pointing at the package's program."""
    work = _private_dir(state_dir / "work")
    text = (f"# Written by govctl: the project the engine runs for this inventory (stack settings beside it).\n"
            f"name: {PROJECT}\nruntime:\n  name: python\n  options:\n    toolchain: pip\n"
            f"main: {json.dumps(str(ROOT / 'stacks'))}\n")
    project = work / "Pulumi.yaml"
    if not project.exists() or project.read_text(encoding="utf-8") != text:
        from govctl.stacks.state import write_private

        write_private(project, text)
    return work


def env(state_dir: Path) -> dict[str, str]:
    """What the engine runs with: backend, passphrase file, interpreter, the clouds.yaml entry's credentials."""
    from govctl.stacks.credentials import engine_env

    out: dict[str, str] = {"PULUMI_PYTHON_CMD": sys.executable, "PULUMI_SKIP_UPDATE_CHECK": "true", **engine_env()}
    if not os.environ.get("PULUMI_BACKEND_URL"):
        out["PULUMI_BACKEND_URL"] = f"file://{_private_dir((state_dir / 'backend').resolve())}"
    if not (os.environ.get("PULUMI_CONFIG_PASSPHRASE") or os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")):
        out["PULUMI_CONFIG_PASSPHRASE_FILE"] = str(passphrase_file(state_dir))
    return out


def stack(name: str, inventory_dir: Path, state_dir: Path) -> Any:
    """Select (or create) the stack, with its settings naming the inventory and the platform."""
    from pulumi import automation as auto

    cmd = pulumi_command()
    work = work_dir(state_dir)
    try:
        s = auto.create_or_select_stack(
            stack_name=name, work_dir=str(work),
            opts=auto.LocalWorkspaceOptions(work_dir=str(work), env_vars=env(state_dir), secrets_provider="passphrase",
                                            pulumi_command=cmd))
        s.set_config("govctl:inventory", auto.ConfigValue(str(inventory_dir.resolve())))
        s.set_config("govctl:platform", auto.ConfigValue(name))
    except FileNotFoundError as exc:
        raise PulumiMissing(f"the Pulumi CLI disappeared: {INSTALL_HINT}") from exc
    except auto.CommandError as exc:
        raise classify(name, "select", exc) from exc
    return s


def checkpoint_path(state_dir: Path, name: str) -> Path:
    """The stack's checkpoint in the default file backend (the one ``govctl plan`` also reads: ``state.Store``)."""
    from govctl.stacks.state import Store

    return Store(state_dir, "").backend_checkpoint(name)


def has_outputs(name: str, inventory_dir: Path, state_dir: Path) -> bool:
    """Whether the stack was applied (its state holds outputs): what federated stacks read."""
    from pulumi import automation as auto

    backend = os.environ.get("PULUMI_BACKEND_URL")
    if not backend:
        # The local file backend's checkpoint, read directly: no engine run, no stack created.
        checkpoint = checkpoint_path(state_dir, name)
        try:
            doc = json.loads(checkpoint.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        latest = (doc.get("checkpoint") or {}).get("latest") or {}
        return any(r.get("type") == "pulumi:pulumi:Stack" and r.get("outputs") for r in latest.get("resources") or [])
    try:
        return bool(stack(name, inventory_dir, state_dir).outputs())
    except auto.CommandError:
        return False


_ERROR = re.compile(r"^\s*(?:error|\*)\s*:?\s*(.+)$")
_AUTH = ("Authentication failed", "requires authentication", "The request you have made requires authentication",
         "401 Unauthorized", "Unauthorized", "status code 401")
# Neutron "OverQuota ... Quota exceeded for resources", Nova "Quota exceeded for cores", Cinder "VolumeLimitExceeded"
_QUOTA = re.compile(r"(quota exceeded[^\"\\]*|overquota|over quota|\w*limitexceeded)", re.IGNORECASE)
_CREATING = re.compile(r"creating (urn:pulumi:\S+?):? ")
_DIAGNOSTIC = re.compile(r"^[\w.:/-]+ \(([^()\s]+)\):$")  # the engine's "Diagnostics:" header: "TYPE (NAME):"
_UNREACHABLE = ("connection refused", "no such host", "i/o timeout", "network is unreachable", "no route to host",
                "context deadline exceeded", "dial tcp")


def _lines(exc: Exception) -> list[str]:
    return [line.strip() for line in str(exc).splitlines() if line.strip()]


def _first_error(lines: list[str]) -> str:
    """The engine's most specific error line: the provider's ('* ...') before the generic 'error: ...'."""
    specific = [ln.lstrip("* ").strip() for ln in lines if ln.startswith("* ")]
    if specific:
        return specific[0]
    errors = [ln.partition("error:")[2].strip() for ln in lines if "error:" in ln]
    errors = [e for e in errors if e and not e.startswith("update failed") and not e.startswith("preview failed")]
    return errors[0] if errors else (lines[-1] if lines else "the engine failed")


def _refused_resource(lines: list[str]) -> str | None:
    """The resource whose error names a quota: from the provider's "creating URN:" line, else from the header of
    the engine's diagnostics block the quota line is in."""
    header = None
    for line in lines:
        at = _CREATING.search(line)
        if at is not None:
            return at.group(1).rsplit("::", 1)[-1]
        diag = _DIAGNOSTIC.match(line)
        if diag is not None:
            header = diag.group(1)
        elif _QUOTA.search(line) and header is not None:
            return header
    return None


def classify(name: str, what: str, exc: Exception) -> Exception:
    """One line for what went wrong, as the right error type (exit code)."""
    lines = _lines(exc)
    text = "\n".join(lines)
    hub = next((ln for ln in lines if "apply the hub stack first" in ln), None)
    if hub is not None:
        return HubNotApplied(hub[hub.find("stack '"):] if "stack '" in hub else hub)
    first = _first_error(lines)
    if any(k in text for k in _AUTH) and not any(k in text for k in _UNREACHABLE):
        return AuthFailed(f"stack '{name}': the cloud refused the credentials (clouds.yaml / OS_CLOUD / OS_*): {first}"
                          "; nothing more was changed")
    if any(k in text for k in _UNREACHABLE):
        return CloudUnreachable(f"stack '{name}': the cloud does not answer: {first}")
    quotas = [m.strip().rstrip(".") for m in _QUOTA.findall(text)]
    if quotas:
        said = next((q for q in quotas if q.lower().startswith("quota exceeded")), quotas[0])
        name_ = _refused_resource(lines)
        where = f" creating {name_}" if name_ else ""
        return QuotaExhausted(f"stack '{name}': the cloud refused{where}: {said}; what was applied before it stays: "
                              "raise the project's quota in the cloud, or ask for less in the inventory, and apply "
                              "again")
    return LiveFailure(f"stack '{name}': {what} failed: {first}")


@dataclass(frozen=True)
class EnginePreview:
    summary: dict[str, int]  # the engine's counts by step kind
    changes: set[tuple[str, str]]  # (kind, URN), as ``govctl plan`` lists them
    verdicts: set[tuple[str, str, str]]  # (policy, enforcement level, URN) of each violation the pack reported


# The engine's step kinds, as the offline plan names them; the other steps (same, read, the create-replacement and
# delete-replaced halves of a replace, refresh, import) change nothing a reviewer is shown.
ENGINE_KINDS = {"create": "create", "update": "update", "delete": "delete", "replace": "replace"}


def engine_change_set(steps: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """(kind, URN) of each step the engine plans, from its (op, URN) pairs: as ``govctl plan`` lists them (the
    root ``pulumi:pulumi:Stack`` resource is the engine's, not the program's, and is left out)."""
    return {(ENGINE_KINDS[op], urn) for op, urn in steps
            if op in ENGINE_KINDS and urn.split("::")[2:3] != ["pulumi:pulumi:Stack"]}


def policy_options(state_dir: Path, config: dict[str, Any] | None) -> dict[str, Any]:
    """The policy pack and its configuration (``engine.policy_config``: the shares the inventory declares) as the
    engine takes them; the configuration file is written in the stack's work directory."""
    packs: dict[str, Any] = {"policy_packs": [str(ROOT / "stacks" / "policypack")]}
    if config is not None:
        from govctl.stacks.state import write_private

        path = work_dir(state_dir) / "policy-config.json"
        write_private(path, json.dumps(config, sort_keys=True, ensure_ascii=False))
        packs["policy_pack_configs"] = [str(path)]
    return packs


def preview(name: str, inventory_dir: Path, state_dir: Path, on_output: Callable[[str], None],
            save_plan: Path | None = None, exclude: list[str] | None = None,
            policy_config: dict[str, Any] | None = None) -> EnginePreview:
    """``pulumi preview`` of the stack: its change summary, change set (``engine_change_set``) and the policy
    pack's verdicts; with ``save_plan`` the engine also writes its update plan there, which ``up(plan=...)`` then
    holds the update to."""
    from pulumi import automation as auto

    s = stack(name, inventory_dir, state_dir)
    steps: list[tuple[str, str]] = []
    verdicts: set[tuple[str, str, str]] = set()

    def on_event(event: Any) -> None:
        pre = getattr(event, "resource_pre_event", None)
        if pre is not None and pre.metadata is not None:
            op = pre.metadata.op
            steps.append((getattr(op, "value", str(op)), pre.metadata.urn))
        policy = getattr(event, "policy_event", None)
        if policy is not None:
            verdicts.add((policy.policy_name, policy.enforcement_level, policy.resource_urn or ""))

    try:
        result = s.preview(on_output=on_output, on_event=on_event, **policy_options(state_dir, policy_config),
                           plan=str(save_plan) if save_plan is not None else None, exclude=exclude or None)
    except auto.CommandError as exc:
        raise classify(name, "preview", exc) from exc
    return EnginePreview(dict(result.change_summary), engine_change_set(steps), verdicts)


def up(name: str, inventory_dir: Path, state_dir: Path, on_output: Callable[[str], None],
       continue_on_error: bool = False, plan: Path | None = None, exclude: list[str] | None = None,
       policy_config: dict[str, Any] | None = None) -> dict[str, int]:
    """``pulumi up``; with ``plan`` (an update plan from ``preview(save_plan=...)``) the engine refuses any step
    the plan does not hold."""
    from pulumi import automation as auto

    s = stack(name, inventory_dir, state_dir)
    try:
        result = s.up(on_output=on_output, **policy_options(state_dir, policy_config),
                      continue_on_error=continue_on_error or None, plan=str(plan) if plan is not None else None,
                      exclude=exclude or None)
    except auto.CommandError as exc:
        raise classify(name, "update", exc) from exc
    return dict(result.summary.resource_changes or {})


def recover(name: str, inventory_dir: Path, state_dir: Path, on_output: Callable[[str], None]) -> None:
    """Before an update: the lock and pending operations an interrupted run left (``stacks/recovery.py``), so that
    the preview the update is held to is made of the state as it will be updated."""
    from pulumi import automation as auto

    from govctl.stacks.recovery import drop_stale_locks, resolve_pending

    drop_stale_locks(name, state_dir, on_output)
    s = stack(name, inventory_dir, state_dir)
    try:
        resolve_pending(s, name, inventory_dir, on_output)
    except auto.CommandError as exc:
        raise classify(name, "recovery of an interrupted run", exc) from exc


def deployment(name: str, inventory_dir: Path, state_dir: Path) -> dict[str, Any] | None:
    """The stack's current deployment (its state's resources): the local file backend's checkpoint read directly,
    else ``pulumi stack export`` from the backend PULUMI_BACKEND_URL names."""
    if not os.environ.get("PULUMI_BACKEND_URL"):
        from govctl.stacks.planfile import checkpoint_deployment

        return checkpoint_deployment(checkpoint_path(state_dir, name))
    from pulumi import automation as auto

    try:
        return stack(name, inventory_dir, state_dir).export_stack().deployment or None
    except auto.CommandError as exc:
        raise classify(name, "stack export", exc) from exc


def set_protect(name: str, inventory_dir: Path, state_dir: Path, urns: list[str], protect: bool,
                on_output: Callable[[str], None]) -> None:
    """``pulumi state protect|unprotect`` of exactly ``urns``: --allow-destroy lifts the protect of the tenant data
    the reviewed change deletes or replaces, and puts it back when the change is not made."""
    from pulumi import automation as auto

    if not urns:
        return
    s = stack(name, inventory_dir, state_dir)
    verb = "protect" if protect else "unprotect"
    try:
        for urn in urns:
            s._run_pulumi_cmd_sync(["state", verb, urn, "--yes"], on_output)  # noqa: SLF001 - no SDK verb for it
    except auto.CommandError as exc:
        raise classify(name, f"state {verb}", exc) from exc
