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
    at: int | None = None
    order = [(w.text, w) for w in want.children if w.text is not None]
    for n, (text, w) in enumerate(order):
        if text in index:
            at = index[text] + 1
            continue
        if at is None:
            # nothing before it is on the device yet: before the first later sibling that is (an IOS
            # neighbour must exist before its address family activates it)
            later = [index[t] for t, _ in order[n + 1:] if t in index]
            pos = min(later) if later else len(result)
        else:
            pos = at
        result.insert(pos, copy.deepcopy(w))
        index = {t: (i + 1 if i >= pos else i) for t, i in index.items()}
        index[text] = pos
        at = pos + 1
    return result


def scoped_candidate(running: str, intended: str, platform: Platform) -> str:
    """``running`` with the owned scope equal to ``intended``; every other line byte for byte."""
    have, want = parse(running, platform.comment), parse(intended, platform.comment, platform)
    have.children = _splice(have, want, (), platform, platform.names(intended))
    return dump(have)


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
