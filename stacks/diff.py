"""Diff a planned resource graph against a base graph (another revision, a snapshot or a real Pulumi state).

An update lists the inputs that change, old -> new; it is a replace when one of them forces the provider to
replace the resource (the provider's own schema says which: ``stacks/replacements.json``). A value the engine only
knows after apply (``<id:URN>``) equals the base's value when the base holds the
resource with that URN under that id; a data-source result (``<lookup:...>``)
equals whatever the base holds.
"""
from __future__ import annotations

from typing import Any

from govctl.stacks.models import (ID_PREFIX, LOOKUP_PREFIX, PROVIDER_TYPE, ROOT_STACK_TYPE, Change, ChangeKind,
                                  InputChange, Resource, StackGraph)
from govctl.stacks.replacements import forcing


def _symbolic_ids(base: StackGraph) -> dict[str, str]:
    """Real ids of the base's resources -> the placeholder the planned graph uses for them."""
    return {r.id: f"{ID_PREFIX}{r.urn}>" for r in base.resources.values() if r.id}


def _normalise(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_normalise(v, ids) for v in value]
    if isinstance(value, dict):
        # "__defaults" (what the provider's Check filled in) also sits inside nested objects of a real state
        return {k: _normalise(v, ids) for k, v in value.items() if k != "__defaults"}
    return value


def _same(new: Any, old: Any, stack_urn: str = "") -> bool:
    if isinstance(new, str) and new.startswith(LOOKUP_PREFIX):
        return True
    if (isinstance(new, str) and new.startswith(ID_PREFIX) and stack_urn and not new.startswith(ID_PREFIX + stack_urn)
            and isinstance(old, str) and not old.startswith(ID_PREFIX)):
        return True  # another stack's resource whose id this state cannot name: known from that stack
    if isinstance(new, dict) and isinstance(old, dict):
        return new.keys() == old.keys() and all(_same(new[k], old[k], stack_urn) for k in new)
    if isinstance(new, list) and isinstance(old, list):
        return len(new) == len(old) and all(_same(a, b, stack_urn) for a, b in zip(new, old))
    if isinstance(new, (int, float)) and isinstance(old, (int, float)) and not isinstance(new, bool):
        return float(new) == float(old)
    return bool(new == old)


def _matches(new: Any, raw: Any, ids: dict[str, str], stack_urn: str) -> bool:
    """``new`` (planned) equals the base's ``raw`` value, leaf by leaf: as the id placeholder the leaf names, or as
    itself. An id can equal a plain value elsewhere (a Swift container's id is its name; Nova numbers aggregates
    "3", "4", ..., as a DR grade in metadata reads), so a leaf that equals the planned value unchanged is the same
    value, not a reference."""
    if isinstance(new, dict) and isinstance(raw, dict):
        raw = {k: v for k, v in raw.items() if k != "__defaults"}
        return new.keys() == raw.keys() and all(_matches(new[k], raw[k], ids, stack_urn) for k in new)
    if isinstance(new, list) and isinstance(raw, list):
        return len(new) == len(raw) and all(_matches(a, b, ids, stack_urn) for a, b in zip(new, raw))
    return _same(new, _normalise(raw, ids), stack_urn) or (isinstance(new, str) and not new.startswith(ID_PREFIX)
                                                           and new == raw)


# A provider's settings that follow where the caller's credentials come from (stacks/credentials.py), not the
# inventory: one present in the plan and absent from the state is no change of the cloud.
CREDENTIAL_SOURCE = ("authUrl", "cloud")  # as the SDK names them in inputs


def input_changes(planned: Resource, base: Resource, ids: dict[str, str]) -> list[InputChange]:
    stack_urn = planned.urn.split("::", 2)[0] + "::" + planned.urn.split("::", 2)[1] + "::"
    old_inputs = base.inputs
    defaults = set(old_inputs.get("__defaults") or [])
    changes: list[InputChange] = []
    for key in sorted(set(planned.inputs) | set(old_inputs)):
        if key.startswith("__"):
            continue
        new = planned.inputs.get(key)
        old = _normalise(old_inputs.get(key), ids)
        if key not in planned.inputs and key in defaults:
            continue  # filled in by the provider's Check, not by the program
        if key not in planned.inputs and planned.type.startswith(PROVIDER_TYPE):
            continue  # a provider's settings from the environment (OS_CLOUD -> cloud) and the engine (version)
        if key in CREDENTIAL_SOURCE and key not in old_inputs and planned.type.startswith(PROVIDER_TYPE):
            continue  # a plan made with other credentials (OS_CLOUD unset: auth_url, no cloud) than the apply
        if not _matches(new, old_inputs.get(key), ids, stack_urn):
            changes.append(InputChange(key, old, new))
    if (planned.provider or None) != (base.provider or None) and base.provider is not None:
        changes.append(InputChange("(provider)", base.provider, planned.provider))
    return changes


def _refers(value: Any, urns: set[str]) -> bool:
    if isinstance(value, str):
        return value.startswith(ID_PREFIX) and value[len(ID_PREFIX):-1] in urns
    if isinstance(value, list):
        return any(_refers(v, urns) for v in value)
    if isinstance(value, dict):
        return any(_refers(v, urns) for v in value.values())
    return False


def _renewed(value: Any, urns: set[str]) -> Any:
    """``value`` with each id of a replaced resource marked as new (what the engine sees: unknown until apply)."""
    if isinstance(value, str):
        return value + " (new)" if _refers(value, urns) else value
    if isinstance(value, list):
        return [_renewed(v, urns) for v in value]
    if isinstance(value, dict):
        return {k: _renewed(v, urns) for k, v in value.items()}
    return value


def _through_replacements(planned: StackGraph, base_res: dict[str, Resource], updates: list[Change],
                          ids: dict[str, str]) -> list[Change]:
    """A replaced resource gets a new id, so every resource whose inputs hold that id changes too, although its
    ``<id:URN>`` reads the same: replaced where the field forces it (a subnet replaced replaces its router
    interface; a flavor, its flavor access), else updated; and so on down the chain, as the engine previews it."""
    by_urn = {c.urn: c for c in updates}
    replaced = {u for u, c in by_urn.items() if c.kind == "replace"}
    frontier = set(replaced)
    while frontier:
        found: set[str] = set()
        for urn, r in planned.resources.items():
            if urn not in base_res or urn in replaced:
                continue
            keys = [k for k, v in r.inputs.items() if _refers(v, frontier)]
            if not keys:
                continue
            prior = by_urn.get(urn)
            changed = list(prior.inputs) if prior is not None else []
            for key in keys:
                if any(c.key == key for c in changed):
                    continue
                value = r.inputs[key]
                old = _normalise(base_res[urn].inputs.get(key), ids)
                changed.append(InputChange(key, old, _renewed(value, frontier),
                                           forcing(r.type, key, value, _renewed(value, frontier))))
            kind: ChangeKind = "replace" if any(c.forces for c in changed) else "update"
            by_urn[urn] = Change(kind, urn, r.type, r.name, planned.tenant_of(urn), tuple(changed))
            if kind == "replace":
                found.add(urn)
        replaced |= found
        frontier = found
    return list(by_urn.values())


def diff(planned: StackGraph, base: StackGraph | None, other_ids: dict[str, str] | None = None) -> list[Change]:
    """``other_ids``: real ids of other stacks' resources (their states), for cross-stack references.

    Creates, updates (with changed inputs), then deletes; each group by tenant (platform-wide first), type, name."""
    base_res = {} if base is None else {u: r for u, r in base.resources.items() if r.type != ROOT_STACK_TYPE}
    ids = {} if base is None else {**(other_ids or {}), **_symbolic_ids(base)}
    creates: list[Change] = []
    updates: list[Change] = []
    for urn, r in planned.resources.items():
        old = base_res.get(urn)
        if old is None:
            creates.append(Change("create", urn, r.type, r.name, planned.tenant_of(urn)))
            continue
        changed = [InputChange(c.key, c.old, c.new, forcing(r.type, c.key, c.old, c.new))
                   for c in input_changes(r, old, ids)]
        if changed:
            kind: ChangeKind = "replace" if any(c.forces for c in changed) else "update"
            updates.append(Change(kind, urn, r.type, r.name, planned.tenant_of(urn), tuple(changed)))
    updates = _through_replacements(planned, base_res, updates, ids)
    deletes = [Change("delete", urn, r.type, r.name, base.tenant_of(urn))  # type: ignore[union-attr]
               for urn, r in base_res.items() if urn not in planned.resources]
    def order(c: Change) -> tuple[str, str, str]:
        return (c.tenant or "", c.type, c.name)

    return sorted(creates, key=order) + sorted(updates, key=order) + sorted(deletes, key=order)
