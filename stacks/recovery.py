"""Picking up after an interrupted ``govctl apply`` (kill -9, a crash, a lost machine): the engine's lock of the
dead run and the pending operations it left in the stack's state, which the engine refuses to run past.

A pending create may or may not have reached the cloud. Each one is looked up by its natural key (the audit's
matching, ``govctl.audit``); the ones found are imported into the state under their own URN, with the inputs
the dead run declared, so the next update adopts them instead of creating a second copy (Neutron networks, for
one, do not have unique names). Measured with the pinned engine (3.259): ``refresh --import-pending-creates``
turns them into pending imports and then drops them, and a whole-stack refresh records values the program
never declares (a provider network's allocated VLAN in ``segments``) that the update then tries to undo. So the
pending operations are removed from the state directly, the creates found are adopted with ``pulumi import``,
and only the resources of pending updates and deletes are refreshed.
"""
from __future__ import annotations

import json
import os
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from govctl.stacks.models import PROJECT, PROTECTED_TYPES


def drop_stale_locks(name: str, state_dir: Path, on_output: Callable[[str], None]) -> None:
    """The file backend's lock of a run that died: its pid on this host is gone. ``apply`` holds govctl's own lock
    of the inventory, so no other govctl run can own it; a live pid, another host's or a lock of another backend is
    left alone (the engine then names it)."""
    if os.environ.get("PULUMI_BACKEND_URL"):
        return
    for lock in (state_dir / "backend" / ".pulumi" / "locks" / "organization" / PROJECT / name).glob("*.json"):
        try:
            doc = json.loads(lock.read_text(encoding="utf-8"))
            pid, host = int(doc.get("pid")), str(doc.get("hostname"))
        except (OSError, ValueError, TypeError):
            continue
        if host != socket.gethostname() or _alive(pid):
            continue
        lock.unlink(missing_ok=True)
        lock.with_name(lock.name + ".attrs").unlink(missing_ok=True)
        on_output(f"removed the lock of an interrupted run of stack '{name}' (pid {pid}, gone since)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def resolve_pending(s: Any, name: str, inventory_dir: Path, on_output: Callable[[str], None]) -> None:
    """Clear the stack's pending operations: adopt the creates that reached the cloud, refresh what was being
    updated or deleted, drop the rest (creates that never arrived)."""
    from pulumi import automation as auto

    exported = s.export_stack()
    deployment = exported.deployment or {}
    pending = deployment.get("pending_operations") or []
    if not pending:
        return
    creates = [op["resource"] for op in pending if op.get("type") == "creating"]
    touched = sorted({op["resource"]["urn"] for op in pending if op.get("type") != "creating"})
    found = live_ids(name, inventory_dir, [r["urn"] for r in creates]) if creates else {}
    on_output(f"resolving {len(pending)} pending operation(s) of an interrupted run: {len(creates)} create(s), "
              f"{len(found)} of them found in the cloud and adopted, {len(touched)} update(s) or delete(s) refreshed")
    s.import_stack(auto.Deployment(version=exported.version,
                                   deployment={**deployment, "pending_operations": []}))
    adopted = [r for r in creates if r["urn"] in found]
    for r in creates:
        if r["urn"] not in found:
            on_output(f"dropped the pending create of {r['urn'].rsplit('::', 1)[-1]}: not found in the cloud "
                      "(the next update creates it; `govctl audit` names a copy it cannot match)")
    if adopted:
        _adopt(s, adopted, found, on_output)
    if touched:
        s._run_pulumi_cmd_sync(["refresh", "--yes", "--skip-preview", *(f"--target={u}" for u in touched)],  # noqa: SLF001
                               on_output)


def _adopt(s: Any, resources: list[dict[str, Any]], ids: dict[str, str], on_output: Callable[[str], None]) -> None:
    """``pulumi import`` of the creates found in the cloud, each under the URN, parent, provider and inputs the
    interrupted run gave it, then recorded as that run's create would have recorded them."""
    from pulumi import automation as auto

    doc = import_file(resources, ids)
    for r in resources:
        on_output(f"adopting {r['urn'].rsplit('::', 1)[-1]} (id {ids[r['urn']]}), created by the interrupted run")
    with tempfile.TemporaryDirectory(prefix="govctl-adopt-") as tmp:
        path = Path(tmp) / "import.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        s._run_pulumi_cmd_sync(["import", "--file", str(path), "--yes", "--skip-preview",  # noqa: SLF001
                                "--generate-code=false", "--protect=false"], on_output)
    # The import records as inputs what the cloud returned (mtu, port security, a provider network's segments);
    # a create records what the program declared, and the next update diffs against that. Put those back, and
    # the protect the program gives tenant data.
    declared = {r["urn"]: r for r in resources}
    exported = s.export_stack()
    deployment = exported.deployment or {}
    for res in deployment.get("resources") or []:
        if res.get("urn") in declared:
            res["inputs"] = declared[res["urn"]].get("inputs") or {}
            res["protect"] = res.get("type") in PROTECTED_TYPES
    s.import_stack(auto.Deployment(version=exported.version, deployment=deployment))


def import_file(resources: list[dict[str, Any]], ids: dict[str, str]) -> dict[str, Any]:
    """The import file (``pulumi import --file``) that puts ``resources`` (pending creates as the state records
    them) into the state with the live ``ids``. Inputs stay in the state's serialised form: the engine decrypts
    them with the stack's own key, so a secret never appears in the file in clear."""
    names: dict[str, str] = {}

    def alias(urn: str) -> str:
        return names.setdefault(urn, f"ref{len(names)}")

    specs = []
    for i, r in enumerate(resources):
        spec: dict[str, Any] = {"type": r["type"], "name": f"adopt{i}", "logicalName": r["urn"].rsplit("::", 1)[-1],
                                "id": ids[r["urn"]]}
        if r.get("parent"):
            spec["parent"] = alias(r["parent"])
        if r.get("provider"):
            spec["provider"] = alias(r["provider"].rsplit("::", 1)[0])  # a reference is URN::ID
        if r.get("inputs"):
            spec["inputs"] = r["inputs"]
        specs.append(spec)
    return {"nameTable": {n: urn for urn, n in names.items()}, "resources": specs}


def live_ids(name: str, inventory_dir: Path, urns: list[str]) -> dict[str, str]:
    """Live ids of the stack's resources ``urns``, found by natural key in the cloud of ``OS_CLOUD``."""
    cloud = os.environ.get("OS_CLOUD")
    if not cloud:
        return {}  # no clouds.yaml entry to read the cloud with: pending creates are dropped
    from govctl.audit.audit import Auditor
    from govctl.audit.cloud import Cloud
    from govctl.audit.graph import capture, items_of
    from govctl.audit.models import Profile
    from govctl.inventory.validate import load_valid
    from govctl.ipv6.planner import plan

    inv = load_valid(inventory_dir, str(inventory_dir)).inventory
    profile = Profile.parse(None, None, az_hints=True)
    items = [it for it in items_of(capture(inv, plan(inv), [name], str(inventory_dir)), profile)]
    auditor = Auditor(Cloud(cloud), profile, inv, [name], cloud)
    auditor.run(items)
    return {u: auditor.ids[u] for u in urns if u in auditor.ids}
