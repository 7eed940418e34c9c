"""Due dates of recurring schedules, with business-day adjustment on the Chinese working calendar.

Which days are worked comes from the official data: the maintained ``chinesecalendar`` package (public
holidays and 调休 make-up working days, e.g. Saturday 2026-10-10 is a working day), overridden and extended
per year by the HR-maintained ``rules/calendar.yaml`` (:mod:`perfrules.engine.rulebook.holidays`), so next year's
schedule can be entered the day the State Council publishes it. The ``calendar:`` option of a schedule says
what to do in a year neither knows:

* ``cn_provisional`` (the default): weekends plus the statutory days off of 全国年节及纪念日放假办法
  (:func:`statutory_holidays`: the fixed-date ones and the lunar ones computed with ``lunardate``, Qingming
  from the solar terms); only the 调休 of that year is unknown, and the guess is logged once per year;
* ``cn`` (strict): raise :class:`CalendarOutOfRange` (evaluation reports the rule as not judged, the
  scheduler logs it and skips the instance; ``perfrules check`` warns a year ahead);
* ``weekends``: Saturday and Sunday only, every year.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar.constants import holidays as _PACKAGE_HOLIDAYS
from lunardate import LunarDate
from perfrules.engine.errors import PerfRulesError
from perfrules.engine.periods import Period, month_of, week_of
from perfrules.engine.rulebook.model import WEEKDAYS, Schedule

log = logging.getLogger("perfrules.rulebook")

# 全国年节及纪念日放假办法 (as amended in 2024, in force from 2025): the holidays on a fixed solar date.
FIXED_HOLIDAYS = ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))
FIXED_HOLIDAYS_TEXT = (
    "1 Jan, Spring Festival (除夕 to 初三), Qingming, 1–2 May, Dragon Boat (端午), Mid-Autumn (中秋), 1–3 Oct"
)
PACKAGE_YEARS = range(min(_PACKAGE_HOLIDAYS).year, max(_PACKAGE_HOLIDAYS).year + 1)


class CalendarOutOfRange(PerfRulesError, ValueError):
    """Raised with ``calendar: cn`` when a due date falls in a year that neither the chinesecalendar package
    nor ``rules/calendar.yaml`` has official holiday data for."""

    def __init__(self, day: date, detail: str):
        super().__init__(
            f"no Chinese holiday data for {day.isoformat()} ({detail}); add {day.year} to "
            "rules/calendar.yaml, or use calendar: cn_provisional or weekends"
        )
        self.day = day


@dataclass(frozen=True)
class OfficialYear:
    """One year of ``rules/calendar.yaml``: days off and make-up working days (调休) as published."""

    year: int
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class WorkCalendar:
    """The official working-day data: the chinesecalendar package, with ``years`` from rules/calendar.yaml
    taking precedence for their year (a year listed there counts as known)."""

    years: tuple[OfficialYear, ...] = ()
    _by_year: dict[int, OfficialYear] = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_year", {y.year: y for y in self.years})

    def entry(self, year: int) -> OfficialYear | None:
        return self._by_year.get(year)

    def official_workday(self, day: date) -> bool | None:
        """Whether ``day`` is worked by the official data, or None when its year has none."""
        entry = self._by_year.get(day.year)
        if entry is not None:
            if day in entry.workdays:
                return True
            if day in entry.holidays:
                return False
        if day.year in PACKAGE_YEARS:
            return chinese_calendar.is_workday(day)
        return None if entry is None else day.weekday() < 5


PACKAGE_ONLY = WorkCalendar()
_logged_years: set[int] = set()


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> frozenset[date]:
    """The statutory days off of ``year`` by 全国年节及纪念日放假办法 (2025): the fixed solar dates, Spring
    Festival (除夕 and 初一 to 初三), Qingming (the solar term), Dragon Boat (五月初五) and Mid-Autumn (八月十五).
    What the State Council adds by 调休 each year cannot be computed."""
    new_year = LunarDate(year, 1, 1).to_solar_date()
    lunar = [new_year + timedelta(days=offset) for offset in (-1, 0, 1, 2)]
    lunar += [LunarDate(year, 5, 5).to_solar_date(), LunarDate(year, 8, 15).to_solar_date()]
    qingming = [
        day for day, name in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10)) if name == "清明"
    ]
    return frozenset([date(year, month, day) for month, day in FIXED_HOLIDAYS] + lunar + qingming)


def provisional_workday(day: date) -> bool:
    """The fallback for a year without official data: weekdays that are not a statutory day off."""
    return day.weekday() < 5 and day not in statutory_holidays(day.year)


def schedule_calendar(schedule: Schedule) -> WorkCalendar:
    """The working-day data the rulebook attached to ``schedule`` (the package alone if none)."""
    return schedule.work_calendar or PACKAGE_ONLY


def is_workday(day: date, calendar: str, holidays: WorkCalendar | None = None) -> bool:
    if calendar == "weekends":
        return day.weekday() < 5
    official = (holidays or PACKAGE_ONLY).official_workday(day)
    if official is not None:
        return official
    if calendar == "cn_provisional":
        if day.year not in _logged_years:  # once per year and process: the log must say we are guessing
            _logged_years.add(day.year)
            log.warning(
                "no official holiday data for %d: using weekends and %s only (calendar: "
                "cn_provisional); add %d to rules/calendar.yaml",
                day.year,
                FIXED_HOLIDAYS_TEXT,
                day.year,
            )
        return provisional_workday(day)
    raise CalendarOutOfRange(
        day,
        f"the chinesecalendar package covers {PACKAGE_YEARS[0]}–{PACKAGE_YEARS[-1]} "
        f"and rules/calendar.yaml does not list {day.year}",
    )


def adjust(day: date, mode: str, calendar: str, holidays: WorkCalendar | None = None) -> date:
    """Move ``day`` to the next/previous working day when it is not one (``mode`` 'none' keeps it)."""
    if mode == "none":
        return day
    step = timedelta(days=1 if mode == "next" else -1)
    for _ in range(60):
        if is_workday(day, calendar, holidays):
            return day
        day += step
    raise AssertionError("no working day within 60 days")


def workdays_ahead(day: date, count: int, schedule: Schedule) -> date:
    """The ``count``-th working day after ``day`` on ``schedule``'s calendar (``day`` itself not counted):
    what "due within the next three working days" reaches up to."""
    holidays = schedule_calendar(schedule)
    for _ in range(count):
        day = adjust(day + timedelta(days=1), "next", schedule.calendar, holidays)
    return day


def _last_day(year: int, month: int) -> int:
    return (month_of(date(year, month, 1)).end - timedelta(days=1)).day


def nominal_due_day(schedule: Schedule, covered: Period) -> date | None:
    """The unadjusted due date of the instance covering ``covered`` (None: skipped this month)."""
    due = schedule.due
    if due.day is not None:
        month = covered if schedule.covers == "current_month" else month_of(covered.start).next()
        last = _last_day(month.start.year, month.start.month)
        day = last if due.day == "last" else int(due.day)
        if day > last:
            if due.if_missing == "skip":
                return None
            day = last
        return date(month.start.year, month.start.month, day)
    week = covered if schedule.covers == "current_week" else week_of(covered.start).next()
    return week.start + timedelta(days=WEEKDAYS.index(due.weekday))


def due_at(schedule: Schedule, covered: Period, holidays: WorkCalendar | None = None) -> datetime | None:
    """The aware due time of the instance covering ``covered``, after business-day adjustment.

    ``holidays`` defaults to the calendar the rulebook attached to ``schedule`` (rules/calendar.yaml).
    """
    nominal = nominal_due_day(schedule, covered)
    if nominal is None:
        return None
    day = adjust(nominal, schedule.business_days, schedule.calendar, holidays or schedule_calendar(schedule))
    return datetime.combine(day, schedule.due.time, ZoneInfo(schedule.timezone))


def covered_periods(schedule: Schedule, window: Period) -> list[Period]:
    """The periods (months or weeks, per the schedule) that lie within ``window`` and have an instance."""
    if schedule.due.day is not None:
        periods = list(window.months())
    else:
        periods, week = [], week_of(window.start)
        while week.start < window.end:
            periods.append(week)
            week = week.next()
    out = [p for p in periods if window.start <= p.start < window.end]
    return [p for p in out if nominal_due_day(schedule, p) is not None]
