"""rules/calendar.yaml: HR-entered holidays, the fallback for years without official data, and the check."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from freezegun import freeze_time
from perfrules.engine.cli import cli
from perfrules.engine.periods import parse_period
from perfrules.engine.rulebook.calendar import CalendarOutOfRange, due_at, is_workday
from perfrules.engine.rulebook.checker import check_path, load_rulebook
from perfrules.engine.rulebook.model import Schedule
from perfrules.engine.scheduler.calendar import occurrences

# FICTIONAL test data, not the official 2027 schedule: 1–4 January off, Saturday 6 February worked.
CALENDAR_2027 = """\
years:
  2027:
    holidays:
      - 2027-01-01..2027-01-03
      - 2027-01-04
    workdays: [2027-02-06]
"""
RULES = """\
rules:
  - id: finance.capital_report
    version: 1
    effective_from: 2026-01-01
    title: {zh-CN: 资金报告, en: Capital report}
    department: finance
    role: finance_analyst
    deadline: {deliverable: capital_report, due: {day: DAY, time: "18:00"}, calendar: CALENDAR}
"""


def folder(tmp_path: Path, calendar: str | None, *, day: int = 1, policy: str = "cn") -> Path:
    rules = tmp_path / "rules"
    rules.mkdir(parents=True, exist_ok=True)
    (rules / "finance.yaml").write_text(RULES.replace("DAY", str(day)).replace("CALENDAR", policy), encoding="utf-8")
    if calendar is not None:
        (rules / "calendar.yaml").write_text(calendar, encoding="utf-8")
    return rules


def deadline_of(rules: Path) -> Schedule:
    deadline = load_rulebook(rules).rules[0].rule.deadline
    assert deadline is not None
    return deadline


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("calendar", "day", "policy", "covered", "expected"),
    [
        # package years are unchanged by a supplement for another year
        (CALENDAR_2027, 5, "cn", "2026-09", "2026-10-08T18:00:00+08:00"),  # National Day week → Thu 8 Oct
        (CALENDAR_2027, 10, "cn", "2026-09", "2026-10-10T18:00:00+08:00"),  # Sat 10 Oct 2026: make-up working day
        (CALENDAR_2027, 14, "cn", "2026-01", "2026-02-14T18:00:00+08:00"),  # Sat 14 Feb 2026: make-up working day
        # 2027 from the supplement: 1–4 Jan off → Tue 5 Jan; Sat 6 Feb worked
        (CALENDAR_2027, 1, "cn", "2026-12", "2027-01-05T18:00:00+08:00"),
        (CALENDAR_2027, 6, "cn", "2027-01", "2027-02-06T18:00:00+08:00"),
        (CALENDAR_2027, 1, "cn_provisional", "2026-12", "2027-01-05T18:00:00+08:00"),  # official data wins
        # 2027 without official data, fallback: weekends + the statutory days off, lunar ones computed
        (None, 1, "cn_provisional", "2026-12", "2027-01-04T18:00:00+08:00"),  # Fri 1 Jan → Mon 4 Jan
        (None, 1, "cn_provisional", "2027-04", "2027-05-03T18:00:00+08:00"),  # Sat 1, Sun 2 May → Mon 3 May
        (None, 1, "cn_provisional", "2027-09", "2027-10-04T18:00:00+08:00"),  # Fri 1 Oct … Sun 3 Oct → Mon 4 Oct
        # Fri 5 Feb 2027 is 除夕, 初一–初三 Sat 6–Mon 8 Feb: the January list is due Tue 9 Feb
        (None, 5, "cn_provisional", "2027-01", "2027-02-09T18:00:00+08:00"),
        ("years:\n", 6, "cn_provisional", "2027-01", "2027-02-09T18:00:00+08:00"),
        ("# only comments\n", 6, "cn_provisional", "2027-01", "2027-02-09T18:00:00+08:00"),
        (None, 5, "cn_provisional", "2027-03", "2027-04-06T18:00:00+08:00"),  # Mon 5 Apr 2027: Qingming
        (None, 9, "cn_provisional", "2027-05", "2027-06-10T18:00:00+08:00"),  # Wed 9 Jun 2027: 端午 (五月初五)
        (None, 15, "cn_provisional", "2027-08", "2027-09-16T18:00:00+08:00"),  # Wed 15 Sep 2027: 中秋 (八月十五)
        # 除夕 2028 is Tue 25 Jan, 初三 Fri 28 Jan: due on the 25th → Mon 31 Jan
        (None, 25, "cn_provisional", "2027-12", "2028-01-31T18:00:00+08:00"),
    ],
)
def test_due_dates(tmp_path: Path, calendar: str | None, day: int, policy: str, covered: str, expected: str) -> None:
    schedule = deadline_of(folder(tmp_path, calendar, day=day, policy=policy))
    assert due_at(schedule, parse_period(covered)) == at(expected)


def test_strict_mode_raises_for_a_year_without_data(tmp_path: Path) -> None:
    schedule = deadline_of(folder(tmp_path, "years:\n", day=5))
    with pytest.raises(CalendarOutOfRange) as caught:
        due_at(schedule, parse_period("2027-01"))
    assert caught.value.day == date(2027, 2, 5)
    assert str(caught.value) == (
        "no Chinese holiday data for 2027-02-05 (the chinesecalendar package covers "
        "2004–2026 and rules/calendar.yaml does not list 2027); add 2027 to "
        "rules/calendar.yaml, or use calendar: cn_provisional or weekends"
    )


def test_functions_without_a_rulebook_keep_their_behaviour() -> None:
    assert is_workday(date(2026, 10, 10), "cn") is True
    assert is_workday(date(2027, 5, 3), "cn_provisional") is True
    assert is_workday(date(2027, 5, 2), "cn_provisional") is False
    with pytest.raises(CalendarOutOfRange):
        is_workday(date(2027, 1, 5), "cn")


def test_the_scheduler_sees_the_supplement(tmp_path: Path) -> None:
    """The scheduler's unchanged call ``due_at(schedule, covered)`` uses the rulebook's calendar.yaml."""
    start, end = at("2026-12-15T00:00:00+08:00"), at("2027-02-15T00:00:00+08:00")
    without = deadline_of(folder(tmp_path / "a", None))
    assert [o.period for o in occurrences(without, start, end)] == []  # logged and skipped
    with_data = deadline_of(folder(tmp_path / "b", CALENDAR_2027))
    assert [(o.period, o.due) for o in occurrences(with_data, start, end)] == [
        ("2026-12", at("2027-01-05T18:00:00+08:00")),
        ("2027-01", at("2027-02-01T18:00:00+08:00")),
    ]


def test_calendar_file_is_part_of_the_rulebook_digest(tmp_path: Path) -> None:
    rules = folder(tmp_path, "years:\n")
    before = load_rulebook(rules)
    (rules / "calendar.yaml").write_text(CALENDAR_2027, encoding="utf-8")
    after = load_rulebook(rules)
    assert before.digest != after.digest
    assert "rules/calendar.yaml" in dict(after.files)  # evaluation runs record it with the rule files


WARNING_2027 = (
    "no official holiday data for 2027, but 1 rule(s) have due dates in it within 12 months (first: "
    "finance.capital_report on 2027-01-01). When the State Council publishes the 2027 holiday schedule, add it "
    "to rules/calendar.yaml under 'years: 2027:' with 'holidays:' (every day off) and 'workdays:' (every 调休 "
    "weekend working day). Until then "
)
STRICT = (
    "deadlines with calendar: cn are skipped by the scheduler (it logs an error; calendar: cn_provisional "
    "would schedule them counting only weekends and 1 Jan, Spring Festival (除夕 to 初三), Qingming, 1–2 May, "
    "Dragon Boat (端午), Mid-Autumn (中秋), 1–3 Oct as days off)."
)
PROVISIONAL = (
    "deadlines with calendar: cn_provisional count only weekends and 1 Jan, Spring Festival (除夕 to 初三), "
    "Qingming, 1–2 May, Dragon Boat (端午), Mid-Autumn (中秋), 1–3 Oct as days off."
)


@pytest.mark.parametrize(
    ("calendar", "policy", "now", "expected"),
    [
        (None, "cn", "2026-11-23T09:00:00+08:00", [WARNING_2027 + STRICT]),
        ("years:\n", "cn_provisional", "2026-11-23T09:00:00+08:00", [WARNING_2027 + PROVISIONAL]),
        (CALENDAR_2027, "cn", "2026-11-23T09:00:00+08:00", []),  # 2027 entered: nothing to do
        (None, "cn", "2025-11-23T09:00:00+08:00", []),  # 2026 is known; 2027 is more than 12 months away
        (None, "weekends", "2026-11-23T09:00:00+08:00", []),  # needs no holiday data
    ],
)
def test_check_warns_about_years_without_data(
    tmp_path: Path, calendar: str | None, policy: str, now: str, expected: list[str]
) -> None:
    result = check_path(folder(tmp_path, calendar, policy=policy), now=at(now))
    assert result.ok
    assert [w for r in result.reports for w in r.warnings] == expected


def test_check_command_prints_the_warning_and_passes(tmp_path: Path, runner) -> None:
    folder(tmp_path, None)
    with freeze_time("2026-11-23T01:00:00Z"):
        result = runner.invoke(cli, ["check", "rules"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-3:] == [
        "Checking rules/calendar.yaml",
        "  SUCCESS: no calendar file (the chinesecalendar package covers 2004–2026)",
        f"  WARNING: {WARNING_2027}{STRICT}",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "years:\n  2027:\n    holidays:\n      - 2027-01-01\n      - 2027-02-30\n",
            ["rules/calendar.yaml:5:9: years.2027.holidays[1]: '2027-02-30' is not a date"],
        ),
        (
            "years:\n  2027:\n    holidays: [2027-01-01, 1 May]\n",
            [
                "rules/calendar.yaml:3:28: years.2027.holidays[1]: '1 May' is not a date (write YYYY-MM-DD, or "
                "YYYY-MM-DD..YYYY-MM-DD for a range)"
            ],
        ),
        (
            "years:\n  2027:\n    holidays: [2027-01-01, 2026-12-31]\n",
            ["rules/calendar.yaml:3:28: years.2027.holidays[1]: 2026-12-31 is not in 2027"],
        ),
        (
            "years:\n  2027:\n    holidays: [2027-02-06]\n    workdays: [2027-02-06]\n",
            [
                "rules/calendar.yaml:4:16: years.2027.workdays[0]: 2027-02-06 is listed as both "
                "a holiday and a workday "
                "(also on line 3)"
            ],
        ),
        (
            "years:\n  2027:\n    holidays: [2027-10-01..2027-10-07, 2027-10-07]\n",
            ["rules/calendar.yaml:3:40: years.2027.holidays[1]: 2027-10-07 is listed twice (also on line 3)"],
        ),
        (
            "years:\n  2027:\n    holidays: [2027-10-07..2027-10-01]\n",
            ["rules/calendar.yaml:3:16: years.2027.holidays[0]: range '2027-10-07..2027-10-01' ends before it starts"],
        ),
        (
            "years:\n  2027:\n    holiday: [2027-01-01]\n",
            ["rules/calendar.yaml:3:5: years.2027.holiday: unknown key 'holiday' (did you mean 'holidays'?)"],
        ),
        (
            "years:\n  2027:\n    workdays: [2027-02-06]\n",
            [
                "rules/calendar.yaml:2:3: years.2027: 2027 lists no holidays: a year the "
                "chinesecalendar package does not "
                "know needs every day off of the State Council's schedule"
            ],
        ),
        (
            "year:\n  2027: {holidays: [2027-01-01]}\n",
            ["rules/calendar.yaml:1:1: year: unknown key 'year' (did you mean 'years'?)"],
        ),
        (
            "years:\n  27: {holidays: [2027-01-01]}\n",
            ["rules/calendar.yaml:2:3: years.27: '27' is not a year (write four digits, e.g. 2027)"],
        ),
        (
            "years:\n  2027: [2027-01-01]\n",
            ["rules/calendar.yaml:2:9: years.2027: expected a map (holidays: and workdays:), got a list"],
        ),
        (
            "years:\n  2027:\n    holidays: 2027-01-01\n",
            [
                "rules/calendar.yaml:3:15: years.2027.holidays: expected a list (lines starting with '- '), got "
                "2027-01-01"
            ],
        ),
        (
            "years:\n  2027:\n  holidays: [\n",
            ["rules/calendar.yaml:4:1: YAML syntax error: expected the node content, but found '<stream end>'"],
        ),
    ],
)
def test_bad_calendar_files(tmp_path: Path, runner, text: str, expected: list[str]) -> None:
    rules = folder(tmp_path, text)
    result = runner.invoke(cli, ["check", "rules"])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[lines.index("Checking rules/calendar.yaml") + 1 :] == ["  FAILED:", *sorted(expected)]
    assert check_path(rules).rulebook is None  # all or nothing: the service keeps the previous rulebook


def test_shipped_calendar_file_passes() -> None:
    from perfrules.engine.settings import PROJECT_ROOT

    result = check_path(PROJECT_ROOT / "rules" / "calendar.yaml")
    assert result.ok, result.problems
