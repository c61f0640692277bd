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

from govctl.stacks.capture import redact
from govctl.stacks.errors import StateInvalid
from govctl.stacks.models import PROJECT, ROOT_STACK_TYPE, Resource, StackGraph


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

    def latest_path(self, stack: str) -> Path:
        return self.root / "cache" / "latest" / self.inventory / f"{stack}.json"

    def _load(self, key: str) -> tuple[StackGraph, dict[str, Any]] | None:
        path = self.cache_path(key)
        if not path.is_file():
            return None
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            g = StackGraph.from_dict(doc)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a damaged cache entry is just a miss
        g.cached = True
        return g, doc

    def cached(self, key: str) -> StackGraph | None:
        hit = self._load(key)
        return hit[0] if hit is not None else None

    def latest(self, stack: str) -> tuple[StackGraph, Any] | None:
        """The stack's most recently planned graph of this inventory and the slice digests it was run on.

        The slices are returned as recorded (``Slices.from_dict`` checks them); the starting point of an
        incremental replan.
        """
        try:
            key = json.loads(self.latest_path(stack).read_text(encoding="utf-8"))["key"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        hit = self._load(str(key))
        if hit is None or hit[0].stack != stack:
            return None
        return hit[0], hit[1].get("slices")

    def remember(self, key: str, graph: StackGraph, slices: dict[str, Any] | None = None) -> None:
        """Cache ``graph`` under ``key`` (with the slice digests it was run on) and make it the stack's latest."""
        try:
            doc = graph.as_dict() | ({"slices": slices} if slices is not None else {})
            write_private(self.cache_path(key), json.dumps(doc, ensure_ascii=False, sort_keys=True))
            self.mark_latest(graph.stack, key)
        except OSError:
            pass  # the cache is an optimisation; a read-only tree still plans

    def mark_latest(self, stack: str, key: str) -> None:
        path = self.latest_path(stack)
        try:
            if path.is_file() and json.loads(path.read_text(encoding="utf-8")).get("key") == key:
                return
        except (OSError, ValueError, AttributeError):
            pass
        try:
            write_private(path, json.dumps({"key": key}))
        except OSError:
            pass

    def violations_path(self, key: str) -> Path:
        return self.root / "cache" / "policies" / f"{key}.json"

    def cached_violations(self, key: str) -> list[tuple[str, str, str, str]] | None:
        try:
            doc = json.loads(self.violations_path(key).read_text(encoding="utf-8"))
            return [(str(a), str(b), str(c), str(d)) for a, b, c, d in doc]
        except (OSError, ValueError, TypeError):
            return None  # absent or damaged: evaluate again

    def remember_violations(self, key: str, found: list[tuple[str, str, str, str]]) -> None:
        try:
            write_private(self.violations_path(key), json.dumps([list(v) for v in found], ensure_ascii=False))
        except OSError:
            pass
