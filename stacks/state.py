"""Reading Pulumi state offline, and govctl's own snapshots and graph cache.

Pulumi's local file backend keeps one checkpoint per stack
(``.pulumi/stacks/<project>/<stack>.json``: ``{"version": 3, "checkpoint": {"latest": ...}}``);
``pulumi stack export`` prints ``{"version": 3, "deployment": ...}``. Both are read
directly, no CLI needed. Everything govctl writes is written atomically with
owner-only permissions.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from stacks.capture import redact
from stacks.errors import StateInvalid
from stacks.models import PROJECT, ROOT_STACK_TYPE, Resource, StackGraph


def write_private(path: Path, text: str) -> None:
    """Write atomically (temp file + rename in the same directory), mode 0600, directories 0700."""
    for d in reversed([path.parent, *path.parent.parents]):
        if not d.exists():
            d.mkdir(mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _deployment(doc: Any, where: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise StateInvalid(f"{where}: not a Pulumi state (top level is not an object)")
    if "deployment" in doc:
        dep = doc["deployment"]
    elif "checkpoint" in doc:
        dep = (doc["checkpoint"] or {}).get("latest") or {}
    else:
        raise StateInvalid(f"{where}: not a Pulumi state (neither 'deployment' nor 'checkpoint' key)")
    if not isinstance(dep, dict):
        raise StateInvalid(f"{where}: 'deployment' is not an object")
    version = doc.get("version")
    if version not in (3, None):
        raise StateInvalid(f"{where}: unsupported state version {version!r} (expected 3)")
    return dep


def _provider_urn(ref: str | None) -> str | None:
    return ref.rsplit("::", 1)[0] if ref else None


def graph_from_state(doc: Any, where: str, stack: str | None = None) -> StackGraph:
    """A Pulumi state document (export or local-backend checkpoint) as a graph of engine URNs."""
    dep = _deployment(doc, where)
    raw = dep.get("resources") or []
    if not isinstance(raw, list):
        raise StateInvalid(f"{where}: deployment.resources is not a list")
    resources: dict[str, Resource] = {}
    project = PROJECT
    outputs: dict[str, Any] = {}
    for i, r in enumerate(raw):
        if not isinstance(r, dict) or not isinstance(r.get("urn"), str) or not isinstance(r.get("type"), str):
            raise StateInvalid(f"{where}: deployment.resources[{i}] has no urn/type")
        parts = r["urn"].split("::")
        if len(parts) != 4 or not parts[0].startswith("urn:pulumi:"):
            raise StateInvalid(f"{where}: deployment.resources[{i}].urn is not a Pulumi URN: {r['urn']!r}")
        urn_stack, project = parts[0][len("urn:pulumi:"):], parts[1]
        if stack is None:
            stack = urn_stack
        if r["type"] == ROOT_STACK_TYPE:
            outputs = redact(r.get("outputs") or {})
            continue
        parent = r.get("parent")
        if parent and parent.split("::")[2] == ROOT_STACK_TYPE:
            parent = None
        inputs = r.get("inputs") or {}
        if not isinstance(inputs, dict):
            raise StateInvalid(f"{where}: deployment.resources[{i}].inputs is not an object")
        if r["type"] == "pulumi:pulumi:StackReference":
            inputs = {"name": inputs.get("name")}
        resources[r["urn"]] = Resource(
            urn=r["urn"], type=r["type"], name=parts[3], custom=bool(r.get("custom", False)), parent=parent,
            provider=_provider_urn(r.get("provider")), dependencies=tuple(sorted(r.get("dependencies") or [])),
            inputs=redact(inputs) | ({"__defaults": inputs["__defaults"]} if "__defaults" in inputs else {}),
            id=r.get("id") or None)
    if stack is None:
        raise StateInvalid(f"{where}: the state holds no resources, so it names no stack")
    return StackGraph(stack=stack, project=project, resources=resources, outputs=outputs)


def read_state_file(path: Path) -> StackGraph:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StateInvalid(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateInvalid(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from exc
    if isinstance(doc, dict) and "resources" in doc and "stack" in doc and "deployment" not in doc:
        try:
            return StackGraph.from_dict(doc)  # a govctl snapshot
        except (KeyError, TypeError, ValueError) as exc:
            raise StateInvalid(f"{path}: not a govctl snapshot ({exc})") from exc
    return graph_from_state(doc, str(path))


def read_states(path: Path) -> dict[str, StackGraph]:
    """A state file, a directory of them, or a local backend directory (holding ``.pulumi/stacks``)."""
    if not path.exists():
        raise StateInvalid(f"{path}: no such file or directory")
    if path.is_file():
        g = read_state_file(path)
        return {g.stack: g}
    backend = path / ".pulumi" / "stacks"
    files = sorted(backend.rglob("*.json")) if backend.is_dir() else sorted(path.glob("*.json"))
    out: dict[str, StackGraph] = {}
    for f in files:
        g = read_state_file(f)
        out[g.stack] = g
    if not out:
        raise StateInvalid(f"{path}: no state files (*.json or .pulumi/stacks/<project>/*.json) there")
    return out


class Store:
    """govctl's state directory: snapshots recorded at apply time, graph cache, the default local backend."""

    def __init__(self, root: Path, inventory: str) -> None:
        self.root = root
        self.inventory = inventory

    @property
    def backend(self) -> Path:
        return self.root / "backend"

    def snapshot_path(self, stack: str) -> Path:
        return self.root / "snapshots" / self.inventory / f"{stack}.json"

    def cache_path(self, key: str) -> Path:
        return self.root / "cache" / f"{key}.json"

    def backend_checkpoint(self, stack: str) -> Path:
        return self.backend / ".pulumi" / "stacks" / PROJECT / f"{stack}.json"

    def current(self, stack: str) -> tuple[StackGraph, str] | None:
        """The stack's current state: the local backend's checkpoint, else govctl's last snapshot."""
        for path, label in ((self.backend_checkpoint(stack), "state"), (self.snapshot_path(stack), "snapshot")):
            if path.is_file():
                return read_state_file(path), f"{label}:{path}"
        return None

    def write_snapshot(self, graph: StackGraph) -> Path:
        path = self.snapshot_path(graph.stack)
        write_private(path, json.dumps(graph.as_dict(), ensure_ascii=False, sort_keys=True))
        return path

    def cached(self, key: str) -> StackGraph | None:
        path = self.cache_path(key)
        if not path.is_file():
            return None
        try:
            g = StackGraph.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a damaged cache entry is just a miss
        g.cached = True
        return g

    def remember(self, key: str, graph: StackGraph) -> None:
        try:
            write_private(self.cache_path(key), json.dumps(graph.as_dict(), ensure_ascii=False, sort_keys=True))
        except OSError:
            pass  # the cache is an optimisation; a read-only tree still plans
