"""The scoped candidate for indentation-structured configs (IOS, FRR): the device's running config
with govctl's owned scope made equal to the intended config, every other line kept as it is.

Handing this whole config to a replace-style commit (IOS ``configure replace``, FRR frr-reload) is
a change of the owned scope only: the foreign lines are in the candidate exactly as the device shows
them, so the device's diff never removes or changes one. Pure text in, text out.

Rules per block (``Platform.owned`` decides what "owned" is):
- a running line the intended config has too is kept (its block spliced recursively);
- a running line replaced by a rendered single-valued line (``Platform.key``: ``description``,
  ``hostname``, ``bgp router-id``...) goes;
- a running line in the owned scope the intent lacks goes, with its sub-lines;
- any other running line stays verbatim, with its sub-lines (a block the intent does not render,
  such as ``interface Management0`` or ``line vty 0 4``, is never looked into);
- intended lines the device lacks are inserted after their predecessor in the intended order.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from govctl.network.platforms.base import Names, Path, Platform, canonical

# lines that end a block: they belong to it and are emitted after its children
CLOSERS = ("exit", "exit-address-family", "exit-vrf", "end", "exit-vni", "exit-vrf-policy")


@dataclass
class Line:
    raw: str  # as the device (or the template) wrote it, without the newline
    indent: int
    text: str | None  # stripped; None for a comment line ("!")
    children: list[Line] = field(default_factory=list)
    closer: str | None = None


def parse(text: str, comment: str = "!", platform: Platform | None = None) -> Line:
    root = Line("", -1, "")
    stack = [root]
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped:
            continue
        indent = len(raw) - len(raw.lstrip())
        if stripped.startswith(comment):
            while len(stack) > 1 and stack[-1].indent >= indent:
                stack.pop()
            stack[-1].children.append(Line(raw, indent, None))
            continue
        if stripped in CLOSERS:
            while len(stack) > 1 and stack[-1].indent > indent:
                stack.pop()
            if len(stack) > 1 and stack[-1].indent == indent:
                stack.pop().closer = raw
            else:
                root.closer = raw if stripped == "end" else root.closer  # IOS's "end": the config's own
            continue
        while len(stack) > 1 and stack[-1].indent >= indent:
            stack.pop()
        text_ = canonical(stripped)
        node = Line(raw, indent, platform.shown(text_) if platform is not None else text_)
        stack[-1].children.append(node)
        stack.append(node)
    return root


def dump(node: Line) -> str:
    out: list[str] = []

    def emit(n: Line) -> None:
        if n.indent >= 0:
            out.append(n.raw)
        for c in n.children:
            emit(c)
        if n.closer is not None:
            out.append(n.closer)

    emit(node)
    return "".join(line + "\n" for line in out)


def _splice(have: Line, want: Line, path: Path, platform: Platform, names: Names) -> list[Line]:
    # in a block the device already runs, its own value of a device-wins line stays (``Platform.device_wins``)
    want = copy.copy(want)
    want.children = [c for c in want.children if c.text is None or not platform.device_value_wins(path, c.text)]
    wanted = {c.text: c for c in want.children if c.text is not None}
    keys = {k for t in wanted if (k := platform.key(t)) is not None}
    result: list[Line] = []
    index: dict[str, int] = {}
    for c in have.children:
        text = c.text
        if text is None:
            result.append(c)
            continue
        w = wanted.get(text)
        if w is not None:
            if w.children or c.children:
                c = copy.copy(c)
                c.children = _splice(c, w, (*path, text), platform, names)
            index.setdefault(text, len(result))
            result.append(c)
            continue
        key = platform.key(text)
        if (key is not None and key in keys) or platform.owned(path, text, names):
            continue
        result.append(c)
    _insert(result, index, [(w.text, w) for w in want.children if w.text is not None])
    return result


def _insert(result: list[Line], index: dict[str, int], order: list[tuple[str, Line | None]]) -> None:
    """Insert each ``(text, line)`` of ``order`` that ``index`` (text -> position in ``result``) lacks
    after its predecessor in ``order``; a ``None`` line is one to leave out, and not an anchor either."""
    at: int | None = None
    for n, (text, w) in enumerate(order):
        if text in index:
            at = index[text] + 1
            continue
        if w is None:
            continue
        if at is None:
            # nothing before it is on the device yet: before the first later sibling that is (an IOS
            # neighbour must exist before its address family activates it)
            later = [index[t] for t, _ in order[n + 1:] if t in index]
            pos = min(later) if later else len(result)
        else:
            pos = at
        result.insert(pos, copy.deepcopy(w))
        for t, i in index.items():
            if i >= pos:
                index[t] = i + 1
        index[text] = pos
        at = pos + 1


def scoped_candidate(running: str, intended: str, platform: Platform) -> str:
    """``running`` with the owned scope equal to ``intended``; every other line byte for byte."""
    have, want = parse(running, platform.comment), parse(intended, platform.comment, platform)
    have.children = _splice(have, want, (), platform, platform.names(intended))
    return dump(have)


def rollback_candidate(running: str, saved: str, intended: str, platform: Platform) -> str:
    """What a rollback makes the device run: ``running`` (the device now) with govctl's part made equal
    to ``saved`` (the config the journal saved before the push); every other line of ``running`` byte
    for byte, whatever happened to it since the push (a line an operator added, changed or removed
    after it stays that way: it is not govctl's to undo).

    govctl's part is what the push could change: the owned scope (``Platform.owned``, with the names
    ``intended`` gives its objects) and every line the push rendered (``intended``: the same line, or
    a single-valued line with the same ``Platform.key``, such as a description or ``hostname``).
    A line of govctl's part the device has and ``saved`` lacks goes (with its sub-lines); one ``saved``
    has and the device lacks comes back in its place; a block govctl does not own is looked into for
    govctl's lines and otherwise kept. Pure text in, text out; for VRP and Comware too (their views
    parse the same way, ``#`` closing them)."""
    have = parse(running, platform.comment)
    have.children = _restore(have, parse(saved, platform.comment), parse(intended, platform.comment, platform),
                             (), platform, platform.names(intended))
    return dump(have)


def _govctls(path: Path, text: str, rendered: Line | None, platform: Platform, names: Names,
             created: bool = False) -> bool:
    """Is ``text`` (in ``path``) a line the push could change? ``created``: the block ``path`` is one the
    push created (the saved config lacks it), so a device-wins line in it is the push's too."""
    if platform.owned(path, text, names):
        return True
    if platform.device_value_wins(path, text) and not created:
        return False  # the device's own value: the push never changes it, so neither does a rollback
    shown = [c.text for c in (rendered.children if rendered else []) if c.text is not None]
    key = platform.key(text)
    return text in shown or (key is not None and key in {platform.key(t) for t in shown})


def _restore(have: Line, saved: Line | None, rendered: Line | None, path: Path, platform: Platform,
             names: Names) -> list[Line]:
    olds = {c.text: c for c in (saved.children if saved else []) if c.text is not None}
    rens = {c.text: c for c in (rendered.children if rendered else []) if c.text is not None}
    result: list[Line] = []
    index: dict[str, int] = {}
    held: list[Line] = []  # comment lines: separators that go with the line after them
    for c in have.children:
        text = c.text
        if text is None:
            held.append(c)
            continue
        gone, held = held, []
        old, mine = olds.get(text), _govctls(path, text, rendered, platform, names, created=saved is None)
        if c.children or (old is not None and old.children):
            if old is None and platform.owned(path, text, names):
                continue  # a block of the owned scope the push created (``router ospf6``, a route-map)
            c = copy.copy(c)
            c.children = _restore(c, old, rens.get(text), (*path, text), platform, names)
            if old is None and mine and not any(k.text is not None for k in c.children):
                continue  # a block the push rendered, with nothing of anyone else's left in it
        elif old is None and mine:
            continue
        result += gone
        index.setdefault(text, len(result))
        result.append(c)
    result += held
    # what govctl's part of the saved config has and the device lacks, in the saved order
    order = [(o.text, None if o.text in index else _part(o, rendered, path, platform, names))
             for o in (saved.children if saved else []) if o.text is not None]
    kept = {id(c) for c in result}
    _insert(result, index, order)
    if path or platform.comment != "#":
        return result
    # VRP and Comware show system-view commands indented and views in column 0: only '#' tells where
    # a view ends, so a line put back between them is fenced by '#' lines (as the device shows it)
    fenced: list[Line] = []
    for c in result:
        if id(c) not in kept and fenced and fenced[-1].text is not None:
            fenced.append(Line("#", 0, None))
        fenced.append(c)
        if id(c) not in kept:
            fenced.append(Line("#", 0, None))
    return fenced


def _part(line: Line, rendered: Line | None, path: Path, platform: Platform, names: Names) -> Line | None:
    """``line`` of the saved config (in ``path``; ``rendered``: the rendered block there) cut down to
    govctl's part; None when nothing of it is govctl's."""
    text = line.text or ""
    mine = _govctls(path, text, rendered, platform, names)
    if not line.children or platform.owned(path, text, names):
        return copy.deepcopy(line) if mine else None
    inner = next((c for c in (rendered.children if rendered else []) if c.text == text), None)
    kids = [k for c in line.children if c.text is not None
            and (k := _part(c, inner, (*path, text), platform, names)) is not None]
    if not kids and not mine:
        return None
    out = copy.copy(line)
    out.children = kids
    return out


def foreign_lines(config: str, intended: str, platform: Platform) -> list[str]:
    """The lines of ``config`` (with their block lines as context) govctl neither renders nor owns: what
    must survive any push and rollback unchanged. Tests compare these before and after."""
    names = platform.names(intended)
    want = parse(intended, platform.comment, platform)
    out: list[str] = []

    def walk(n: Line, w: Line | None, path: Path) -> None:
        wanted = {c.text: c for c in (w.children if w else []) if c.text is not None}
        for c in n.children:
            if c.text is None:
                continue
            inner = wanted.get(c.text)
            if inner is None and platform.owned(path, c.text, names):
                continue
            if inner is None and not c.children:
                out.append(" / ".join((*path, c.text)))
            walk(c, inner, (*path, c.text))

    walk(parse(config, platform.comment), want, ())
    return out
