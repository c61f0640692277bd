"""What the report reads: every earlier step's output for one inventory, gathered once.

Nothing here invents a number: a source that has not been produced yet (no push run, no plan cached, no
audit given) is ``None``/empty, and the view built on it says so.

* migration journal: ``<state>/migration/journal.jsonl`` (``govctl.migration.journal``)
* push journals: ``<state>/runs/<run>/journal.jsonl`` (``govctl.network.journal``)
* cutover journals: ``<state>/cutover/<network>-<stamp>.jsonl`` (``govctl.cutover.journal``)
* last plan: the graph cache's latest graph per stack and the stack's current state
  (``govctl.stacks.state.Store``, under ``<state>/stacks``), diffed as ``govctl plan`` does
* last audit: the JSON ``govctl audit --json`` printed, given with ``--audit FILE`` (audits keep no state)
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from govctl.core import statedir
from govctl.inventory import models as m
from govctl.core.errors import InputError
from govctl.ipv6.models import Ipv6Plan

# push journal steps/results -> the node's IPv6 status (a later run overrides an earlier one)
PUSH_FAILED = {"failed", "rolled-back", "rollback-failed", "commit-failed", "verify-failed", "verify-error",
               "confirm-failed"}
PUSH_DONE = {"changed", "unchanged"}


@dataclass(frozen=True)
class RuleFinding:
    rule: str
    kind: str  # "site", "platform", "tenant", "file", ...
    ident: str
    message: str
    severity: str


@dataclass
class PushState:
    """Per extranet node, its IPv6 status from the push journals, and when each node first got there."""

    status: dict[str, str] = field(default_factory=dict)  # node -> pushed | verified | failed
    first_done: dict[str, date] = field(default_factory=dict)  # node -> first day pushed or verified
    runs: int = 0


@dataclass
class PlanState:
    """The last ``govctl plan`` per stack: counts by change kind and policy verdicts (None: never planned)."""

    stacks: dict[str, dict[str, int]] = field(default_factory=dict)
    violations: dict[str, dict[str, int]] = field(default_factory=dict)  # stack -> level -> count
    missing: list[str] = field(default_factory=list)  # stacks with no cached plan


@dataclass
class Sources:
    inv: m.Inventory
    directory: Path
    shown: str
    ipv6: Ipv6Plan | None
    findings: list[RuleFinding]
    systems_status: dict[str, str]  # system -> status after the migration journal
    migrated_on: dict[str, date]  # system -> day of its latest "migrated" event
    push: PushState
    integrated_on: dict[str, date]  # dedicated network -> day its cutover ended done
    plan: PlanState | None
    audit: dict[str, Any] | None
    as_of: date


def rule_findings(loaded: Any) -> list[RuleFinding]:
    """Every enabled rule's raw findings, with the element (kind, id) each concerns."""
    from govctl.inventory.rules import RULES

    disabled = set(loaded.inventory.province.rules.disabled)
    out: list[RuleFinding] = []
    for r in RULES:
        if r.id in disabled:
            continue
        try:
            found = list(r.check(loaded))
        except (KeyError, ValueError):
            continue  # a dangling reference: validate reports it; the picture goes on without the rule
        out.extend(RuleFinding(r.id, kind, str(ident), message, r.severity) for kind, ident, _sub, message, _v in found)
    return out


def push_state(inventory_dir: Path) -> PushState:
    from govctl.network.journal import Journal, list_runs, runs_dir

    root = runs_dir(inventory_dir)
    state = PushState()
    for run in list_runs(root):  # run ids start with their UTC time: sorted is chronological
        state.runs += 1
        verified: set[str] = set()
        for s in Journal(run, root, create=False).steps():
            if not s.node:
                continue
            day = datetime.fromtimestamp(s.ts, timezone.utc).date()
            if s.step == "verified":
                verified.add(s.node)
                state.status[s.node] = "verified"
                state.first_done.setdefault(s.node, day)
            elif s.step == "result":
                st = str(s.detail.get("status", ""))
                if st in PUSH_DONE:
                    state.status[s.node] = "verified" if s.node in verified else "pushed"
                    state.first_done.setdefault(s.node, day)
                elif st in PUSH_FAILED:
                    state.status[s.node] = "failed"
            elif s.step in PUSH_FAILED:
                state.status[s.node] = "failed"
    return state


def cutover_done(inventory_dir: Path) -> dict[str, date]:
    """Dedicated network -> the day its first cutover run ended in state ``done`` (the ``end`` record)."""
    from govctl.cutover.journal import Journal

    root = statedir.area(inventory_dir, "cutover")
    out: dict[str, date] = {}
    if not root.is_dir():
        return out
    for path in sorted(root.glob("*.jsonl")):
        network = path.stem.rsplit("-", 1)[0]  # runs are named <network>-<UTC stamp>
        for rec in Journal(root, path.stem).records():
            if rec.event == "end" and rec.detail.get("state") == "done":
                out.setdefault(network, datetime.fromisoformat(rec.at).date())
    return out


def plan_state(inv: m.Inventory, inventory_dir: Path) -> PlanState | None:
    """The last plan of each stack, as ``govctl plan`` left it in the graph cache; None if none ever ran."""
    root = statedir.area(inventory_dir, "stacks")
    if not (root / "cache").is_dir():
        return None  # no plan ever cached here; and govctl.stacks.state imports Pulumi (0.7 s): not for nothing
    from govctl.stacks.state import Store

    store = Store(root, inv.name)
    out = PlanState()
    conf = None
    for p in inv.platforms:
        latest = store.latest(p.id)
        if latest is None:
            out.missing.append(p.id)
            continue
        # the policies import the Pulumi SDKs (a second or more): only once a plan is found
        from govctl.stacks.diff import diff
        from govctl.stacks.models import KINDS
        from govctl.stacks.engine import policy_config
        from govctl.stacks.policies import evaluate

        graph = latest[0]
        current = store.current(p.id)
        changes = diff(graph, current[0] if current else None, {})
        counts: dict[str, int] = {k: sum(c.kind == k for c in changes) for k in KINDS}
        out.stacks[p.id] = counts
        conf = conf if conf is not None else policy_config(inv)
        levels: dict[str, int] = {"mandatory": 0, "advisory": 0}
        for _policy, level, _urn, _msg in evaluate(graph, conf):
            levels[level] = levels.get(level, 0) + 1
        out.violations[p.id] = levels
    return out if out.stacks else None


def read_audit(path: Path) -> dict[str, Any]:
    """The JSON of ``govctl audit --json``; a file that is not one is bad input (exit 2)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"--audit {path}: cannot read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"--audit {path}: line {exc.lineno}: not JSON ({exc.msg})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("summary"), dict) or not isinstance(
            doc.get("findings"), list):
        raise InputError(f"--audit {path}: not the output of `govctl audit --json` (no summary/findings)")
    return doc


def gather(loaded: Any, shown: str, ipv6: Ipv6Plan | None, systems_status: dict[str, str],
           migrated_on: dict[str, date], audit: dict[str, Any] | None, as_of: date) -> Sources:
    inv, directory = loaded.inventory, loaded.directory
    return Sources(inv=inv, directory=directory, shown=shown, ipv6=ipv6, findings=rule_findings(loaded),
                   systems_status=systems_status, migrated_on=migrated_on, push=push_state(directory),
                   integrated_on=cutover_done(directory), plan=plan_state(inv, directory), audit=audit,
                   as_of=as_of)
