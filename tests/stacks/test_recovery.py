"""The import file that adopts an interrupted run's creates (stacks/recovery.py), and the stale-lock rule: offline.
The adoption itself, through the engine on the lab, is in test_apply_openstack.py (kill -9)."""
from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from govctl.stacks.models import PROJECT
from govctl.stacks.recovery import drop_stale_locks, import_file

TENANT = "urn:pulumi:prov::govctl::govctl:cloud:Platform$govctl:cloud:Tenant::prov-finance"
PROVIDER = "urn:pulumi:prov::govctl::govctl:cloud:Platform$pulumi:providers:openstack::RegionMain"
SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:abc"}


def pending(name: str, kind: str = "openstack:networking/network:Network", **inputs: object) -> dict:
    return {"urn": f"urn:pulumi:prov::govctl::govctl:cloud:Tenant${kind}::{name}", "type": kind,
            "parent": TENANT, "provider": f"{PROVIDER}::0c1f4b7e-5d1c-4f0e-9d8e-3a7c3f5b2a10",
            "inputs": {"name": name.rsplit("-", 1)[-1], **inputs}}


def test_each_create_keeps_its_urn_parent_provider_and_declared_inputs() -> None:
    nets = [pending("prov-finance-crash0", adminStateUp=True), pending("prov-finance-crash1", value=SECRET)]
    doc = import_file(nets, {nets[0]["urn"]: "id-0", nets[1]["urn"]: "id-1"})
    table = doc["nameTable"]
    assert sorted(table.values()) == sorted([TENANT, PROVIDER])  # each reference once; the ::ID is not a URN
    for spec, res in zip(doc["resources"], nets, strict=True):
        assert spec["type"] == res["type"] and spec["logicalName"] == res["urn"].rsplit("::", 1)[1]
        assert table[spec["parent"]] == TENANT and table[spec["provider"]] == PROVIDER
        assert spec["inputs"] == res["inputs"]
    assert [s["id"] for s in doc["resources"]] == ["id-0", "id-1"]
    assert len({s["name"] for s in doc["resources"]} | set(table)) == 4  # names never collide
    # secrets stay in the state's encrypted form: the engine decrypts them with the stack's key
    assert "v1:abc" in json.dumps(doc) and "crash1" in json.dumps(doc)


def test_a_create_without_parent_or_provider_names_neither() -> None:
    res = {"urn": "urn:pulumi:prov::govctl::openstack:identity/project:Project::p", "type":
           "openstack:identity/project:Project", "inputs": {}}
    doc = import_file([res], {res["urn"]: "pid"})
    assert doc == {"nameTable": {}, "resources": [{"type": res["type"], "name": "adopt0", "logicalName": "p",
                                                    "id": "pid"}]}


def _lock(state: Path, pid: int, host: str) -> Path:
    d = state / "backend" / ".pulumi" / "locks" / "organization" / PROJECT / "prov"
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"lock-{pid}.json"
    path.write_text(json.dumps({"pid": pid, "hostname": host}), encoding="utf-8")
    return path


def test_only_a_dead_local_runs_lock_is_removed(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    dead = _lock(tmp_path, 2 ** 22 + 7, socket.gethostname())  # above pid_max's default: no such process
    live = _lock(tmp_path, os.getpid(), socket.gethostname())
    other = _lock(tmp_path, 2 ** 22 + 9, "another-host")
    said: list[str] = []
    drop_stale_locks("prov", tmp_path, said.append)
    assert not dead.exists() and live.exists() and other.exists()
    assert said == [f"removed the lock of an interrupted run of stack 'prov' (pid {2 ** 22 + 7}, gone since)"]
