"""Block-structured configurations (H3C Comware, Huawei VRP; IOS for drift) as a tree, and the remediation
from running to intended. Pure functions, shared by the platforms that speak this dialect: each platform's
own folder keeps its transaction (checkpoints, commit, rollback sequences) and calls these.

No library fits: hier_config (3.x) ships no Comware driver, and napalm-h3c-comware has getters only.
Comware and VRP share these conventions (views, ``#``, ``undo``, defaults not shown, upper-case
addresses), so the NAPALM adapter uses the same merge diff for huawei_vrp.
The diff is per block, as Comware shows it in ``display current-configuration``:

- indentation is relative (global commands are shown with one leading space, their sub-commands
  with two; ``interface``/``bgp`` blocks start in column 0): a line belongs to the closest line
  above it with less indentation; ``#`` closes the blocks at and below its own indentation;
- IPv6 addresses are compared canonically (Comware prints ``2001:DB8::1``, templates ``2001:db8::1``);
- Comware does not display defaults: an intended ``undo X`` is satisfied when ``X`` is absent, and
  an intended default value (``ospfv3 timer hello 10``) when the command is absent;
- merge adds what is missing; replace also removes, but only leaves of the platform's owned scope
  (``network.platforms.h3c_comware`` / ``huawei_vrp``: interface ``ipv6 address``/``ospfv3``,
  everything in ``ospfv3 N`` and in BGP's IPv6 family, IPv6 BGP peers, BGP timers, entries of the
  prefix-lists the intent names). The templates render the IPv6 rollout, not the whole device:
  IPv4, management, AAA and anything else is never removed, and a sub-view never.
"""
from __future__ import annotations

import difflib
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Literal

from govctl.network.platforms.base import Names, Platform

# merge: add what is missing; replace: also remove the owned scope's leaves the intent lacks; exact:
# make the running config equal to the target, removing any line and view it lacks (a rollback to
# ``scope.rollback_candidate``, which differs from the device in govctl's part only)
Mode = Literal["merge", "replace", "exact"]

# What Comware does not display because it is the default (per command key -> default value).
DEFAULTS = {"ospfv3 timer hello": "10", "ospfv3 timer dead": "40"}

# Negation forms that are not simply "undo <line>", and the "key" that a new value overwrites
# (so replace does not undo a line the intent sets to another value). First match wins.
_RULES: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(rx), key, undo) for rx, key, undo in (
        (r"^description (.*)$", "description", "undo description"),
        (r"^sysname (.*)$", "sysname", ""),  # never removed, only overwritten
        (r"^router-id (\S+)$", "router-id", "undo router-id"),
        (r"^ospfv3 timer (hello|dead) (\d+)$", r"ospfv3 timer \1", r"undo ospfv3 timer \1"),
        (r"^ospfv3 network-type (\S+)$", "ospfv3 network-type", "undo ospfv3 network-type"),
        (r"^ospfv3 (\d+) area (\S+)$", r"ospfv3 \1 area", r"undo ospfv3 \1 area \2"),
        (r"^timer keepalive (\d+) hold (\d+)$", "timer keepalive", "undo timer keepalive"),
        (r"^peer (\S+) as-number (\d+)$", r"peer \1 as-number", r"undo peer \1"),
        (r"^peer (\S+) description (.*)$", r"peer \1 description", r"undo peer \1 description"),
        (r"^peer (\S+) connect-interface (\S+)$", r"peer \1 connect-interface", r"undo peer \1 connect-interface"),
        (r"^peer (\S+) timer connect-retry (\d+)$", r"peer \1 timer connect-retry",
         r"undo peer \1 timer connect-retry"),
        (r"^ipv6 prefix-list (\S+) index (\d+) .*$", r"ipv6 prefix-list \1 index \2",
         r"undo ipv6 prefix-list \1 index \2"),
        (r"^ip ipv6-prefix (\S+) index (\d+) .*$", r"ip ipv6-prefix \1 index \2",
         r"undo ip ipv6-prefix \1 index \2"),
        (r"^undo (.*)$", r"\1", r"\1"),
    ))


@dataclass
class Node:
    line: str  # canonical text (see ``canonical``)
    children: list[Node] = field(default_factory=list)

    def find(self, line: str) -> Node | None:
        return next((c for c in self.children if c.line == line), None)


def _canonical_token(tok: str) -> str:
    addr, slash, length = tok.partition("/")
    if ":" in addr:
        try:
            return str(ipaddress.IPv6Address(addr)) + slash + length
        except ValueError:
            return tok
    return tok


def canonical(line: str) -> str:
    """One spelling per command: single spaces, canonical IPv6 addresses."""
    return " ".join(_canonical_token(t) for t in line.split())


def parse(text: str) -> Node:
    """``display current-configuration`` (or a rendered config) -> a tree under an empty root."""
    root = Node("")
    stack: list[tuple[int, Node]] = [(-1, root)]
    for raw in text.splitlines():
        if not raw.strip():
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        body = raw.strip()
        if body == "#":
            while stack[-1][0] >= indent:
                stack.pop()
            if indent == 0:
                del stack[1:]
            continue
        if indent == 0 and body == "return":
            break
        while stack[-1][0] >= indent:
            stack.pop()
        node = Node(canonical(body))
        stack[-1][1].children.append(node)
        stack.append((indent, node))
    return root


def _rule(line: str) -> tuple[str, str] | None:
    for rx, key, undo in _RULES:
        m = rx.match(line)
        if m:
            return m.expand(key), m.expand(undo)
    return None


def _key(line: str) -> str:
    r = _rule(line)
    return r[0] if r else line


def _undo(line: str) -> str:
    r = _rule(line)
    return r[1] if r else f"undo {line}"


def _satisfied(want: Node, have: Node) -> bool:
    """Is the leaf ``want`` already true of the block ``have``?"""
    if have.find(want.line):
        return True
    if want.line.startswith("undo "):
        return have.find(want.line[5:]) is None
    key = _key(want.line)
    if DEFAULTS.get(key) is not None and want.line == f"{key} {DEFAULTS[key]}":
        return not any(_key(c.line) == key for c in have.children)
    return False


@dataclass(frozen=True)
class Change:
    """One line to send, at a depth of views (0: system view), and how it shows in the diff."""

    depth: int
    command: str
    sign: Literal["+", "-", " "]  # " ": entering a view that itself is unchanged
    shown: str = ""  # for "-": the running line the command removes


def _block(want: Node, have: Node | None, path: tuple[str, ...], mode: Mode, scope: Platform,
           names: Names) -> list[Change]:
    """Changes inside one view (``path``: the views around it, () for system view)."""
    depth = len(path)
    out: list[Change] = []
    if have is not None and mode != "merge":
        wanted_lines = {c.line for c in want.children}
        wanted_keys = {_key(c.line) for c in want.children}
        for c in have.children:
            if c.line in wanted_lines or _key(c.line) in wanted_keys:
                continue  # kept, or overwritten by the intended value
            if c.children:
                if mode == "exact":  # the whole view goes, its lines with it
                    out.append(Change(depth, f"undo {c.line}", "-", shown=c.line))
                continue  # replace: a sub-view is left alone
            if mode == "replace" and not scope.owned(path, c.line, names):
                continue
            undo = _undo(c.line)
            if undo:
                out.append(Change(depth, undo, "-", shown=c.line))
    for c in want.children:
        if not c.children:
            if have is not None and mode != "exact" and scope.device_value_wins(path, c.line):
                continue  # a view the device runs keeps its own value (a new BGP router id resets every peer)
            if have is None or not _satisfied(c, have):
                out.append(Change(depth, c.line, "+"))
            continue
        h = have.find(c.line) if have is not None else None
        inner = _block(c, h, (*path, c.line), mode, scope, names)
        if h is None:
            out.append(Change(depth, c.line, "+"))
            out.extend(inner)
        elif inner:
            out.append(Change(depth, c.line, " "))
            out.extend(inner)
    return out


def remediation(running: str, intended: str, mode: Mode, scope: Platform) -> list[Change]:
    """What to send so that ``running`` becomes ``intended`` (merge: add only; replace: also removes the
    lines of ``scope``'s owned scope the intent lacks, see ``network.platforms``; exact: removes
    whatever ``intended`` lacks, views too). ``scope`` is the platform's record: the caller's own, so
    that no platform reaches another's."""
    have, want = parse(running), parse(intended)
    # an interface's "ospfv3 1 area X" needs the process to exist: create processes before the first
    # interface (but after global commands such as VRP's "ipv6", which the process needs)
    kids = want.children
    first = next((i for i, c in enumerate(kids) if c.line.startswith("interface ")), len(kids))
    late = [c for c in kids[first:] if _PROCESS.match(c.line)]
    want.children = kids[:first] + late + [c for c in kids[first:] if c not in late]
    return _without_gone_peers(_block(want, have, (), mode, scope, scope.names(intended)))


def _without_gone_peers(changes: list[Change]) -> list[Change]:
    """``undo peer X`` takes all of X's lines with it (in every address family too): undoing one of them
    afterwards is refused by the device (the peer no longer exists), so those are left out, and a
    view entered only for them is not entered."""
    gone = {c.command[len("undo peer "):] for c in changes
            if c.sign == "-" and re.fullmatch(r"undo peer \S+", c.command)}
    if not gone:
        return changes
    kept = [c for c in changes if not (c.sign == "-" and c.command.startswith("undo peer ")
                                       and c.command.split()[2] in gone and c.command.count(" ") > 2)]
    out: list[Change] = []
    for i, c in enumerate(kept):
        if c.sign == " " and not (i + 1 < len(kept) and kept[i + 1].depth > c.depth):
            continue  # entered a view with nothing left to do in it
        out.append(c)
    return out


_PROCESS = re.compile(r"^ospfv3 \d+$")


def diff_text(changes: list[Change]) -> str:
    """The change as '+'/'-' lines with their views as context ('' when there is none)."""
    lines = [f"{c.sign} {' ' * c.depth}{c.shown or c.command}" for c in changes]
    return "\n".join(lines) + ("\n" if lines else "")


def commands(changes: list[Change]) -> list[str]:
    """The lines to type in system view: enter each view, ``quit`` back out of it."""
    out: list[str] = []
    depth = 0
    for i, c in enumerate(changes):
        while depth > c.depth:
            out.append("quit")
            depth -= 1
        out.append(c.command)
        if i + 1 < len(changes) and changes[i + 1].depth > c.depth:
            depth += 1
        elif c.sign != "-" and _VIEW.match(c.command):
            out.append("quit")  # it opened a view even without sub-commands (e.g. OSPFv3 "area X")
    out.extend(["quit"] * depth)
    return out


# Commands that open a view in Comware, whether or not sub-commands follow.
_VIEW = re.compile(r"^(interface \S+|bgp \d+|ospfv3 \d+|area \S+|address-family .+|ipv[46]-family .+|"
                   r"route-policy .+)$")



# ---------------------------------------------------------------- comparing configurations

def same_config(a: str, b: str) -> bool:
    """Equal as configurations (blank lines, '#' separators and address spelling aside)."""
    return _flat(parse(a)) == _flat(parse(b))


def _flat(node: Node, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for c in node.children:
        path = (*prefix, c.line)
        out.append(path)
        out.extend(_flat(c, path))
    return out


def _rendered(text: str) -> list[str]:
    """The configuration as ``same_config`` sees it: one canonical command a line, indented one space
    per view. Two configs render alike exactly when ``same_config`` holds."""
    return [" " * (len(path) - 1) + path[-1] for path in _flat(parse(text))]


def drift(expected: str, actual: str) -> str:
    """How ``actual`` differs from ``expected`` as a configuration (see ``drift_text``); '' exactly
    when ``same_config(expected, actual)``."""
    return drift_text(_rendered(expected), _rendered(actual))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _views(lines: list[str], i: int) -> list[str]:
    """The views around ``lines[i]``, outermost first (a line belongs to the closest line above it
    with less indentation)."""
    chain: list[str] = []
    indent = _indent(lines[i])
    for j in range(i - 1, -1, -1):
        if indent == 0:
            break
        if _indent(lines[j]) < indent:
            chain.append(lines[j])
            indent = _indent(lines[j])
    return chain[::-1]


def drift_text(expected: list[str], actual: list[str]) -> str:
    """'-' lines of ``expected`` that ``actual`` lacks, '+' lines ``actual`` has beyond it, in order,
    each under the views it sits in (' ' lines, shown once), as ``diff_text`` shows a change; ''
    exactly when the two lists are equal. Lines are indented by view, as Comware, VRP and IOS
    display them (also used for VRP and IOS)."""
    out: list[str] = []
    shown: list[str] = []  # the views (and line) printed last, outermost first

    def emit(sign: str, lines: list[str], i: int) -> None:
        chain = _views(lines, i)
        same = 0
        while same < min(len(chain), len(shown)) and chain[same] == shown[same]:
            same += 1
        out.extend(f"  {v}" for v in chain[same:])
        out.append(f"{sign} {lines[i]}")
        shown[:] = [*chain, lines[i]]

    matcher = difflib.SequenceMatcher(a=expected, b=actual, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for i in range(i1, i2):
            emit("-", expected, i)
        for j in range(j1, j2):
            emit("+", actual, j)
    return "\n".join(out) + ("\n" if out else "")
