"""Shared helpers for tests/stacks: bundled inventories planned once per session under the mock runtime."""
from __future__ import annotations

import uuid
from functools import lru_cache
from pathlib import Path

import pytest

from govctl.inventory.validate import load_valid
from govctl.ipv6.planner import plan
from govctl.stacks import engine
from govctl.stacks.models import ROOT_STACK_TYPE

ROOT = Path(__file__).resolve().parents[2]
INVENTORIES = sorted(p.parent for p in (ROOT / "inventories").glob("*/clouds.yaml"))
SMALL = {"example"}  # everything else is province-sized: @slow


def inventory_params() -> list:
    return [pytest.param(p.name, id=p.name, marks=() if p.name in SMALL else pytest.mark.slow) for p in INVENTORIES]


@lru_cache(maxsize=2)  # example + one province: province-sized graphs are large
def planned(name: str) -> tuple[engine.Source, dict]:
    """(source, {stack: graph}) of a bundled inventory; planned once, with parallel stacks, no cache."""
    loaded = load_valid(ROOT / "inventories" / name)
    src = engine.Source(loaded.inventory, plan(loaded.inventory), f"inventories/{name}")
    return src, engine.graphs(src, engine.select(src.inventory, None), store=None, workers=2)


@pytest.fixture
def example() -> tuple[engine.Source, dict]:
    return planned("example")


def checkpoint(stack: str) -> dict:
    """A hand-made local-backend checkpoint of one stack: what `pulumi up` would have left behind."""
    _, graphs = planned("example")
    g = graphs[stack]
    ids = {u: str(uuid.uuid5(uuid.NAMESPACE_URL, u)) for u in g.resources}

    def real(v):  # noqa: ANN001, ANN202
        if isinstance(v, str) and v.startswith("<id:"):
            return ids.get(v[4:-1], str(uuid.uuid4()))
        if isinstance(v, str) and v.startswith("<lookup:"):
            return "9fe2ff9ee4384b1894a90878d3e92bab"
        if isinstance(v, list):
            return [real(x) for x in v]
        if isinstance(v, dict):
            return {k: real(x) for k, x in v.items()}
        return v

    root = f"urn:pulumi:{stack}::govctl::{ROOT_STACK_TYPE}::govctl-{stack}"
    resources = [{"urn": root, "custom": False, "type": ROOT_STACK_TYPE, "outputs": {"dns_zone": "x."}}]
    for u, r in g.resources.items():
        inputs = real(r.inputs)
        if r.type == "openstack:networking/subnet:Subnet":
            inputs = inputs | {"dnsPublishFixedIp": False, "__defaults": ["dnsPublishFixedIp"]}
        resources.append({
            "urn": u, "custom": r.custom, "id": ids[u] if r.custom else "", "type": r.type, "inputs": inputs,
            "outputs": inputs, "parent": r.parent or root, "dependencies": list(r.dependencies),
            "provider": f"{r.provider}::{ids[r.provider]}" if r.provider else "",
        })
    return {"version": 3, "checkpoint": {"stack": f"organization/govctl/{stack}", "latest": {
        "manifest": {"time": "2026-11-20T10:00:00Z", "magic": "x", "version": "v3.199.0"},
        "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:x"}}, "resources": resources}}}
