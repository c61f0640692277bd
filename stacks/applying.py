"""Applying through the real engine, as a service the command calls: saved plans (`govctl plan --out FILE`,
`govctl apply FILE`), the preview-first apply, and the destroy guard.

Every apply is one preview and one update per stack, held together by a Pulumi update plan: the engine previews
with ``--save-plan``, the change is shown (deletes and replacements first) or compared with the reviewed plan
file, and ``up --plan`` then refuses any step that plan does not hold. Tenant data (models.PROTECTED_TYPES) carries
Pulumi's protect; a change that deletes or replaces it is refused without ``--allow-destroy``, and with it the
protect is lifted for exactly those resources and put back when the change is not made.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govctl.core import statedir
from govctl.core.durable import private_dirs
from govctl.core.errors import RuntimeFailure
from govctl.source import inventory_digests, moved_files
from govctl.stacks import engine, live, planfile
from govctl.stacks.models import KINDS, PROTECTED_TYPES, PlanResult
from govctl.stacks.state import Store

Line = Callable[[str], None]


class Cancelled(RuntimeFailure):
    """The user answered no: nothing was changed."""


@dataclass(frozen=True)
class ApplyOptions:
    continue_on_error: bool = False
    allow_destroy: bool = False
    exclude: tuple[str, ...] = ()  # engine URNs left as they are (`pulumi up --exclude`), e.g. a service that is down


def destroyed_data(result: PlanResult) -> list[str]:
    """'kind URN' of each delete or replace of tenant data in an offline plan."""
    return [f"{c.kind} {c.urn}" for d in result.diffs for c in d.changes
            if c.kind in ("delete", "replace") and c.type in PROTECTED_TYPES]


def refuse_destroy(lines: list[str]) -> planfile.DestroyNotAllowed:
    shown = "; ".join(lines[:5]) + (f"; and {len(lines) - 5} more" if len(lines) > 5 else "")
    return planfile.DestroyNotAllowed(
        f"the change deletes or replaces {len(lines)} resource(s) holding tenant data ({shown}): give "
        "--allow-destroy to make it; nothing was changed")


def save(result: PlanResult, path: Path, directory: Path, state_dir: Path) -> str:
    """Write the offline plan ``result`` (made against each stack's own state) as a plan file; its digest."""
    stacks = [planfile.stack_plan(d, planfile.state_digest(live.deployment(d.stack, directory, state_dir)))
              for d in result.diffs]
    plan = planfile.make(directory, inventory_digests(directory), stacks, "offline")
    return planfile.write(path, plan)


def _stale(plan: planfile.Plan, directory: Path, state_dir: Path) -> None:
    """PlanStale naming what moved since ``plan``: inventory files, govctl's code, stacks' states."""
    moved = [f"inventory file {n}" for n in moved_files(plan.inventory_files, inventory_digests(directory))]
    if plan.code != planfile.code_version():
        moved.append(f"govctl's code (plan: {plan.code}, now: {planfile.code_version()})")
    for sp in plan.stacks:
        if planfile.state_digest(live.deployment(sp.stack, directory, state_dir)) != sp.state_sha256:
            moved.append(f"the state of stack '{sp.stack}'")
    if moved:
        raise planfile.PlanStale(f"the plan is stale: {'; '.join(moved)} changed since it was made; make the plan "
                                 "again (govctl plan --out FILE); nothing was changed", moved)


def change_lines(changes: set[tuple[str, str]]) -> list[str]:
    """The engine's change set as a reviewer reads it: deletes and replacements first, then updates, creates."""
    order = {"delete": 0, "replace": 1, "update": 2, "create": 3}
    sign = {"delete": "-", "replace": "-/+", "update": "~", "create": "+"}
    return [f"  {sign[k]} {u.split('::')[2].rsplit(':', 1)[-1]} {u.rsplit('::', 1)[-1]}"
            for k, u in sorted(changes, key=lambda c: (order[c[0]], c[1]))]


class Applier:
    """One apply run over an inventory's stacks, under govctl's apply lock of that inventory."""

    def __init__(self, src: engine.Source, directory: Path, state_dir: Path, options: ApplyOptions,
                 on_line: Line) -> None:
        self.src, self.directory, self.state_dir, self.options, self.on_line = (src, directory, state_dir, options,
                                                                                on_line)
        self.store = Store(state_dir, src.inventory.name)

    def _update_plan(self, stack: str) -> Path:
        path = self.state_dir / "plans" / f"{stack}.update-plan.json"
        private_dirs(path.parent)
        path.unlink(missing_ok=True)
        return path

    def stack(self, stack: str, lifted: list[str], check: Callable[[set[tuple[str, str]]], None]) -> dict[str, int]:
        """Preview ``stack`` saving the engine's update plan, ``check`` its change set (raise to stop), then update
        held to that plan. ``lifted``: protected URNs whose protect is lifted for this change, and put back if it
        is not made."""
        exclude = list(self.options.exclude)
        policy = engine.policy_config(self.src.inventory)
        live.recover(stack, self.directory, self.state_dir, self.on_line)
        live.set_protect(stack, self.directory, self.state_dir, lifted, False, self.on_line)
        update_plan = self._update_plan(stack)
        try:
            changes = live.preview(stack, self.directory, self.state_dir, self.on_line, save_plan=update_plan,
                                      exclude=exclude, policy_config=policy).changes
            check(changes)
            done = live.up(stack, self.directory, self.state_dir, self.on_line,
                           continue_on_error=self.options.continue_on_error, plan=update_plan, exclude=exclude,
                           policy_config=policy)
        finally:
            update_plan.unlink(missing_ok=True)
            self._protect_again(stack, lifted)
        self.store.write_snapshot(engine.graphs(self.src, [stack], self.store)[stack])
        return done

    def _protect_again(self, stack: str, lifted: list[str]) -> None:
        """Put the protect back on each lifted resource the update did not delete (it failed, was cancelled, or
        replaced it: a replacement is protected by the program itself)."""
        if not lifted:
            return
        deployment = live.deployment(stack, self.directory, self.state_dir) or {}
        present = {r.get("urn"): r for r in deployment.get("resources") or []}
        again = [u for u in lifted if u in present and not present[u].get("protect")]
        live.set_protect(stack, self.directory, self.state_dir, again, True, self.on_line)


def apply_file(plan: planfile.Plan, src: engine.Source, directory: Path, state_dir: Path, options: ApplyOptions,
               on_line: Line, on_stack: Callable[[str, dict[str, int]], None]) -> None:
    """Apply exactly ``plan``: refused (PlanStale, DestroyNotAllowed; exit 2, nothing changed) when anything it was
    made from moved or it destroys tenant data without --allow-destroy; each stack's engine preview must be the
    plan's change set, and its update is held to that preview."""
    with statedir.lock(directory, "apply", "apply"):  # held from the check on: no other apply moves the state
        _stale(plan, directory, state_dir)
        destroys = [f"{c.kind} {c.urn}" for c in plan.destroys_data if c.urn not in options.exclude]
        if destroys and not options.allow_destroy:
            raise refuse_destroy(destroys)
        live.pulumi_command()  # checked after the plan, which needs no engine to be refused
        applier = Applier(src, directory, state_dir, options, on_line)
        for sp in plan.stacks:
            if not sp.changes:
                on_stack(sp.stack, {})
                continue

            def check(changes: set[tuple[str, str]], sp: planfile.StackPlan = sp) -> None:
                planned = {(k, u) for k, u in sp.change_set() if u not in options.exclude}
                diff = planfile.differences(planned, changes)
                if diff:
                    raise planfile.PlanStale(
                        f"stack '{sp.stack}': the engine's preview differs from the plan ({len(diff)}: "
                        f"{'; '.join(diff[:5])}); make the plan again; this stack was not changed", diff)

            lifted = [c.urn for c in sp.changes if c.destroys_data and c.urn not in options.exclude]
            on_stack(sp.stack, applier.stack(sp.stack, lifted, check))


def apply_inventory(src: engine.Source, directory: Path, state_dir: Path, stacks: list[str], options: ApplyOptions,
                    on_line: Line, confirm: Callable[[str, list[str]], bool] | None,
                    on_stack: Callable[[str, dict[str, int]], None], progress: Any) -> None:
    """Preview each stack (hub first), show its change with deletes and replacements first, ask ``confirm`` (None:
    --yes), and update held to what was shown. Tenant data destroyed needs --allow-destroy, checked offline before
    the engine runs."""
    from govctl.stacks.planning import offline_plan

    offline = offline_plan(src, directory, state_dir, stacks, progress)
    destroys = [d for d in destroyed_data(offline) if d.split(" ", 1)[1] not in options.exclude]
    if destroys and not options.allow_destroy:
        raise refuse_destroy(destroys)
    applier = Applier(src, directory, state_dir, options, on_line)
    with statedir.lock(directory, "apply", "apply"):
        for stack in stacks:
            def check(changes: set[tuple[str, str]], stack: str = stack) -> None:
                counts = {k: sum(1 for c in changes if c[0] == k) for k in KINDS}
                question = (f"Apply stack '{stack}': {counts['create']} to create, {counts['update']} to update, "
                            f"{counts['replace']} to replace, {counts['delete']} to delete?")
                if confirm is not None and changes and not confirm(question, change_lines(changes)):
                    raise Cancelled(f"cancelled at stack '{stack}', which was not changed")

            lifted = [u for line in destroys for u in [line.split(" ", 1)[1]]
                      if u.split("::")[0] == f"urn:pulumi:{stack}"]
            on_stack(stack, applier.stack(stack, lifted, check))
