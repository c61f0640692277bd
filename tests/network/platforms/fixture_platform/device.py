"""The fixture platform's devices: in memory, one network of them, whose state follows from their configs.

A device holds a running and a startup config and a password. What a real network would compute, this one
derives from the running configs of all its devices, on every read: an OSPFv3 adjacency is Full when both
ends of a link run ``ospf6 area`` on addresses of one prefix; a device routes to the loopbacks of every
device it reaches over Full adjacencies; an iBGP session is Established when each side names the other's
loopback and routes to it; a ping gets a reply when there is a route. A line outside the platform's grammar
is refused when a candidate is loaded, as a device refuses a command it does not know.

``NETWORK`` is the wire the driver dials (the registry builds drivers from a target only); a test fills it
with ``NETWORK.build`` and empties it with ``NETWORK.clear``.
"""
from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass, field
from functools import lru_cache

from govctl.network.models import BgpNeighbor, OspfNeighbor
from govctl.network.platforms.scope import Line, parse

# the first word of every line this platform knows (a device refuses any other)
GRAMMAR = frozenset({
    "hostname", "interface", "description", "ip", "ipv6", "ospf6", "exit", "router", "router-id", "neighbor",
    "network", "address-family", "username", "line", "exec-timeout", "snmp-server", "logging", "ntp",
    "vrf", "rd", "route-target", "import",  # a cutover's department VPN
})


@dataclass
class Device:
    node: str
    password: str
    running: str
    startup: str = ""
    sessions: int = 0  # sessions opened (a test sees whether a driver reached the device)

    def __post_init__(self) -> None:
        self.startup = self.startup or self.running


def refused(config: str) -> list[str]:
    """The lines of ``config`` the device does not know."""
    return [line for line in config.splitlines()
            if line.strip() and not line.strip().startswith("!") and line.split()[0] not in GRAMMAR]


@dataclass
class _Parsed:
    """What the routing of one device reads from its running config."""

    addresses: dict[str, list[str]] = field(default_factory=dict)  # interface -> ["addr/len"] (IPv6)
    ipv4: dict[str, list[str]] = field(default_factory=dict)
    ospf: dict[str, str] = field(default_factory=dict)  # interface -> area
    router_id: str = ""
    loopback: str = ""
    bgp_peers: dict[str, int] = field(default_factory=dict)  # address -> remote AS


@lru_cache(maxsize=256)
def _read(config: str) -> _Parsed:
    out = _Parsed()
    tree = parse(config, "!")
    for top in tree.children:
        words = (top.text or "").split()
        if words[:1] == ["interface"]:
            name = words[1]
            for child in top.children:
                w = (child.text or "").split()
                if w[:2] == ["ipv6", "address"]:
                    out.addresses.setdefault(name, []).append(w[2])
                elif w[:2] == ["ip", "address"]:
                    out.ipv4.setdefault(name, []).append(w[2])
                elif w[:2] == ["ospf6", "area"]:
                    out.ospf[name] = w[2]
        elif words[:2] == ["router", "ospf6"]:
            out.router_id = next(((c.text or "").split()[1] for c in top.children
                                  if (c.text or "").startswith("router-id ")), "")
        elif words[:2] == ["router", "bgp"]:
            out.bgp_peers.update(_bgp_peers(top))
    lo = out.addresses.get("lo0", [])
    out.loopback = lo[0].split("/")[0] if lo else ""
    return out


def _bgp_peers(bgp: Line) -> dict[str, int]:
    peers = {}
    for child in bgp.children:
        w = (child.text or "").split()
        if len(w) == 4 and w[0] == "neighbor" and w[2] == "remote-as" and ":" in w[1]:
            peers[w[1]] = int(w[3])
    return peers


class Network:
    """Every fixture device, by node name; reads and writes are atomic per call (pushes run in parallel)."""

    def __init__(self) -> None:
        self._devices: dict[str, Device] = {}
        self._lock = threading.RLock()

    def build(self, devices: dict[str, Device]) -> None:
        with self._lock:
            self._devices = dict(devices)

    def clear(self) -> None:
        self.build({})

    def device(self, node: str) -> Device | None:
        with self._lock:
            return self._devices.get(node)

    def _all(self) -> dict[str, _Parsed]:
        with self._lock:
            return {n: _read(d.running) for n, d in self._devices.items()}

    def _topology(self) -> _Topology:
        with self._lock:
            return _topology(tuple(sorted((n, d.running) for n, d in self._devices.items())))

    # ------------------------------------------------ what the network computes

    def ospf_neighbors(self, node: str) -> list[OspfNeighbor]:
        topo = self._topology()
        return [OspfNeighbor(topo.parsed[other].router_id, "Full", itf) for itf, other in topo.adjacent[node]]

    def routes(self, node: str) -> dict[str, str]:
        """{prefix: protocol}: connected prefixes, and the loopbacks of the devices reached over OSPFv3."""
        return self._topology().routes(node)

    def bgp_neighbors(self, node: str) -> list[BgpNeighbor]:
        topo = self._topology()
        parsed = topo.parsed
        me, routes = parsed[node], topo.routes(node)
        by_loopback = {p.loopback: n for n, p in parsed.items() if p.loopback}
        out = []
        for address, remote_as in sorted(me.bgp_peers.items()):
            peer = by_loopback.get(address)
            up = (peer is not None and f"{address}/128" in routes and me.loopback in parsed[peer].bgp_peers)
            out.append(BgpNeighbor(address, remote_as, "Established" if up else "Active", 0))
        return out

    def interfaces_ip(self, node: str) -> dict[str, dict[str, list[str]]]:
        p = self._all()[node]
        return {itf: {"ipv4": p.ipv4.get(itf, []), "ipv6": p.addresses.get(itf, [])}
                for itf in sorted(set(p.addresses) | set(p.ipv4))}

    def ping(self, node: str, source: str, destinations: list[str]) -> dict[str, bool]:
        routes = self.routes(node)
        mine = {a.split("/")[0] for addrs in self._all()[node].addresses.values() for a in addrs}
        return {d: source in mine and (d in mine or f"{d}/128" in routes) for d in destinations}


@dataclass
class _Topology:
    """The network computed from one set of running configs: who is adjacent to whom, on which interface."""

    parsed: dict[str, _Parsed]
    adjacent: dict[str, list[tuple[str, str]]]  # node -> [(its interface, neighbour node)], Full

    def routes(self, node: str) -> dict[str, str]:
        routes = {str(ipaddress.ip_interface(a).network): "connected"
                  for addrs in self.parsed[node].addresses.values() for a in addrs}
        seen, todo = {node}, [node]
        while todo:
            for _, other in self.adjacent[todo.pop()]:
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
                    if self.parsed[other].loopback:
                        routes.setdefault(f"{self.parsed[other].loopback}/128", "ospf6")
        return routes


@lru_cache(maxsize=64)
def _topology(configs: tuple[tuple[str, str], ...]) -> _Topology:
    """Adjacencies: both ends run ``ospf6 area`` (the same) on a link interface with addresses of one prefix,
    and both run an OSPFv3 process with a router id."""
    parsed = {node: _read(config) for node, config in configs}
    links: dict[tuple[ipaddress.IPv6Network | ipaddress.IPv4Network, str], list[tuple[str, str]]] = {}
    for node, p in parsed.items():
        if not p.router_id:
            continue
        for itf, area in p.ospf.items():
            if itf == "lo0":
                continue
            for a in p.addresses.get(itf, []):
                links.setdefault((ipaddress.ip_interface(a).network, area), []).append((node, itf))
    adjacent: dict[str, list[tuple[str, str]]] = {node: [] for node in parsed}
    for ends in links.values():
        for node, itf in ends:
            adjacent[node] += [(itf, other) for other, _ in ends if other != node]
    return _Topology(parsed, adjacent)


NETWORK = Network()
