"""Alerts from evaluation results, through the scheduler's evaluation handlers, to a real SMTP server:
a KPI breach warns its owner once per interval; a value in a warning band is told once, as a warning, and never
priced; a deduction and an escalation are told exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from perfrules.engine.evaluation.decide import decide
from perfrules.engine.evaluation.facts import Facts as DecideFacts
from perfrules.engine.evaluation.kpis import library_kpis
from perfrules.engine.evaluation.people import load_people
from perfrules.engine.periods import parse_period
from perfrules.engine.reporting.alerts import KPI_WARNING_REPEAT
from perfrules.engine.rulebook.checker import load_rulebook
from perfrules.storage import Database
from perfrules.storage import evaluation_store as store
from perfrules.storage.outbox import list_messages

from tests.reports.support import at, body, chinese, deliver, email_of, kinds_to, make_service, run_slot, seed_company
from tests.scheduler.support import ZONE
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
    db: Database, smtp: SmtpServer, tmp_path: Path
) -> None:
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


BAND_RULE = """\
rules:
  - id: purchasing.emergency_orders
    effective_from: 2025-01-01
    title: {zh-CN: 紧急订单率, en: Emergency order rate}
    department: purchasing
    role: purchaser
    threshold: {kpi: emergency_order_rate, scope: employee, scope_id: P1, period: month, target: 10%, warning: 5%}
    consequence: {deduction: 5%}
    notify: {kpi_warning: [employee, manager]}
"""


def test_a_value_in_the_warning_band_is_told_once_as_a_warning_and_never_priced(
    db: Database, smtp: SmtpServer, tmp_path: Path
) -> None:
    """王芳 (P1, English) placed 12 orders in February, one of them urgent: 8.3% meets the 10% target but has
    crossed the 5% warning level. She and her manager 李明 (PM, Chinese) are warned once, as a warning."""
    facts = seed_company(db)
    for day in range(1, 13):
        facts.po("S1", date(2026, 2, day), date(2026, 2, day + 7), buyer="P1", emergency=day == 3)
    facts.save()
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "purchasing.yaml").write_text(BAND_RULE, encoding="utf-8")
    service = make_service(db, smtp, tmp_path, rules=tmp_path / "rules")
    first = at(2026, 3, 1, 7)
    for now, slot in (
        (first, "2026-03-01"),
        (first + timedelta(minutes=5), "2026-03-01"),  # a re-run
        (at(2026, 3, 2, 7), "2026-03-02"),
        (at(2026, 3, 7, 7), "2026-03-07"),
    ):
        detail = run_slot(service, "kpi_refresh", "2026-03", now, slot=slot)
        deliver(service, now)
    assert "alerts: 0 KPI warning(s)" in detail  # the last refresh: nothing new within the 7-day interval
    run_slot(service, "quarter_evaluation", "2026Q1", at(2026, 4, 1, 6))  # February is no longer news
    deliver(service, at(2026, 4, 1, 6))

    assert sorted(r.to for r in smtp.received) == [email_of("P1"), email_of("PM")]  # one each, nothing more
    mails = {r.to: r.message for r in smtp.received}
    english, chinese_mail = mails[email_of("P1")], mails[email_of("PM")]
    assert str(english["Subject"]) == (
        "KPI early warning: Emergency order rate for 2026-02 is 8.3%, on target "
        "(≤ 10.0%) but past the warning level 5.0%"
    )
    text = body(english)
    assert "It still meets" in text and "crossed the warning level of 5.0%" in text and "and misses its" not in text
    assert "not a missed target: nothing is deducted for it" in text and "a miss costs a deduction" in text
    assert chinese(str(chinese_mail["Subject"])) and str(chinese_mail["Subject"]).startswith("【指标预警】")
    assert "仍达到目标（≤ 10.0%），但已越过预警线（5.0%）" in body(chinese_mail)
    assert "未达到目标" not in body(chinese_mail)
    [entry] = {m.key for m in list_messages(db) if m.key.recipient_id == "P1"}
    assert (entry.rule_id, entry.period, entry.kind, entry.slot) == (
        "purchasing.emergency_orders#kpi_warning:P1:band",
        "2026-02",
        "kpi_warning",
        0,
    )

    # the same people decide() names for the same facts — what HR's `perfrules test` shows
    book = load_rulebook(tmp_path / "rules")
    february = parse_period("2026-02")
    values = library_kpis(ZONE, date(2026, 3, 1))(db, book, february)
    decided = decide(book, DecideFacts("2026-02", kpis=tuple(values), people=tuple(load_people(db))), first)
    assert [(f.subject, f.kind) for f in decided.findings] == [("employee:P1", "kpi_warning")]
    intended = {n.to for n in decided.notices if n.kind == "kpi_warning"}
    assert intended == {m.key.recipient_id for m in list_messages(db)} == {"P1", "PM"}

    # a warning is no finding: nothing stored, priced or escalated
    assert store.findings(db, active_only=False) == []
    assert store.adjustments(db) == [] and store.escalations(db) == []


def test_an_escalation_withdrawn_before_its_e_mail_went_out_is_never_sent(
    db: Database, smtp: SmtpServer, tmp_path: Path
) -> None:
    facts = seed_company(db)
    facts.save()  # 王芳 (P1) has not handed in the lists of December and January: two months in a row
    service = make_service(db, smtp, tmp_path)
    end = at(2026, 4, 1, 6)
    assert "2 escalation notice(s)" in run_slot(service, "quarter_evaluation", "2026Q1", end)
    # before anything is delivered, the lists turn up: handed in on time, recorded late by the ERP
    facts.submission("slow_mover_list", "2025-12", "P1", at(2026, 1, 4, 9))
    facts.submission("slow_mover_list", "2026-01", "P1", at(2026, 2, 3, 9))
    facts.save()
    run_slot(service, "quarter_evaluation", "2026Q1", end + timedelta(hours=1), slot="again")
    deliver(service, end + timedelta(hours=1))
    escalation_mails = [m for m in list_messages(db) if m.key.kind.startswith("escalation")]
    assert escalation_mails and {m.status for m in escalation_mails} == {"cancelled"}
    assert not [
        r for r in smtp.received if "升级" in str(r.message["Subject"]) or "scalat" in str(r.message["Subject"])
    ]
    assert {e["status"] for e in store.escalations(db)} == {"withdrawn"}
