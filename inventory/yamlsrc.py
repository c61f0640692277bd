"""YAML reading that remembers where every value came from.

PyYAML's safe loader forgets line numbers and silently keeps the last of two
duplicate keys. We compose the node tree ourselves so that every problem can
name ``file:line`` and a duplicate key is an error rather than a surprise.

Hostile files (deep nesting, alias and merge-key bombs, huge files and lines)
are refused by counting while the tree is composed, before anything is
expanded, so they fail in milliseconds with a located problem instead of a
crash, a ``RecursionError`` or minutes of work.
"""
from __future__ import annotations

import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError

from govctl.core.errors import Problem

# ---------------------------------------------------------------- limits
# Far above any real inventory, far below what hurts. The bundled inventories peak at 600 KB
# (hunan/ipv6-allocations.yaml), 206 characters a line, 7 levels of nesting and 19,131 nodes in a file.

# ~13x the largest bundled file; a 10,000-system systems.yaml (the migration benchmark's size) is ~2.3 MB.
# Checked before the file is read, so a multi-gigabyte file costs nothing.
MAX_FILE_BYTES = 8 * 1024 * 1024
# ~500x the longest bundled line; only minified or binary junk comes near it, and a problem on such a
# line could not be shown usefully anyway.
MAX_LINE_CHARS = 100_000
# 9x the deepest bundled file. Deeper input would crash libyaml's recursive composer (a segfault at
# ~100,000 levels) and, later, Python's own recursion (RecursionError at a few hundred levels in
# pydantic and the builder). Counted once aliases are expanded, as that is what later stages walk.
MAX_DEPTH = 64
# Nodes (scalars, keys, collections) once every alias and merge key (<<) is expanded: ~50x the
# biggest bundled file and ~5x a 10,000-system systems.yaml. Later stages walk the expanded tree, so
# this bounds their time (about a second of work); an alias or merge-key bomb reaches it in milliseconds
# because sizes are added up per anchor, never by expanding.
MAX_NODES = 1_000_000

PathKey = tuple[str | int, ...]


@dataclass
class SourceFile:
    """A parsed YAML document plus the line of every key path in it."""

    name: str  # as shown to the user, e.g. "inventories/example/sites.yaml"
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)
    # When items of a top-level list failed their shape check, the model holds the others only: for such
    # a list key, the index in the file of each item the model kept (model index -> file index).
    kept: dict[str, list[int]] = field(default_factory=dict)

    def file_path(self, path: PathKey) -> PathKey:
        """A key path into the model as a key path into the file (they differ where items were withheld)."""
        if len(path) > 1 and path[0] in self.kept and isinstance(path[1], int):
            index = self.kept[str(path[0])]
            if 0 <= path[1] < len(index):
                return (path[0], index[path[1]], *path[2:])
        return tuple(path)

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
        self._merges: dict[int, list[tuple[yaml.Node, yaml.Node]]] = {}

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
        # once per mapping, however often it is merged: the composer bounded the copies, this keeps
        # the work linear in what was written
        if id(node) not in self._merges:
            self._merges[id(node)] = []  # a mapping that merges itself gets nothing more from itself
            self._merges[id(node)] = self._merge(node)
        return self._merges[id(node)]

    def _merge(self, node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
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


class _TooBig(Exception):
    """A limit was reached while composing; ``mark`` is where."""

    def __init__(self, mark: yaml.Mark, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


class _Open:
    """A collection being composed: its node, the key awaiting its value, its expanded size and height."""

    __slots__ = ("node", "is_seq", "key", "size", "height")

    def __init__(self, node: yaml.Node, is_seq: bool) -> None:
        self.node = node
        self.is_seq = is_seq
        self.key: yaml.Node | None = None
        self.size = 1
        self.height = 1


class _Composer:
    """Events -> node tree, as PyYAML's composer, but iterative and counting as it goes.

    libyaml's parser (a state machine, no recursion) supplies the events; the tree is the same one
    ``yaml.compose`` gives. An alias is the anchored node itself, so for every anchored node its
    expanded size and height are kept and added up at each alias: a bomb is found by arithmetic
    after a few hundred events, never by expanding it. A merge key's value is an alias too, so
    merge-key bombs are counted the same way (as copies: an upper bound, as merged keys may be
    overridden).
    """

    def __init__(self, text: str) -> None:
        self.loader = _Loader(text)
        self.anchors: dict[str, yaml.Node] = {}
        self.measured: dict[int, tuple[int, int]] = {}  # id(anchored node) -> (expanded size, height)
        self.open_anchors: set[int] = set()  # anchored collections not yet closed

    def single_node(self) -> yaml.Node | None:
        try:
            get = self.loader.get_event
            get()  # stream start
            event = get()
            if isinstance(event, yaml.StreamEndEvent):
                return None
            root = self._document()
            event = get()
            if not isinstance(event, yaml.StreamEndEvent):
                raise ComposerError("expected a single document in the stream", root.start_mark,
                                    "but found another document", event.start_mark)
            return root
        finally:
            self.loader.dispose()

    def _document(self) -> yaml.Node:
        get, resolve = self.loader.get_event, self.loader.resolve
        scalar_event, alias_event, scalar_node = yaml.ScalarEvent, yaml.AliasEvent, yaml.ScalarNode
        plain_tags: dict[str, str] = {}  # plain scalar -> resolved tag ("3" -> int); keys and values repeat a lot
        stack: list[_Open] = []
        while True:
            event = get()
            cls = event.__class__
            size, height = 1, 0
            if cls is scalar_event:
                value, tag = event.value, event.tag
                if tag is None or tag == "!":
                    if event.implicit[0]:
                        tag = plain_tags.get(value)
                        if tag is None:
                            tag = plain_tags[value] = resolve(scalar_node, value, event.implicit)
                    else:
                        tag = resolve(scalar_node, value, event.implicit)
                node: yaml.Node = scalar_node(tag, value, event.start_mark, event.end_mark, style=event.style)
                if event.anchor is not None:
                    self._anchor(event, node)
            elif cls is alias_event:
                if event.anchor not in self.anchors:
                    raise ComposerError(None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
                node = self.anchors[event.anchor]
                # a collection still open here contains itself: the builder reports that recursive alias
                size, height = self.measured.get(id(node), (1, 1))
                if len(stack) + height > MAX_DEPTH:
                    raise _TooBig(event.start_mark, f"nesting deeper than {MAX_DEPTH} levels once the alias "
                                                    f"*{event.anchor} is expanded")
            elif cls is yaml.SequenceStartEvent or cls is yaml.MappingStartEvent:
                if len(stack) >= MAX_DEPTH:
                    raise _TooBig(event.start_mark, f"nesting deeper than {MAX_DEPTH} levels")
                kind = yaml.SequenceNode if cls is yaml.SequenceStartEvent else yaml.MappingNode
                tag = event.tag
                if tag is None or tag == "!":
                    tag = resolve(kind, None, event.implicit)
                node = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
                if event.anchor is not None:
                    self._anchor(event, node)
                stack.append(_Open(node, kind is yaml.SequenceNode))
                continue
            else:  # the end of a sequence or mapping
                done = stack.pop()
                node = done.node
                node.end_mark = event.end_mark
                size, height = done.size, done.height
                if id(node) in self.open_anchors:
                    self.open_anchors.discard(id(node))
                    self.measured[id(node)] = (size, height)
            if not stack:
                get()  # document end
                return node
            parent = stack[-1]
            parent.size += size
            if height >= parent.height:
                parent.height = height + 1
            if parent.size > MAX_NODES:
                raise _TooBig(event.start_mark, f"more than {MAX_NODES:,} values once aliases and merge keys "
                                                "(<<) are expanded")
            if parent.is_seq:
                parent.node.value.append(node)
            elif parent.key is None:
                parent.key = node
            else:
                parent.node.value.append((parent.key, node))
                parent.key = None

    def _anchor(self, event: Any, node: yaml.Node) -> None:
        if event.anchor is None:
            return
        if event.anchor in self.anchors:
            raise ComposerError(f"found duplicate anchor {event.anchor!r}; first occurrence",
                                self.anchors[event.anchor].start_mark, "second occurrence", event.start_mark)
        self.anchors[event.anchor] = node
        if isinstance(node, yaml.ScalarNode):
            self.measured[id(node)] = (1, 0)
        else:
            self.open_anchors.add(id(node))


# YAML's line breaks, as libyaml counts lines (so a long line is reported at the line number libyaml would give)
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _long_line(text: str) -> tuple[int, int] | None:
    """(line number, length) of the first line longer than ``MAX_LINE_CHARS``, if any."""
    if len(text) <= MAX_LINE_CHARS:
        return None
    start, line = 0, 1
    for brk in _BREAK.finditer(text):
        if brk.start() - start > MAX_LINE_CHARS:
            return line, brk.start() - start
        start, line = brk.end(), line + 1
    if len(text) - start > MAX_LINE_CHARS:
        return line, len(text) - start
    return None


def read_yaml(path: Path, shown_as: str) -> tuple[SourceFile | None, list[Problem]]:
    """Parse one YAML file. Returns the file (or None) and the problems met.

    Within the limits above, or a single located problem saying which limit was passed.
    """
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(st.st_mode):  # a pipe or device could be endless
            return None, [Problem(shown_as, None, "", "expected a YAML file, found a pipe or device")]
        if st.st_size > MAX_FILE_BYTES:
            return None, [Problem(shown_as, None, "", f"the file is {_mb(st.st_size)}, over the limit of "
                                                      f"{_mb(MAX_FILE_BYTES)} for an inventory file")]
        raw = path.read_bytes()
        if len(raw) > MAX_FILE_BYTES:  # it grew since stat()
            return None, [Problem(shown_as, None, "", f"the file is over the limit of {_mb(MAX_FILE_BYTES)} "
                                                      "for an inventory file")]
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
    long_line = _long_line(text)
    if long_line is not None:
        line, length = long_line
        return None, [Problem(shown_as, line, "", f"line longer than {MAX_LINE_CHARS:,} characters", f"{length:,}")]
    try:
        node = _Composer(text).single_node()
    except _TooBig as exc:
        return None, [Problem(shown_as, exc.mark.line + 1, "", exc.message)]
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


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"
