"""System lists from the inventory's systems.yaml or from migration teams' spreadsheets (CSV, XLSX).

Column layout (one row per system; headers in Chinese or English, or both as
``系统编号 (id)``; column order is free; unknown headers are errors):

| field           | 中文表头      | required | values                                                          |
|-----------------|--------------|----------|-----------------------------------------------------------------|
| id              | 系统编号      | yes      | lower-case id: letters, digits, '-' '_'                          |
| name            | 系统名称      | yes      | text                                                            |
| department      | 所属部门      | yes      | department id or its exact name from departments.yaml           |
| classification  | 密级          | no       | unclassified/非涉密, sensitive/敏感, classified/涉密              |
| security_level  | 等保级别      | no       | 1-5, also 三级 / 第三级 / 3级 / 等保三级                          |
| depends_on      | 依赖系统      | no       | system ids separated by , ; 、 or spaces                          |
| data_gb         | 数据量(GB)    | no       | number, or with a unit: 800, 1.5TB, 500MB                        |
| rto_minutes     | RTO(分钟)     | no       | minutes, or 4h / 4小时 / 2d / 2天                                |
| rpo_minutes     | RPO(分钟)     | no       | as RTO                                                          |
| last_used       | 最近使用日期   | no       | date: 2026-11-20, 2026/11/20, 2026年11月20日 or a date cell      |
| target_platform | 目标平台      | no       | platform id from clouds.yaml (empty: chosen by the assessment)  |
| status          | 状态          | no       | legacy/待迁移, migrating/迁移中, migrated/已迁移, retired/已下线  |
| owner           | 负责人        | no       | contact; an empty cell in this column means "no owner"          |
| users           | 用户数        | no       | active users                                                    |

Every problem names the file, sheet, row and column; nothing is returned
unless the whole list is valid.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager as ContextManager
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from govctl.inventory import models as m
from govctl.core.errors import Problem
from govctl.migration.errors import MigrationInputError, SystemsInvalid
from govctl.migration.models import SystemExtra
from govctl.migration.units import (DURATION_UNITS, EXPECTED, KIND_OF_FIELD, SIZE_UNITS, Unit, UnitError, any_unit,
                                    convert, split_value, unit_of)

# ---------------------------------------------------------------- the column layout


@dataclass(frozen=True)
class Column:
    field: str
    zh: str
    required: bool
    aliases: tuple[str, ...] = ()
    doc: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("id", "系统编号", True, ("system_id", "系统id", "系统代码"), "lower-case id"),
    Column("name", "系统名称", True, ("system", "名称"), "system name"),
    Column("department", "所属部门", True, ("dept", "owner_department", "部门", "责任部门"),
           "department id or exact name"),
    Column("classification", "密级", False, ("涉密等级", "保密等级"), "unclassified / sensitive / classified"),
    Column("security_level", "等保级别", False, ("level", "等保等级", "等级保护级别"), "1-5"),
    Column("depends_on", "依赖系统", False, ("dependencies", "依赖"), "ids separated by , ; 、"),
    Column("data_gb", "数据量(GB)", False, ("data", "数据量", "data_size", "数据大小", "数据规模"),
           "GB (or the header's unit: 数据量(TB)), or with a unit: 1.5TB, 500MB"),
    Column("rto_minutes", "RTO(分钟)", False, ("rto", "恢复时间目标"),
           "minutes (or the header's unit: RTO(小时)), or with a unit: 30min, 4h, 2d"),
    Column("rpo_minutes", "RPO(分钟)", False, ("rpo", "恢复点目标"),
           "minutes (or the header's unit: RPO(小时)), or with a unit: 15min, 1h"),
    Column("last_used", "最近使用日期", False, ("last_use", "最后使用日期", "最近使用"), "date"),
    Column("target_platform", "目标平台", False, ("platform",), "platform id"),
    Column("status", "状态", False, ("迁移状态",), "legacy / migrating / migrated / retired"),
    Column("owner", "负责人", False, ("contact", "联系人", "责任人"), "owner contact (empty: none)"),
    Column("users", "用户数", False, ("user_count", "活跃用户数"), "active users"),
    Column("remarks", "备注", False, ("remark", "remarks", "notes", "note", "备注说明"),
           "free text (kept, not checked)"),
)
EXTRA_FIELDS = ("owner", "users", "remarks")
_DEPARTMENT = [c.field for c in COLUMNS].index("department")
_BY_FIELD = {c.field: c for c in COLUMNS}


def _norm(text: str) -> str:
    text = re.sub(r"[\s_]+", "", text).lower().rstrip("*＊")  # "Data Size", "data_size", "datasize" alike
    for a, b in (("（", "("), ("）", ")"), ("【", "("), ("】", ")"), ("[", "("), ("]", ")"), ("［", "("),
                 ("］", ")"), ("：", ":"), ("／", "/")):
        text = text.replace(a, b)
    return text


def _base_name(zh: str) -> str:
    return re.sub(r"\(.*\)$", "", _norm(zh))


_HEADERS: dict[str, str] = {}
for _c in COLUMNS:
    for _h in (_c.field, _base_name(_c.zh), *_c.aliases):
        _HEADERS[_norm(_h)] = _c.field
# English names that carry their unit: name -> (field, unit)
_NAME_UNITS = {"data_gb": ("data_gb", "gb"), "data_tb": ("data_gb", "tb"), "data_mb": ("data_gb", "mb"),
               "rto_minutes": ("rto_minutes", "min"), "rto_hours": ("rto_minutes", "h"),
               "rpo_minutes": ("rpo_minutes", "min"), "rpo_hours": ("rpo_minutes", "h")}
_NAME_UNITS = {_norm(k): v for k, v in _NAME_UNITS.items()}
for _h, (_f, _u) in _NAME_UNITS.items():
    _HEADERS[_h] = _f
# words that mark a column as required/optional; they say nothing about its meaning
_MARKERS = {"必填", "选填", "可选", "非必填", "可不填", "required", "optional"}


class HeaderError(ValueError):
    """A header that cannot be read: unknown, naming two fields, or with a unit its column cannot take."""


def header_spec(header: str) -> tuple[str, Unit | None]:
    """The field a header names and the unit it gives its values (None: values must bring their own,
    or the column has no unit). English, Chinese, an alias, both as ``系统编号 (id)``, with a unit as
    ``数据量(TB)``, ``数据量/TB``, ``data (TB)`` or ``rto_hours``."""
    key = _norm(header)
    groups = re.findall(r"\(([^()]*)\)", key)
    base = re.sub(r"\([^()]*\)", "", key)
    parts = [p for p in base.split("/") if p] + [re.sub(r"^单位:?", "", g) for g in groups]
    fields: list[str] = []
    units: list[Unit] = []
    rest: list[str] = []
    for p in parts:
        if p in _HEADERS:
            if _HEADERS[p] not in fields:
                fields.append(_HEADERS[p])
            if p in _NAME_UNITS:
                named = unit_of(_NAME_UNITS[p][1], KIND_OF_FIELD[_HEADERS[p]])
                if named is not None:
                    units.append(named)
        elif p and p not in _MARKERS:
            rest.append(p)
    if not fields:
        raise HeaderError("unknown column (expected one of: "
                          + ", ".join(f"{c.zh}/{c.field}" for c in COLUMNS) + ")")
    if len(fields) > 1:
        raise HeaderError("the header could mean two columns: "
                          + " or ".join(f"{_BY_FIELD[f].zh} ({f})" for f in fields))
    fld = fields[0]
    kind = KIND_OF_FIELD.get(fld)
    col = _BY_FIELD[fld]
    for p in rest:
        u = unit_of(p, kind) if kind else None
        if u is not None:
            units.append(u)
        elif kind is not None:
            raise HeaderError(f"unknown unit '{p}' for {_base_name(col.zh)} ({fld}); expected {EXPECTED[kind]}")
        elif any_unit(p) is not None:
            raise HeaderError(f"the column {col.zh} ({fld}) has no unit, yet the header gives '{p}'")
        else:
            raise HeaderError(f"cannot tell what '{p}' means in the header of {col.zh} ({fld})")
    if len({u.canonical for u in units}) > 1:
        raise HeaderError("the header gives two units: " + " and ".join(dict.fromkeys(u.canonical for u in units)))
    return fld, (units[0] if units else None)


def header_field(header: str) -> str | None:
    """The field a header names, or None when it names none (or cannot be read)."""
    try:
        return header_spec(header)[0]
    except HeaderError:
        return None


def header_label(col: Column, lang: str) -> str:
    return {"zh": col.zh, "en": col.field}.get(lang, f"{col.zh} ({col.field})")


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (spreadsheet column names)."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


# ---------------------------------------------------------------- locating problems


class Locator(Protocol):
    """Where a system's field was written, as a Problem for the user."""

    def problem(self, system: str, fld: str, message: str, value: object = None) -> Problem: ...


@dataclass
class YamlLocator:
    origins: Any  # inventory.loader.Origins

    def problem(self, system: str, fld: str, message: str, value: object = None) -> Problem:
        try:
            return self.origins.problem("system", system, (fld,), message, value)
        except KeyError:
            return Problem("systems.yaml", None, f"systems[id={system}].{fld}", message,
                           None if value is None else str(value))


@dataclass
class SheetLocator:
    file: str
    sheet: str | None  # None for CSV
    rows: dict[str, int] = field(default_factory=dict)  # system id -> row number
    columns: dict[str, tuple[str, str]] = field(default_factory=dict)  # field -> (letter, header)
    notices: list[str] = field(default_factory=list)
    units: dict[str, Unit | None] = field(default_factory=dict)  # field -> the unit its header gives

    def at(self, row: int | None, fld: str | None, message: str, value: object = None) -> Problem:
        parts = []
        if self.sheet is not None:
            parts.append(f"sheet '{self.sheet}'")
        if row is not None:
            parts.append(f"row {row}")
        if fld is not None:
            letter, header = self.columns.get(fld, ("?", _BY_FIELD[fld].zh if fld in _BY_FIELD else fld))
            parts.append(f"column {letter} ({header})")
        shown = None if value is None else (value if isinstance(value, str) else repr(value))
        line = row if self.sheet is None else None  # a CSV row is a line (cells with newlines aside)
        return Problem(self.file, line, ", ".join(parts), message, shown)

    def problem(self, system: str, fld: str, message: str, value: object = None) -> Problem:
        return self.at(self.rows.get(system), fld, message, value)


@dataclass
class SystemSource:
    """A system list with where each system was written."""

    shown: str
    systems: list[m.System]
    extras: dict[str, SystemExtra]
    locator: Locator
    kind: str  # yaml | csv | xlsx
    notices: list[str] = field(default_factory=list)  # rows skipped on purpose (a totals row), for the user


def from_inventory(loaded: Any, shown: str) -> SystemSource:
    """The inventory's own systems.yaml (already validated by the loader)."""
    return SystemSource(f"{shown}/systems.yaml", list(loaded.inventory.systems), {},
                        YamlLocator(loaded.origins), "yaml")


# ---------------------------------------------------------------- cell parsing

_CLASS = {"unclassified": "unclassified", "非涉密": "unclassified", "普通": "unclassified", "公开": "unclassified",
          "sensitive": "sensitive", "敏感": "sensitive", "敏感非涉密": "sensitive", "内部": "sensitive",
          "classified": "classified", "涉密": "classified", "秘密": "classified", "机密": "classified",
          "绝密": "classified"}
_STATUS = {"legacy": "legacy", "待迁移": "legacy", "未迁移": "legacy", "migrating": "migrating",
           "迁移中": "migrating", "migrated": "migrated", "已迁移": "migrated", "已上云": "migrated",
           "retired": "retired", "已下线": "retired", "已退役": "retired", "已关停": "retired"}
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}


CellError = UnitError  # a cell that cannot be read; the message says what is wrong


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _one_of(v: Any, table: dict[str, str], expected: str) -> str:
    """The value ``table`` gives the cell's text (any case) for; ``expected`` names the accepted ones."""
    key = _text(v).lower()
    if key not in table:
        raise CellError(f"expected {expected}")
    return table[key]


def _p_classification(v: Any) -> str:
    return _one_of(v, _CLASS, "unclassified/非涉密, sensitive/敏感 or classified/涉密")


def _p_level(v: Any) -> int:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if float(v).is_integer() and 1 <= v <= 5:
            return int(v)
        raise CellError("a 等保 level is 1 to 5 (3, 三级, 第三级 or 等保三级)")
    t = re.sub(r"^(等保|第)|级$", "", _text(v)).removeprefix("第")
    n = _CN_DIGITS.get(t) or (int(t) if t.isdigit() else None)
    if n is None or not 1 <= n <= 5:
        raise CellError("a 等保 level is 1 to 5 (3, 三级, 第三级 or 等保三级)")
    return n


def _p_deps(v: Any) -> list[str]:
    return [p for p in re.split(r"[,;，；、\s]+", _text(v)) if p]


_GB = SIZE_UNITS["gb"]
_MIN = DURATION_UNITS["min"]


def _p_size(v: Any, unit: Unit | None = _GB, header: str = "数据量(GB)") -> float:
    """Data in GB; a bare number is in the header's unit (there must be one)."""
    return convert(v, "size", unit, header)


def _p_minutes(v: Any, unit: Unit | None = _MIN, header: str = "RTO(分钟)") -> int:
    value = convert(v, "duration", unit, header)
    if abs(value - round(value)) > 1e-9:
        raise CellError(f"{value:g} minutes is not a whole number of minutes")
    return int(round(value))


def _p_date(v: Any) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    t = _text(v)
    mt = re.match(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$", t)
    if not mt:
        raise CellError("expected a date: 2026-11-20, 2026/11/20 or 2026年11月20日")
    try:
        return date(int(mt.group(1)), int(mt.group(2)), int(mt.group(3)))
    except ValueError as exc:
        raise CellError(f"not a real date ({exc})") from None


def _p_status(v: Any) -> str:
    return _one_of(v, _STATUS, "legacy/待迁移, migrating/迁移中, migrated/已迁移 or retired/已下线")


def _p_users(v: Any) -> int:
    try:
        number, unit = split_value(v)
    except CellError:
        raise CellError("expected a whole number of users") from None
    if number < 0:
        raise CellError("cannot be negative")
    if unit is not None or not number.is_integer():
        raise CellError("expected a whole number of users")
    return int(number)


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "id": _text, "name": _text, "department": _text, "classification": _p_classification,
    "security_level": _p_level, "depends_on": _p_deps, "data_gb": _p_size, "rto_minutes": _p_minutes,
    "rpo_minutes": _p_minutes, "last_used": _p_date, "target_platform": _text, "status": _p_status,
    "owner": _text, "users": _p_users, "remarks": _text,
}


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


# ---------------------------------------------------------------- rows -> systems


@dataclass
class InventoryContext:
    """What a spreadsheet is checked against: the inventory's departments and platforms."""

    departments: dict[str, str]  # id -> name
    platforms: set[str]

    @classmethod
    def of(cls, inv: m.Inventory) -> InventoryContext:
        return cls({d.id: d.name for d in inv.departments}, {p.id for p in inv.platforms})


Progress = Callable[[str, "int | None"], ContextManager[Callable[..., None]]]  # clikit.progress's shape


def _progress(factory: Progress | None, description: str, total: int) -> ContextManager[Callable[..., None]]:
    if factory is None:
        return nullcontext(lambda label=None: None)
    return factory(description, total)


def parse_rows(rows: Iterable[tuple[int, list[Any]]], loc: SheetLocator, ctx: InventoryContext,
               kind: str, step: Callable[..., None] | None = None) -> SystemSource:
    """Header row, then one system per row -> a validated ``SystemSource`` or ``SystemsInvalid``."""
    problems: list[Problem] = []
    (hr, headers), it = _header_row(rows, loc)
    fields = _columns(hr, headers, loc, problems)
    name_to_id: dict[str, list[str]] = {}
    for did, dname in ctx.departments.items():
        name_to_id.setdefault(dname, []).append(did)
    systems: list[m.System] = []
    extras: dict[str, SystemExtra] = {}
    first_row: dict[str, int] = {}
    has_owner_column = "owner" in loc.columns
    known: set[str] = set()  # every id written in a row, valid row or not: one bad cell is one message
    for r, cells in it:
        if step is not None:
            step(f"row {r}")
        if all(_blank(c) for c in cells):
            continue
        total = _totals_label(cells)
        if total is not None:
            where = loc.at(r, None, "")
            loc.notices.append(f"{where.file}{'' if where.line is None else f':{where.line}'}: notice: "
                               f"{where.path}: a totals row ('{total}') is not a system: ignored")
            continue
        read = _row(r, cells, fields, loc, ctx, name_to_id, problems, known)
        if read is None:
            continue
        data, extra = read
        try:
            system = m.System.model_validate(data)
        except ValidationError as exc:
            for e in exc.errors():
                f = str(e["loc"][0]) if e["loc"] else "id"
                problems.append(loc.at(r, f if f in _BY_FIELD else None, e["msg"].removeprefix("Value error, "),
                                       data.get(f)))
            continue
        if system.id in first_row:
            problems.append(loc.at(r, "id", f"duplicate system id (first in row {first_row[system.id]})", system.id))
            continue
        first_row[system.id] = r
        loc.rows[system.id] = r
        systems.append(system)
        owner = extra.get("owner", "" if has_owner_column else None)
        extras[system.id] = SystemExtra(owner=owner, users=extra.get("users"), remarks=extra.get("remarks"))
    written = set(first_row) | known
    for s in systems:
        for dep in s.depends_on:
            if dep == s.id:
                problems.append(loc.problem(s.id, "depends_on", "a system cannot depend on itself", dep))
            elif dep not in written:
                problems.append(loc.problem(s.id, "depends_on", "depends on a system that does not exist", dep))
        if s.target_platform is not None and s.target_platform not in ctx.platforms:
            problems.append(loc.problem(s.id, "target_platform", "no such platform in clouds.yaml",
                                        s.target_platform))
    problems += policy_problems(systems, loc)
    if problems:
        raise SystemsInvalid(sorted(problems, key=_row_order), what=loc.file)
    return SystemSource(loc.file, systems, extras, loc, kind, list(loc.notices))


def _header_row(rows: Iterable[tuple[int, list[Any]]], loc: SheetLocator
                ) -> tuple[tuple[int, list[Any]], Iterator[tuple[int, list[Any]]]]:
    """The header row, and the rows after it."""
    it = iter(rows)
    # Sheets often open with a title row (e.g. a merged "XX省政务信息系统清单"): the header row is the
    # first of the leading non-blank rows that names the id column; failing that, the first non-blank row.
    leading: list[tuple[int, list[Any]]] = []
    header_row: tuple[int, list[Any]] | None = None
    for r, cells in it:
        if all(_blank(c) for c in cells):
            continue
        leading.append((r, cells))
        if any(not _blank(c) and header_field(str(c)) == "id" for c in cells):
            header_row = (r, cells)
            break
        if len(leading) >= 10:
            break
    if header_row is None:
        if not leading:
            raise SystemsInvalid([loc.at(None, None, "no header row: the sheet is empty")], what=loc.file)
        header_row = leading[0]
        it = iter(leading[1:] + list(it))
    return header_row, it


def _columns(hr: int, headers: list[Any], loc: SheetLocator, problems: list[Problem]) -> dict[int, str]:
    """Column index -> field, from the header row (units noted in ``loc``); SystemsInvalid when a required
    column is missing."""
    fields: dict[int, str] = {}
    for i, h in enumerate(headers):
        if _blank(h):
            continue
        letter = column_letter(i)
        try:
            f, unit = header_spec(str(h))
        except HeaderError as exc:
            problems.append(Problem(loc.file, hr if loc.sheet is None else None,
                                    ", ".join(([f"sheet '{loc.sheet}'"] if loc.sheet else [])
                                              + [f"row {hr}", f"column {letter}"]),
                                    str(exc), str(h).strip()))
            continue
        if f in loc.columns:
            problems.append(loc.at(hr, f, f"column repeated (already column {loc.columns[f][0]})", str(h).strip()))
            continue
        loc.columns[f] = (letter, str(h).strip())
        loc.units[f] = unit
        fields[i] = f
    missing = [c for c in COLUMNS if c.required and c.field not in loc.columns]
    for c in missing:
        problems.append(loc.at(hr, None, f"required column missing: {c.zh} ({c.field})"))
    if missing:  # rows cannot be read without their id; unknown columns alone still let us check every row
        raise SystemsInvalid(problems, what=loc.file)

    return fields


def _row(r: int, cells: list[Any], fields: dict[int, str], loc: SheetLocator, ctx: InventoryContext,
         name_to_id: dict[str, list[str]], problems: list[Problem], known: set[str]
         ) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """One row's cells read into the system's fields and the extra columns; None (problems added) when a cell
    is wrong, a required value is empty or the department is unknown."""
    data: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    row_ok = True
    for i, f in fields.items():
        v = cells[i] if i < len(cells) else None
        if _blank(v):
            continue
        try:
            if f in KIND_OF_FIELD:
                header = loc.columns[f][1]
                parsed = (_p_size if f == "data_gb" else _p_minutes)(v, loc.units.get(f), header)
            else:
                parsed = _PARSERS[f](v)
        except CellError as exc:
            problems.append(loc.at(r, f, str(exc), _text(v)))
            row_ok = False
            continue
        (extra if f in EXTRA_FIELDS else data)[f] = parsed
    if data.get("id"):
        known.add(data["id"])
    for c in COLUMNS:
        if c.required and c.field not in data and c.field in loc.columns:
            problems.append(loc.at(r, c.field, "required value is empty", ""))
            row_ok = False
    dept = data.get("department")
    if dept is not None and dept not in ctx.departments:
        ids = name_to_id.get(dept, [])
        if len(ids) == 1:
            data["department"] = ids[0]
        else:
            problems.append(loc.at(r, "department", "no such department (by id or exact name)" if not ids
                                   else f"department name is ambiguous: {', '.join(ids)}", dept))
            row_ok = False
    if not row_ok:
        return None
    return data, extra


_TOTALS = re.compile(r"^(合\s*计|总\s*计|小\s*计|汇\s*总|total|totals|sum|subtotal)[:：]?$", re.I)


def _totals_label(cells: list[Any]) -> str | None:
    """The label of a totals row (合计, 总计, Total ...) in one of its first two filled cells, else None."""
    filled = [c for c in cells if not _blank(c)][:2]
    for c in filled:
        if isinstance(c, str) and _TOTALS.match(c.strip()):
            return c.strip()
    return None


def policy_problems(systems: list[m.System], loc: Locator) -> list[Problem]:
    """The inventory's rules SEC-002/SEC-003 for lists read from outside it: classified and level-4
    systems never target, move to or sit on the shared cloud."""
    out = []
    for s in systems:
        off = ("classified (涉密)" if s.classification == m.Classification.classified
               else f"等保 level {s.security_level}" if s.security_level >= 4 else None)
        if off is None:
            continue
        if s.target_platform is not None:
            out.append(loc.problem(s.id, "target_platform", f"a {off} system never goes on the shared cloud",
                                   s.target_platform))
        if s.status in ("migrating", "migrated"):
            out.append(loc.problem(s.id, "status", f"a {off} system never moves to the shared cloud", s.status))
    return out


def _row_order(p: Problem) -> tuple[int, str]:
    mt = re.search(r"row (\d+)", p.path)
    return (int(mt.group(1)) if mt else 0, p.path)


def _csv_rows(text: str) -> Iterator[tuple[int, list[Any]]]:
    # Spreadsheet programs in China often save CSV as GBK or with a BOM; sniff the delimiter too.
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    for row in reader:
        yield reader.line_num, row


def _decode(raw: bytes, shown: str) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise MigrationInputError(f"{shown}: not UTF-8 or GB18030 text")


def read_csv(path: Path, ctx: InventoryContext, shown: str | None = None,
             progress: Progress | None = None) -> SystemSource:
    shown = shown or str(path)
    raw = _read_bytes(path, shown)
    rows = list(_csv_rows(_decode(raw, shown)))
    with _progress(progress, f"reading {path.name}", len(rows)) as step:
        return parse_rows(rows, SheetLocator(shown, None), ctx, "csv", step)


PREFERRED_SHEETS = ("系统清单", "systems", "系统", "system")


def read_xlsx(path: Path, ctx: InventoryContext, sheet: str | None = None, shown: str | None = None,
              progress: Progress | None = None) -> SystemSource:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    shown = shown or str(path)
    _read_bytes(path, shown)  # existence and readability, with our message
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise MigrationInputError(f"{shown}: not a readable .xlsx workbook ({exc})") from None
    try:
        names = wb.sheetnames
        if sheet is not None:
            if sheet not in names:
                raise MigrationInputError(f"{shown}: no sheet '{sheet}' (sheets: {', '.join(names)})")
            chosen = sheet
        else:
            lowered = {n.strip().lower(): n for n in names}
            chosen = next((lowered[p] for p in PREFERRED_SHEETS if p in lowered), names[0])
        ws = wb[chosen]
        rows = [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1)]
    finally:
        wb.close()
    with _progress(progress, f"reading {path.name} ({chosen})", len(rows)) as step:
        return parse_rows(rows, SheetLocator(shown, chosen), ctx, "xlsx", step)


def read_yaml_systems(path: Path, ctx: InventoryContext, shown: str | None = None) -> SystemSource:
    """A systems.yaml outside the inventory, located by line like the inventory's own. Besides the
    inventory's keys it may carry ``owner`` and ``users`` per system (not in the inventory model yet)."""
    import copy

    from govctl.inventory.loader import _problems_from  # noqa: PLC2701 - the loader's own error mapping
    from govctl.inventory.yamlsrc import read_yaml

    shown = shown or str(path)
    _read_bytes(path, shown)
    src, problems = read_yaml(path, shown)
    if src is None or problems:
        raise SystemsInvalid(problems, what=shown)
    data = copy.deepcopy(src.data)
    pulled: list[dict[str, Any]] = []
    if isinstance(data, dict) and isinstance(data.get("systems"), list):
        for i, item in enumerate(data["systems"]):
            got: dict[str, Any] = {}
            if isinstance(item, dict):
                for k in EXTRA_FIELDS:
                    if k in item:
                        got[k] = item.pop(k)
            pulled.append(got)
            if "users" in got:
                try:
                    got["users"] = _p_users(got["users"])
                except CellError as exc:
                    problems.append(Problem(shown, src.line_of(("systems", i, "users")), f"systems[{i}].users",
                                            str(exc), str(got["users"])))
            if "owner" in got:
                got["owner"] = "" if got["owner"] is None else str(got["owner"]).strip()
    try:
        f = m.SystemsFile.model_validate(data)
    except ValidationError as exc:
        raise SystemsInvalid(problems + _problems_from(exc, src, m.SystemsFile), what=shown) from None
    if problems:
        raise SystemsInvalid(problems, what=shown)
    extras = {s.id: SystemExtra(**pulled[i]) for i, s in enumerate(f.systems) if i < len(pulled) and pulled[i]}

    source_file, where = src, shown  # both set by now (read_yaml returned a source, shown was defaulted)

    class _Origins:
        def problem(self, kind: str, ident: str, sub: tuple, message: str, value: object = None) -> Problem:
            i = index[ident]
            path = ("systems", i) + tuple(sub)
            from govctl.inventory.yamlsrc import format_path
            return Problem(where, source_file.line_of(path), format_path(path), message,
                           None if value is None else str(value))

    index: dict[str, int] = {}
    problems = []
    for i, s in enumerate(f.systems):
        if s.id in index:
            problems.append(Problem(shown, src.line_of(("systems", i, "id")), f"systems[{i}].id",
                                    f"duplicate system id (first at systems[{index[s.id]}])", s.id))
            continue
        index[s.id] = i
    loc = YamlLocator(_Origins())
    for s in f.systems:
        if s.department not in ctx.departments:
            problems.append(loc.problem(s.id, "department", "no such department", s.department))
        for dep in s.depends_on:
            if dep not in index:
                problems.append(loc.problem(s.id, "depends_on", "depends on a system that does not exist", dep))
            elif dep == s.id:
                problems.append(loc.problem(s.id, "depends_on", "a system cannot depend on itself", dep))
        if s.target_platform is not None and s.target_platform not in ctx.platforms:
            problems.append(loc.problem(s.id, "target_platform", "no such platform", s.target_platform))
    problems += policy_problems(list(f.systems), loc)
    if problems:
        raise SystemsInvalid(problems, what=shown)
    return SystemSource(shown, list(f.systems), extras, loc, "yaml")


def _read_bytes(path: Path, shown: str) -> bytes:
    if not path.exists():
        raise MigrationInputError(f"{shown}: no such file")
    if path.is_dir():
        raise MigrationInputError(f"{shown}: is a directory, expected a .yaml, .csv or .xlsx file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise MigrationInputError(f"{shown}: cannot read ({exc.strerror})") from None


def read_systems(path: Path, ctx: InventoryContext, sheet: str | None = None,
                 progress: Progress | None = None) -> SystemSource:
    """Read a system list by its suffix: .yaml/.yml, .csv or .xlsx."""
    suffix = path.suffix.lower()
    if sheet is not None and suffix != ".xlsx":
        raise MigrationInputError(f"--sheet only applies to .xlsx files, not {path.name}")
    if suffix in (".yaml", ".yml"):
        return read_yaml_systems(path, ctx)
    if suffix == ".csv":
        return read_csv(path, ctx, progress=progress)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, ctx, sheet, progress=progress)
    raise MigrationInputError(f"{path}: unknown file type '{path.suffix}' (expected .yaml, .csv or .xlsx)")


# ---------------------------------------------------------------- writing


def _cell(s: m.System, extra: SystemExtra | None, fld: str, lang: str = "en") -> Any:
    from govctl.migration import i18n

    if fld == "depends_on":
        return ", ".join(s.depends_on)
    if fld in EXTRA_FIELDS:
        return getattr(extra, fld, None) if extra else None
    v = getattr(s, fld)
    if hasattr(v, "value"):
        v = v.value
    if lang == "zh":  # values as departments write them; each one the reader accepts back
        if fld in ("classification", "status"):
            return i18n.value(fld, v, "zh")
        if fld == "security_level":
            return i18n.level(v, "zh")
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _department_names(inv: m.Inventory | None, lang: str) -> dict[str, str]:
    """id -> name for a Chinese sheet (names that two departments share stay ids: they would not read back)."""
    if lang != "zh" or inv is None:
        return {}
    count: dict[str, int] = {}
    for d in inv.departments:
        count[d.name] = count.get(d.name, 0) + 1
    return {d.id: d.name for d in inv.departments if count[d.name] == 1}


def system_rows(systems: list[m.System], extras: dict[str, SystemExtra], lang: str,
                inv: m.Inventory | None = None) -> list[list[Any]]:
    names = _department_names(inv, lang)
    rows: list[list[Any]] = [[header_label(c, lang) for c in COLUMNS]]
    for s in systems:
        row = [_cell(s, extras.get(s.id), c.field, lang) for c in COLUMNS]
        row[_DEPARTMENT] = names.get(s.department, s.department)
        rows.append(row)
    return rows


def write_csv(systems: list[m.System], extras: dict[str, SystemExtra], lang: str = "both",
              inv: m.Inventory | None = None) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for row in system_rows(systems, extras, lang, inv):
        w.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v for v in row])
    return buf.getvalue()


def choices(fld: str, lang: str, inv: m.Inventory | None) -> list[str] | None:
    """The values an enumerated column takes, as the drop-down list offers them (None: free input)."""
    from govctl.migration import i18n

    zh = lang == "zh"
    if fld == "classification":
        return [i18n.value("classification", c.value, "zh" if zh else "en") for c in m.Classification]
    if fld == "security_level":
        return [i18n.level(n, "zh" if zh else "en") for n in range(1, 6)]
    if fld == "status":
        return [i18n.value("status", v, "zh" if zh else "en") for v in ("legacy", "migrating", "migrated", "retired")]
    if fld == "department" and inv is not None:
        names = _department_names(inv, lang)
        return [names.get(d.id, d.id) for d in inv.departments]
    if fld == "target_platform" and inv is not None:
        return [p.id for p in inv.platforms]
    return None


_HELP = {
    "id": "小写字母、数字、- 或 _，全表唯一 / lower-case letters, digits, - or _; unique",
    "name": "系统全称 / the system's full name",
    "department": "从下拉列表选择部门 / pick the department from the list",
    "classification": "非涉密 / 敏感 / 涉密（涉密系统不上云）",
    "security_level": "等保一级至五级（四级及以上不上共享云）",
    "depends_on": "所依赖系统的编号，用 、或 , 分隔 / ids of the systems it calls",
    "data_gb": "数字，单位 GB；也可写 1.5TB、500MB / a number in GB, or 1.5TB",
    "rto_minutes": "数字，单位分钟；也可写 4h、4小时、2天 / minutes, or 4h, 2d",
    "rpo_minutes": "数字，单位分钟；也可写 15min、1h / minutes, or 1h",
    "last_used": "日期：2026-11-20 / a date",
    "target_platform": "留空则由评估选择 / empty: chosen by the assessment",
    "status": "待迁移 / 迁移中 / 已迁移 / 已下线",
    "owner": "负责人姓名；留空表示无负责人（僵尸系统线索）",
    "users": "活跃用户数，整数 / active users",
    "remarks": "备注，自由填写 / free text",
}


def write_xlsx(path: Path, systems: list[m.System], extras: dict[str, SystemExtra], lang: str = "both",
               inv: m.Inventory | None = None, rows_offered: int = 500) -> None:
    """The import layout as a workbook: drop-down lists for every enumerated column (their values on a
    hidden sheet, so long lists such as 40 departments fit), input help, fitting widths, a 说明 sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "系统清单"
    table = system_rows(systems, extras, lang, inv)
    for row in table:
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    lists = wb.create_sheet("选项")
    last = max(len(table), rows_offered + 1)
    for i, c in enumerate(COLUMNS):
        letter = column_letter(i)
        values = choices(c.field, lang, inv)
        texts = [str(v) for v in (cell for row in table for cell in [row[i]]) if v is not None]
        if values:
            texts += values
        width = max(_display_width(t) for t in texts) if texts else 10
        ws.column_dimensions[letter].width = min(60, max(10, width + 2))
        if c.field == "last_used":
            for cell in ws[letter][1:]:
                cell.number_format = "yyyy-mm-dd"
        if values:
            for r, v in enumerate(values, start=1):
                lists.cell(row=r, column=i + 1, value=v)
            dv = DataValidation(type="list", formula1=f"'选项'!${letter}$1:${letter}${len(values)}",
                                allow_blank=True, showErrorMessage=True, errorTitle="取值无效 / invalid value",
                                error="请从下拉列表选择 / pick a value from the list")
        else:
            dv = DataValidation(allow_blank=True)
        dv.promptTitle = c.zh[:32]
        dv.prompt = _HELP.get(c.field, c.doc)[:255]
        dv.showInputMessage = True
        dv.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(dv)
    lists.sheet_state = "hidden"
    legend = wb.create_sheet("说明")
    legend.append(["表头 (header)", "字段 (field)", "必填 (required)", "取值 (values)", "说明 (help)"])
    for cell in legend[1]:
        cell.font = Font(bold=True)
    for c in COLUMNS:
        values = choices(c.field, lang, inv)
        legend.append([c.zh, c.field, "是 yes" if c.required else "否 no",
                       " / ".join(values) if values and c.field != "department" else c.doc, _HELP.get(c.field, "")])
    legend.append([])
    legend.append(["单位写在表头或单元格里：数据量(TB)、RTO(小时)，或 1.5TB、4h；两处都写时必须一致。"])
    legend.append(["Units go in the header or the cell: 数据量(TB), RTO(小时), or 1.5TB, 4h; "
                   "when both, they must agree."])
    legend.append(["表尾的合计行会被忽略并提示；每个问题都会指出工作表、行、列和表头。"])
    for letter, width in zip("ABCDE", (16, 18, 14, 48, 60)):
        legend.column_dimensions[letter].width = width
    wb.save(path)


def _display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: CJK characters are two wide."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
