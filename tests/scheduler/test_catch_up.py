"""Catch-up after a long outage: one deadline-missed notice per person and overdue deliverable, saying how
late it is now — however many daily repeats were missed — and the daily cadence resumes afterwards (up to
the calendar's 20 repeats of one deadline)."""

from __future__ import annotations

import logging
import shutil
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from perfrules.storage import Database
from perfrules.storage.outbox import list_messages
from perfrules.storage.schedule import list_slots

from tests import services
from tests.scheduler.support import RULES, ZONE, seed_company, step, walk
from tests.smtp import SmtpServer

START = datetime(2026, 1, 1, 0, 0, tzinfo=ZONE)


def _rules(tmp_path: Path) -> Path:
    """The scheduler tests' rules, the slow-mover list's deadline-missed notice repeated daily."""
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    text = (folder / "purchasing.yaml").read_text(encoding="utf-8")
    (folder / "purchasing.yaml").write_text(text.replace("reminders: [1d]", "reminders: [1d]\n      repeat: 1d"))
    return folder


def _missed(db: Database, period: str) -> Counter:
    """Deadline-missed notices of the slow-mover list covering ``period``, per recipient."""
    return Counter(
        m.key.recipient_id
        for m in list_messages(db)
        if m.key.kind == "deadline_missed" and m.key.period == period and m.key.rule_id.startswith("purchasing.")
    )


def test_a_month_down_gives_one_overdue_notice_then_the_daily_repeats(
    db: Database, smtp: SmtpServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seed_company(db)
    rules = _rules(tmp_path)
    down, up = datetime(2026, 1, 2, 12, tzinfo=ZONE), datetime(2026, 1, 18, 9, tzinfo=ZONE)
    with freeze_time(START, real_asyncio=True) as clock:
        first = services.make_service(db, smtp, tmp_path, rules)
        first.start(START)
        walk(first, clock, smtp, down)
        first.stop()
        clock.move_to(up)
        second = services.make_service(db, smtp, tmp_path, rules)
        with caplog.at_level(logging.INFO, logger="perfrules.scheduler"):
            second.start(up)
        step(second, clock, smtp, up + timedelta(minutes=1))
        # December's list (due Mon 5 Jan 18:00) was overdue through the outage: the check and 12 daily repeats
        assert _missed(db, "2025-12") == {"P1": 1, "M1": 1}
        skipped = [s for s in list_slots(db) if s.status == "skipped" and s.key.kind == "deadline_check"]
        assert len(skipped) == 12
        assert any(r.getMessage().startswith("coalesced") for r in caplog.records)
        mail = [
            rec.message.get_body(("plain",)).get_content()
            for rec in smtp.received
            if rec.at > down and rec.to != "anna@shop.example"  # finance: the capital report, once too
        ]
        assert len(mail) == 2  # 王芳 (zh-CN) and her manager Li Ming (en): late as of now, 5 → 18 Jan
        assert all("13 days late" in text or "已逾期 13 天" in text for text in mail)
        assert all(text.count("2025-12") == 1 for text in mail)  # one item, not one per missed repeat
        # the daily cadence goes on after the restart
        walk(second, clock, smtp, up + timedelta(days=2, hours=1))
        second.stop()
    assert _missed(db, "2025-12") == {"P1": 3, "M1": 3}
