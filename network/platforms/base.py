"""What govctl knows about one platform, in one place: names, ports, syntax, driver, capabilities, and
the part of a device's configuration govctl owns.

**Ownership.** govctl changes only what it renders. A rendered line is always made true on the device;
a line the device holds and the intent does not is removed only when it lies in the platform's owned
scope (``Platform.owned``): the IPv6 lines of the interfaces govctl renders, the OSPFv3 process, BGP's
IPv6 address family and its IPv6 peers and the peer groups the intent names, the IPv6 prefix lists
and route policies the intent names, the discard routes of the prefixes it announces. Everything
else (AAA, users, vty, SNMP, syslog, NTP, IPv4 routing, static routes, other peers and address
families, ACLs, interfaces govctl does not render) is never removed or changed.
"""
from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import TypedDict

from govctl.network.models import OSPF_STATES, OspfNeighbor

Path = tuple[str, ...]  # the (stripped) lines of the blocks around a line, outermost first


@dataclass(frozen=True)
class Names:
    """The objects the intent names (so they are govctl's, and lines of them it no longer renders go)."""

    prefix_lists: frozenset[str] = frozenset()
    route_policies: frozenset[str] = frozenset()
    peer_groups: frozenset[str] = frozenset()
    discard_routes: frozenset[str] = frozenset()  # as written in the route line (platform syntax)


OwnedFn = Callable[[Path, str, Names], bool]


@dataclass(frozen=True)
class Platform:
    name: str
    vendor: str
    loopback: str  # port 0
    data_port: str  # port n >= 1, "{n}" replaced
    comment: str  # block separator in rendered configs
    trailer: str  # last lines of a rendered config
    driver: str  # "package.module:Class" of its config driver, imported when a session is opened
    commit_confirm: bool  # the device reverts a commit by itself unless confirmed
    restore: str  # how a saved config is restored exactly, in a later session too
    owned: OwnedFn  # may govctl remove this line (in these blocks) when the intent lacks it?
    names: Callable[[str], Names]  # the names the intended config gives its objects
    owned_summary: str  # the owned scope in words (README, `govctl net platforms`)
    proven: str  # how the ownership was proven
    # what Ansible's own network collections call this platform (the collection's inventory plugin sets it as
    # each host's ansible_network_os); "" where none serves it
    ansible_network_os: str
    # single-valued commands: a rendered line replaces the device's line with the same key
    keys: tuple[re.Pattern[str], ...] = field(default=())
    # rendered spelling -> the one the device shows for the same command (matched as one line)
    aliases: tuple[tuple[str, str], ...] = ()
    # (block the line sits directly in, line): single-valued commands whose rendered value is only for
    # a block govctl creates. In a block the device already runs, the device's value (explicit, or one
    # the device chose itself) stays: a new BGP router id resets every session of the process, IPv4
    # ones govctl does not own included
    device_wins: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = ()
    # the driver's merge runs the candidate's lines as typed (NAPALM ios: copy to running-config), so a
    # rendered reversal's `no` lines undo a merged change; the others merge declaratively (FRR: running +
    # candidate through frr-reload's diff; VRP, Comware: the lines missing per view), where a negation is
    # no config line, and a change is undone by restoring the config from before it
    merge_runs_negations: bool = False

    def device_value_wins(self, path: Path, line: str) -> bool:
        """Is ``line`` (rendered, in ``path``) one the device's own value overrides in a block it runs?"""
        return bool(path) and any(block.match(path[-1]) and rx.match(line) for block, rx in self.device_wins)

    def port_name(self, port: int) -> str:
        return self.loopback if port == 0 else self.data_port.format(n=port)

    def shown(self, line: str) -> str:
        """``line`` (canonical) as the device shows it."""
        return next((device for rendered, device in self.aliases if line == rendered), line)

    def key(self, line: str) -> str | None:
        for rx in self.keys:
            m = rx.match(line)
            if m:
                return m.group(0)
        return None


IPV6_ADDRESS = r"[0-9A-Fa-f]*:[0-9A-Fa-f:.]*"


def names_by(prefix_list: str, route_policy: str, peer_group: str, discard: str) -> Callable[[str], Names]:
    """A platform's ``names``: ``names_from`` with its four regular expressions."""
    return functools.partial(names_from, prefix_list=prefix_list, route_policy=route_policy,
                             peer_group=peer_group, discard=discard)


def names_from(text: str, prefix_list: str, route_policy: str, peer_group: str, discard: str) -> Names:
    """``Names`` by one regular expression per kind (group 1: the name), applied to each stripped line."""
    found: dict[str, set[str]] = {"p": set(), "r": set(), "g": set(), "d": set()}
    rules = (("p", re.compile(prefix_list)), ("r", re.compile(route_policy)), ("g", re.compile(peer_group)),
             ("d", re.compile(discard)))
    for raw in text.splitlines():
        line = canonical(raw.strip())
        for kind, rx in rules:
            m = rx.match(line)
            if m:
                found[kind].add(m.group(1))
    return Names(frozenset(found["p"]), frozenset(found["r"]), frozenset(found["g"]), frozenset(found["d"]))


_IPV6_PEER = re.compile(rf"^peer {IPV6_ADDRESS} ")


def leaf_scope(prefix_list: str, ipv6_family: str) -> OwnedFn:
    """The owned scope of the platforms whose block remediation changes leaves only, never removing a
    sub-view (VRP, Comware): they differ in two keywords, the IPv6 prefix-list command (``prefix_list``,
    with its trailing space) and the name of BGP's IPv6 address family (``ipv6_family``)."""

    def owned(path: Path, line: str, names: Names) -> bool:
        if not path:
            if line.startswith(prefix_list):
                return first_word_after(line, prefix_list) in names.prefix_lists
            return line in names.discard_routes
        if any(v.startswith("ospfv3 ") for v in path) or ipv6_family in path:
            return True
        if path[0].startswith("interface "):
            return line.startswith(("ipv6 address ", "ospfv3 "))
        if len(path) == 1 and path[0].startswith("bgp "):
            return bool(_IPV6_PEER.match(line)) or line.startswith("timer keepalive ") or (
                line.startswith("peer ") and first_word_after(line, "peer ") in names.peer_groups)
        return False

    return owned


_IPV6_NEIGHBOR = re.compile(rf"^neighbor {IPV6_ADDRESS} ")


def block_scope(ospf: str, interface_lines: tuple[str, ...], ipv6_families: tuple[str, ...],
                route_maps: bool = True) -> OwnedFn:
    """The owned scope of the indentation-structured platforms (IOS, FRR), whose scoped candidate
    (``scope.py``) may remove whole blocks. They differ in the OSPFv3 process line (``ospf``, a regular
    expression), the interface lines that are IPv6's (``interface_lines``, prefixes), the spellings of
    BGP's IPv6 address family (``ipv6_families``) and whether the route-maps the intent names are owned.
    A ``router bgp N vrf X`` is another BGP instance than the one govctl renders, so never owned."""
    ospf_rx = re.compile(ospf)

    def owned(path: Path, line: str, names: Names) -> bool:
        if not path:
            if ospf_rx.match(line):
                return True
            if line.startswith("ipv6 prefix-list "):
                return first_word_after(line, "ipv6 prefix-list ") in names.prefix_lists
            if route_maps and line.startswith("route-map "):
                return first_word_after(line, "route-map ") in names.route_policies
            if line.startswith("ipv6 route "):
                return line in names.discard_routes
            return False
        top = path[0]
        if ospf_rx.match(top):
            return True
        if top.startswith("interface "):
            return line.startswith(interface_lines)
        if route_maps and top.startswith("route-map "):
            return first_word_after(top, "route-map ") in names.route_policies
        if top.startswith("router bgp ") and " vrf " not in top:
            if len(path) > 1:
                return path[1] in ipv6_families
            if line in ipv6_families or _IPV6_NEIGHBOR.match(line):
                return True
            return line.startswith("neighbor ") and first_word_after(line, "neighbor ") in names.peer_groups
        return False

    return owned


class ViewSyntax(TypedDict):
    """The fields of a ``Platform`` that VRP and Comware (which descends from VRP) fill alike."""

    comment: str
    trailer: str
    owned: OwnedFn
    names: Callable[[str], Names]
    keys: tuple[re.Pattern[str], ...]
    device_wins: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]


def view_syntax(prefix_list: str, ipv6_family: str) -> ViewSyntax:
    """The syntax and ownership of the view-structured platforms, for their records
    (``Platform(**view_syntax(...), ...)``): ``#`` between views and ``return`` at the end; the leaf-only
    owned scope (``leaf_scope``, whose two keywords are the only difference); route policies, peer groups
    and ``NULL0`` discard routes by the same commands; ``sysname`` and ``router-id`` single-valued (a
    rollback puts the saved value back in place of the rendered one); the device's BGP router id kept in a
    ``bgp N`` process it already runs."""
    return ViewSyntax(
        comment="#", trailer="#\nreturn\n", owned=leaf_scope(prefix_list, ipv6_family),
        names=names_by(rf"^{re.escape(prefix_list)}(\S+) ", r"^route-policy (\S+) ", r"^group (\S+) external$",
                       r"^(ipv6 route-static \S+ \d+ NULL0)$"),
        keys=tuple(re.compile(rx) for rx in (r"^description ", r"^sysname ", r"^router-id ")),
        device_wins=((re.compile(r"^bgp \d+$"), re.compile(r"^router-id ")),))


def first_word_after(line: str, prefix: str) -> str:
    rest = line[len(prefix):].split()
    return rest[0] if rest else ""


def canonical(line: str) -> str:
    """``line`` with its IPv6 addresses and prefixes in canonical form: IOS shows ``2001:DB8::1``, the
    templates write ``2001:db8::1``; the same line either way."""
    return " ".join(_token(t) for t in line.split())


def _token(tok: str) -> str:
    if ":" not in tok or not any(ch.isdigit() or ch in "abcdefABCDEF" for ch in tok):
        return tok
    try:
        return str(ipaddress.ip_interface(tok)) if "/" in tok else str(ipaddress.ip_address(tok))
    except ValueError:
        return tok


# ---------------------------------------------------------------- what the show-command parsers share


class ParseError(ValueError):
    """A show command's output does not look like what the command prints on the platform (each
    platform's ``cli.py`` names its own subclass, which its parsers raise)."""

    def __init__(self, command: str, detail: str) -> None:
        super().__init__(f"cannot parse '{command}' output: {detail}")


def full_interface_name(raw: str, abbreviations: Mapping[str, str], kind: str = r"[A-Za-z-]+") -> str:
    """An interface name as a device's table may abbreviate it (``raw``, spaces dropped: 'GE0/1/0',
    'gigabitethernet 0/2/0') -> as the configuration writes it, by ``abbreviations`` (the lower-case kind ->
    the full one); a name whose kind (``kind``, a regular expression) is not abbreviated stays as it is."""
    name = raw.replace(" ", "")
    m = re.match(rf"({kind})(\d[\d/.:]*)$", name)
    if not m:
        return name
    full = abbreviations.get(m.group(1).lower())
    return f"{full}{m.group(2)}" if full else name


def asplain(asn: str) -> int:
    """An AS number as a table prints it, asplain (4259905051) or asdot (65011.21531, as ``bgp asnotation dot``
    prints it), in asplain, as the intent writes it."""
    if "." in asn:
        high, low = asn.split(".")
        return int(high) * 65536 + int(low)
    return int(asn)


def parse_ospfv3_peer_table(text: str, command: str, row: re.Pattern[str], headers: tuple[re.Pattern[str], ...],
                            area_heading: str, error: type[ParseError],
                            interface_name: Callable[[str], str]) -> list[OspfNeighbor]:
    """The neighbours of a ``display ospfv3 peer`` table (Comware, VRP): every line blank, a heading (one of
    ``headers``; those starting with ``area_heading`` open an area) or a neighbour ``row`` (groups rid, state,
    ifname) under an area; anything else raises ``error``, since a dropped neighbour would be a wrong verdict."""
    out: list[OspfNeighbor] = []
    area = False
    for line in filter(None, (raw.strip() for raw in text.splitlines())):
        if any(h.match(line) for h in headers):
            area = area or line.startswith(area_heading)
            continue
        m = row.match(line)
        if not m:
            raise error(command, f"unexpected line {line!r}")
        if not area:
            raise error(command, f"neighbour row before any {area_heading!r} heading: {line!r}")
        if m["state"] not in OSPF_STATES:
            raise error(command, f"unknown neighbour state {m['state']!r} in {line!r}")
        out.append(OspfNeighbor(m["rid"], m["state"], interface_name(m["ifname"])))
    return out


@functools.lru_cache(maxsize=8)
def ntc_template(name: str) -> str:
    """The text of ntc-templates' TextFSM template ``name``."""
    import ntc_templates  # deferred: a large package, only the parsers that use a template need it

    return (FilePath(ntc_templates.__file__).parent / "templates" / f"{name}.textfsm").read_text()
