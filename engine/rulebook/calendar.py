"""Due dates of recurring schedules, with business-day adjustment on the Chinese working calendar.

``calendar: cn`` uses the maintained ``chinesecalendar`` package (public holidays and 调休 make-up
working days, e.g. Saturday 2026-10-10 is a working day); ``weekends`` only skips Saturday and Sunday.
A year the package has no data for raises :class:`CalendarOutOfRange` rather than guessing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from engine.errors import PerfRulesError
from engine.periods import Period, PeriodKind, month_of, week_of
from engine.rulebook.model import WEEKDAYS, Schedule


class CalendarOutOfRange(PerfRulesError, ValueError):
    """Raised when a due date falls in a year the Chinese holiday calendar has no data for."""

    def __init__(self, day: date, detail: str):
        super().__init__(f"no Chinese holiday data for {day.isoformat()} ({detail}); "
                         "upgrade the chinesecalendar package or use calendar: weekends")
        self.day = day


def is_workday(day: date, calendar: str) -> bool:
    if calendar == "weekends":
        return day.weekday() < 5
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError as exc:
        raise CalendarOutOfRange(day, str(exc)) from None


def adjust(day: date, mode: str, calendar: str) -> date:
    """Move ``day`` to the next/previous working day when it is not one (``mode`` 'none' keeps it)."""
    if mode == "none":
        return day
    step = timedelta(days=1 if mode == "next" else -1)
    for _ in range(60):
        if is_workday(day, calendar):
            return day
        day += step
    raise AssertionError("no working day within 60 days")


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


def due_at(schedule: Schedule, covered: Period) -> datetime | None:
    """The aware due time of the instance covering ``covered``, after business-day adjustment."""
    nominal = nominal_due_day(schedule, covered)
    if nominal is None:
        return None
    day = adjust(nominal, schedule.business_days, schedule.calendar)
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


def covered_kind(schedule: Schedule) -> PeriodKind:
    return PeriodKind.MONTH if schedule.due.day is not None else PeriodKind.WEEK
