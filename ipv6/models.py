"""Shapes of an IPv6 plan."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import Enum


class Kind(str, Enum):
    province = "province"
    city = "city"
    county = "county"
    town = "town"
    platform = "platform"
    tenant = "tenant"
    subnet = "subnet"
    loopback = "loopback"
    p2p = "p2p"
    management = "management"


@dataclass(frozen=True)
class Allocation:
    """One prefix given to one thing. ``key`` names the thing and is what gets pinned on disk."""

    key: str
    kind: Kind
    prefix: str
    parent: str  # parent allocation key, or "pool:<use>" for top-level blocks
    pinned: bool  # already in ipv6-allocations.yaml

    @property
    def network(self) -> ipaddress.IPv6Network:
        return ipaddress.IPv6Network(self.prefix)


@dataclass
class Ipv6Plan:
    allocations: dict[str, Allocation] = field(default_factory=dict)
    stale: dict[str, str] = field(default_factory=dict)  # pinned keys whose object is gone (still reserved)

    @property
    def new(self) -> list[Allocation]:
        return [a for a in self.allocations.values() if not a.pinned]

    def of_kind(self, kind: Kind) -> list[Allocation]:
        return [a for a in self.allocations.values() if a.kind == kind]

    def pinned_map(self, prune: bool = False) -> dict[str, str]:
        """What ``--write`` persists: every allocation, plus stale ones unless pruned."""
        out = {k: a.prefix for k, a in self.allocations.items()}
        if not prune:
            out.update(self.stale)
        return dict(sorted(out.items()))

    # Lookups used by the cloud stacks and the network renderer.

    def subnet(self, platform: str, tenant: str, network: str) -> ipaddress.IPv6Network:
        return self.allocations[subnet_key(platform, tenant, network)].network

    def external(self, platform: str, network: str) -> ipaddress.IPv6Network:
        """The IPv6 subnet of one of the platform's external networks (by its Neutron name)."""
        return self.allocations[external_subnet_key(platform, network)].network

    def loopback(self, node: str) -> ipaddress.IPv6Address:
        return self.allocations[f"loopback/{node}"].network.network_address

    def management(self, node: str) -> ipaddress.IPv6Address:
        return self.allocations[f"mgmt/{node}"].network.network_address

    def p2p(self, a: str, b: str, nth: int = 1) -> tuple[ipaddress.IPv6Address, ipaddress.IPv6Address]:
        """Addresses of the nth link between a and b, in the order (a, b). RFC 6164: both /127 addresses used."""
        lo, hi = sorted((a, b))
        net = self.allocations[p2p_key(lo, hi, nth)].network
        first, second = net.network_address, net.network_address + 1
        return (first, second) if a == lo else (second, first)


def subnet_key(platform: str, tenant: str, network: str) -> str:
    return f"cloud/{platform}/{tenant}/{network}"


# The platform's external networks share one tenant-sized block beside its tenants' blocks. "external" is
# therefore not a tenant id (the planner refuses it); each network's /64 is keyed by its Neutron name.
EXTERNAL = "external"


def external_key(platform: str) -> str:
    return f"cloud/{platform}/{EXTERNAL}"


def external_subnet_key(platform: str, network: str) -> str:
    return f"{external_key(platform)}/{network}"


def p2p_key(a: str, b: str, nth: int) -> str:
    lo, hi = sorted((a, b))
    return f"p2p/{lo}--{hi}" + (f"#{nth}" if nth > 1 else "")
