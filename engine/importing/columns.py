"""Column types of the fact files: parse and check a whole column of text cells at once.

Each type has a fast path over a column without empty cells (C-speed ``map``/set checks; it returns None
when anything is off) and a per-cell path that says exactly what is wrong with a cell. Outputs are
driver-ready: text for dates, amounts and times (UTC times as naive ``YYYY-MM-DD HH:MM:SS.ffffff``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from operator import attrgetter, itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from perfrules.engine.errors import InvalidPeriod, suggest
from perfrules.engine.periods import parse_period

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
AMOUNT_LIMIT = 10**14  # NUMERIC(18, 4)
_AMOUNT = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|-?\.\d+")
_AMOUNT_CHARS = frozenset("0123456789.-")
_WHOLE_CHARS = frozenset("0123456789+-")
_WHOLE = re.compile(r"[+-]?\d+")
_MONTH = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])")
_TZINFO = attrgetter("tzinfo")
_SHAPE = itemgetter(4, 7, 13)
_BOOLS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False, "是": True, "否": False}


def is_null(value: str | None) -> bool:
    return value is None or value == ""


_ZONE_HOURS: dict[ZoneInfo, dict[str, str | None]] = {}
_ZONE_HOURS_CAP = 100_000  # hours per zone kept between imports (~11 years of days, a few MB)


class Context:
    """Per-import parsing state: the company zone and its map of local hour -> UTC hour.

    The map is shared by the imports of one process (API pushes convert the same days again and again); a
    day is added whole in one step, so a concurrent import sees it complete or not at all."""

    def __init__(self, zone: ZoneInfo):
        self.zone = zone
        hours = _ZONE_HOURS.get(zone)
        if hours is None or len(hours) > _ZONE_HOURS_CAP:
            hours = _ZONE_HOURS[zone] = {}  # a fresh map: imports under way keep the one they hold
        self.hours = hours

    def utc_hour(self, prefix: str) -> str | None:
        """UTC ``YYYY-MM-DD HH`` of the local hour ``YYYY-MM-DDTHH``; None when the zone's offset is not whole
        hours or changes that day (then each value is converted on its own). Fills the whole day at once."""
        if prefix not in self.hours:
            day, sep = prefix[:10], prefix[10]
            filled: dict[str, str | None] = dict.fromkeys((f"{day}{sep}{hour:02d}" for hour in range(24)), None)
            start = datetime.fromisoformat(day).replace(tzinfo=self.zone)
            offset = start.utcoffset()
            last = start + timedelta(hours=23, minutes=59, seconds=59)
            if 1900 <= start.year <= 2200 and offset == last.utcoffset() and offset.total_seconds() % 3600 == 0:
                utc = start.replace(tzinfo=None) - offset
                for hour in range(24):
                    filled[f"{day}{sep}{hour:02d}"] = (utc + timedelta(hours=hour)).isoformat(" ", "hours")
            self.hours.update(filled)
            return filled[prefix]
        return self.hours[prefix]


class ColumnType:
    """Base of the column types: ``fast`` for a whole column, ``one`` for a single non-empty cell."""

    outputs = 1

    def fast(self, values: list[str], ctx: Context) -> list[list[Any]] | None:
        return None

    def one(self, value: str, ctx: Context) -> tuple[Any, ...]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


class Text(ColumnType):
    def __init__(self, max_length: int | None = None):
        self.max_length = max_length

    def fast(self, values, ctx):
        if self.max_length is None or max(map(len, values), default=0) <= self.max_length:
            return [values]
        return None

    def one(self, value, ctx):
        if self.max_length is not None and len(value) > self.max_length:
            raise ValueError(f"{value[:20]!r}… is longer than {self.max_length} characters")
        return (value,)

    def describe(self):
        return f"text (≤ {self.max_length} characters)" if self.max_length else "text"


class WholeNumber(ColumnType):
    def __init__(self, minimum: int = INT_MIN):
        self.minimum = minimum

    def fast(self, values, ctx):
        if not set("".join(values)) <= _WHOLE_CHARS:  # int() also takes '1_000', ' 5' and other digits
            return None
        try:
            out = list(map(int, values))
        except ValueError:
            return None
        if out and (min(out) < self.minimum or max(out) > INT_MAX):
            return None
        return [out]

    def one(self, value, ctx):
        if not _WHOLE.fullmatch(value.strip()):
            raise ValueError(f"{value!r} is not a whole number")
        number = int(value)
        if number < self.minimum:
            raise ValueError(f"{number} must be positive" if self.minimum == 1 else f"{number} must not be negative")
        if number > INT_MAX or number < INT_MIN:
            raise ValueError(f"{number} is too large")
        return (number,)

    def describe(self):
        return {1: "whole number > 0", 0: "whole number ≥ 0"}.get(self.minimum, "whole number")


class Amount(ColumnType):
    """Decimal text; thousands commas allowed. Stored as the text without commas."""

    def __init__(self, negative: bool = False):
        self.negative = negative

    def fast(self, values, ctx):
        if not set("".join(values)) <= _AMOUNT_CHARS:
            return None
        try:
            numbers = list(map(float, values))
        except ValueError:
            return None
        if numbers and (
            max(numbers) >= AMOUNT_LIMIT or min(numbers) <= -AMOUNT_LIMIT or (not self.negative and min(numbers) < 0)
        ):
            return None
        return [values]

    def one(self, value, ctx):
        text_ = value.strip()
        if not _AMOUNT.fullmatch(text_):
            raise ValueError(f"{value!r} is not an amount (expected decimal text such as 1,234.50)")
        text_ = text_.replace(",", "")
        number = float(text_)
        if number < 0 and not self.negative:
            raise ValueError(f"{value!r} must not be negative")
        if abs(number) >= AMOUNT_LIMIT:
            raise ValueError(f"{value!r} is too large")
        return (text_,)

    def describe(self):
        return "amount" if self.negative else "amount ≥ 0"


class Day(ColumnType):
    def fast(self, values, ctx):
        try:
            days = [d.isoformat() for d in map(date.fromisoformat, values)]
        except ValueError:
            return None
        return [values] if days == values else None

    def one(self, value, ctx):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            day = None
        if day is None or day.isoformat() != value.strip():
            raise ValueError(f"{value!r} is not a date (expected YYYY-MM-DD)")
        return (value.strip(),)

    def describe(self):
        return "date YYYY-MM-DD"


class Month(ColumnType):
    def fast(self, values, ctx):
        return [values] if all(map(_MONTH.fullmatch, values)) else None

    def one(self, value, ctx):
        if not _MONTH.fullmatch(value.strip()):
            raise ValueError(f"{value!r} is not a month (expected YYYY-MM)")
        return (value.strip(),)

    def describe(self):
        return "month YYYY-MM"


class Timestamp(ColumnType):
    """ISO 8601; without an offset in the company zone. With ``day`` it also yields the local date."""

    def __init__(self, day: bool = False):
        self.day = day
        self.outputs = 2 if day else 1

    def fast(self, values, ctx):
        try:
            parsed = list(map(datetime.fromisoformat, values))
        except ValueError:
            return None
        naive = not any(map(_TZINFO, parsed))
        if naive and set(map(len, values)) == {19} and set(map(_SHAPE, values)) == {("-", "-", ":")}:
            # the usual export: local YYYY-MM-DDTHH:MM:SS; convert by the hour, by string, column-wise
            keys = [v[:13] for v in values]
            for key in set(keys).difference(ctx.hours):
                if key not in ctx.hours:  # utc_hour fills whole days
                    ctx.utc_hour(key)
            prefixes = list(map(ctx.hours.__getitem__, keys))
            if None not in prefixes:
                utc = [p + v[13:] + ".000000" for p, v in zip(prefixes, values, strict=True)]
                return [utc, [v[:10] for v in values]] if self.day else [utc]
        utc, days, hours = [], [], ctx.hours
        for raw, moment in zip(values, parsed, strict=True):
            n = len(raw)
            prefix = None
            if moment.tzinfo is None and raw[7] == "-" and (n == 19 or (n == 26 and raw[19] == ".")):
                prefix = hours.get(raw[:13], "") or ctx.utc_hour(raw[:13])
            if prefix is None:
                try:
                    u, d = self._convert(raw, moment, ctx.zone)
                except ValueError:
                    return None
            else:
                u, d = prefix + (raw[13:] if n == 26 else raw[13:] + ".000000"), raw[:10]
            utc.append(u)
            days.append(d)
        return [utc, days] if self.day else [utc]

    @staticmethod
    def _convert(raw: str, moment: datetime, zone: ZoneInfo) -> tuple[str, str]:
        if not 1900 <= moment.year <= 2200:
            raise ValueError(f"{raw!r} is out of range (years 1900 to 2200)")
        local = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
        utc = local.astimezone(UTC).replace(tzinfo=None)
        return utc.isoformat(" ", "microseconds"), local.date().isoformat()

    def one(self, value, ctx):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a timestamp (expected ISO 8601 such as 2026-09-01T08:30:00)") from None
        utc, day = self._convert(value, moment, ctx.zone)
        return (utc, day) if self.day else (utc,)

    def describe(self):
        return "timestamp ISO 8601"


class Flag(ColumnType):
    def fast(self, values, ctx):
        try:
            return [[_BOOLS[v.strip().lower()] for v in values]]
        except KeyError:
            return None

    def one(self, value, ctx):
        try:
            return (_BOOLS[value.strip().lower()],)
        except KeyError:
            raise ValueError(f"{value!r} is not a boolean (expected true/false, 1/0, yes/no, 是/否)") from None

    def describe(self):
        return "boolean"


class Choice(ColumnType):
    def __init__(self, options: Sequence[str]):
        self.options = tuple(options)
        self._set = frozenset(options)

    def fast(self, values, ctx):
        return [values] if self._set.issuperset(values) else None

    def one(self, value, ctx):
        if value not in self._set:
            raise ValueError(f"{value!r} is not one of {', '.join(self.options)}{suggest(value, self.options)}")
        return (value,)

    def describe(self):
        return "one of " + ", ".join(f"`{o}`" for o in self.options)


class JsonObject(ColumnType):
    """A JSON object (in CSV: a JSON text cell); stored as SQLAlchemy's own ``json.dumps`` text."""

    def one(self, value, ctx):
        try:
            obj = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc.msg} (character {exc.pos + 1})") from None
        if not isinstance(obj, dict):
            raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
        return (json.dumps(obj),)

    def describe(self):
        return "JSON object"


class PeriodLabel(ColumnType):
    """A period label (``2026-09``, ``2026Q3``, ``2026-W38``, ``2026``); stored in canonical form."""

    def one(self, value, ctx):
        try:
            return (parse_period(value.strip()).label,)
        except InvalidPeriod as exc:
            raise ValueError(str(exc)) from None

    def describe(self):
        return "period (2026-09, 2026Q3, 2026-W38, 2026)"


class KitList(ColumnType):
    """``SKU*QTY|SKU*QTY``; stored canonically (sorted by component)."""

    def one(self, value, ctx):
        parts = {}
        for part in value.split("|"):
            sku, star, qty = part.strip().rpartition("*")
            if not star or not sku or not _WHOLE.fullmatch(qty) or int(qty) < 1:
                raise ValueError(f"{part!r} is not a component (expected SKU*QTY, e.g. S1*2|S2*1)")
            if sku in parts:
                raise ValueError(f"component {sku!r} is listed twice")
            parts[sku] = int(qty)
        return ("|".join(f"{s}*{q}" for s, q in sorted(parts.items())),)

    def describe(self):
        return "components `SKU*QTY|SKU*QTY`"


def convert(
    kind: ColumnType, values: Sequence[str | None], required: bool, ctx: Context
) -> tuple[list[list[Any]], list[tuple[int, str]]]:
    """Parse a column: the output columns and the (row index, message) of every bad cell. A cell holding a NUL
    character (byte 0) is bad whatever the type: PostgreSQL cannot store one, and nobody typed it."""
    values = list(values)
    nul = _nul_cells(values)
    nulls = bool(nul) or "" in values or None in values
    if not nulls:
        out = kind.fast(values, ctx)
        if out is not None:
            return out, []
    elif not required and not any(values):
        return [[None] * len(values) for _ in range(kind.outputs)], []
    rows: list[tuple[Any, ...]] = []
    bad: list[tuple[int, str]] = []
    empty = (None,) * kind.outputs
    for i, value in enumerate(values):
        if i in nul:
            rows.append(empty)
            bad.append((i, f"{value[:20]!r} holds a NUL character (byte 0): a broken export? remove it"))
            continue
        if is_null(value):
            rows.append(empty)
            if required:
                bad.append((i, "required value is missing"))
            continue
        try:
            rows.append(kind.one(value, ctx))
        except ValueError as exc:
            rows.append(empty)
            bad.append((i, str(exc)))
    return [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(kind.outputs)], bad


def _nul_cells(values: list[str | None]) -> set[int]:
    """The indexes of the cells holding a NUL character (one scan of the joined column when there is none)."""
    if "\x00" not in "".join(filter(None, values)):
        return set()
    return {i for i, v in enumerate(values) if v and "\x00" in v}
