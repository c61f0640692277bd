"""YAML reading that remembers where every value came from.

PyYAML's safe loader forgets line numbers and silently keeps the last of two
duplicate keys. We compose the node tree ourselves so that every problem can
name ``file:line`` and a duplicate key is an error rather than a surprise.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from govctl.inventory.errors import Problem

PathKey = tuple[str | int, ...]


@dataclass
class SourceFile:
    """A parsed YAML document plus the line of every key path in it."""

    name: str  # as shown to the user, e.g. "inventories/example/sites.yaml"
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int | None:
        """Line of ``path`` or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), 1)


def format_path(path: PathKey) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_STR_TAG = "tag:yaml.org,2002:str"
# libyaml's composer keeps the marks we need and is ~5x faster on the big pinned-allocation files.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Builder:
    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: dict[PathKey, int] = {}
        self.problems: list[Problem] = []
        self._ctor = yaml.SafeLoader.__new__(yaml.SafeLoader)
        yaml.SafeLoader.__init__(self._ctor, "")
        # An alias is the same node object as its anchor: build each collection once and share it,
        # as PyYAML does (re-building costs exponential time on nested aliases), and refuse a
        # collection that contains itself.
        self._building: set[int] = set()
        self._built: dict[int, Any] = {}

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            return self._scalar(node)
        if id(node) in self._built:
            return self._built[id(node)]
        if id(node) in self._building:
            self.problems.append(Problem(self.name, node.start_mark.line + 1, format_path(path),
                                         "recursive alias: this collection contains itself"))
            return None
        self._building.add(id(node))
        try:
            out = self._collection(node, path)
        finally:
            self._building.discard(id(node))
        self._built[id(node)] = out
        return out

    def _collection(self, node: yaml.Node, path: PathKey) -> Any:
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in self._merged(node):
                key = self._scalar(key_node)
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    key = str(key)
                if key in out:
                    self.problems.append(
                        Problem(self.name, key_node.start_mark.line + 1, format_path(path + (key,)),
                                "duplicate key: the same key appears twice in this mapping", str(key))
                    )
                    continue
                out[key] = self.build(value_node, path + (key,))
                self.lines[path + (key,)] = key_node.start_mark.line + 1
            return out
        return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]

    def _merged(self, node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
        pairs: list[tuple[yaml.Node, yaml.Node]] = []
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for k, v in node.value:
            if k.tag == "tag:yaml.org,2002:merge":
                sources = v.value if isinstance(v, yaml.SequenceNode) else [v]
                for src in sources:
                    if isinstance(src, yaml.MappingNode):
                        merged.extend(self._merged(src))
                    else:
                        self.problems.append(Problem(self.name, src.start_mark.line + 1, "",
                                                     "a merge key (<<) takes a mapping or a list of mappings"))
            else:
                pairs.append((k, v))
        # own keys win over merged ones, and among merged mappings the first wins (YAML merge key spec)
        seen = {self._scalar(k) for k, _ in pairs}
        out = []
        for k, v in merged:
            key = self._scalar(k)
            if key not in seen:
                seen.add(key)
                out.append((k, v))
        return out + pairs

    def _scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return f"<{node.id}>"
        # Dates stay strings: pydantic parses them with a clear message, and
        # "2026-02-30" must be a located error rather than a loader crash.
        if node.tag == _TIMESTAMP_TAG or node.tag == _STR_TAG:
            return node.value
        try:
            return self._ctor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as exc:  # pragma: no cover - defensive
            self.problems.append(Problem(self.name, node.start_mark.line + 1, "", f"bad scalar: {exc}"))
            return node.value


def read_yaml(path: Path, shown_as: str) -> tuple[SourceFile | None, list[Problem]]:
    """Parse one YAML file. Returns the file (or None) and the problems met."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except IsADirectoryError:
        return None, [Problem(shown_as, None, "", "expected a YAML file, found a directory")]
    except PermissionError:
        return None, [Problem(shown_as, None, "", "cannot read the file: permission denied")]
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        return None, [Problem(shown_as, line, "", f"not UTF-8 text (byte {exc.start}; save the file as UTF-8)")]
    except OSError as exc:
        return None, [Problem(shown_as, None, "", f"cannot read the file: {exc.strerror}")]
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "syntax error"
        return None, [Problem(shown_as, line, "", f"YAML syntax error: {what}")]
    except yaml.YAMLError as exc:
        return None, [Problem(shown_as, None, "", f"YAML error: {exc}")]
    if node is None:
        return None, [Problem(shown_as, 1, "", "the file is empty: expected a mapping of keys")]
    builder = _Builder(shown_as)
    data = builder.build(node, ())
    if not isinstance(data, dict):
        return None, [Problem(shown_as, 1, "", "expected a mapping of keys at the top of the file",
                              type(data).__name__)]
    return SourceFile(shown_as, data, builder.lines), builder.problems
