from datetime import date

import pytest
from perfrules.engine.errors import InvalidPeriod
from perfrules.engine.periods import PeriodKind, month_of, parse_period, quarter_of


@pytest.mark.parametrize(
    "label,start,end,kind",
    [
        ("2026-09", date(2026, 9, 1), date(2026, 10, 1), PeriodKind.MONTH),
        ("2026-12", date(2026, 12, 1), date(2027, 1, 1), PeriodKind.MONTH),
        ("2026Q3", date(2026, 7, 1), date(2026, 10, 1), PeriodKind.QUARTER),
        ("2026", date(2026, 1, 1), date(2027, 1, 1), PeriodKind.YEAR),
        ("2026-W01", date(2025, 12, 29), date(2026, 1, 5), PeriodKind.WEEK),
        ("ttm:2026-09", date(2025, 10, 1), date(2026, 10, 1), PeriodKind.TTM),
    ],
)
def test_parse_round_trips(label, start, end, kind):
    p = parse_period(label)
    assert (p.start, p.end, p.kind, p.label) == (start, end, kind, label)


def test_quarter_accepts_dash_form():
    assert parse_period("2026-Q4").label == "2026Q4"


@pytest.mark.parametrize("bad", ["2026-13", "26-01", "2026Q5", "2026-W54", "", "sept"])
def test_bad_labels(bad):
    with pytest.raises(InvalidPeriod):
        parse_period(bad)


def test_arithmetic_across_year_and_leap_day():
    assert month_of(date(2024, 2, 29)).last_day == date(2024, 2, 29)
    assert parse_period("2026-01").previous().label == "2025-12"
    assert parse_period("2026Q1").previous().label == "2025Q4"
    assert parse_period("2026-09").year_ago().label == "2025-09"
    assert [m.label for m in quarter_of(date(2026, 8, 15)).months()] == ["2026-07", "2026-08", "2026-09"]
