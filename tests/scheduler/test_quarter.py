"""A whole quarter through the real scheduler (frozen clock moved job by job) against a real SMTP server."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from perfrules.engine.periods import parse_period
from perfrules.engine.rulebook.calendar import due_at
from perfrules.engine.scheduler.rules import FolderRules
from perfrules.storage import Database
from perfrules.storage.outbox import list_messages
from perfrules.storage.schedule import list_slots

from tests.scheduler.support import RULES, ZONE, make_service, seed_company, step, submit, walk
from tests.smtp import SmtpServer

START = datetime(2026, 1, 1, 0, 0, tzinfo=ZONE)
END = datetime(2026, 4, 1, 0, 0, tzinfo=ZONE)


def due(rule_id: str, period: str) -> datetime:
    rule = FolderRules(RULES).rulebook.by_id(rule_id)[0].rule
    moment = due_at(rule.deadline, parse_period(period))
    assert moment is not None
    return moment


SLOW, CAPITAL = "purchasing.slow_mover_list", "finance.capital_report"


def submissions(db: Database) -> dict[datetime, object]:
    """王芳 hands in December's list early, never January's, February's after the reminder. Anna never."""
    return {
        datetime(2026, 1, 3, 10, 0, tzinfo=ZONE): lambda: submit(
            db, "s1", "slow_mover_list", "2025-12", "P1", datetime(2026, 1, 3, 10, tzinfo=ZONE)
        ),
        datetime(2026, 3, 5, 10, 0, tzinfo=ZONE): lambda: submit(
            db, "s2", "slow_mover_list", "2026-02", "P1", datetime(2026, 3, 5, 10, tzinfo=ZONE)
        ),
    }


def expected() -> list[tuple[str, str, str, datetime]]:
    """(address, kind, period, when it should arrive): every e-mail of the quarter and no other."""
    minute = timedelta(minutes=1)
    out = [
        ("wang@shop.example", "reminder", "2026-01", due(SLOW, "2026-01") - timedelta(days=1) + minute),
        ("wang@shop.example", "deadline_missed", "2026-01", due(SLOW, "2026-01") + minute),
        ("li@shop.example", "deadline_missed", "2026-01", due(SLOW, "2026-01") + minute),
        ("wang@shop.example", "reminder", "2026-02", due(SLOW, "2026-02") - timedelta(days=1) + minute),
    ]
    for period in ("2025-12", "2026-01", "2026-02"):
        out.append(("anna@shop.example", "reminder", period, due(CAPITAL, period) - timedelta(days=2) + minute))
        out.append(("anna@shop.example", "deadline_missed", period, due(CAPITAL, period) + minute))
    return sorted(out)


def received(smtp: SmtpServer, db: Database) -> list[tuple[str, str, str, datetime]]:
    by_id = {m.message_id: m for m in list_messages(db)}
    out = []
    for rec in smtp.received:
        entry = by_id[rec.message["Message-ID"]]
        out.append((rec.to, entry.key.kind, entry.key.period, rec.at))
    return sorted(out)


def test_a_quarter_sends_every_expected_email_once(db: Database, smtp: SmtpServer, tmp_path: Path) -> None:
    seed_company(db)
    minute = timedelta(minutes=1)
    with freeze_time(START, real_asyncio=True) as clock:
        service = make_service(db, smtp, tmp_path, evaluation=True)
        service.start(START)
        walk(service, clock, smtp, END, submissions(db))
        service.stop()
    # with evaluation on, management (Li Ming, purchasing manager) also gets the monthly report: the 5th, 08:00
    reports = [
        ("li@shop.example", "monthly_report", month, datetime(2026, m, 5, 8, 0, tzinfo=ZONE) + minute)
        for m, month in ((1, "2025-12"), (2, "2026-01"), (3, "2026-02"))
    ]
    assert received(smtp, db) == sorted(expected() + reports)
    # languages: 王芳 reads Chinese, Li Ming and Anna English
    for rec in smtp.received:
        body = rec.message.get_body(("plain",)).get_content()
        chinese = any("\u4e00" <= ch <= "\u9fff" for ch in str(rec.message["Subject"]) + body[:200])
        assert chinese == (rec.to == "wang@shop.example"), (rec.to, rec.message["Subject"])
    # the system jobs ran once per slot: 13 Monday reports, 3 monthly reports, 1 quarter evaluation
    kinds = Counter(r.key.kind for r in list_slots(db) if r.status == "done")
    assert kinds["weekly_report"] == 13 and kinds["monthly_report"] == 3 and kinds["quarter_evaluation"] == 1
    assert kinds["kpi_refresh"] == 90  # 31 + 28 + 31 days
    assert not [r for r in list_slots(db) if r.status not in ("done",)]


def test_restart_after_downtime_runs_missed_checks_once(
    db: Database, smtp: SmtpServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seed_company(db)
    down, up = datetime(2026, 2, 1, 12, tzinfo=ZONE), datetime(2026, 2, 20, 9, tzinfo=ZONE)
    with freeze_time(START, real_asyncio=True) as clock:
        first = make_service(db, smtp, tmp_path)
        first.start(START)
        walk(first, clock, smtp, down, submissions(db))
        first.stop()
        clock.move_to(up)
        second = make_service(db, smtp, tmp_path)  # a new process: new scheduler, same database
        with caplog.at_level(logging.INFO, logger="perfrules.scheduler"):
            second.start(up)
        step(second, clock, smtp, up + timedelta(minutes=1))
        walk(second, clock, smtp, END, {k: v for k, v in submissions(db).items() if k > up})
        second.stop()
    caught = [r.getMessage() for r in caplog.records if r.getMessage().startswith("caught up")]
    assert len(caught) == 1 and "deadline_check purchasing.slow_mover_list 2026-01 due" in caught[0]
    assert any("skipped 2 stale reminders" in r.getMessage() for r in caplog.records)
    got = received(smtp, db)
    # reminders of deadlines that passed while down are not sent late; the missed checks are, once
    lost = {("wang@shop.example", "reminder", "2026-01"), ("anna@shop.example", "reminder", "2026-01")}
    want = [(to, kind, period) for to, kind, period, _ in expected() if (to, kind, period) not in lost]
    assert sorted((to, kind, period) for to, kind, period, _ in got) == sorted(want)
    # what fell due while down arrives right after the restart
    late = {(to, kind, period): at for to, kind, period, at in got if down < at <= up + timedelta(minutes=1)}
    assert set(late) == {
        ("wang@shop.example", "deadline_missed", "2026-01"),
        ("li@shop.example", "deadline_missed", "2026-01"),
        ("anna@shop.example", "deadline_missed", "2026-01"),
    }
    assert set(late.values()) == {up + timedelta(minutes=1)}
    caught_up = {str(r.key) for r in list_slots(db) if r.caught_up}
    assert "deadline_check finance.capital_report 2026-01 due" in caught_up
    assert len(got) == len(set((to, kind, period) for to, kind, period, _ in got))


def test_smtp_down_for_a_day_then_everything_arrives_once(db: Database, smtp: SmtpServer, tmp_path: Path) -> None:
    seed_company(db)
    outage = (datetime(2026, 2, 4, 12, tzinfo=ZONE), datetime(2026, 2, 5, 20, tzinfo=ZONE))
    events = {**submissions(db), outage[0]: smtp.stop, outage[1]: smtp.start}
    with freeze_time(START, real_asyncio=True) as clock:
        service = make_service(db, smtp, tmp_path)
        service.start(START)
        walk(service, clock, smtp, END, events)
        service.stop()
    got = received(smtp, db)
    assert [(to, kind, period) for to, kind, period, _ in got] == [
        (to, kind, period) for to, kind, period, _ in expected()
    ]
    during = [(to, kind, period) for to, kind, period, _ in expected() if outage[0] < _ < outage[1]]
    assert len(during) == 3  # 王芳's reminder and both missed-deadline notices of 5 February
    for to, kind, period, at in got:
        if (to, kind, period) in during:
            assert at > outage[1]
    assert {m.status for m in list_messages(db)} == {"sent"}
