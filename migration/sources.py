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
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from govctl.inventory import models as m
from govctl.inventory.errors import Problem
from govctl.migration.errors import MigrationInputError, SystemsInvalid
from govctl.migration.models import SystemExtra

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
    Column("data_gb", "数据量(GB)", False, ("data", "数据量", "数据量（gb）"), "GB, or with unit TB/MB"),
    Column("rto_minutes", "RTO(分钟)", False, ("rto", "rto（分钟）"), "minutes, or 4h / 2d"),
    Column("rpo_minutes", "RPO(分钟)", False, ("rpo", "rpo（分钟）"), "minutes, or 15min / 1h"),
    Column("last_used", "最近使用日期", False, ("last_use", "最后使用日期", "最近使用"), "date"),
    Column("target_platform", "目标平台", False, ("platform",), "platform id"),
    Column("status", "状态", False, ("迁移状态",), "legacy / migrating / migrated / retired"),
    Column("owner", "负责人", False, ("contact", "联系人", "责任人"), "owner contact (empty: none)"),
    Column("users", "用户数", False, ("user_count", "活跃用户数"), "active users"),
)
EXTRA_FIELDS = ("owner", "users")
_BY_FIELD = {c.field: c for c in COLUMNS}


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).lower().replace("（", "(").replace("）", ")")


_HEADERS: dict[str, str] = {}
for _c in COLUMNS:
    for _h in (_c.field, _c.zh, *_c.aliases):
        _HEADERS[_norm(_h)] = _c.field


def header_field(header: str) -> str | None:
    """The field a header names: English, Chinese, an alias, or both as ``系统编号 (id)``."""
    key = _norm(header)
    if key in _HEADERS:
        return _HEADERS[key]
    both = re.match(r"^(.*?)\((.*?)\)$", key)
    if both:
        for part in both.groups():
            if part in _HEADERS:
                return _HEADERS[part]
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


class CellError(ValueError):
    pass


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _p_classification(v: Any) -> str:
    key = _text(v).lower()
    if key not in _CLASS:
        raise CellError("expected unclassified/非涉密, sensitive/敏感 or classified/涉密")
    return _CLASS[key]


def _p_level(v: Any) -> int:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if float(v).is_integer() and 1 <= v <= 5:
            return int(v)
        raise CellError("a 等保 level is 1 to 5")
    t = re.sub(r"^(等保|第)|级$", "", _text(v)).removeprefix("第")
    n = _CN_DIGITS.get(t) or (int(t) if t.isdigit() else None)
    if n is None or not 1 <= n <= 5:
        raise CellError("a 等保 level is 1 to 5 (3, 三级, 第三级 or 等保三级)")
    return n


def _p_deps(v: Any) -> list[str]:
    return [p for p in re.split(r"[,;，；、\s]+", _text(v)) if p]


_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(tb|t|gb|g|mb|m)?$", re.I)
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(min|m|分钟|分|h|小时|时|d|天)?$", re.I)


def _p_size(v: Any) -> float:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if v < 0:
            raise CellError("data cannot be negative")
        return float(v)
    mt = _SIZE.match(_text(v))
    if not mt:
        raise CellError("expected GB as a number, or with a unit (1.5TB, 500MB)")
    unit = (mt.group(2) or "gb").lower()[0]
    return float(mt.group(1)) * {"t": 1024.0, "g": 1.0, "m": 1 / 1024}[unit]


def _p_minutes(v: Any) -> int:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if v < 0 or not float(v).is_integer():
            raise CellError("expected whole minutes, 0 or more")
        return int(v)
    mt = _DURATION.match(_text(v))
    if not mt:
        raise CellError("expected minutes, or a duration such as 30min, 4h, 4小时, 2d, 2天")
    unit = (mt.group(2) or "min").lower()
    factor = 60 if unit in ("h", "小时", "时") else 1440 if unit in ("d", "天") else 1
    value = float(mt.group(1)) * factor
    if not value.is_integer():
        raise CellError("the duration is not a whole number of minutes")
    return int(value)


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
    key = _text(v).lower()
    if key not in _STATUS:
        raise CellError("expected legacy/待迁移, migrating/迁移中, migrated/已迁移 or retired/已下线")
    return _STATUS[key]


def _p_users(v: Any) -> int:
    try:
        n = int(float(_text(v)))
    except ValueError:
        raise CellError("expected a whole number of users") from None
    if n < 0:
        raise CellError("users cannot be negative")
    return n


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "id": _text, "name": _text, "department": _text, "classification": _p_classification,
    "security_level": _p_level, "depends_on": _p_deps, "data_gb": _p_size, "rto_minutes": _p_minutes,
    "rpo_minutes": _p_minutes, "last_used": _p_date, "target_platform": _text, "status": _p_status,
    "owner": _text, "users": _p_users,
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


def parse_rows(rows: Iterable[tuple[int, list[Any]]], loc: SheetLocator, ctx: InventoryContext,
               kind: str) -> SystemSource:
    """Header row, then one system per row -> a validated ``SystemSource`` or ``SystemsInvalid``."""
    problems: list[Problem] = []
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
    hr, headers = header_row
    fields: dict[int, str] = {}
    for i, h in enumerate(headers):
        if _blank(h):
            continue
        f = header_field(str(h))
        letter = column_letter(i)
        if f is None:
            problems.append(Problem(loc.file, hr if loc.sheet is None else None,
                                    ", ".join(([f"sheet '{loc.sheet}'"] if loc.sheet else [])
                                              + [f"row {hr}", f"column {letter}"]),
                                    "unknown column (expected one of: "
                                    + ", ".join(f"{c.zh}/{c.field}" for c in COLUMNS) + ")", str(h).strip()))
            continue
        if f in loc.columns:
            problems.append(loc.at(hr, f, f"column repeated (already column {loc.columns[f][0]})", str(h).strip()))
            continue
        loc.columns[f] = (letter, str(h).strip())
        fields[i] = f
    missing = [c for c in COLUMNS if c.required and c.field not in loc.columns]
    for c in missing:
        problems.append(loc.at(hr, None, f"required column missing: {c.zh} ({c.field})"))
    if missing:  # rows cannot be read without their id; unknown columns alone still let us check every row
        raise SystemsInvalid(problems, what=loc.file)

    name_to_id: dict[str, list[str]] = {}
    for did, dname in ctx.departments.items():
        name_to_id.setdefault(dname, []).append(did)
    systems: list[m.System] = []
    extras: dict[str, SystemExtra] = {}
    first_row: dict[str, int] = {}
    has_owner_column = "owner" in loc.columns
    for r, cells in it:
        if all(_blank(c) for c in cells):
            continue
        data: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        row_ok = True
        for i, f in fields.items():
            v = cells[i] if i < len(cells) else None
            if _blank(v):
                continue
            try:
                parsed = _PARSERS[f](v)
            except CellError as exc:
                problems.append(loc.at(r, f, str(exc), _text(v)))
                row_ok = False
                continue
            (extra if f in EXTRA_FIELDS else data)[f] = parsed
        for c in COLUMNS:
            if c.required and c.field not in data and c.field in loc.columns:
                problems.append(loc.at(r, c.field, "required value is empty"))
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
            continue
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
        extras[system.id] = SystemExtra(owner=owner, users=extra.get("users"))
    ids = set(first_row)
    for s in systems:
        for dep in s.depends_on:
            if dep == s.id:
                problems.append(loc.problem(s.id, "depends_on", "a system cannot depend on itself", dep))
            elif dep not in ids:
                problems.append(loc.problem(s.id, "depends_on", "depends on a system that does not exist", dep))
        if s.target_platform is not None and s.target_platform not in ctx.platforms:
            problems.append(loc.problem(s.id, "target_platform", "no such platform in clouds.yaml",
                                        s.target_platform))
    problems += policy_problems(systems, loc)
    if problems:
        raise SystemsInvalid(sorted(problems, key=_row_order), what=loc.file)
    return SystemSource(loc.file, systems, extras, loc, kind)


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


def read_csv(path: Path, ctx: InventoryContext, shown: str | None = None) -> SystemSource:
    shown = shown or str(path)
    raw = _read_bytes(path, shown)
    return parse_rows(_csv_rows(_decode(raw, shown)), SheetLocator(shown, None), ctx, "csv")


PREFERRED_SHEETS = ("系统清单", "systems", "系统", "system")


def read_xlsx(path: Path, ctx: InventoryContext, sheet: str | None = None, shown: str | None = None) -> SystemSource:
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
    return parse_rows(rows, SheetLocator(shown, chosen), ctx, "xlsx")


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

    class _Origins:
        def problem(self, kind: str, ident: str, sub: tuple, message: str, value: object = None) -> Problem:
            i = index[ident]
            path = ("systems", i) + tuple(sub)
            from govctl.inventory.yamlsrc import format_path
            return Problem(shown, src.line_of(path), format_path(path), message,
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


def read_systems(path: Path, ctx: InventoryContext, sheet: str | None = None) -> SystemSource:
    """Read a system list by its suffix: .yaml/.yml, .csv or .xlsx."""
    suffix = path.suffix.lower()
    if sheet is not None and suffix != ".xlsx":
        raise MigrationInputError(f"--sheet only applies to .xlsx files, not {path.name}")
    if suffix in (".yaml", ".yml"):
        return read_yaml_systems(path, ctx)
    if suffix == ".csv":
        return read_csv(path, ctx)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, ctx, sheet)
    raise MigrationInputError(f"{path}: unknown file type '{path.suffix}' (expected .yaml, .csv or .xlsx)")


# ---------------------------------------------------------------- writing


def _cell(s: m.System, extra: SystemExtra | None, fld: str) -> Any:
    if fld == "depends_on":
        return ", ".join(s.depends_on)
    if fld in EXTRA_FIELDS:
        return getattr(extra, fld, None) if extra else None
    v = getattr(s, fld)
    if hasattr(v, "value"):
        return v.value
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def system_rows(systems: list[m.System], extras: dict[str, SystemExtra], lang: str) -> list[list[Any]]:
    rows: list[list[Any]] = [[header_label(c, lang) for c in COLUMNS]]
    for s in systems:
        rows.append([_cell(s, extras.get(s.id), c.field) for c in COLUMNS])
    return rows


def write_csv(systems: list[m.System], extras: dict[str, SystemExtra], lang: str = "both") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for row in system_rows(systems, extras, lang):
        w.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v for v in row])
    return buf.getvalue()


def write_xlsx(path: Path, systems: list[m.System], extras: dict[str, SystemExtra], lang: str = "both") -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "系统清单"
    for row in system_rows(systems, extras, lang):
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for i, c in enumerate(COLUMNS):
        ws.column_dimensions[column_letter(i)].width = max(12, len(header_label(c, lang)) * 2)
        if c.field == "last_used":
            for cell in ws[column_letter(i)][1:]:
                cell.number_format = "yyyy-mm-dd"
    legend = wb.create_sheet("说明")
    legend.append(["表头 (header)", "字段 (field)", "必填 (required)", "取值 (values)"])
    for c in COLUMNS:
        legend.append([c.zh, c.field, "是 yes" if c.required else "否 no", c.doc])
    wb.save(path)
