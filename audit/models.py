"""Shapes of the live-cloud step: how the model meets one real cloud, and what seeding and auditing found."""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any, Literal

from govctl.inventory.rules import MANAGEMENT_PORTS  # noqa: F401 - one list for validate, plan policies and audit

WORLD = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class Profile:
    """What differs between the model's names and one cloud's: region and physical-network names.

    ``regions`` maps model region names (glob patterns allowed, e.g. ``*``) to live regions, so a one-region
    lab can stand in for a three-centre platform. ``physnets`` does the same for provider networks.
    ``az_hints`` False drops availability-zone hints (a cloud whose Neutron cannot validate them).
    """

    regions: tuple[tuple[str, str], ...] = ()
    physnets: tuple[tuple[str, str], ...] = ()
    az_hints: bool = True

    def region(self, model_region: str | None) -> str | None:
        return _lookup(self.regions, model_region)

    def physnet(self, model_physnet: str | None) -> str | None:
        return _lookup(self.physnets, model_physnet)

    @classmethod
    def parse(cls, regions: list[str] | None = None, physnets: list[str] | None = None,
              az_hints: bool = True) -> Profile:
        """From ``MODEL=LIVE`` strings; raises ValueError naming the bad entry."""
        return cls(tuple(_pair(x, "--region") for x in regions or ()),
                   tuple(_pair(x, "--physnet") for x in physnets or ()), az_hints)


def _pair(text: str, flag: str) -> tuple[str, str]:
    model, sep, live = text.partition("=")
    if not sep or not model.strip() or not live.strip():
        raise ValueError(f"{flag}: expected MODEL=LIVE (e.g. '*=RegionOne'), got '{text}'")
    return model.strip(), live.strip()


def _lookup(pairs: tuple[tuple[str, str], ...], name: str | None) -> str | None:
    if name is None:
        return None
    for pattern, live in pairs:
        if fnmatch.fnmatchcase(name, pattern):
            return live
    return name


FindingClass = Literal["missing", "drifted", "violation", "unverifiable"]


@dataclass(frozen=True)
class Finding:
    """One difference between the live cloud and the model, named so an operator can find it."""

    cls: FindingClass
    rule: str  # "missing", "drift", or a rule id such as "mgmt-port-open"
    platform: str
    resource: str  # engine URN (model resources) or "<type> <live id>" (unmanaged ones)
    type: str
    tenant: str | None
    message: str
    fields: tuple[tuple[str, Any, Any], ...] = ()  # (api field, model value, live value)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"class": self.cls, "rule": self.rule, "platform": self.platform,
                             "resource": self.resource, "type": self.type, "tenant": self.tenant,
                             "message": self.message}
        if self.fields:
            d["fields"] = [{"field": f, "model": m, "live": lv} for f, m, lv in self.fields]
        return d


@dataclass
class AuditReport:
    cloud: str
    platforms: list[str]
    findings: list[Finding]
    resources: int  # model resources compared
    matched: int
    api_calls: int
    seconds: float
    live_objects: int = 0

    def of(self, cls: FindingClass) -> list[Finding]:
        return [f for f in self.findings if f.cls == cls]

    @property
    def in_sync(self) -> bool:
        return not any(f.cls in ("missing", "drifted", "violation") for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {"cloud": self.cloud, "platforms": self.platforms, "in_sync": self.in_sync,
                "summary": {c: len(self.of(c)) for c in ("missing", "drifted", "violation", "unverifiable")},
                "resources": self.resources, "matched": self.matched, "live_objects": self.live_objects,
                "api_calls": self.api_calls, "seconds": round(self.seconds, 3),
                "findings": [f.as_dict() for f in self.findings]}


@dataclass(frozen=True)
class Outcome:
    """What the cloud answered to one resource of the graph."""

    urn: str
    type: str
    status: Literal["created", "rejected", "skipped", "unserved", "deleted", "delete-failed"]
    id: str | None = None
    message: str = ""


@dataclass
class SeedResult:
    outcomes: list[Outcome] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # URN -> live id
    api_calls: int = 0
    seconds: float = 0.0

    def with_status(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def rejected(self) -> list[Outcome]:
        return self.with_status("rejected")
