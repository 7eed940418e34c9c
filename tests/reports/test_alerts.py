"""Alerts from evaluation results, through the scheduler's evaluation handlers, to a real SMTP server:
a KPI breach warns its owner once per interval; a deduction and an escalation are told exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from engine.reporting.alerts import KPI_WARNING_REPEAT
from storage import Database
from storage.outbox import list_messages
from tests.reports.support import at, body, chinese, deliver, email_of, kinds_to, make_service, run_slot, seed_company
from tests.smtp import SmtpServer


def test_kpi_breach_warns_the_owner_once_per_interval(db: Database, smtp: SmtpServer, tmp_path: Path) -> None:
    facts = seed_company(db)
    facts.po("S1", date(2026, 2, 3), date(2026, 2, 9), emergency=True)  # February: 1 of 2 orders urgent = 50%
    facts.po("S2", date(2026, 2, 4), date(2026, 2, 12))
    facts.submission("slow_mover_list", "2026-01", "P1", at(2026, 2, 2, 9))  # 王芳 is on time: no deduction
    facts.submission("slow_mover_list", "2026-02", "P1", at(2026, 3, 2, 9))
    facts.save()
    service = make_service(db, smtp, tmp_path)
    arrived = {}
    for day in (1, 2, 7, 8, 9, 14, 15):  # the daily KPI refresh re-judges February every morning in March
        now = at(2026, 3, day, 7)
        run_slot(service, "kpi_refresh", "2026-03", now, slot=now.date().isoformat())
        deliver(service, now)
        arrived[day] = len(smtp.received)
    assert timedelta(days=7) == KPI_WARNING_REPEAT  # the interval the counts below follow
    assert arrived == {1: 1, 2: 1, 7: 1, 8: 2, 9: 2, 14: 2, 15: 3}
    assert {r.to for r in smtp.received} == {email_of("PM")}  # the owner the rule names, nobody else
    first = smtp.received[0].message
    assert chinese(str(first["Subject"]))  # 李明 reads Chinese
    assert "50.0%" in body(first) and "inventory.emergency_orders" in body(first)
    # April: February is no longer news, even when the quarter-end evaluation judges it again
    run_slot(service, "quarter_evaluation", "2026Q1", at(2026, 4, 1, 6))
    deliver(service, at(2026, 4, 1, 6))
    assert len(smtp.received) == 3


def test_deduction_and_escalation_are_told_once_even_when_evaluation_runs_again(
        db: Database, smtp: SmtpServer, tmp_path: Path) -> None:
    seed_company(db).save()  # 王芳 (P1) never hands in the slow-mover lists of December and January
    service = make_service(db, smtp, tmp_path)
    end = at(2026, 4, 1, 6)
    detail = run_slot(service, "quarter_evaluation", "2026Q1", end)
    assert "1 deduction notice(s)" in detail and "2 escalation notice(s)" in detail
    deliver(service, end)
    got = Counter((r.to, str(r.message["Subject"])[:20]) for r in smtp.received)
    assert sorted(r.to for r in smtp.received) == sorted(email_of(p) for p in ("P1", "PM", "H1"))
    mails = {r.to: r.message for r in smtp.received}
    deduction = body(mails[email_of("P1")])  # English: the amount, the rule and version, facts and threshold
    assert "CNY 1,000.00 will be deducted from your quarterly bonus for 2026Q1" in deduction
    assert "purchasing.slow_mover_list" in deduction and "version v1" in deduction
    assert "Quarterly bonus base CNY 10,000.00 × deduction rate 10.0% = CNY 1,000.00" in deduction
    # two missed months behind one line: each value says which month it is
    assert "handed in (2026-01): 0" in deduction and "handed in (2026-02): 0" in deduction
    assert "Target: ≥ 1" in deduction
    manager = mails[email_of("PM")]  # 李明, the manager, in Chinese
    assert chinese(body(manager)) and "书面改进计划" in body(manager)
    hr = body(mails[email_of("H1")])
    assert "Wang Fang" in hr and "Li Ming" in hr and "CNY 1,000.00" in hr
    before = kinds_to(db)
    # the same evaluation again, the daily refresh after it and a new quarter-end run: nothing new
    run_slot(service, "quarter_evaluation", "2026Q1", end)
    run_slot(service, "kpi_refresh", "2026-04", end + timedelta(hours=1), slot="2026-04-01")
    run_slot(service, "quarter_evaluation", "2026Q1", end + timedelta(days=1))
    deliver(service, end + timedelta(days=1))
    assert kinds_to(db) == before and len(smtp.received) == 3 and set(got.values()) == {1}
    assert {m.key.kind for m in list_messages(db)} == {"consequence", "escalation_manager", "escalation_hr"}
