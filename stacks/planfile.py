"""The cloud plan file: what `govctl plan --out FILE` records and `govctl apply FILE` applies.

Terraform's saved plans as this domain needs them: the file holds, per stack, the change set that was reviewed
(kind, engine URN, type, and the fields forcing a replacement), a digest of the stack's state it was computed
against, a digest of each inventory file and of govctl's code, and the options. Sealed (``core.sealed``): a damaged
or hand-edited file is refused. ``apply FILE`` refuses, with exit 2 and nothing changed, when any of these moved,
and then asks the engine for its own preview and applies it through a Pulumi update plan (``preview --save-plan``,
``up --plan``) only if its change set is the file's: the engine does what was reviewed, or nothing.

Never in the file: resource inputs or outputs (they can carry secrets); only URNs, kinds and field names.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from govctl.core import sealed
from govctl.core.errors import InputError
from govctl.stacks.models import KINDS, PROTECTED_TYPES, StackDiff

FORMAT = "govctl-cloud-plan"
VERSION = 1
# the code that decides what a stack's program registers and how apply runs it
CODE_PACKAGES = ("core", "source.py", "inventory", "ipv6", "stacks")
NO_STATE = "none"  # the state digest of a stack never applied


class PlanFileError(InputError):
    """A file given as a cloud plan is not one, is damaged or edited, or is of another format version."""


class PlanStale(InputError):
    """The inventory, govctl's code or a stack's state moved since the plan, or the engine's preview now differs
    from it. ``moved`` names each file, stack or resource."""

    def __init__(self, message: str, moved: list[str]) -> None:
        super().__init__(message)
        self.moved = moved


class DestroyNotAllowed(InputError):
    """The change deletes or replaces tenant data (models.PROTECTED_TYPES) and --allow-destroy was not given."""


@dataclass(frozen=True)
class PlannedChange:
    kind: str  # models.KINDS
    urn: str
    type: str
    forces: tuple[str, ...] = ()  # the fields that force a replacement

    @property
    def destroys_data(self) -> bool:
        return self.kind in ("delete", "replace") and self.type in PROTECTED_TYPES


@dataclass(frozen=True)
class StackPlan:
    stack: str
    state_sha256: str  # of the state the change set was computed against (``state_digest``); NO_STATE if none
    changes: tuple[PlannedChange, ...]

    def change_set(self) -> set[tuple[str, str]]:
        return {(c.kind, c.urn) for c in self.changes}


@dataclass(frozen=True)
class Plan:
    inventory: str  # the directory, resolved
    inventory_files: dict[str, str]
    code: str
    options: dict[str, Any]  # {"stacks": [...], "source": "offline" | "live"}
    stacks: tuple[StackPlan, ...]
    created: str = ""  # UTC, for display only: nothing compares it
    body_sha256: str = field(default="", compare=False)

    @property
    def destroys_data(self) -> list[PlannedChange]:
        return [c for s in self.stacks for c in s.changes if c.destroys_data]

    def body(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("body_sha256")
        return data


def code_version() -> str:
    return sealed.code_version(CODE_PACKAGES)


def state_digest(deployment: dict[str, Any] | None) -> str:
    """A digest of what a stack's state says about its resources (a checkpoint's ``latest`` or an export's
    ``deployment``): URN, type, id, inputs and outputs. Not the protect flags (``--allow-destroy`` lifts them
    between the review and the update) nor the engine's bookkeeping (timestamps, versions, secrets salt)."""
    if not deployment or not deployment.get("resources"):
        return NO_STATE
    rows = sorted(([r.get("urn"), r.get("type"), r.get("id"), r.get("inputs"), r.get("outputs")]
                   for r in deployment["resources"]), key=lambda row: str(row[0]))
    return sealed.sha256(sealed.canonical(rows))


def checkpoint_deployment(path: Path) -> dict[str, Any] | None:
    """The ``latest`` deployment of a local-backend checkpoint file, or None when the stack has none yet."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise PlanFileError(f"{path}: the stack's state cannot be read ({exc})") from None
    return (doc.get("checkpoint") or {}).get("latest") or None


def stack_plan(diff: StackDiff, state_sha256: str) -> StackPlan:
    return StackPlan(diff.stack, state_sha256, tuple(
        PlannedChange(c.kind, c.urn, c.type, tuple(sorted({i.forces for i in c.inputs if i.forces})))
        for c in sorted(diff.changes, key=lambda c: (KINDS.index(c.kind), c.urn))))


def make(inventory: Path, inventory_files: dict[str, str], stacks: list[StackPlan], source: str) -> Plan:
    return Plan(inventory=str(Path(inventory).resolve()), inventory_files=inventory_files, code=code_version(),
                options={"stacks": [s.stack for s in stacks], "source": source}, stacks=tuple(stacks),
                created=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))


def write(path: Path, plan: Plan) -> str:
    return sealed.seal(Path(path), FORMAT, VERSION, plan.body())


def read(path: Path) -> Plan:
    body, digest = sealed.unseal(Path(path), FORMAT, VERSION, "govctl cloud plan", "govctl plan --out FILE",
                                 PlanFileError)
    try:
        stacks = tuple(StackPlan(s["stack"], s["state_sha256"],
                                 tuple(PlannedChange(c["kind"], c["urn"], c["type"], tuple(c.get("forces") or ()))
                                       for c in s["changes"]))
                       for s in body["stacks"])
        return Plan(**{**body, "stacks": stacks, "body_sha256": digest})
    except (TypeError, KeyError) as exc:
        raise PlanFileError(f"{path}: a plan with an unexpected shape ({exc})") from None


def differences(planned: set[tuple[str, str]], engine: set[tuple[str, str]]) -> list[str]:
    """What the engine would do beyond the plan ('+ kind urn') and what it would not do of it ('- kind urn')."""
    return ([f"+ {k} {u}" for k, u in sorted(engine - planned)] + [f"- {k} {u}" for k, u in sorted(planned - engine)])
