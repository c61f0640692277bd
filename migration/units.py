"""Units of the spreadsheet columns that carry one: data size and the DR objectives.

A unit is read from the header (``数据量(TB)``, ``RTO (h)``, ``data_gb``) or from the
cell (``1.5TB``, ``4小时``); it is never guessed. A header without a unit takes
values that bring their own; a bare number under it is an error, since ``4`` in a
column headed ``RTO`` may mean 4 minutes or 4 hours and the DR grade depends on it.
A cell's unit that differs from its header's is an error too (``4h`` under
``RTO(分钟)``): one of the two is wrong and only the team knows which.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class UnitError(ValueError):
    """A header or a cell whose unit cannot be read; the message says what is wrong."""


@dataclass(frozen=True)
class Unit:
    kind: str  # size | duration
    canonical: str  # how messages and exports write it
    factor: float  # to the field's stored unit (GB, minutes)


# Spellings as they appear in departments' sheets, compared lower-case without spaces.
def _spellings(kind: str, table: list[tuple[tuple[str, ...], str, float]]) -> dict[str, Unit]:
    return {name: Unit(kind, canonical, factor) for names, canonical, factor in table for name in names}


SIZE_UNITS = _spellings("size", [(("pb", "pib", "p"), "PB", 1024.0 * 1024), (("tb", "tib", "t"), "TB", 1024.0),
                                 (("gb", "gib", "g"), "GB", 1.0), (("mb", "mib", "m"), "MB", 1 / 1024)])
DURATION_UNITS = _spellings("duration", [
    (("min", "mins", "minute", "minutes", "分钟", "分", "m"), "分钟 (min)", 1.0),
    (("h", "hr", "hrs", "hour", "hours", "小时", "时", "钟头"), "小时 (h)", 60.0),
    (("d", "day", "days", "天", "日"), "天 (d)", 1440.0)])

UNITS_OF_KIND = {"size": SIZE_UNITS, "duration": DURATION_UNITS}
KIND_OF_FIELD = {"data_gb": "size", "rto_minutes": "duration", "rpo_minutes": "duration"}
EXPECTED = {"size": "TB, GB or MB", "duration": "分钟/min, 小时/h or 天/d"}


def unit_of(text: str, kind: str) -> Unit | None:
    return UNITS_OF_KIND[kind].get(re.sub(r"\s+", "", text).lower())


def any_unit(text: str) -> Unit | None:
    """A unit of any kind (to tell 'a unit where none belongs' from an unknown word)."""
    key = re.sub(r"\s+", "", text).lower()
    if key == "m":  # minutes or MB: only its column can say
        return None
    return SIZE_UNITS.get(key) or DURATION_UNITS.get(key)


_NUMBER = re.compile(r"^([+-]?(?:\d[\d,]*)?(?:\.\d+)?)\s*(\D.*)?$")


def split_value(v: Any) -> tuple[float, str | None]:
    """A cell -> (number, its own unit text or None); ``UnitError`` when there is no number."""
    if isinstance(v, bool):
        raise UnitError("expected a number")
    if isinstance(v, (int, float)):
        return float(v), None
    text = str(v).strip()
    mt = _NUMBER.match(text)
    if not mt or not re.search(r"\d", mt.group(1) or ""):
        raise UnitError("expected a number")
    digits = mt.group(1).replace(",", "")
    try:
        number = float(digits)
    except ValueError:
        raise UnitError("expected a number") from None
    unit = (mt.group(2) or "").strip() or None
    return number, unit


def convert(v: Any, kind: str, header_unit: Unit | None, header: str) -> float:
    """A cell of a unit-carrying column -> the value in the stored unit (GB, minutes)."""
    number, unit_text = split_value(v)
    if number < 0:
        raise UnitError("cannot be negative")
    if unit_text is None:
        if header_unit is None:
            raise UnitError(f"no unit: the header '{header}' gives none, so write it in the header "
                            f"(e.g. {'数据量(GB)' if kind == 'size' else 'RTO(小时)'}) or in the cell "
                            f"(e.g. {'1.5TB' if kind == 'size' else '4h'})")
        return number * header_unit.factor
    unit = unit_of(unit_text, kind)
    if unit is None:
        raise UnitError(f"unknown unit '{unit_text}' (expected {EXPECTED[kind]})")
    if header_unit is not None and unit.canonical != header_unit.canonical:
        raise UnitError(f"the cell's unit {unit.canonical} contradicts the header's {header_unit.canonical}")
    return number * unit.factor
