"""Weekly and monthly reports through the real service: calendar slot → KPI library → outbox → SMTP."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from perfrules.engine.kpi.catalog import CATALOG
from perfrules.storage import Database

from tests.reports.support import at, body, chinese, deliver, email_of, kinds_to, make_service, seed_company
from tests.smtp import SmtpServer

MONDAY_8 = at(2026, 3, 2, 8)  # reports 2026-W09: 23 Feb – 1 Mar


def seed_orders(db: Database) -> None:
    facts = seed_company(db)
    facts.po("S1", date(2026, 2, 24), date(2026, 2, 27), emergency=True, qty=7)  # the week's emergency order
    facts.po("S2", date(2026, 2, 25), date(2026, 3, 4), qty=5)
    facts.po("S2", date(2026, 2, 16), date(2026, 2, 20), emergency=True)  # the week before
    facts.save()


def test_weekly_report_reaches_the_operations_team_on_monday_once_in_their_language(
    db: Database, smtp: SmtpServer, tmp_path: Path
) -> None:
    seed_orders(db)
    service = make_service(db, smtp, tmp_path)
    service.runner.horizon(at(2026, 3, 1))
    assert service.runner.run_due(at(2026, 3, 2, 7, 59), kinds=["weekly_report"]) == []  # not yet
    outcomes = service.runner.run_due(MONDAY_8, kinds=["weekly_report"])
    assert [(o.slot.period, o.status) for o in outcomes] == [("2026-W09", "done")]
    deliver(service, MONDAY_8)
    assert sorted(r.to for r in smtp.received) == [email_of("O1"), email_of("O2")]
    mails = {r.to: r.message for r in smtp.received}
    zh, en = mails[email_of("O1")], mails[email_of("O2")]
    assert chinese(str(zh["Subject"])) and not chinese(str(en["Subject"]) + body(en))
    assert "2026-W09" in str(en["Subject"])
    text = body(en)
    assert "Emergency orders this week (1)" in text and "qty 7" in text
    assert "Emergency order rate: 50.0%" in text and "last week 100.0%" in text
    assert "紧急订单率" in body(zh)
    # the same slot again (a second fire, a restart) and the handler itself again: nothing new
    assert service.runner.run_due(MONDAY_8, kinds=["weekly_report"]) == []
    service.actions.run(outcomes[0].slot, MONDAY_8)
    deliver(service, MONDAY_8)
    assert len(smtp.received) == 2
    assert kinds_to(db) == [("O1", "weekly_report", "2026-W09"), ("O2", "weekly_report", "2026-W09")]


def test_monthly_report_reaches_management_on_the_fifth(db: Database, smtp: SmtpServer, tmp_path: Path) -> None:
    seed_orders(db)
    service = make_service(db, smtp, tmp_path)
    fifth = at(2026, 3, 5, 8)
    service.runner.horizon(at(2026, 3, 4))
    outcomes = service.runner.run_due(fifth, kinds=["monthly_report", "weekly_report"])
    assert [(o.slot.kind, o.slot.period) for o in outcomes] == [("monthly_report", "2026-02")]
    deliver(service, fifth)
    service.actions.run(outcomes[0].slot, fifth)  # a re-run writes nothing
    deliver(service, fifth)
    # general manager and department managers; not the purchaser or the operations specialist
    assert sorted(r.to for r in smtp.received) == sorted(email_of(p) for p in ("G1", "PM", "O1", "H1"))
    mails = {r.to: r.message for r in smtp.received}
    en, zh = body(mails[email_of("G1")]), body(mails[email_of("PM")])
    assert "2026-02" in en and chinese(zh) and not chinese(en)
    for kpi in CATALOG:
        assert kpi.name_en in en and kpi.name_zh in zh
    assert "Emergency order rate: 66.7%" in en  # 2 of February's 3 orders
    assert "Bonus deductions this month (0, total CNY 0.00)" in en
