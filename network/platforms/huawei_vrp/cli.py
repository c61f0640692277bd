"""Huawei VRP show-command output -> the getter shapes NAPALM's huawei_vrp driver does not provide.

napalm-huawei-vrp 1.2 has no OSPFv3, IPv6 RIB or BGP-IPv6 getters, and its ``ping`` builds an
IPv4 ``ping -a`` command line. The adapter runs these commands through the driver's ``cli()``
and these pure functions read the output.

- ``display bgp ipv6 peer``: ntc-templates' ``huawei_vrp_display_bgp_peer`` TextFSM template (the
  IPv6 table has the same columns; ntc-templates' own fixture for the IPv6 command parses with it).
- ``display ospfv3 peer`` and ``display ipv6 routing-table``: small parsers. ntc-templates 9.3 has
  no template for the first, and its ``display ipv(6) routing-table verbose`` template rejects
  ``Protocol : OSPFv3`` and ``OSPFv3ASE`` (its protocol list is IPv4's), which is exactly what
  verification needs to read.
Parsers are strict: a line they do not understand raises ``VrpParseError`` rather than being
skipped, because a silently dropped neighbour or route would turn into a wrong verdict.
"""
from __future__ import annotations

import ipaddress
import re

from govctl.network.models import BgpNeighbor, OspfNeighbor
from govctl.network.platforms.base import (ParseError, asplain, full_interface_name, ntc_template,
                                           parse_ospfv3_peer_table)

OSPFV3_PEER = "display ospfv3 peer"
IPV6_ROUTES = "display ipv6 routing-table"
BGP_IPV6_PEER = "display bgp ipv6 peer"


def ping_command(source: str, destination: str, count: int = 2) -> str:
    return f"ping ipv6 -c {count} -a {source} {destination}"


class VrpParseError(ParseError):
    """The output does not look like what the command prints on VRP."""


# VRP abbreviates interface names in neighbour tables (GE0/1/0) but not in the configuration
# (GigabitEthernet0/1/0), which is what intent and verify use. Longest prefix first.
_ABBREVIATIONS = (
    ("xgigabitethernet", "XGigabitEthernet"), ("gigabitethernet", "GigabitEthernet"),
    ("ethernet", "Ethernet"), ("loopback", "LoopBack"), ("eth-trunk", "Eth-Trunk"),
    ("vlanif", "Vlanif"), ("100ge", "100GE"), ("40ge", "40GE"), ("25ge", "25GE"), ("10ge", "10GE"),
    ("xge", "XGigabitEthernet"), ("ge", "GigabitEthernet"), ("eth", "Ethernet"), ("lo", "LoopBack"),
    ("null", "NULL"), ("inloopback", "InLoopBack"),
)


def interface_name(raw: str) -> str:
    """'GE0/1/0', 'gigabitethernet 0/2/0', '100GE1/0/2' -> the name the configuration uses."""
    return full_interface_name(raw, dict(_ABBREVIATIONS), kind=r"[A-Za-z0-9-]*?[A-Za-z-]+")  # 100GE: digits lead


def _address(text: str) -> str:
    return str(ipaddress.ip_address(text.lstrip("*")))


# ------------------------------------------------------------------ display ospfv3 peer

_PEER_ROW = re.compile(
    r"^(?P<rid>\d+\.\d+\.\d+\.\d+)\s+(?P<pri>\d+)\s+(?P<state>[A-Za-z0-9-]+)/\s*(?P<role>\S+)\s+"
    r"(?P<dead>\d+:\d+:\d+)\s+(?P<ifname>\S.*?)\s+(?P<instance>\d+)$")
_PEER_HEADERS = (
    re.compile(r"^OSPFv3 Process \(\d+\)$"), re.compile(r"^Total number of peer\(s\):\s*\d+$"),
    re.compile(r"^Peer\(s\) in full state:\s*\d+$"), re.compile(r"^OSPFv3 Area \([\d.]+\)$"),
    re.compile(r"^Neighbor ID\s+Pri\s+State\s+Dead Time\s+Interface\s+Instance ID$"),
)


def parse_ospfv3_peer(text: str) -> list[OspfNeighbor]:
    """Neighbours of every process and area, state without the DR role ('Full/DR' -> 'Full')."""
    return parse_ospfv3_peer_table(text, OSPFV3_PEER, _PEER_ROW, _PEER_HEADERS, "OSPFv3 Area", VrpParseError,
                                   interface_name)


# ------------------------------------------------------------------ display ipv6 routing-table

_FIELD = {
    "destination": re.compile(r"^Destination\s*:\s*(\S+)"),
    "length": re.compile(r"PrefixLength\s*:\s*(\d+)"),
    "protocol": re.compile(r"Protocol\s*:\s*(\S+)"),
    "state": re.compile(r"^State\s*:\s*(.+?)(?:\s{2,}|\t|$)"),
}
_RIB_IGNORED = re.compile(
    r"^(Route Flags:|-{5,}$|Routing Tables?\s*:|Summary Count\s*:|Destinations\s*:|"
    r"[A-Za-z][A-Za-z ]*?\s*:)")


def parse_ipv6_routing_table(text: str) -> dict[str, str]:
    """{prefix: protocol} of the active routes (plain or ``verbose`` output; with ``verbose``,
    routes whose State is not Active are left out). Prefixes are normalised ('2001:DB8:4::1/128'
    -> '2001:db8:4::1/128')."""
    records: list[dict[str, str]] = []
    expected: int | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        counted = re.search(r"Routes\s*:\s*(\d+)", line)
        if line.startswith("Destinations") and counted:
            expected = (expected or 0) + int(counted.group(1))
            continue
        if _FIELD["destination"].match(line):
            records.append({})
        if not _RIB_IGNORED.match(line):
            raise VrpParseError(IPV6_ROUTES, f"unexpected line {line!r}")
        if not records:
            continue
        for key, rx in _FIELD.items():
            m = rx.search(line)
            if m and key not in records[-1]:
                records[-1][key] = m.group(1).strip()
    if expected is not None and expected != len(records):
        raise VrpParseError(IPV6_ROUTES, f"the table announces {expected} routes, {len(records)} were read")
    out: dict[str, str] = {}
    for rec in records:
        missing = [k for k in ("destination", "length", "protocol") if k not in rec]
        if missing:
            raise VrpParseError(IPV6_ROUTES, f"route {rec.get('destination', '?')} lacks {', '.join(missing)}")
        if "state" in rec and not rec["state"].startswith("Active"):
            continue
        try:
            prefix = str(ipaddress.ip_network(f"{rec['destination']}/{rec['length']}", strict=False))
        except ValueError:
            raise VrpParseError(IPV6_ROUTES, f"bad destination {rec['destination']}/{rec['length']}") from None
        out.setdefault(prefix, rec["protocol"])
    return out


# ------------------------------------------------------------------ display bgp ipv6 peer


def parse_bgp_peer(text: str) -> list[BgpNeighbor]:
    """Sessions of ``display bgp ipv6 peer`` through ntc-templates' TextFSM template."""
    import io

    import textfsm

    # The template anchors every line on leading whitespace (VRP indents them all); a transport
    # that strips the first line's indent must not turn a good table into a parse error.
    body = "\n".join(f" {line}" if line.strip() else "" for line in text.splitlines()) + "\n"
    try:
        fsm = textfsm.TextFSM(io.StringIO(ntc_template("huawei_vrp_display_bgp_peer")))
        rows = fsm.ParseTextToDicts(body)
    except textfsm.TextFSMError as exc:
        raise VrpParseError(BGP_IPV6_PEER, str(exc).splitlines()[0]) from None
    out = []
    for row in rows:
        try:
            address = _address(row["PEER"])
        except ValueError:
            raise VrpParseError(BGP_IPV6_PEER, f"peer {row['PEER']!r} is not an address") from None
        out.append(BgpNeighbor(address, asplain(row["ASN"]), row["STATE"], int(row["PREF_RCVD"] or 0)))
    return out


# ------------------------------------------------------------------ ping ipv6


def parse_ping(text: str) -> bool:
    """True when at least one echo reply came back (VRP prints 'N packet(s) received')."""
    m = re.search(r"(\d+)\s+packet\(s\)\s+received", text)
    if not m:
        raise VrpParseError("ping ipv6", "no 'packet(s) received' line")
    return int(m.group(1)) > 0
