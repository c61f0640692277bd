"""H3C Comware V7 show-command output -> the getter shapes. Pure, strict parsers (a line they do not
understand is an error, never skipped). ntc-templates has no Comware template for these IPv6
commands (its BGP peer template only accepts IPv4 peers), so they are small parsers here.

Layouts are those of H3C's command references (``display ospfv3 peer``, ``display ipv6
routing-table``, ``display bgp peer ipv6``, ``ping ipv6``); see tests/network/fixtures/comware.
"""
from __future__ import annotations

import ipaddress
import re

from govctl.network.models import BgpNeighbor, OspfNeighbor
from govctl.network.platforms.base import ParseError, asplain, full_interface_name, parse_ospfv3_peer_table

OSPFV3_PEER = "display ospfv3 peer"
IPV6_ROUTES = "display ipv6 routing-table"
BGP_IPV6_PEER = "display bgp peer ipv6"
RUNNING = "display current-configuration"


def ping_command(source: str, destination: str, count: int = 2) -> str:
    return f"ping ipv6 -a {source} -c {count} {destination}"


class ComwareParseError(ParseError):
    """The output does not look like what the command prints on Comware."""


# Comware abbreviates names in tables (GE1/0/1, XGE1/0/49, Vlan10, Loop0); the configuration and
# the intent use the full names. Longest first.
_NAMES = (
    ("ten-gigabitethernet", "Ten-GigabitEthernet"), ("gigabitethernet", "GigabitEthernet"),
    ("vlan-interface", "Vlan-interface"), ("route-aggregation", "Route-Aggregation"),
    ("inloopback", "InLoopBack"), ("loopback", "LoopBack"), ("fortygige", "FortyGigE"),
    ("hundredgige", "HundredGigE"), ("twenty-fivegige", "Twenty-FiveGigE"),
    ("xge", "Ten-GigabitEthernet"), ("fge", "FortyGigE"), ("hge", "HundredGigE"), ("wge", "Twenty-FiveGigE"),
    ("ge", "GigabitEthernet"), ("vlan", "Vlan-interface"), ("inloop", "InLoopBack"), ("loop", "LoopBack"),
    ("ragg", "Route-Aggregation"), ("null", "NULL"),
)


def interface_name(raw: str) -> str:
    return full_interface_name(raw, dict(_NAMES))


# ------------------------------------------------------------------ display ospfv3 peer

_PEER_ROW = re.compile(r"^(?P<rid>\d+\.\d+\.\d+\.\d+)\s+(?P<pri>\d+)\s+(?P<state>[A-Za-z0-9-]+)/\s*(?P<role>\S+)\s+"
                       r"(?P<dead>\d+:\d+:\d+)\s+(?P<inst>\d+)\s+(?P<ifname>\S.*?)$")
_PEER_HEADERS = (re.compile(r"^OSPFv3 Process \d+ with Router ID [\d.]+$"), re.compile(r"^Area: [\d.]+$"),
                 re.compile(r"^-{10,}$"),
                 re.compile(r"^Router ID\s+Pri\s+State\s+Dead-Time\s+InstID\s+Interface$"))


def parse_ospfv3_peer(text: str) -> list[OspfNeighbor]:
    return parse_ospfv3_peer_table(text, OSPFV3_PEER, _PEER_ROW, _PEER_HEADERS, "Area:", ComwareParseError,
                                   interface_name)


# ------------------------------------------------------------------ display ipv6 routing-table

_ROUTE_FIELDS = re.compile(r"^(Destination|NextHop|Interface)\s*:\s*(\S+)\s+(Protocol|Preference|Cost)\s*:\s*(\S+)$")


def parse_ipv6_routing_table(text: str) -> dict[str, str]:
    """{prefix: protocol} of the active routes (the summary shows only those)."""
    routes: list[tuple[str, str]] = []
    expected: int | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        count = re.match(r"^Destinations\s*:\s*\d+\s+Routes\s*:\s*(\d+)$", line)
        if count:
            expected = (expected or 0) + int(count.group(1))
            continue
        if line.startswith("VPN instance:") or line.startswith("Routing Table"):
            continue
        m = _ROUTE_FIELDS.match(line)
        if not m:
            raise ComwareParseError(IPV6_ROUTES, f"unexpected line {line!r}")
        if m.group(1) == "Destination":
            if m.group(3) != "Protocol":
                raise ComwareParseError(IPV6_ROUTES, f"unexpected line {line!r}")
            try:
                prefix = str(ipaddress.ip_network(m.group(2), strict=False))
            except ValueError:
                raise ComwareParseError(IPV6_ROUTES, f"bad destination {m.group(2)!r}") from None
            routes.append((prefix, m.group(4)))
    if expected is not None and expected != len(routes):
        raise ComwareParseError(IPV6_ROUTES, f"the table announces {expected} routes, {len(routes)} were read")
    out: dict[str, str] = {}
    for prefix, proto in routes:
        out.setdefault(prefix, proto)
    return out


# ------------------------------------------------------------------ display bgp peer ipv6

_BGP_ROW = re.compile(r"^\*?\s*(?P<peer>[0-9A-Fa-f:.]+)\s+(?P<asn>\d+(?:\.\d+)?)\s+(?P<rcvd>\d+)\s+(?P<sent>\d+)\s+"
                      r"(?P<outq>\d+)\s+(?P<pref>\d+)\s+(?P<updown>\S+)\s+(?P<state>\S+)$")
_BGP_HEADERS = (re.compile(r"^BGP local router ID\s*:"), re.compile(r"^Local AS number\s*:"),
                re.compile(r"^Total number of peers\s*:"), re.compile(r"^\* - Dynamically created peer$"),
                re.compile(r"^Peer\s+AS\s+MsgRcvd\s+MsgSent\s+OutQ\s+PrefRcv\s+Up/Down\s+State$"))


def parse_bgp_peer(text: str) -> list[BgpNeighbor]:
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or any(h.match(line) for h in _BGP_HEADERS):
            continue
        m = _BGP_ROW.match(line)
        if not m:
            raise ComwareParseError(BGP_IPV6_PEER, f"unexpected line {line!r}")
        try:
            addr = str(ipaddress.ip_address(m["peer"]))
        except ValueError:
            raise ComwareParseError(BGP_IPV6_PEER, f"peer {m['peer']!r} is not an address") from None
        out.append(BgpNeighbor(addr, asplain(m["asn"]), m["state"], int(m["pref"])))
    return out


def parse_ping(text: str) -> bool:
    m = re.search(r"(\d+)\s+packet\(s\)\s+received", text)
    if not m:
        raise ComwareParseError("ping ipv6", "no 'packet(s) received' in the statistics")
    return int(m.group(1)) > 0


def interfaces_ip(running: str) -> dict[str, dict[str, list[str]]]:
    """Configured addresses per interface, from ``display current-configuration``."""
    from govctl.network.platforms.h3c_comware.config import parse

    out: dict[str, dict[str, list[str]]] = {}
    for block in parse(running).children:
        if not block.line.startswith("interface "):
            continue
        name = block.line.split(" ", 1)[1]
        fam: dict[str, list[str]] = {"ipv4": [], "ipv6": []}
        for c in block.children:
            parts = c.line.split()
            if parts[:2] == ["ipv6", "address"] and len(parts) >= 3 and "/" in parts[2]:
                fam["ipv6"].append(parts[2])
            elif parts[:2] == ["ip", "address"] and len(parts) >= 4:
                length = ipaddress.IPv4Network(f"0.0.0.0/{parts[3]}").prefixlen
                fam["ipv4"].append(f"{parts[2]}/{length}")
        out[name] = fam
    return out
