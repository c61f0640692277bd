"""Shapes of a dedicated-network cutover: settings, the VPN on each PE, steps, checks, the plan, journal records.

Everything here is plain data so the CLI, the document, the lab runner, the Ansible
module and the tests read the same thing.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Literal

from govctl.network.platforms import PLATFORMS

# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class CutoverSettings:
    """Policy choices of the planner; the defaults are this project's conventions, not laws of nature.

    The inventory has no port map and no PE-CE link addressing yet, so access links are
    sub-interfaces of one access port per PE (VLAN derived from the RD's number) and
    PE-CE addresses come from two lab-safe pools that must not overlap the IPv6 plan.
    """

    # each platform's port 10 (network.platforms: its port naming)
    access_port: dict[str, str] = field(default_factory=lambda: {
        name: p.port_name(10) for name, p in PLATFORMS.items()})
    pe_ce_ipv4_pool: str = "203.0.113.96/27"  # /31 per access link
    pe_ce_ipv6_pool: str = "2001:db8:fffc::/48"  # /127 per access link (RFC 6164)
    demand_mbps_per_site: int = 100  # what one department site needs on the PE's uplinks
    internet_rt: str = "{asn}:1000"  # RT of the Internet access zone's default route (access types B/D)
    observation_minutes: int = 30  # watch time between the last post-check and the point of no return
    minutes: dict[str, int] = field(default_factory=lambda: {
        "precheck": 10, "baseline": 5, "vpn_instance": 5, "isolation": 5, "bgp_vpn": 5, "access": 5,
        "vpn_routing": 5, "cloud": 5, "circuit": 10, "converge": 5, "swing": 5, "postcheck": 10, "teardown": 20,
        "carrier": 30,
    })
    pe_tiers: tuple[str, ...] = ("province", "city")  # a PE: tier province/city ...
    pe_roles: tuple[str, ...] = ("core", "aggregation")  # ... and role core/aggregation


# ---------------------------------------------------------------- what goes on the devices


@dataclass(frozen=True)
class AccessLink:
    """One PE-CE link inside the VPN: a department site's circuit, or the cloud platform's border."""

    kind: Literal["site", "cloud"]
    name: str  # site name, or the cloud platform id
    pe: str
    interface: str  # vendor name of the sub-interface on the PE
    vlan: int
    pe_ipv4: str  # "addr/31"
    ce_ipv4: str  # "addr" (no length)
    pe_ipv6: str  # "addr/127"
    ce_ipv6: str
    prefixes: tuple[str, ...]  # what the VPN routes through this link (site prefixes or tenant subnets)
    description: str = ""


@dataclass(frozen=True)
class VpnPe:
    """The department VPN on one PE, in platform-neutral terms."""

    node: str
    platform: str
    role: Literal["access", "cloud"]
    asn: int
    router_id: str
    vpn: str
    rd: str
    rt_export: tuple[str, ...]
    rt_import: tuple[str, ...]
    links: tuple[AccessLink, ...]
    peers: tuple[str, ...]  # loopbacks of the other PEs carrying this VPN (VPNv4/VPNv6)
    keep_vpn_peers: bool  # other VPNs already use the VPNv4/VPNv6 sessions: rollback must not remove them
    acl_number: int
    own_egress: bool  # access type E/C: default route towards the department's own egress
    egress_next_hops: tuple[str, str] | None  # (ipv4, ipv6) of the CE holding the department's egress
    allowed_v4: tuple[str, ...]  # every prefix the VPN may carry (import policy)
    allowed_v6: tuple[str, ...]
    sources_v4: tuple[str, ...]  # sources accepted on the access links (anti-spoofing ACL)
    sources_v6: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Rendered:
    """One feature's configuration for one device, with its exact reversal."""

    node: str
    platform: str
    feature: str
    apply: str
    rollback: str


# ---------------------------------------------------------------- steps and checks


class Phase(str, Enum):
    precheck = "precheck"
    prepare = "prepare"  # harmless before the swing: VPN, filters, routing, the new circuits beside the old line
    swing = "swing"  # a site's traffic moves to its new circuit (make before break: the old line stays up)
    verify = "verify"
    observe = "observe"
    teardown = "teardown"  # after the point of no return


@dataclass(frozen=True)
class Step:
    id: str
    phase: Phase
    title_en: str
    title_zh: str
    owner: str  # who does it (role), shown in the document
    minutes: int  # estimate
    node: str | None = None  # device touched (None: manual or a check)
    features: tuple[str, ...] = ()  # template features pushed on ``node`` (rollback steps: undone)
    manual: bool = False  # done by a person (department, carrier), confirmed in the journal

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["phase"] = self.phase.value
        return d


@dataclass(frozen=True)
class Probe:
    """A reachability probe: from a department site / another department / the public zone, to a prefix."""

    id: str
    source: str  # "site:<name>", "cloud:<tenant>/<net>", "other:<vpn>", "public"
    target: str  # "site:<name>", "cloud:<tenant>/<net>", "circuit:<site>" (the PE end of its new circuit)
    target_prefix: str
    expect: bool  # True: must reach; False: must not reach
    title_en: str
    title_zh: str


@dataclass(frozen=True)
class CheckResult:
    """A pre-check evaluated from the inventory at plan time."""

    id: str
    title_en: str
    title_zh: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Contact:
    role_en: str
    role_zh: str
    who: str


@dataclass(frozen=True)
class CutoverPlan:
    """The whole change, computed from the inventory; ``changes`` hold every device's config and reversal."""

    network: str
    name: str
    department: str
    department_name: str
    classification: str
    access_type: str
    vpn: str
    rd: str
    attached_at: str
    old_path_node: str | None  # the extranet node the old path hangs on, if any
    window_start: datetime | None
    window_end: datetime | None
    sites: tuple[tuple[str, str, tuple[str, ...]], ...]  # (name, division, prefixes)
    tenants: tuple[tuple[str, str, str, str], ...]  # (tenant, network, ipv4, ipv6)
    pes: tuple[VpnPe, ...]
    changes: tuple[Rendered, ...]
    prechecks: tuple[CheckResult, ...]
    baseline: tuple[Probe, ...]  # before: must hold over the old path (and be restored by a rollback)
    postchecks: tuple[Probe, ...]  # after: must hold over the extranet
    # before any traffic moves (step ``converge``): each site reaches its PE over its new circuit
    readiness: tuple[Probe, ...]
    steps: tuple[Step, ...]
    rollback: tuple[Step, ...]
    point_of_no_return: str  # id of the first step that cannot be rolled back
    contacts: tuple[Contact, ...]
    other_vpns: tuple[str, ...]  # VPNs already on the touched PEs: "nothing else changed" compares them
    warnings: tuple[str, ...] = ()

    @property
    def minutes(self) -> int:
        return sum(s.minutes for s in self.steps)

    @property
    def minutes_to_no_return(self) -> int:
        total = 0
        for s in self.steps:
            if s.id == self.point_of_no_return:
                break
            total += s.minutes
        return total

    @property
    def touched_nodes(self) -> list[str]:
        return sorted({c.node for c in self.changes})

    def change(self, node: str, feature: str) -> Rendered:
        for c in self.changes:
            if c.node == node and c.feature == feature:
                return c
        raise KeyError(f"{node}/{feature}")

    def step(self, step_id: str) -> Step:
        for s in (*self.steps, *self.rollback):
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("steps", "rollback"):
            d[key] = [s.as_dict() for s in getattr(self, key)]
        d["window_start"] = self.window_start.isoformat() if self.window_start else None
        d["window_end"] = self.window_end.isoformat() if self.window_end else None
        d["minutes"] = self.minutes
        d["minutes_to_no_return"] = self.minutes_to_no_return
        return d


# ---------------------------------------------------------------- the journal


@dataclass(frozen=True)
class JournalRecord:
    """One line of a run's journal (JSON lines, fsync'd): what happened, when, how long it took."""

    run: str
    seq: int
    at: str  # ISO time
    event: Literal["start", "step", "check", "rollback", "end", "note", "commit"]  # commit: a device's intent/outcome
    step: str | None = None
    status: Literal["begin", "done", "failed", "skipped", "ok", "intent"] | None = None
    seconds: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
