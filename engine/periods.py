"""Calendar periods: month, quarter, year, ISO week and trailing twelve months.

A period is a half-open range of local dates ``[start, end)``; :meth:`Period.bounds` turns it into aware
datetimes in the company's zone. Labels round-trip through :func:`parse_period`:
``2026-09``, ``2026Q3`` (or ``2026-Q3``), ``2026``, ``2026-W38``, ``ttm:2026-09``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from perfrules.engine.errors import InvalidPeriod


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    WEEK = "week"
    TTM = "ttm"


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, clamped to the end of a shorter month (31 Jan + 1 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True, order=True)
class Period:
    """A half-open range of local dates ``[start, end)`` with a kind and a canonical label."""

    start: date
    end: date
    kind: PeriodKind

    @property
    def label(self) -> str:
        s = self.start
        match self.kind:
            case PeriodKind.MONTH:
                return f"{s.year:04d}-{s.month:02d}"
            case PeriodKind.QUARTER:
                return f"{s.year:04d}Q{(s.month - 1) // 3 + 1}"
            case PeriodKind.YEAR:
                return f"{s.year:04d}"
            case PeriodKind.WEEK:
                iso = s.isocalendar()
                return f"{iso.year:04d}-W{iso.week:02d}"
            case PeriodKind.TTM:
                last = self.end - timedelta(days=1)
                return f"ttm:{last.year:04d}-{last.month:02d}"
        raise AssertionError(self.kind)

    def __str__(self) -> str:
        return self.label

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day < self.end

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """Aware datetimes ``[start 00:00, end 00:00)`` in ``zone``."""
        return (datetime.combine(self.start, time(), zone), datetime.combine(self.end, time(), zone))

    def months(self) -> Iterator[Period]:
        """The calendar months this period overlaps (a week may overlap two)."""
        m = month_of(self.start)
        while m.start < self.end:
            yield m
            m = m.next()

    def next(self) -> Period:
        return self.shift(1)

    def previous(self) -> Period:
        return self.shift(-1)

    def shift(self, n: int) -> Period:
        """The period ``n`` steps later (negative: earlier) of the same kind."""
        match self.kind:
            case PeriodKind.MONTH | PeriodKind.TTM:
                months = 1
            case PeriodKind.QUARTER:
                months = 3
            case PeriodKind.YEAR:
                months = 12
            case PeriodKind.WEEK:
                return week_of(self.start + timedelta(weeks=n))
        return Period(add_months(self.start, n * months), add_months(self.end, n * months), self.kind)

    def year_ago(self) -> Period:
        """The same period one year earlier (for year-on-year comparisons)."""
        if self.kind is PeriodKind.WEEK:
            return week_of(self.start - timedelta(weeks=52))
        return Period(add_months(self.start, -12), add_months(self.end, -12), self.kind)


def month_of(day: date) -> Period:
    start = date(day.year, day.month, 1)
    return Period(start, add_months(start, 1), PeriodKind.MONTH)


def quarter_of(day: date) -> Period:
    start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return Period(start, add_months(start, 3), PeriodKind.QUARTER)


def year_of(day: date) -> Period:
    return Period(date(day.year, 1, 1), date(day.year + 1, 1, 1), PeriodKind.YEAR)


def week_of(day: date) -> Period:
    start = day - timedelta(days=day.weekday())
    return Period(start, start + timedelta(days=7), PeriodKind.WEEK)


def ttm_ending(month: Period) -> Period:
    """Trailing twelve months ending with (and including) ``month``."""
    return Period(add_months(month.start, -11), month.end, PeriodKind.TTM)


_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{2})$"), lambda m: month_of(date(int(m[1]), int(m[2]), 1))),
    (re.compile(r"^(\d{4})-?Q([1-4])$", re.I), lambda m: quarter_of(date(int(m[1]), int(m[2]) * 3 - 2, 1))),
    (re.compile(r"^(\d{4})$"), lambda m: year_of(date(int(m[1]), 1, 1))),
    (re.compile(r"^(\d{4})-W(\d{2})$", re.I), lambda m: week_of(date.fromisocalendar(int(m[1]), int(m[2]), 1))),
    (re.compile(r"^ttm:(\d{4})-(\d{2})$", re.I), lambda m: ttm_ending(month_of(date(int(m[1]), int(m[2]), 1)))),
)


def parse_period(text: str) -> Period:
    """Parse a period label; raises :class:`~engine.errors.InvalidPeriod`."""
    cleaned = text.strip()
    for pattern, build in _PATTERNS:
        match = pattern.match(cleaned)
        if match:
            try:
                return build(match)
            except ValueError:
                break
    raise InvalidPeriod(text)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar date of an aware ``moment`` in ``zone``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: perfrules only handles zone-aware times")
    return moment.astimezone(zone).date()
