"""Shapes of the migration step (迁移上云): settings, assessment, wave plan, journal, report.

Everything downstream of the inventory's ``System`` lives here; the inventory
model itself is not extended (fields it lacks, such as an owner contact, are
read from spreadsheets into ``SystemExtra``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# ---------------------------------------------------------------- settings


class ScoreWeights(BaseModel):
    """Weights of the difficulty score (0 easy .. 100 hard); they are normalised to sum to 100."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    size: float = Field(30, ge=0)  # data to copy, log scale: 1 GB ~ 0, 100 TB = full weight
    deps: float = Field(30, ge=0)  # dependencies + dependants: 10 or more = full weight
    level: float = Field(20, ge=0)  # 等保 level: 1 = 0, 4+ = full weight
    dr: float = Field(20, ge=0)  # required GB/T 20988 grade: 0 = 0, 6 = full weight

    @model_validator(mode="after")
    def _not_all_zero(self) -> ScoreWeights:
        if self.size + self.deps + self.level + self.dr <= 0:
            raise ValueError("at least one score weight must be positive")
        return self


class Sizing(BaseModel):
    """Cloud resources a migrated system needs when the inventory does not say (it records only data)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cores: int = Field(8, ge=0)
    ram_gb: int = Field(16, ge=0)
    instances: int = Field(4, ge=0)
    volumes: int = Field(4, ge=0)
    volume_headroom: float = Field(1.3, ge=1.0)  # volume_gb = data_gb x headroom, rounded up to 100 GB


class AssessSettings(BaseModel):
    """Parameters of the assessment; defaults are the issue's numbers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    as_of: date  # "today" for zombie detection (a flag, so results are reproducible)
    zombie_days: int = Field(365, ge=1)  # unused this long -> zombie candidate
    orphan_days: int = Field(180, ge=1)  # no dependants and unused this long -> zombie candidate
    weights: ScoreWeights = Field(default_factory=ScoreWeights)
    dr_standard: str = "GB/T 20988-2025"  # edition recorded with every DR grade
    # Extra keywords per industry sector; a department matches an industry platform when its
    # name contains the platform's sector or one of these keywords.
    sector_keywords: dict[str, list[str]] = Field(default_factory=lambda: dict(SECTOR_KEYWORDS))


SECTOR_KEYWORDS: dict[str, list[str]] = {
    "公安": ["公安"],
    "医保": ["医疗保障", "医保"],
    "卫生健康": ["卫生健康", "卫健", "卫生"],
    "人社": ["人力资源和社会保障", "人社"],
    "税务": ["税务"],
    "交通": ["交通运输", "交通"],
    "教育": ["教育"],
    "自然资源": ["自然资源", "国土"],
    "生态环境": ["生态环境", "环保"],
    "应急": ["应急管理", "应急"],
    "市场监管": ["市场监督管理", "市场监管"],
    "水利": ["水利"],
    "人力资源和社会保障": ["人社"],
    "医疗保障": ["医保"],
    "应急管理": ["应急"],
    "卫生": ["卫生健康", "卫健"],
}


class WaveSettings(BaseModel):
    """Limits of one wave and the transfer that bounds it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_per_wave: int = Field(20, ge=1)  # systems cut over in one wave
    window_hours: float = Field(8.0, gt=0)  # length of one cutover window
    rate_gbps: float = Field(10.0, gt=0)  # line rate between the old DC and the cloud (Guangdong: 10G)
    efficiency: float = Field(0.8, gt=0, le=1)  # share of the line rate a bulk copy really gets
    lookahead: int = Field(64, ge=1)  # harder-but-fitting units tried before a wave is closed
    start: date | None = None  # first wave's date (default: as_of + 7 days)
    every_days: int = Field(7, ge=1)  # one wave per this many days, moved out of change freezes
    sizing: Sizing = Field(default_factory=Sizing)

    @property
    def window_gb(self) -> float:
        """Data one window can copy: Gbit/s x efficiency x seconds / 8 bits per byte."""
        return self.rate_gbps * self.efficiency * self.window_hours * 3600 / 8


# ---------------------------------------------------------------- sources


@dataclass(frozen=True)
class SystemExtra:
    """What spreadsheets carry beyond the inventory's ``System`` (not in systems.yaml yet)."""

    owner: str | None = None  # responsible person / contact; "" means explicitly none
    users: int | None = None  # active users
    remarks: str | None = None  # the sheet's 备注 column: free text, carried to exports


# ---------------------------------------------------------------- assessment


class Placement(str, Enum):
    """Where a system goes, from its classification and 等保 level."""

    intranet = "intranet"  # 涉密: stays on the e-government intranet, never on the cloud
    off_shared_cloud = "off_shared_cloud"  # 等保 level 4+: not on the shared cloud
    strong_isolation = "strong_isolation"  # 敏感非涉密: strongly logically isolated plane
    standard = "standard"  # a standard tenant

    @property
    def on_cloud(self) -> bool:
        return self in (Placement.strong_isolation, Placement.standard)


class Disposition(str, Enum):
    """What the plan does with a system."""

    migrate = "migrate"  # planned into a wave
    done = "done"  # already migrated
    in_progress = "in_progress"  # migrating now
    retire = "retire"  # zombie candidate: retire rather than migrate
    retired = "retired"
    stays = "stays"  # intranet or off the shared cloud
    blocked = "blocked"  # no platform can take it (see reasons)


@dataclass(frozen=True, slots=True)
class DrGrade:
    grade: int  # 0 none .. 6
    rto_minutes: int
    rpo_minutes: int
    standard: str
    basis: str  # which objective set the grade


@dataclass(slots=True)
class SystemAssessment:
    id: str
    name: str
    department: str
    department_level: str
    classification: str
    security_level: int
    status: str  # effective status (inventory status, overlaid by the journal)
    placement: Placement
    platform: str | None
    platform_kind: str | None
    platform_reason: str
    dr: DrGrade
    depends_on: tuple[str, ...]
    dependants: tuple[str, ...]
    data_gb: float
    score: float
    score_parts: dict[str, float]
    zombie_reasons: tuple[str, ...]
    disposition: Disposition
    notes: tuple[str, ...] = ()
    owner: str | None = None
    kept_back: tuple[str, ...] = ()  # each reason the system is not planned into a wave (empty: it is)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "name": self.name, "department": self.department,
            "department_level": self.department_level, "classification": self.classification,
            "security_level": self.security_level, "status": self.status, "placement": self.placement.value,
            "platform": self.platform, "platform_kind": self.platform_kind, "platform_reason": self.platform_reason,
            "dr_grade": self.dr.grade, "dr_standard": self.dr.standard, "dr_basis": self.dr.basis,
            "rto_minutes": self.dr.rto_minutes, "rpo_minutes": self.dr.rpo_minutes,
            "depends_on": list(self.depends_on), "dependants": list(self.dependants), "data_gb": self.data_gb,
            "score": round(self.score, 2), "score_parts": {k: round(v, 2) for k, v in self.score_parts.items()},
            "zombie_reasons": list(self.zombie_reasons), "disposition": self.disposition.value,
            "notes": list(self.notes), "owner": self.owner, "kept_back": list(self.kept_back),
        }


@dataclass
class Assessment:
    inventory: str
    settings: AssessSettings
    systems: list[SystemAssessment]  # in source order
    cycles: list[list[str]]  # strongly connected components of 2+ systems, sorted
    warnings: list[str] = field(default_factory=list)
    _index: dict[str, SystemAssessment] | None = field(default=None, repr=False, compare=False)

    def by_id(self) -> dict[str, SystemAssessment]:
        if self._index is None or len(self._index) != len(self.systems):
            self._index = {s.id: s for s in self.systems}
        return self._index


# ---------------------------------------------------------------- waves


@dataclass(frozen=True, slots=True)
class QuotaDelta:
    cores: int = 0
    ram_gb: int = 0
    instances: int = 0
    volumes: int = 0
    volume_gb: int = 0

    def __add__(self, other: QuotaDelta) -> QuotaDelta:
        return QuotaDelta(self.cores + other.cores, self.ram_gb + other.ram_gb, self.instances + other.instances,
                          self.volumes + other.volumes, self.volume_gb + other.volume_gb)

    def as_dict(self) -> dict[str, int]:
        return {"cores": self.cores, "ram_gb": self.ram_gb, "instances": self.instances,
                "volumes": self.volumes, "volume_gb": self.volume_gb}


@dataclass(frozen=True, slots=True)
class TenantChange:
    """One tenant the wave needs: created, or an existing one with raised quotas/level/DR."""

    action: Literal["create", "update"]
    tenant: str
    platform: str
    department: str
    quota_increase: QuotaDelta
    security_level: int  # at least this (create: exactly this)
    isolation: str  # standard | strong
    classification: str  # unclassified | sensitive
    dr_grade: int  # at least this (0 when the platform cannot provide DR; see the wave's warnings)
    dr_rto_minutes: int
    dr_rpo_minutes: int
    systems: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"action": self.action, "tenant": self.tenant, "platform": self.platform,
                "department": self.department, "quota_increase": self.quota_increase.as_dict(),
                "security_level": self.security_level, "isolation": self.isolation,
                "classification": self.classification,
                "dr": {"grade": self.dr_grade, "rto_minutes": self.dr_rto_minutes,
                       "rpo_minutes": self.dr_rpo_minutes},
                "systems": list(self.systems)}


@dataclass(frozen=True, slots=True)
class WaveMove:
    system: str
    platform: str
    tenant: str
    data_gb: float
    score: float
    group: int  # SCC number: systems of one cycle share it


@dataclass
class Wave:
    number: int
    moves: list[WaveMove]  # in cutover order: dependencies first
    date: date | None = None
    changes: list[TenantChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def data_gb(self) -> float:
        return sum(m.data_gb for m in self.moves)

    def copy_hours(self, settings: WaveSettings) -> float:
        return self.data_gb * 8 / (settings.rate_gbps * settings.efficiency * 3600)


@dataclass
class WavePlan:
    inventory: str
    settings: WaveSettings
    assess_settings: AssessSettings
    waves: list[Wave]
    not_planned: dict[str, str]  # system -> why (stays, retire, done, blocked ...)
    _wave_of: dict[str, int] | None = field(default=None, repr=False, compare=False)

    def wave_of(self) -> dict[str, int]:
        """system -> its wave number (computed once; the plan is not changed after it is made)."""
        if self._wave_of is None:
            self._wave_of = {mv.system: w.number for w in self.waves for mv in w.moves}
        return self._wave_of


# ---------------------------------------------------------------- journal


class Event(str, Enum):
    started = "started"  # cutover begun: status migrating
    migrated = "migrated"  # running on the cloud: status migrated
    rolled_back = "rolled_back"  # back on the old platform: status legacy
    retired = "retired"  # switched off for good


EVENT_STATUS = {Event.started: "migrating", Event.migrated: "migrated", Event.rolled_back: "legacy",
                Event.retired: "retired"}


class JournalEntry(BaseModel):
    """One line of the migration journal (JSON Lines, append-only)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: datetime
    system: str
    event: Event
    wave: int | None = None
    platform: str | None = None
    by: str = ""
    note: str = ""


# ---------------------------------------------------------------- report


@dataclass(frozen=True, slots=True)
class Metric:
    key: str  # the Targets field it measures
    title: str
    done: int
    total: int
    target: float | None
    basis: str  # what was counted

    @property
    def share(self) -> float | None:
        return None if self.total == 0 else self.done / self.total

    @property
    def met(self) -> bool | None:
        if self.target is None or self.share is None:
            return None
        return self.share + 1e-9 >= self.target

    @property
    def gap(self) -> int:
        """How many more items must get there to meet the target."""
        if self.target is None or self.total == 0:
            return 0
        return max(0, math.ceil(self.target * self.total - 1e-9) - self.done)

    def as_dict(self) -> dict[str, object]:
        return {"key": self.key, "title": self.title, "done": self.done, "total": self.total,
                "share": None if self.share is None else round(self.share, 4), "target": self.target,
                "met": self.met, "gap": self.gap, "basis": self.basis}


@dataclass
class Report:
    inventory: str
    province: str
    plan: str
    target_year: int
    as_of: date
    metrics: list[Metric]
    statuses: dict[str, int]  # effective status -> systems

    def as_dict(self) -> dict[str, object]:
        return {"inventory": self.inventory, "province": self.province, "plan": self.plan,
                "target_year": self.target_year, "as_of": self.as_of.isoformat(),
                "metrics": [m.as_dict() for m in self.metrics], "systems_by_status": self.statuses}
