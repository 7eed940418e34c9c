"""The calendar: slot times from the rulebook's due dates (business days, holidays) and the system jobs."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from perfrules.engine.cli import cli
from perfrules.engine.rulebook.model import Rule
from perfrules.engine.scheduler.calendar import (
    DEADLINE_CHECK,
    MONTHLY_REPORT,
    QUARTER_EVALUATION,
    REMINDER,
    WEEKLY_REPORT,
    occurrences,
    slots_between,
)
from perfrules.engine.scheduler.service import ManualScheduler
from perfrules.storage import Database

from tests.scheduler.support import RULES, ZONE, make_service
from tests.smtp import SmtpServer


def rule(**deadline) -> Rule:
    return Rule.model_validate(
        {
            "id": "purchasing.slow_mover_list",
            "effective_from": "2025-01-01",
            "department": "purchasing",
            "role": "purchaser",
            "title": {"zh-CN": "清单", "en": "List"},
            "deadline": {"deliverable": "slow_mover_list", **deadline},
        }
    )


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZONE)


@pytest.mark.parametrize(
    ("due", "period", "expected"),
    [
        ({"day": 5, "time": "18:00"}, "2026-08", at(2026, 9, 7, 18)),  # Sat 5 Sep → Monday
        ({"day": 5, "time": "18:00"}, "2026-09", at(2026, 10, 8, 18)),  # National Day week → 8 Oct
        ({"day": 10, "time": "09:30"}, "2026-09", at(2026, 10, 10, 9, 30)),  # Saturday 10 Oct is a 调休 workday
        ({"day": 5, "time": "18:00"}, "2026-01", at(2026, 2, 5, 18)),
    ],
)
def test_deadline_checks_follow_the_business_day_calendar(due, period, expected) -> None:
    slots = slots_between(
        [rule(due=due, reminders=["2d"])],
        occurrences,
        at(2026, 1, 1),
        at(2026, 12, 1),
        ZONE,
        kinds=[DEADLINE_CHECK, REMINDER],
    )
    check = {s.period: s for s in slots if s.kind == DEADLINE_CHECK}[period]
    remind = {s.period: s for s in slots if s.kind == REMINDER}[period]
    assert (check.at, check.slot) == (expected, "due")
    assert (remind.at, remind.slot, remind.deadline) == (expected - timedelta(days=2), "remind-2d", expected)


def test_grace_and_repeats_follow_the_due_time() -> None:
    slots = slots_between(
        [rule(due={"weekday": "friday", "time": "17:00"}, grace="2h", repeat="2d")],
        occurrences,
        at(2026, 3, 2),
        at(2026, 3, 14),
        ZONE,
        kinds=[DEADLINE_CHECK],
    )
    first = [s for s in slots if s.period == "2026-W09"]  # the week before, due Friday 6 March
    assert [(s.slot, s.at) for s in first] == [
        ("due", at(2026, 3, 6, 19)),
        ("repeat-1", at(2026, 3, 8, 19)),
        ("repeat-2", at(2026, 3, 10, 19)),
        ("repeat-3", at(2026, 3, 12, 19)),
    ]


def test_system_jobs_use_day_names_and_the_company_zone() -> None:
    slots = slots_between(
        [], occurrences, at(2026, 3, 1), at(2026, 4, 2), ZONE, kinds=[WEEKLY_REPORT, MONTHLY_REPORT, QUARTER_EVALUATION]
    )
    weekly = [s for s in slots if s.kind == WEEKLY_REPORT]
    assert {s.at.weekday() for s in weekly} == {0} and {s.at.hour for s in weekly} == {8}
    assert [s.period for s in weekly] == ["2026-W09", "2026-W10", "2026-W11", "2026-W12", "2026-W13"]
    assert [(s.at, s.period) for s in slots if s.kind == MONTHLY_REPORT] == [(at(2026, 3, 5, 8), "2026-02")]
    assert [(s.at, s.period) for s in slots if s.kind == QUARTER_EVALUATION] == [(at(2026, 4, 1, 6), "2026Q1")]


def test_a_rulebook_edit_reschedules_and_a_broken_edit_keeps_the_old_schedule(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    smtp = SmtpServer()  # never started: nothing is delivered in this test
    with freeze_time(at(2026, 1, 20), real_asyncio=True):
        service = make_service(db, smtp, tmp_path)
        service.rulebook.path = rules
        service.start(at(2026, 1, 20))
        jobs = {j.id: j.next_run_time for j in service.scheduler.get_jobs()}
        key = "slot|deadline_check|purchasing.slow_mover_list|2026-01|due"
        assert jobs[key] == at(2026, 2, 5, 18)
        text = (rules / "purchasing.yaml").read_text(encoding="utf-8")
        (rules / "purchasing.yaml").write_text(text.replace('time: "18:00"', 'time: "12:00"'), encoding="utf-8")
        assert service.check_rulebook(at(2026, 1, 20))
        assert service.scheduler.get_job(key).next_run_time == at(2026, 2, 5, 12)
        (rules / "purchasing.yaml").write_text(text.replace("day: 5", "day: 55"), encoding="utf-8")
        assert not service.check_rulebook(at(2026, 1, 20))
        assert "rulebook reload rejected" in caplog.text and "keeps running" in caplog.text
        assert service.scheduler.get_job(key).next_run_time == at(2026, 2, 5, 12)
        service.stop()
    assert isinstance(service.scheduler, ManualScheduler)


def test_schedule_list_shows_the_upcoming_runs(runner, database_url: str) -> None:
    with freeze_time(at(2026, 2, 1, 9)):
        result = runner.invoke(
            cli, ["--database-url", database_url, "--rules-dir", str(RULES), "schedule", "list", "--days", "10"]
        )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "every minute      outbox delivery"
    assert "2026-02-02 Mon 08:00  weekly_report 2026-W05 run" in lines
    assert "2026-02-04 Wed 18:00  reminder purchasing.slow_mover_list 2026-01 remind-1d" in lines
    assert "2026-02-05 Thu 18:00  deadline_check purchasing.slow_mover_list 2026-01 due" in lines
    assert "2026-02-05 Thu 08:00  monthly_report 2026-01 run" in lines
    assert not any("kpi_refresh" in line for line in lines)
