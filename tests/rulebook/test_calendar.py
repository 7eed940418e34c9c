"""Due dates: month ends, 29 February, Chinese public holidays and 调休 make-up working days."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from perfrules.engine.periods import parse_period
from perfrules.engine.rulebook.calendar import CalendarOutOfRange, adjust, due_at, is_workday, workdays_ahead
from perfrules.engine.rulebook.model import Schedule


def schedule(**due: object) -> Schedule:
    covers = due.pop("covers", "previous_month")
    extra = {k: due.pop(k) for k in ("business_days", "calendar") if k in due}
    return Schedule.model_validate({"covers": covers, "due": {"time": "18:00", **due}, **extra})


@pytest.mark.parametrize(
    ("spec", "covered", "expected"),
    [
        ({"day": 5}, "2026-08", "2026-09-07T18:00:00+08:00"),  # Sat 5 Sep → Mon 7 Sep
        ({"day": 5}, "2026-09", "2026-10-08T18:00:00+08:00"),  # National Day week → Thu 8 Oct
        ({"day": 10}, "2026-09", "2026-10-10T18:00:00+08:00"),  # Sat 10 Oct 2026 is a make-up working day
        ({"day": 11, "business_days": "previous"}, "2026-09", "2026-10-10T18:00:00+08:00"),  # Sun 11 Oct → Sat 10
        ({"day": 11, "calendar": "weekends", "business_days": "previous"}, "2026-09", "2026-10-09T18:00:00+08:00"),
        ({"day": 20}, "2026-01", "2026-02-24T18:00:00+08:00"),  # Spring Festival 15–23 Feb 2026
        ({"day": 31, "if_missing": "last_day"}, "2026-01", "2026-02-28T18:00:00+08:00"),  # Sat 28 Feb: make-up day
        ({"day": "last", "business_days": "none"}, "2028-01", "2028-02-29T18:00:00+08:00"),  # leap year, no calendar
        ({"day": "last", "business_days": "none", "covers": "current_month"}, "2026-02", "2026-02-28T18:00:00+08:00"),
        ({"day": 20, "business_days": "none"}, "2026-09", "2026-10-20T18:00:00+08:00"),
        ({"weekday": "friday", "covers": "current_week"}, "2026-W39", "2026-09-28T18:00:00+08:00"),  # Mid-Autumn
        ({"weekday": "monday", "covers": "previous_week"}, "2026-W39", "2026-09-28T18:00:00+08:00"),
    ],
)
def test_due_dates(spec: dict, covered: str, expected: str) -> None:
    assert due_at(schedule(**spec), parse_period(covered)) == datetime.fromisoformat(expected)


def test_day_31_skipped_in_short_months() -> None:
    assert due_at(schedule(day=31, if_missing="skip", covers="current_month"), parse_period("2026-04")) is None


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2026, 10, 10), True),  # Saturday make-up working day (调休)
        (date(2026, 10, 11), False),  # Sunday after it: an ordinary weekend day
        (date(2026, 10, 1), False),
        (date(2026, 2, 14), True),  # Saturday make-up day before the Spring Festival
        (date(2026, 2, 18), False),
    ],
)
def test_chinese_working_days(day: date, workday: bool) -> None:
    assert is_workday(day, "cn") is workday


def test_weekends_calendar_ignores_holidays() -> None:
    assert is_workday(date(2026, 10, 1), "weekends")
    assert adjust(date(2026, 10, 10), "next", "weekends") == date(2026, 10, 12)


def test_year_without_holiday_data_is_a_clear_error() -> None:
    with pytest.raises(CalendarOutOfRange, match="no Chinese holiday data for 2099-01-05"):
        is_workday(date(2099, 1, 5), "cn")


@pytest.mark.parametrize(
    ("day", "spec", "expected"),
    [
        (date(2026, 3, 10), {}, date(2026, 3, 13)),  # Tue → Fri
        (date(2026, 3, 12), {}, date(2026, 3, 17)),  # Thu → Fri, Mon, Tue
        (date(2026, 9, 29), {}, date(2026, 10, 9)),  # National Day week: Wed 30 Sep, Thu 8, Fri 9 Oct
        (date(2026, 9, 29), {"calendar": "weekends"}, date(2026, 10, 2)),  # weekends only: holidays are worked
        (date(2026, 2, 12), {}, date(2026, 2, 24)),  # Fri 13, Sat 14 (make-up day 调休), then Tue 24 Feb
    ],
)
def test_working_days_ahead(day: date, spec: dict, expected: date) -> None:
    assert workdays_ahead(day, 3, schedule(day=5, **spec)) == expected
