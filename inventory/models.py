"""Typed model of a province's inventory: the one shape every later step reads.

Two layers live here: the *file* models (exactly what a user may write in each
YAML file, compact forms included) and the *expanded* model (``Inventory``)
where compact forms such as "12 towns in this county" or "these departments in
every municipal cloud" have been turned into plain objects.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag

from govctl.core.platforms import names as platform_names

# ---------------------------------------------------------------- scalars

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _check_id(v: str) -> str:
    if not _ID.match(v):
        raise ValueError("an id is lower-case letters, digits, '-' or '_', starting with a letter or digit")
    return v


def _check_prefix(v: str) -> str:
    try:
        net = ipaddress.ip_network(v, strict=True)
    except ValueError as exc:
        raise ValueError(f"not a valid prefix with host bits zero ({exc})") from None
    return str(net)


def _check_address(v: str) -> str:
    try:
        return str(ipaddress.ip_address(v))
    except ValueError:
        raise ValueError("not a valid IPv4 or IPv6 address") from None


def _version(v: int) -> Callable[[str], str]:
    def check(p: str) -> str:
        if ipaddress.ip_network(p).version != v:
            raise ValueError(f"expected an IPv{v} prefix")
        return p

    return check


Id = Annotated[str, AfterValidator(_check_id)]
Prefix = Annotated[str, AfterValidator(_check_prefix)]
IPv4Prefix = Annotated[str, AfterValidator(_check_prefix), AfterValidator(_version(4))]
IPv6Prefix = Annotated[str, AfterValidator(_check_prefix), AfterValidator(_version(6))]
Address = Annotated[str, AfterValidator(_check_address)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Level = Annotated[int, Field(ge=1, le=5)]  # 等保 level (GB/T 22239-2019 grades 1-5)


def _shape(v: object) -> str:
    return "list" if isinstance(v, list) else "other"


CitySelection = Annotated[
    Annotated[list[Id], Tag("list")] | Annotated[Literal["all"], Tag("other")],
    Discriminator(_shape),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Tier(str, Enum):
    province = "province"
    city = "city"
    county = "county"
    town = "town"

    @property
    def depth(self) -> int:
        return ["province", "city", "county", "town"].index(self.value)


class Classification(str, Enum):
    unclassified = "unclassified"  # 非涉密
    sensitive = "sensitive"  # 敏感非涉密: strong isolation plane
    classified = "classified"  # 涉密: never on the extranet cloud


# ---------------------------------------------------------------- province.yaml


class TownCount(_Strict):
    """Compact form: ``towns: {count: 14}`` makes town01 .. town14."""

    count: int = Field(ge=0, le=999)
    name_prefix: str = "乡镇"


class Town(_Strict):
    id: Id
    name: str


class County(_Strict):
    id: Id
    name: str
    towns: Annotated[
        Annotated[list[Town], Tag("list")] | Annotated[TownCount, Tag("other")],
        Discriminator(_shape),
    ] = Field(default_factory=list)


class City(_Strict):
    id: Id
    name: str
    counties: list[County] = Field(default_factory=list)
    # Cities without counties (东莞, 中山; Hubei's 仙桃, 潜江, 天门) govern towns directly.
    towns: Annotated[
        Annotated[list[Town], Tag("list")] | Annotated[TownCount, Tag("other")],
        Discriminator(_shape),
    ] = Field(default_factory=list)


class Targets(_Strict):
    """The plan's targets, as shares between 0 and 1, and the year they are due."""

    year: int = Field(ge=2000, le=2100)
    dedicated_networks_integrated: Share | None = None
    provincial_departments_on_cloud: Share | None = None
    city_departments_on_cloud: Share | None = None
    systems_on_cloud: Share | None = None
    extranet_nodes_ipv6: Share | None = None
    tenant_networks_ipv6: Share | None = None
    extranet_tier_connectivity: Share | None = None
    internet_egress_consolidated: Share | None = None


class ChangeFreeze(_Strict):
    """封网: no cutover runs between start and end."""

    name: str
    start: datetime
    end: datetime
    reason: str = ""


class RuleSettings(_Strict):
    """Parameters of the plans' rules; defaults are the seeds' numbers."""

    dr_min_distance_km: float = Field(200.0, gt=0)
    require_same_city: bool = True  # False where the plan has no same-city centre (e.g. Guangxi)
    same_city_min_dr_grade: int = Field(5, ge=1, le=6)  # GB/T 20988 grades 5-6 need the active-active pair
    dr_min_links: int = Field(2, ge=1)
    dr_min_link_gbps: float = Field(10.0, gt=0)
    tier_bandwidth_mbps: dict[Tier, Annotated[int, Field(gt=0)]] = Field(
        default_factory=lambda: {Tier.city: 10_000, Tier.county: 1_000, Tier.town: 100}
    )
    dual_uplink_tiers: list[Tier] = Field(default_factory=lambda: [Tier.city, Tier.county])
    egress_levels: list[Tier] = Field(default_factory=lambda: [Tier.province])
    min_province_carriers: int = Field(2, ge=1)
    disabled: list[str] = Field(default_factory=list)


class ProvinceFile(_Strict):
    id: Id
    name: str
    plan: str = ""  # the plan this inventory implements, e.g. "广东省数字政府建设总体规划(2018-2020年)"
    cities: list[City]
    targets: Targets
    change_freezes: list[ChangeFreeze] = Field(default_factory=list)
    rules: RuleSettings = Field(default_factory=RuleSettings)


# ---------------------------------------------------------------- sites.yaml


class SiteRole(str, Enum):
    primary = "primary"
    same_city = "same_city"
    remote_dr = "remote_dr"
    regional = "regional"  # a municipal/prefecture DC, no DR role of its own


class Site(_Strict):
    id: Id
    name: str
    city: Id  # a city id from province.yaml
    role: SiteRole
    operator: str = ""  # who runs the DC (a carrier, 数字广东, ...), where the plan says
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class SiteLink(_Strict):
    a: Id
    b: Id
    count: int = Field(ge=1)
    gbps: float = Field(gt=0)


class SitesFile(_Strict):
    sites: list[Site]
    links: list[SiteLink] = Field(default_factory=list)


# ---------------------------------------------------------------- clouds.yaml


class PlatformKind(str, Enum):
    provincial = "provincial"
    industry = "industry"
    municipal = "municipal"


class Region(_Strict):
    name: str
    site: Id
    availability_zones: list[str] = Field(min_length=1)


class OpenStackEndpoint(_Strict):
    auth_url: str = Field(pattern=r"^https?://")
    domain: str = "Default"
    regions: list[Region] = Field(min_length=1)


class Platform(_Strict):
    id: Id
    name: str
    kind: PlatformKind
    city: Id | None = None  # municipal platforms: the city they serve
    sector: str | None = None  # industry platforms: the sector (公安, 医保, ...)
    security_level: Level  # the platform's 等保 level
    openstack: OpenStackEndpoint
    federates_with: list[Id] = Field(default_factory=list)
    external_ipv4: IPv4Prefix | None = None  # extranet-facing floating-IP range
    strong_isolation_ipv4: IPv4Prefix | None = None  # external range of the strong isolation plane


class CloudsFile(_Strict):
    platforms: list[Platform]


# ---------------------------------------------------------------- departments.yaml / tenants.yaml


class Department(_Strict):
    id: Id
    name: str
    level: Tier
    city: Id | None = None  # city and county departments: where they sit
    county: Id | None = None


class DepartmentTemplate(_Strict):
    id: Id  # suffix; the department id becomes "<city>-<id>"
    name: str  # suffix; the name becomes "<city name><name>"


class DepartmentSet(_Strict):
    """The same departments in every city (or a listed few)."""

    level: Literal[Tier.city] = Tier.city
    cities: CitySelection = "all"
    departments: list[DepartmentTemplate] = Field(min_length=1)


class DepartmentsFile(_Strict):
    departments: list[Department] = Field(default_factory=list)
    department_sets: list[DepartmentSet] = Field(default_factory=list)


class Isolation(str, Enum):
    standard = "standard"
    strong = "strong"  # the strongly logically isolated plane (sensitive, non-classified)
    dedicated_hosts = "dedicated_hosts"


class AccessType(str, Enum):
    """Department extranet access types (DB34/T 3607-2020)."""

    A = "A"  # public zone only
    B = "B"  # public zone + shared Internet egress
    C = "C"  # public zone + own Internet egress
    D = "D"  # public + private zone + shared egress
    E = "E"  # public + private zone + own egress
    F = "F"  # through a government campus network


class Quotas(_Strict):
    cores: int = Field(20, ge=0)
    ram_gb: int = Field(50, ge=0)
    instances: int = Field(10, ge=0)
    volumes: int = Field(10, ge=0)
    volume_gb: int = Field(1000, ge=0)
    networks: int = Field(10, ge=0)
    subnets: int = Field(20, ge=0)
    routers: int = Field(2, ge=0)
    floating_ips: int = Field(5, ge=0)
    security_groups: int = Field(10, ge=0)
    security_group_rules: int = Field(100, ge=0)


class TenantNetwork(_Strict):
    name: Id
    ipv4: IPv4Prefix
    ipv6: bool = True  # False: not yet dual-stack (reported as a warning)
    # Behind its own tenant router a tenant may reuse private ranges; a network
    # announced into a shared domain (e.g. "extranet") must be unique there.
    routing_domain: str | None = None


class IngressRule(_Strict):
    """Allowed inbound traffic; everything else is denied."""

    protocol: Literal["tcp", "udp", "icmp", "icmpv6"]
    ports: str | None = Field(None, pattern=r"^\d{1,5}(-\d{1,5})?$")
    source: Prefix
    description: str = ""


class DisasterRecovery(_Strict):
    """GB/T 20988 disaster-recovery grade and its objectives."""

    grade: int = Field(ge=0, le=6)  # 0: none
    rto_minutes: int = Field(ge=0)
    rpo_minutes: int = Field(ge=0)
    standard: str = "GB/T 20988-2025"


class TenantBody(_Strict):
    security_level: Level = 2
    classification: Classification = Classification.unclassified
    isolation: Isolation = Isolation.standard
    quotas: Quotas = Field(default_factory=Quotas)
    networks: list[TenantNetwork] = Field(default_factory=list)
    ingress: list[IngressRule] = Field(default_factory=list)
    dr: DisasterRecovery = Field(default_factory=lambda: DisasterRecovery(grade=0, rto_minutes=0, rpo_minutes=0))
    access_type: AccessType = AccessType.A
    shared_with: list[Id] = Field(default_factory=list)  # tenants its networks are shared with (RBAC)


class Tenant(TenantBody):
    id: Id
    department: Id
    platform: Id


class TenantSet(_Strict):
    """One tenant per listed department suffix on every platform of a kind.

    Tenant ids become "<platform>-<department suffix>", and the department is
    "<platform's city>-<suffix>" for municipal platforms.
    """

    platform_kind: PlatformKind
    departments: list[Id] = Field(min_length=1)
    template: TenantBody = Field(default_factory=TenantBody)


class TenantsFile(_Strict):
    tenants: list[Tenant] = Field(default_factory=list)
    tenant_sets: list[TenantSet] = Field(default_factory=list)


# ---------------------------------------------------------------- extranet.yaml


# A node's platform: one member per platform folder (core.platforms finds them, network.platforms loads their
# records), so a platform is registered once, by its folder. A name no folder has is refused naming the allowed
# ones, as for any enum; `govctl schema` lists them.
DevicePlatform = Enum(  # type: ignore[misc]  # the members are the folders found, not literals
    "DevicePlatform", [(name, name) for name in platform_names()], type=str, module=__name__)


class NodeRole(str, Enum):
    core = "core"
    aggregation = "aggregation"
    access = "access"
    egress = "egress"


_CRED = re.compile(r"^(env|vault|file|ansible-vault):[A-Za-z0-9_./:-]+$")


def _check_credentials(v: str) -> str:
    if not _CRED.match(v):
        raise ValueError(
            "a credentials reference is 'env:VAR', 'vault:path', 'file:path' or 'ansible-vault:name', "
            "never the secret itself"
        )
    return v


CredentialsRef = Annotated[str, AfterValidator(_check_credentials)]


class NodeBody(_Strict):
    platform: DevicePlatform
    role: NodeRole = NodeRole.access
    credentials: CredentialsRef
    ipv6: bool = True  # False: the node is not yet dual-stack
    site: Id | None = None
    asn: int | None = Field(None, ge=1, le=4_294_967_295)


class Node(NodeBody):
    id: Id
    tier: Tier
    division: str = ""  # "" province, "city", "city/county", "city/county/town"
    mgmt: Address | None = None  # None: allocated from the plan's management pool
    loopback_ipv4: Address | None = None


class NodeGroup(_Strict):
    """Compact form: ``count`` nodes in every division of ``tier``.

    Node ids are "<division path with '-'>-<id_suffix><n>"; each node gets
    ``uplinks`` links to the nodes of its parent division (dual links: 2).
    """

    tier: Tier
    id_suffix: Id = "r"
    count: int = Field(1, ge=1, le=8)
    uplinks: int = Field(1, ge=0, le=4)
    uplink_mbps: int | None = Field(None, gt=0)  # default: the tier's bandwidth from the rules
    cities: CitySelection = "all"
    body: NodeBody


class Link(_Strict):
    a: Id
    b: Id
    mbps: int = Field(gt=0)
    ipv4: IPv4Prefix | None = None  # /30 or /31 on the link, if dual-stack already planned


class Carrier(_Strict):
    name: str
    asn: int = Field(ge=1, le=4_294_967_295)
    mbps: int = Field(gt=0)


class Egress(_Strict):
    """An Internet egress point of one government level."""

    id: Id
    level: Tier
    division: str = ""
    node: Id
    carriers: list[Carrier] = Field(min_length=1)
    announce_ipv6: list[IPv6Prefix] = Field(default_factory=list)
    announce_ipv4: list[IPv4Prefix] = Field(default_factory=list)


class ExtranetFile(_Strict):
    asn: int = Field(ge=1, le=4_294_967_295)  # the extranet's own (private or public) AS
    nodes: list[Node] = Field(default_factory=list)
    node_groups: list[NodeGroup] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    egress: list[Egress] = Field(default_factory=list)


# ---------------------------------------------------------------- ipv6.yaml


class PoolUse(str, Enum):
    extranet = "extranet"  # province -> city -> county -> town
    cloud = "cloud"  # platform -> tenant -> subnet
    loopbacks = "loopbacks"
    p2p = "p2p"
    management = "management"


class Pool(_Strict):
    use: PoolUse
    prefix: Prefix


class PrefixLengths(_Strict):
    province: int = Field(40, ge=16, le=64)
    city: int = Field(40, ge=16, le=64)
    county: int = Field(44, ge=16, le=64)
    town: int = Field(52, ge=16, le=64)
    platform: int = Field(40, ge=16, le=64)
    tenant: int = Field(48, ge=16, le=64)
    subnet: int = Field(64, ge=48, le=64)
    loopback: Literal[128] = 128
    p2p: Literal[127] = 127  # RFC 6164
    management: Literal[128] = 128


class Ipv6File(_Strict):
    pools: list[Pool] = Field(min_length=1)
    lengths: PrefixLengths = Field(default_factory=PrefixLengths)


class AllocationsFile(_Strict):
    """Written only by ``govctl ipv6 plan --write``: pins every allocation so nothing renumbers."""

    allocations: dict[str, IPv6Prefix] = Field(default_factory=dict)


# ---------------------------------------------------------------- dedicated_networks.yaml


class DeptSite(_Strict):
    name: str
    division: str  # "city" or "city/county"
    prefixes: list[Prefix] = Field(min_length=1)


class Window(_Strict):
    start: datetime
    end: datetime


class DedicatedNetwork(_Strict):
    """专网: a department's own network awaiting cutover onto the extranet."""

    id: Id
    name: str
    department: Id
    classification: Classification = Classification.unclassified
    sites: list[DeptSite] = Field(min_length=1)
    attached_at: str  # where it hangs today (a carrier line, a node id, a DC)
    target_nodes: list[Id] = Field(min_length=1)
    access_type: AccessType = AccessType.D
    vpn: Id  # the department VPN (VRF) name in the private network zone
    route_distinguisher: str = Field(pattern=r"^\d+:\d+$")
    window: Window | None = None
    status: Literal["pending", "scheduled", "integrated", "kept"] = "pending"


class DedicatedNetworksFile(_Strict):
    dedicated_networks: list[DedicatedNetwork] = Field(default_factory=list)


# ---------------------------------------------------------------- systems.yaml


class System(_Strict):
    """A legacy system awaiting migration to the cloud (迁移上云)."""

    id: Id
    name: str
    department: Id
    classification: Classification = Classification.unclassified
    security_level: Level = 2
    depends_on: list[Id] = Field(default_factory=list)
    data_gb: float = Field(0, ge=0)
    rto_minutes: int = Field(1440, ge=0)
    rpo_minutes: int = Field(1440, ge=0)
    last_used: date | None = None
    target_platform: Id | None = None
    status: Literal["legacy", "migrating", "migrated", "retired"] = "legacy"


class SystemsFile(_Strict):
    systems: list[System] = Field(default_factory=list)


# ---------------------------------------------------------------- expanded model


class Inventory(BaseModel):
    """The whole province, compact forms expanded. Built by ``inventory.loader``."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str  # the inventory directory's name
    province: ProvinceFile
    sites: SitesFile
    clouds: CloudsFile
    departments: list[Department]
    tenants: list[Tenant]
    extranet_asn: int
    nodes: list[Node]
    links: list[Link]
    egress: list[Egress]
    ipv6: Ipv6File
    allocations: dict[str, str]
    dedicated_networks: list[DedicatedNetwork]
    systems: list[System]

    def divisions(self) -> dict[str, Tier]:
        """Every division path with its tier; the province is ''."""
        return divisions_of(self.province)

    @property
    def platforms(self) -> list[Platform]:
        return self.clouds.platforms


def divisions_of(province: ProvinceFile) -> dict[str, Tier]:
    """Every division path of a province with its tier; the province is ''."""
    out: dict[str, Tier] = {"": Tier.province}
    for city in province.cities:
        out[city.id] = Tier.city
        for town in towns_of(city):
            out[f"{city.id}/{town.id}"] = Tier.town
        for county in city.counties:
            cpath = f"{city.id}/{county.id}"
            out[cpath] = Tier.county
            for town in towns_of(county):
                out[f"{cpath}/{town.id}"] = Tier.town
    return out


def towns_of(division: County | City) -> list[Town]:
    """The towns of a county (or of a city that has towns directly), compact counts expanded."""
    if isinstance(division.towns, TownCount):
        width = max(2, len(str(division.towns.count)))
        return [
            Town(id=f"town{n:0{width}d}", name=f"{division.name}{division.towns.name_prefix}{n}")
            for n in range(1, division.towns.count + 1)
        ]
    return list(division.towns)


def parent_division(path: str) -> str | None:
    if path == "":
        return None
    return path.rsplit("/", 1)[0] if "/" in path else ""
