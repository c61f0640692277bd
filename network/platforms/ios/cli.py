r"""Cisco IOS show-command output -> the getter shapes NAPALM's ios driver does not provide.

NAPALM's ios driver has no OSPFv3 or IPv6-RIB getter, so without these verification could never
pass on ios and every push there would roll back. Ping is sent as ``ping ipv6`` so that IOS never
reads the destination as a host name. The adapter
runs the commands through the driver's ``cli()``; these pure functions read the output.

- ``ping ipv6``: ntc-templates' ``cisco_ios_ping`` TextFSM template (it ends in an Error rule, so
  a line it does not know fails).
- ``show ipv6 ospf neighbor`` (the templates render ``ipv6 router ospf N``, the classic OSPFv3
  commands), ``show ipv6 route`` and ``show bgp ipv6 unicast summary``: small parsers, because
  ntc-templates 9.3 gets each of them wrong. It has no IPv6 template for the first and the last, and
  its IPv4 ones want a dotted address where OSPFv3 prints the Interface ID
  (``cisco_ios_show_ip_ospf_neighbor``) or an IPv4 neighbour (``cisco_ios_show_ip_bgp_summary``),
  with no Error rule: every IPv6 row would be dropped without a word. ``cisco_ios_show_ipv6_route``
  has ``^\s* -> Clearall`` before its Error rule; that matches every line, so unknown output (even
  ``% Invalid input``) is skipped, and a route line ending in ``, tag 1`` (an OSPF external default)
  is cleared instead of read.
Parsers are strict: a line they do not understand raises ``IosParseError`` rather than being
skipped, because a silently dropped neighbour or route would turn into a wrong verdict.

Crash recovery compares configurations: ``config_lines`` is the text of ``show running-config`` /
``show startup-config`` without the lines that change by themselves (``VOLATILE``), ``drift`` the
difference, and ``write memory``'s answer is read by ``saved``.
"""
from __future__ import annotations

import io
import ipaddress
import re
from typing import Any

from govctl.network.models import BgpNeighbor, OspfNeighbor
from govctl.network.platforms.base import ParseError, asplain, full_interface_name, ntc_template

OSPFV3_NEIGHBORS = "show ipv6 ospf neighbor"
IPV6_ROUTES = "show ipv6 route"
BGP_IPV6_SUMMARY = "show bgp ipv6 unicast summary"


def ping_command(source: str, destination: str, count: int = 2) -> str:
    return f"ping ipv6 {destination} source {source} repeat {count}"


class IosParseError(ParseError):
    """The output does not look like what the command prints on IOS."""


def _textfsm(command: str, template: str, text: str) -> list[dict[str, Any]]:
    import textfsm

    try:
        return list(textfsm.TextFSM(io.StringIO(ntc_template(template))).ParseTextToDicts(text))
    except textfsm.TextFSMError as exc:
        raise IosParseError(command, str(exc).splitlines()[0]) from None


# IOS abbreviates in some tables (Gi0/1) and not in the configuration (GigabitEthernet0/1).
_ABBREVIATIONS = {"gi": "GigabitEthernet", "te": "TenGigabitEthernet", "fa": "FastEthernet",
                  "et": "Ethernet", "lo": "Loopback", "po": "Port-channel", "tu": "Tunnel", "vl": "Vlan",
                  "hu": "HundredGigE", "fo": "FortyGigabitEthernet", "twe": "TwentyFiveGigE"}


def interface_name(raw: str) -> str:
    """'Gi0/1' -> 'GigabitEthernet0/1'; full names stay as they are."""
    return full_interface_name(raw, _ABBREVIATIONS)


# ------------------------------------------------------------------ show ipv6 ospf neighbor

_NBR_ROW = re.compile(
    r"^(?P<rid>\d+\.\d+\.\d+\.\d+)\s+(?P<pri>\d+)\s+(?P<state>[A-Z0-9]+)/\s*(?P<role>DR|BDR|DROTHER|-)\s+"
    r"(?P<dead>\d+:\d+:\d+)\s+(?P<ifid>\d+)\s+(?P<ifname>\S+)$")
_NBR_HEADERS = (
    # classic `show ipv6 ospf neighbor`, and the unified `show ospfv3 neighbor` of newer IOS XE
    re.compile(r"^OSPFv3 Router with ID \([\d.]+\) \(Process ID \d+\)$"),
    re.compile(r"^OSPFv3 \d+ address-family ipv6( vrf \S+)? \(router-id [\d.]+\)$"),
    re.compile(r"^Neighbor ID\s+Pri\s+State\s+Dead Time\s+Interface ID\s+Interface$"),
)
_IPV4_AF = re.compile(r"^OSPFv3 \d+ address-family ipv4\b")
STATES = {"DOWN": "Down", "ATTEMPT": "Attempt", "INIT": "Init", "2WAY": "2-Way", "EXSTART": "ExStart",
          "EXCHANGE": "Exchange", "LOADING": "Loading", "FULL": "Full"}


def parse_ospfv3_neighbors(text: str) -> list[OspfNeighbor]:
    """IPv6 neighbours of every process, states in the contract's spelling ('FULL/DR' -> 'Full').
    Rows under an OSPFv3 ``address-family ipv4`` heading are IPv4 adjacencies and are left out."""
    out: list[OspfNeighbor] = []
    ipv4 = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if _IPV4_AF.match(line):
            ipv4 = True
            continue
        if any(h.match(line) for h in _NBR_HEADERS):
            if not line.startswith("Neighbor ID"):
                ipv4 = False
            continue
        m = _NBR_ROW.match(line)
        if not m:
            raise IosParseError(OSPFV3_NEIGHBORS, f"unexpected line {line!r}")
        state = STATES.get(m["state"])
        if state is None:
            raise IosParseError(OSPFV3_NEIGHBORS, f"unknown neighbour state {m['state']!r} in {line!r}")
        if not ipv4:
            out.append(OspfNeighbor(m["rid"], state, interface_name(m["ifname"])))
    return out


# ------------------------------------------------------------------ show ipv6 route

_RIB_HEADER = re.compile(r"^IPv6 Routing Table - (?P<table>\S+) - (?P<n>\d+) entries$")
_RIB_CODES = re.compile(r"^(Codes: |\s+)(\S+ - [^,]+)(, \S+ - [^,]+)*,?$")
_RIB_ROUTE = re.compile(r"^(?P<code>[A-Za-z0-9]+)\s+(?P<prefix>[0-9A-Fa-f:]+/\d+)\s+\[\d+/\d+\](?:, tag \d+)?$")
_RIB_VIA = re.compile(r"^\s+via\s+\S")
PROTOCOLS = {"C": "Connected", "L": "Local", "LC": "Local", "S": "Static", "U": "Static", "B": "BGP",
             "O": "OSPF", "OI": "OSPF-inter", "OE1": "OSPF-ext1", "OE2": "OSPF-ext2",
             "ON1": "OSPF-nssa1", "ON2": "OSPF-nssa2", "R": "RIP", "D": "EIGRP", "EX": "EIGRP-ext",
             "I1": "ISIS", "I2": "ISIS", "IA": "ISIS", "IS": "ISIS", "ND": "ND", "NDp": "ND", "NDr": "ND",
             "H": "NHRP", "l": "LISP", "a": "Application", "m": "OMP"}


def parse_ipv6_route(text: str) -> dict[str, str]:
    """{prefix: protocol} of ``show ipv6 route``. ECMP routes (several ``via`` lines) count once;
    prefixes normalised ('2001:DB8:FFFF::10/128' -> '2001:db8:ffff::10/128'). The header's entry
    count is checked, so a route block lost in transit is an error, as is a route without a path."""
    out: dict[str, str] = {}
    expected: int | None = None
    current: str | None = None  # the route whose "via" lines follow
    paths = 0
    for raw in text.splitlines():
        if not raw.strip():
            continue
        if _RIB_VIA.match(raw):
            if current is None:
                raise IosParseError(IPV6_ROUTES, f"next hop before any route: {raw.strip()!r}")
            paths += 1
            continue
        if current is not None and paths == 0:
            raise IosParseError(IPV6_ROUTES, f"route {current} has no 'via' line")
        m = _RIB_HEADER.match(raw.strip())
        if m:
            expected = (expected or 0) + int(m["n"])
            continue
        m = _RIB_ROUTE.match(raw)
        if m:
            code = m["code"]
            if code not in PROTOCOLS:
                raise IosParseError(IPV6_ROUTES, f"unknown route code {code!r} in {raw.strip()!r}")
            try:
                current = str(ipaddress.IPv6Network(m["prefix"], strict=False))
            except ValueError:
                raise IosParseError(IPV6_ROUTES, f"bad prefix in {raw.strip()!r}") from None
            out.setdefault(current, PROTOCOLS[code])
            paths = 0
            continue
        if current is None and _RIB_CODES.match(raw):
            continue
        raise IosParseError(IPV6_ROUTES, f"unexpected line {raw.strip()!r}")
    if current is not None and paths == 0:
        raise IosParseError(IPV6_ROUTES, f"route {current} has no 'via' line")
    if expected is None:
        raise IosParseError(IPV6_ROUTES, "no 'IPv6 Routing Table - ... entries' header")
    if expected != len(out):
        raise IosParseError(IPV6_ROUTES, f"the table announces {expected} entries, {len(out)} were read")
    return out


# ------------------------------------------------------------------ show bgp ipv6 unicast summary

_BGP_PREAMBLE = re.compile(
    r"^(BGP router identifier \S+, local AS number \S+|BGP table version is \d+, main routing table version \d+|"
    r"\d+ network entries using .*|\d+ path entries using .*|\d+(/\d+)? BGP .* entries using .*|"
    r"BGP using \d+ total bytes of memory|BGP activity .*|For address family: IPv6 Unicast)$")
_BGP_HEAD = re.compile(r"^Neighbor\s+V\s+AS\s+MsgRcvd\s+MsgSent\s+TblVer\s+InQ\s+OutQ\s+Up/Down\s+State/PfxRcd$")
# the columns after the neighbour address; IOS moves them to the next line when the address is longer
# than the 16-character column
_BGP_REST = (r"(?P<v>4)\s+(?P<asn>\d+(?:\.\d+)?)\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+(?P<updown>\S+)\s+"
             r"(?P<state>\d+|Idle(?: \((?:Admin|PfxCt|Admin-shut)\))?|Active|Connect|OpenSent|OpenConfirm)$")
_BGP_ROW = re.compile(r"^(?P<addr>[0-9A-Fa-f:.]+)\s+" + _BGP_REST)
_BGP_WRAPPED = re.compile(r"^\s+" + _BGP_REST)
_BGP_ADDR_ONLY = re.compile(r"^(?P<addr>[0-9A-Fa-f:.]+)$")


def parse_bgp_summary(text: str) -> list[BgpNeighbor]:
    """Sessions of ``show bgp ipv6 unicast summary``: a number in State/PfxRcd means Established
    with that many prefixes; a state name means the session is not up."""
    out: list[BgpNeighbor] = []
    pending: str | None = None  # an address whose columns follow on the next line
    seen_head = False
    for raw in text.splitlines():
        if not raw.strip():
            continue
        if pending is not None:
            m = _BGP_WRAPPED.match(raw)
            if not m:
                raise IosParseError(BGP_IPV6_SUMMARY, f"neighbour {pending} without its columns: {raw.strip()!r}")
            out.append(_session(pending, m))
            pending = None
            continue
        line = raw.strip()
        if _BGP_PREAMBLE.match(line):
            continue
        if _BGP_HEAD.match(line):
            seen_head = True
            continue
        m = _BGP_ROW.match(line) if seen_head else None
        if m:
            out.append(_session(m["addr"], m))
            continue
        m = _BGP_ADDR_ONLY.match(line) if seen_head else None
        if m:
            pending = m["addr"]
            continue
        raise IosParseError(BGP_IPV6_SUMMARY, f"unexpected line {line!r}")
    if pending is not None:
        raise IosParseError(BGP_IPV6_SUMMARY, f"neighbour {pending} without its columns at the end")
    return out


def _session(addr: str, m: re.Match[str]) -> BgpNeighbor:
    try:
        address = str(ipaddress.ip_address(addr))
    except ValueError:
        raise IosParseError(BGP_IPV6_SUMMARY, f"neighbour {addr!r} is not an address") from None
    state = m["state"]
    if state.isdigit():
        return BgpNeighbor(address, asplain(m["asn"]), "Established", int(state))
    return BgpNeighbor(address, asplain(m["asn"]), state.split(" ")[0], 0)


# ------------------------------------------------------------------ ping ipv6


def parse_ping(text: str) -> bool:
    """True when at least one echo reply came back ('Success rate is N percent (k/n)', k > 0)."""
    rows = _textfsm("ping ipv6", "cisco_ios_ping", text)
    if len(rows) != 1 or not rows[0]["SUCCESS_QTY"]:
        raise IosParseError("ping ipv6", "no 'Success rate is ... percent' line")
    return int(rows[0]["SUCCESS_QTY"]) > 0


# ------------------------------------------------------------------ running and startup configuration

SAVE_STARTUP = "write memory"
# what ends the device's answer to ``write memory``: a prompt (privileged "#"; ">" in user EXEC, where
# the command does not exist), or the one question it asks (after an IOS upgrade: "Overwrite the
# previous NVRAM configuration?[confirm]")
SAVE_EXPECT = r"([>#]\s*$|\[confirm\]\s*$)"

# Lines that change on their own, never by configuration: the headers IOS prints above the config
# (``show running-config``: "Building configuration...", "Current configuration : N bytes";
# ``show startup-config``: "Using N out of M bytes[, uncompressed size = K bytes]"), the change and
# save timestamps, and the clock drift NTP writes into the config ("ntp clock-period N").
# NAPALM's ios ``get_config`` drops the first four kinds already; they are listed for raw output.
VOLATILE = re.compile(
    r"^(Building configuration\.*|Current configuration : \d+ bytes|Using \d+ out of \d+ bytes.*|"
    r"! Last configuration change at .*|! NVRAM config last updated at .*|"
    r"! No configuration change since last restart.*|ntp clock-period \d+)\s*$")


_HEADER = re.compile(r"^(Building configuration\.*|Current configuration : \d+ bytes)\s*$")


def without_headers(text: str) -> str:
    """``show running-config`` without the two lines IOS prints above the config (not configuration:
    a ``configure replace`` file must not hold them)."""
    return "".join(line + "\n" for line in text.splitlines() if not _HEADER.match(line))


def config_lines(text: str) -> list[str]:
    """The configuration lines of ``show running-config`` / ``show startup-config`` that carry
    configuration: without the ``VOLATILE`` lines, blank lines and bare "!" separators, trailing
    spaces cut, indentation (the sub-command level) kept. (A banner's blank lines go too.)"""
    out = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.strip() == "!" or VOLATILE.match(line):
            continue
        out.append(line)
    return out


def drift(expected: str, actual: str) -> str:
    """How the config ``actual`` differs from ``expected`` ('-' lines it lacks, '+' lines it has beyond
    it, under their parent lines); '' when they are the same configuration."""
    from govctl.network.platforms.blocks import drift_text

    return drift_text(config_lines(expected), config_lines(actual))


def save_prompt_answer(output: str) -> str | None:
    """The answer to the question ``write memory`` ends ``output`` with, if any: "[confirm]" (overwrite
    an NVRAM config another image version wrote) is confirmed with Enter, since the running config
    is what must be saved."""
    tail = output.rstrip().splitlines()[-1] if output.strip() else ""
    return "" if re.search(r"\[confirm\]\s*$", tail) else None


# "%Error opening nvram:/startup-config (...)", "% Invalid input detected at '^' marker." (user EXEC);
# "% Warning: ..." lines precede the [confirm] question and are not failures
_SAVE_ERROR = re.compile(r"^\s*%+ ?(?!Warning)\S[^\n]*", re.M)


def save_errors(output: str) -> list[str]:
    """The error lines IOS printed for ``write memory``."""
    return [m.group(0).strip() for m in _SAVE_ERROR.finditer(output)]


def saved(output: str) -> bool:
    """``write memory`` succeeded: IOS ends it with "[OK]" and printed no error line."""
    return bool(re.search(r"^\s*\[OK\]", output, re.M)) and not save_errors(output)
