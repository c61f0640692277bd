"""Inventory directory -> validated, expanded ``Inventory`` (or every problem found).

Each YAML file is checked against its own file model so that pydantic's error
locations map straight onto that file's lines. Compact forms are expanded
afterwards, and every expanded object remembers where it was written, so the
reference checks and the plans' rules can point at a line too.
"""
from __future__ import annotations

import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from govctl.core.errors import Problem
from govctl.inventory.errors import InventoryInvalid
from govctl.inventory import models as m
from govctl.inventory.references import check_reserved_ids
from govctl.inventory.yamlsrc import PathKey, SourceFile, format_path, read_yaml

# file name -> (model, required)
FILES: dict[str, tuple[type[BaseModel], bool]] = {
    "province.yaml": (m.ProvinceFile, True),
    "sites.yaml": (m.SitesFile, True),
    "clouds.yaml": (m.CloudsFile, True),
    "departments.yaml": (m.DepartmentsFile, True),
    "tenants.yaml": (m.TenantsFile, True),
    "extranet.yaml": (m.ExtranetFile, True),
    "ipv6.yaml": (m.Ipv6File, True),
    "ipv6-allocations.yaml": (m.AllocationsFile, False),
    "dedicated_networks.yaml": (m.DedicatedNetworksFile, False),
    "systems.yaml": (m.SystemsFile, False),
}
ALLOCATIONS_FILE = "ipv6-allocations.yaml"
# Shape problems reported per file: a file written to produce hundreds of thousands of them (one per item of
# a huge list) would otherwise take minutes to report and print; the first hundred show what is wrong.
MAX_SHAPE_PROBLEMS = 100
# keys whose rejected values are never echoed in a problem
SECRET_KEYS = frozenset({"credentials", "password", "secret", "token", "passphrase"})


@dataclass
class Origins:
    """Where each object of the expanded model was written: (kind, id) -> (file, key path)."""

    where: dict[tuple[str, str], tuple[SourceFile, PathKey]] = field(default_factory=dict)
    files: dict[str, SourceFile] = field(default_factory=dict)

    # every place an id was written, in order: a duplicate is reported where it was written again
    every: dict[tuple[str, str], list[tuple[SourceFile, PathKey]]] = field(default_factory=dict)

    # ids of items left out of the model for a shape fault already reported: references to them are fine
    withheld: set[str] = field(default_factory=set)

    def add(self, kind: str, ident: str, src: SourceFile, path: PathKey) -> None:
        self.where.setdefault((kind, ident), (src, path))
        self.every.setdefault((kind, ident), []).append((src, path))

    def problem(self, kind: str, ident: str, sub: PathKey, message: str, value: object = None,
                **extra: Any) -> Problem:
        """A problem located at the object's key ``sub`` (or at the object when it was generated)."""
        src, path = self.where[(kind, ident)]
        full = src.file_path(path + tuple(sub))
        line = src.line_of(full)
        return Problem(src.name, line, format_path(full), message,
                       None if value is None else _show(value), **extra)

    def in_file(self, fname: str, path: PathKey, message: str, value: object = None, **extra: Any) -> Problem:
        src = self.files.get(fname)
        if src is None:
            return Problem(fname, None, format_path(path), message, None if value is None else _show(value), **extra)
        path = src.file_path(path)
        return Problem(src.name, src.line_of(path), format_path(path), message,
                       None if value is None else _show(value), **extra)


@dataclass
class Loaded:
    inventory: m.Inventory
    origins: Origins
    directory: Path


def _at(src: SourceFile, path: PathKey, message: str, value: object = None) -> Problem:
    """A problem at a key path into the model, located in the file."""
    path = src.file_path(path)
    return Problem(src.name, src.line_of(path), format_path(path), message, None if value is None else _show(value))


def _show(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# ---------------------------------------------------------------- pydantic errors -> problems


def _unwrap(tp: Any) -> list[Any]:
    """The model classes a (possibly wrapped) annotation can hold."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (list, dict, typing.Union) or str(origin) == "<class 'types.UnionType'>":
        out: list[Any] = []
        for arg in typing.get_args(tp):
            out.extend(_unwrap(arg))
        return out
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return []


def _allowed_keys(model: type[BaseModel], path: PathKey) -> list[str]:
    """Field names of the model that sits at ``path`` (best effort, for 'unknown key' hints)."""
    current: list[type[BaseModel]] = [model]
    for part in path:
        if isinstance(part, int):
            continue
        nxt: list[type[BaseModel]] = []
        for cls in current:
            f = cls.model_fields.get(part)
            if f is not None:
                nxt.extend(_unwrap(f.annotation))
        if not nxt:
            return []
        current = nxt
    return sorted({k for cls in current for k in cls.model_fields})


def _real_path(data: Any, loc: tuple[Any, ...]) -> PathKey:
    """Drop pydantic's union tags from an error location, keeping the keys present in the data."""
    out: list[str | int] = []
    cur = data
    for i, part in enumerate(loc):
        if isinstance(cur, dict) and part in cur:
            out.append(part)
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            out.append(part)
            cur = cur[part]
        elif i == len(loc) - 1 and isinstance(cur, dict):
            out.append(part)  # a missing or unknown key of this mapping
            cur = None
        # anything else is one of pydantic's union tags, or lies below a scalar: not a key the user wrote
    return tuple(out)


def _problems_from(exc: ValidationError, src: SourceFile, model: type[BaseModel]) -> list[Problem]:
    problems = []
    errors = exc.errors()
    for err in errors[:MAX_SHAPE_PROBLEMS]:
        path = _real_path(src.data, err["loc"])
        kind = err["type"]
        value = err.get("input")
        if kind == "extra_forbidden":
            allowed = _allowed_keys(model, path[:-1])
            msg = f"unknown key '{path[-1]}'"
            if allowed:
                msg += f" (expected one of: {', '.join(allowed)})"
            value = None
        elif kind == "missing":
            msg = "required key is missing"
            value = None
        else:
            msg = err["msg"].removeprefix("Value error, ")
            if isinstance(value, (dict, list)):
                value = type(value).__name__
            elif any(part in SECRET_KEYS for part in path if isinstance(part, str)):
                value = None  # a rejected credentials value may be the password itself: never print it
        problems.append(Problem(src.name, src.line_of(path), format_path(path), msg,
                                None if value is None else _show(value)))
    if len(errors) > MAX_SHAPE_PROBLEMS:  # no line: it heads the file's problems
        problems.append(Problem(src.name, None, "", f"{len(errors):,} problems in this file; only the first "
                                                    f"{MAX_SHAPE_PROBLEMS} are shown"))
    return problems


# ---------------------------------------------------------------- reading


def _read_files(directory: Path, shown: str) -> tuple[dict[str, tuple[SourceFile, BaseModel]], list[Problem]]:
    problems: list[Problem] = []
    parsed: dict[str, tuple[SourceFile, BaseModel]] = {}
    if not directory.exists():
        raise InventoryInvalid([Problem(shown, None, "", "inventory directory does not exist")])
    if not directory.is_dir():
        raise InventoryInvalid([Problem(shown, None, "", "expected an inventory directory, found a file")])
    for fname, (model, required) in FILES.items():
        path = directory / fname
        shown_as = f"{shown}/{fname}"
        if not path.exists():
            if required:
                problems.append(Problem(shown_as, None, "", "required file is missing"))
            continue
        src, read_problems = read_yaml(path, shown_as)
        problems.extend(read_problems)
        if src is None:
            continue
        problems.extend(check_reserved_ids(fname, src))
        try:
            obj = model.model_validate(src.data)
        except ValidationError as exc:
            problems.extend(_problems_from(exc, src, model))
            salvaged = _salvage(model, src, exc)
            if salvaged is not None:  # the rules still run, on the items that are well-formed
                parsed[fname] = (src, salvaged)
            continue
        parsed[fname] = (src, obj)
    return parsed, problems


# The lists whose items may be left out of the model for a shape fault: each item is one object known by
# its own `id`, the id references use. Not the generators (node_groups, department_sets, tenant_sets) nor
# cities and links: leaving one out would make objects with other ids, or paths, vanish, and every
# reference to those would be reported again.
SALVAGEABLE = {"sites", "platforms", "departments", "tenants", "nodes", "egress", "dedicated_networks", "systems"}


def _salvage(model: type[BaseModel], src: SourceFile, exc: ValidationError) -> BaseModel | None:
    """The file's model without the top-level list items that failed their shape check, or None when a
    fault lies outside such items (then nothing in the file can be trusted).

    So that one bad tenant does not hide every rule's findings on the others, validation goes on with
    the rest; ``src.kept`` maps the model's indices back to the file's, and the withheld items' ids stay
    known (``withheld_ids``) so that references to them are not reported a second time.
    """
    data = src.data
    if not isinstance(data, dict):
        return None
    bad: dict[str, set[int]] = {}
    for err in exc.errors():
        path = _real_path(data, err["loc"])
        if len(path) < 2 or path[0] not in SALVAGEABLE or not isinstance(path[1], int) \
                or not isinstance(data.get(path[0]), list):
            return None
        bad.setdefault(path[0], set()).add(path[1])
    trimmed = dict(data)
    kept: dict[str, list[int]] = {}
    for key, indices in bad.items():
        kept[key] = [i for i in range(len(data[key])) if i not in indices]
        trimmed[key] = [data[key][i] for i in kept[key]]
    try:
        obj = model.model_validate(trimmed)
    except ValidationError:
        return None
    src.kept = kept
    return obj


def withheld_ids(src: SourceFile) -> set[str]:
    """Ids of the items withheld from the model for their shape faults (see ``_salvage``)."""
    out = set()
    for key, kept in src.kept.items():
        items = src.data.get(key) if isinstance(src.data, dict) else None
        for i, item in enumerate(items if isinstance(items, list) else []):
            if i not in kept and isinstance(item, dict) and isinstance(item.get("id"), (str, int)):
                out.add(str(item["id"]).strip())
    return out


# ---------------------------------------------------------------- expansion


def _expand_departments(f: m.DepartmentsFile, province: m.ProvinceFile, src: SourceFile,
                        origins: Origins, problems: list[Problem]) -> list[m.Department]:
    out = []
    for i, d in enumerate(f.departments):
        origins.add("department", d.id, src, ("departments", i))
        out.append(d)
    cities = {c.id: c for c in province.cities}
    for si, ds in enumerate(f.department_sets):
        names = list(cities) if ds.cities == "all" else ds.cities
        for ci, cid in enumerate(names):
            city = cities.get(cid)
            if city is None:
                problems.append(_at(src, ("department_sets", si, "cities", ci), "no such city in province.yaml", cid))
                continue
            for ti, t in enumerate(ds.departments):
                dept = m.Department(id=f"{cid}-{t.id}", name=f"{city.name}{t.name}", level=m.Tier.city, city=cid)
                origins.add("department", dept.id, src, ("department_sets", si, "departments", ti))
                out.append(dept)
    return out


def _expand_tenants(f: m.TenantsFile, platforms: list[m.Platform], src: SourceFile,
                    origins: Origins) -> list[m.Tenant]:
    out = []
    for i, t in enumerate(f.tenants):
        origins.add("tenant", t.id, src, ("tenants", i))
        out.append(t)
    for si, ts in enumerate(f.tenant_sets):
        for p in platforms:
            if p.kind != ts.platform_kind:
                continue
            for di, dept in enumerate(ts.departments):
                owner = f"{p.city}-{dept}" if p.kind == m.PlatformKind.municipal and p.city else dept
                tenant = m.Tenant(id=f"{p.id}-{dept}", department=owner, platform=p.id,
                                  **ts.template.model_dump())
                origins.add("tenant", tenant.id, src, ("tenant_sets", si, "departments", di))
                out.append(tenant)
    return out


def _division_paths(province: m.ProvinceFile, tier: m.Tier, cities: list[str] | str) -> list[str]:
    wanted = None if cities == "all" else set(cities)
    if tier == m.Tier.province:
        return [""]
    out = []
    for city in province.cities:
        if wanted is not None and city.id not in wanted:
            continue
        if tier == m.Tier.city:
            out.append(city.id)
            continue
        if tier == m.Tier.town:
            out.extend(f"{city.id}/{t.id}" for t in m.towns_of(city))
        for county in city.counties:
            if tier == m.Tier.county:
                out.append(f"{city.id}/{county.id}")
                continue
            out.extend(f"{city.id}/{county.id}/{t.id}" for t in m.towns_of(county))
    return out


def _expand_extranet(f: m.ExtranetFile, province: m.ProvinceFile, src: SourceFile, origins: Origins,
                     problems: list[Problem], tiers: dict[str, m.Tier]) -> tuple[list[m.Node], list[m.Link]]:
    nodes: list[m.Node] = []
    for i, n in enumerate(f.nodes):
        origins.add("node", n.id, src, ("nodes", i))
        nodes.append(n)
    links: list[m.Link] = []
    for i, link in enumerate(f.links):
        origins.add("link", f"{i}", src, ("links", i))
        links.append(link)
    # Generate top-down so that a town group finds the county nodes made by an earlier group.
    order = sorted(range(len(f.node_groups)), key=lambda gi: f.node_groups[gi].tier.depth)
    by_division: dict[tuple[m.Tier, str], list[m.Node]] = {}
    for n in nodes:
        by_division.setdefault((n.tier, n.division), []).append(n)
    for gi in order:
        g = f.node_groups[gi]
        gpath: PathKey = ("node_groups", gi)
        if g.cities != "all":
            known = {c.id for c in province.cities}
            for ci, cid in enumerate(g.cities):
                if cid not in known:
                    problems.append(_at(src, gpath + ("cities", ci), "no such city in province.yaml", cid))
        bandwidth = g.uplink_mbps or province.rules.tier_bandwidth_mbps.get(g.tier)
        if bandwidth is None and g.uplinks and g.tier != m.Tier.province:
            problems.append(_at(src, gpath, f"no uplink bandwidth for tier {g.tier.value}: set uplink_mbps here or "
                                            f"rules.tier_bandwidth_mbps.{g.tier.value} in province.yaml"))
            bandwidth = 1  # keep expanding so that every other problem is still found
        missing_parents = 0
        for div in _division_paths(province, g.tier, g.cities):
            stem = div.replace("/", "-") if div else province.id
            made = []
            for k in range(1, g.count + 1):
                node = m.Node(id=f"{stem}-{g.id_suffix}{k}", tier=g.tier, division=div, **g.body.model_dump())
                origins.add("node", node.id, src, gpath)
                made.append(node)
            nodes.extend(made)
            by_division.setdefault((g.tier, div), []).extend(made)
            if g.uplinks == 0 or g.tier == m.Tier.province:
                continue
            parent = m.parent_division(div) or ""
            parent_tier = tiers[parent]  # a town's parent is its county, or its city when it has none
            parents = sorted(by_division.get((parent_tier, parent), []), key=lambda n: n.id)
            if not parents:
                missing_parents += 1
                continue
            assert bandwidth is not None  # set above for every group with uplinks below the province
            for node in made:
                for u in range(g.uplinks):
                    links.append(m.Link(a=node.id, b=parents[u % len(parents)].id, mbps=bandwidth))
                    origins.add("link", f"{len(links) - 1}", src, gpath)
        if missing_parents:
            problems.append(_at(src, gpath, f"{missing_parents} division(s) of tier {g.tier.value} have no nodes "
                                            "in their parent division to uplink to", str(missing_parents)))
    return nodes, links


def load(directory: Path | str, shown: str | None = None) -> Loaded:
    """Read and expand an inventory; raise ``InventoryInvalid`` listing every shape problem.

    Plan rules are not checked here (see ``inventory.validate``); the result is
    a whole, typed model with every reference resolved.
    """
    loaded, problems = load_partial(directory, shown)
    if loaded is None or any(p.severity == "error" for p in problems):
        raise InventoryInvalid(problems)
    return loaded


def load_partial(directory: Path | str, shown: str | None = None) -> tuple[Loaded | None, list[Problem]]:
    """Like ``load`` but returns what could be built along with every shape problem.

    The model is returned whenever every file parsed, even if references dangle,
    so that validation can also report the plans' rules in the same run.
    """
    from govctl.inventory.references import check_references

    directory = Path(directory)
    shown = shown or str(directory)
    parsed, problems = _read_files(directory, shown)
    origins = Origins(files={k: v[0] for k, v in parsed.items()})
    for src, _ in parsed.values():
        origins.withheld |= withheld_ids(src)
    required = [k for k, (_, req) in FILES.items() if req]
    if any(k not in parsed for k in required):
        return None, sorted(problems, key=_order)

    def get(name: str) -> Any:
        return parsed[name][1]

    province: m.ProvinceFile = get("province.yaml")
    sites: m.SitesFile = get("sites.yaml")
    clouds: m.CloudsFile = get("clouds.yaml")
    for i, s in enumerate(sites.sites):
        origins.add("site", s.id, parsed["sites.yaml"][0], ("sites", i))
    for i, p in enumerate(clouds.platforms):
        origins.add("platform", p.id, parsed["clouds.yaml"][0], ("platforms", i))
    departments = _expand_departments(get("departments.yaml"), province, parsed["departments.yaml"][0],
                                      origins, problems)
    tenants = _expand_tenants(get("tenants.yaml"), clouds.platforms, parsed["tenants.yaml"][0], origins)
    ext: m.ExtranetFile = get("extranet.yaml")
    tiers = m.divisions_of(province)
    nodes, links = _expand_extranet(ext, province, parsed["extranet.yaml"][0], origins, problems, tiers)
    for i, e in enumerate(ext.egress):
        origins.add("egress", e.id, parsed["extranet.yaml"][0], ("egress", i))
    dn = parsed.get("dedicated_networks.yaml")
    dedicated = dn[1].dedicated_networks if dn else []  # type: ignore[attr-defined]
    for i, d in enumerate(dedicated):
        origins.add("dedicated_network", d.id, dn[0], ("dedicated_networks", i))  # type: ignore[index]
    sy = parsed.get("systems.yaml")
    systems = sy[1].systems if sy else []  # type: ignore[attr-defined]
    for i, s in enumerate(systems):
        origins.add("system", s.id, sy[0], ("systems", i))  # type: ignore[index]
    al = parsed.get(ALLOCATIONS_FILE)
    inv = m.Inventory(
        name=directory.resolve().name,
        province=province,
        sites=sites,
        clouds=clouds,
        departments=departments,
        tenants=tenants,
        extranet_asn=ext.asn,
        nodes=nodes,
        links=links,
        egress=list(ext.egress),
        ipv6=get("ipv6.yaml"),
        allocations=dict(al[1].allocations) if al else {},  # type: ignore[attr-defined]
        dedicated_networks=list(dedicated),
        systems=list(systems),
    )
    loaded = Loaded(inv, origins, directory)
    problems.extend(check_references(loaded))
    return loaded, sorted(problems, key=_order)


def _order(p: Problem) -> tuple[str, int, str]:
    return (p.file, p.line or 0, p.path)
