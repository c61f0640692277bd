"""Shapes of the network step: device intent, rendered configs, push results, journal records, lab state.

Intent is platform-neutral (ports are numbered, not named); ``render`` turns it into
each vendor's syntax. Results and journal records are plain data so the CLI, the
Ansible module and the tests all read the same thing.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Literal

# OSPFv3 neighbour states (RFC 5340 after RFC 2328 10.1), as every platform's CLI names them
OSPF_STATES = frozenset({"Down", "Attempt", "Init", "2-Way", "ExStart", "Exchange", "Loading", "Full"})

# ---------------------------------------------------------------- intent


@dataclass(frozen=True)
class InterfaceIntent:
    """One layer-3 interface. ``port`` 0 is the loopback; 1.. are link ports in inventory link order."""

    port: int
    description: str
    ipv6: str | None = None  # "addr/len"
    ipv4: str | None = None  # "addr/len"
    ospf_area: str | None = None  # dotted area id; None: not in OSPFv3
    point_to_point: bool = False
    peer: str | None = None  # node id at the far end of a link
    peer_ipv6: str | None = None  # far end's address (no length)

    @property
    def loopback(self) -> bool:
        return self.port == 0


@dataclass(frozen=True)
class OspfIntent:
    process: int
    router_id: str
    areas: tuple[str, ...]
    hello: int = 10
    dead: int = 40


@dataclass(frozen=True)
class BgpPeer:
    """An iBGP session between loopbacks (route reflector design)."""

    address: str
    remote_as: int
    description: str
    reflector_client: bool = False  # we are its route reflector
    import_filter: str | None = None  # prefix-list applied inbound


@dataclass(frozen=True)
class CarrierGroup:
    """Multi-line Internet egress: one eBGP peer group per carrier, exporting only what this level may announce."""

    name: str
    description: str
    remote_as: int
    export_filter: str


@dataclass(frozen=True)
class BgpIntent:
    asn: int
    router_id: str
    peers: tuple[BgpPeer, ...]
    networks: tuple[str, ...]  # IPv6 prefixes announced (each has a discard route)
    carriers: tuple[CarrierGroup, ...] = ()
    connect_retry: int | None = None
    timers: tuple[int, int] | None = None  # keepalive, hold


@dataclass(frozen=True)
class PrefixEntry:
    seq: int
    action: Literal["permit", "deny"]
    prefix: str
    le: int | None = None

    @property
    def address(self) -> str:
        return self.prefix.split("/")[0]

    @property
    def length(self) -> int:
        return int(self.prefix.split("/")[1])


@dataclass(frozen=True)
class PrefixList:
    name: str
    description: str
    entries: tuple[PrefixEntry, ...]


@dataclass(frozen=True)
class DeviceIntent:
    """Everything one node should be configured with, before any vendor syntax."""

    node: str
    platform: str
    tier: str
    role: str
    division: str
    interfaces: tuple[InterfaceIntent, ...]
    ospf: OspfIntent | None
    bgp: BgpIntent | None
    prefix_lists: tuple[PrefixList, ...] = ()
    discard_routes: tuple[str, ...] = ()  # IPv6 prefixes pinned to Null0 so BGP can announce them
    stage: Literal["ipv4", "dual-stack"] = "dual-stack"

    @property
    def loopback(self) -> InterfaceIntent:
        return self.interfaces[0]

    @property
    def links(self) -> tuple[InterfaceIntent, ...]:
        return self.interfaces[1:]


@dataclass(frozen=True)
class RenderedConfig:
    node: str
    platform: str
    text: str
    features: tuple[str, ...]


# ---------------------------------------------------------------- device access


@dataclass(frozen=True)
class Credentials:
    """Resolved secrets. ``repr`` never shows them."""

    username: str
    password: str | None = field(default=None, repr=False)
    key_file: str | None = None


@dataclass(frozen=True)
class DeviceTarget:
    """Where and how to reach one device (from the inventory, or the lab's overlay)."""

    node: str
    platform: str  # driver name
    host: str
    port: int = 22
    username: str = "govctl"
    credentials: str = ""  # a reference (env:VAR, file:path), never the secret
    known_hosts: str | None = None  # None: the user's ~/.ssh/known_hosts
    host_key: str | None = None  # a pinned server key, "ssh-ed25519 AAAA...", trusted besides known_hosts
    tier: str = "town"
    role: str = "access"
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- getters (NAPALM-shaped)


@dataclass(frozen=True)
class OspfNeighbor:
    router_id: str
    state: str  # "Full", "Init", ...
    interface: str


@dataclass(frozen=True)
class BgpNeighbor:
    address: str
    remote_as: int
    state: str  # "Established", ...
    prefixes_received: int


# ---------------------------------------------------------------- push


class Status(str, Enum):
    changed = "changed"
    unchanged = "unchanged"
    would_change = "would-change"  # dry run
    failed = "failed"  # failed before commit: the device was left as it was
    verified = "verified"  # net verify: every check passed
    rolled_back = "rolled-back"  # committed, failed verification, restored exactly
    rollback_failed = "rollback-failed"  # the worst case: needs a human
    skipped = "skipped"  # not attempted (batch stop)


FAILED_STATES = {Status.failed, Status.rolled_back, Status.rollback_failed}


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class DeviceResult:
    node: str
    status: Status
    batch: int = 0
    diff: str = ""
    error: str = ""
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATES

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status.value
        return d


@dataclass
class RunResult:
    run_id: str
    results: list[DeviceResult]
    stopped: str = ""  # why the run stopped early, if it did
    seconds: float = 0.0
    batch_seconds: list[float] = field(default_factory=list)

    @property
    def failed_hosts(self) -> list[str]:
        return [r.node for r in self.results if r.failed]

    @property
    def failed(self) -> bool:
        return bool(self.failed_hosts) or bool(self.stopped)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.status.value] = out.get(r.status.value, 0) + 1
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "stopped": self.stopped, "seconds": round(self.seconds, 3),
                "batch_seconds": [round(s, 3) for s in self.batch_seconds], "counts": self.counts(),
                "results": [r.as_dict() for r in self.results]}


@dataclass(frozen=True)
class PushPolicy:
    """How a rollout proceeds: canary, then tiers, in bounded parallel batches."""

    parallel: int = 10
    canary: int = 1
    max_fail_share: float = 0.2  # stop when more than this share of a batch fails
    batch_size: int = 0  # 0: a whole tier per batch
    verify_timeout: float = 60.0
    dry_run: bool = False
    # open the next batch's sessions, read and diff them while the current batch commits and verifies
    prefetch: bool = True


# ---------------------------------------------------------------- lab


@dataclass
class LabNode:
    node: str
    netns: str
    mgmt: str  # IPv6 address on the lab's management bridge
    pathspace: str  # FRR -N name
    pids: dict[str, int] = field(default_factory=dict)
    ports: dict[int, str] = field(default_factory=dict)  # port -> interface name inside the netns


@dataclass
class LabState:
    """What ``lab up`` created, so ``lab down`` removes exactly that."""

    inventory: str  # absolute path of the inventory directory
    name: str
    directory: str
    bridge: str
    bridge_address: str
    prefix: str  # management /64
    nodes: list[LabNode]
    links: list[tuple[str, str]]  # veth pairs created in the root namespace (name, peer) before moving
    created_dirs: list[str]
    started: float
    ipv4_links: dict[str, str]  # p2p key -> IPv4 /31 the lab gave a link
    ipv4_loopbacks: dict[str, str]
    ospf_hello: int = 1
    ospf_dead: int = 4
    root_links: list[str] = field(default_factory=list)  # lab interfaces in the root namespace
    unused_address: str = ""  # on the management /64, never assigned: what "an unreachable device" dials
    ipv4_unnumbered: bool = False  # IPv4 links borrow the loopback /32 (a lab over 128 links; topology)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LabState:
        d = dict(d)
        d["nodes"] = [LabNode(**{**n, "ports": {int(k): v for k, v in n["ports"].items()}}) for n in d["nodes"]]
        d["links"] = [tuple(x) for x in d["links"]]
        return cls(**d)
