"""Production alerts tell exactly whom HR's rule tests prove are told: for the shipped rulebook and a few facts,
the outbox rows the alerts write (KPI warnings — breaches and warning-band values —, deduction and escalation
notices) go to the recipients of the notice intents ``decide()`` returns for the same facts. And a KPI warning
repeats at its rule's interval."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from perfrules.engine.evaluation.core import finding_row
from perfrules.engine.evaluation.decide import decide
from perfrules.engine.evaluation.facts import Facts, KpiValue
from perfrules.engine.evaluation.people import load_people
from perfrules.engine.evaluation.run import evaluate
from perfrules.engine.notices.templating import make_environment
from perfrules.engine.periods import Period, parse_period
from perfrules.engine.reporting.alerts import Alerts
from perfrules.engine.rulebook.checker import check_path, load_rulebook
from perfrules.engine.rulebook.rulebook import Rulebook
from perfrules.engine.settings import PROJECT_ROOT
from perfrules.storage import Database
from perfrules.storage import evaluation_store as store
from perfrules.storage.models import Department, Employee
from perfrules.storage.outbox import list_messages

from tests.reports.support import at, seed_company
from tests.scheduler.support import ZONE
from tests.services import MAIL_FROM

ALERT_KINDS = {
    "kpi_warning": "kpi_warning",
    "consequence": "consequence",
    "escalation_manager": "escalation",
    "escalation_hr": "escalation",
}
# Q3 2026: inventory days 76 and turnover 4.8 in September (no consequence: warnings); capital occupation 35%
# in August and September (a deduction: August's carried by the purchaser, whose slow-mover list was missing,
# by attribution); nobody hands in a slow-mover list (two months in a row: an escalation to manager and HR).
# Inside warning bands in September: purchase on-time rate 96% (target 95%, warning 97%: the purchasing
# manager), forecast accuracy 87% (85% / 88%: the operations specialist) and purchasing's slow-mover list
# timeliness 93% (90% / 95%, a rule with a deduction: the purchaser) — warnings, never findings
VALUES = (
    ("dio", "2026-09", "76"),
    ("dio", "2026-08", "50"),
    ("turnover", "2026-09", "4.8"),
    ("capital_occupation", "2026-08", "0.35"),
    ("capital_occupation", "2026-09", "0.35"),
    ("purchase_on_time_rate", "2026-09", "0.96"),
    ("forecast_accuracy", "2026-09", "0.87"),
    ("slow_mover_list_timeliness", "2026-09", "0.93", "department", "purchasing"),
)
BAND = {"purchasing.on_time_rate", "operations.forecast_accuracy", "purchasing.slow_mover_list"}
NOW = at(2026, 10, 1, 9)
SLOW = "purchasing.slow_mover_list"


def kpi_values(month: Period) -> list[KpiValue]:
    return [
        KpiValue(kpi, period, Decimal(value), *scope) for kpi, period, value, *scope in VALUES if period == month.label
    ]


def seed(db: Database) -> None:
    """The reports' small company (G1, PM, P1, O1, O2, H1) and a finance analyst F1 with manager F9."""
    facts = seed_company(db)
    facts.rows.append(Department(code="finance", name_en="Finance", name_zh="财务"))
    for pid, role, manager in (("F9", "finance_manager", "G1"), ("F1", "finance_analyst", "F9")):
        facts.rows.append(
            Employee(
                id=pid,
                name_zh=pid,
                name_en=pid,
                department="finance",
                role=role,
                manager_id=manager,
                email=f"{pid.lower()}@shop.example",
                locale="zh-CN",
                bonus_base=Decimal("10000"),
                active_from=date(2025, 1, 1),
            )
        )
    facts.save()


def produce(db: Database, book: Rulebook, months: list[Period], now) -> tuple[Alerts, list[dict[str, Any]]]:
    """Evaluate ``months`` in order as the scheduler does, then run the alerts for them with the evaluation's
    warning-band observations (as :func:`perfrules.engine.scheduler.evaluation_handlers` hands them over)."""
    warnings = []
    for month in months:
        report = evaluate(db, book, month, now=now, kpis=lambda _db, _book, m: kpi_values(m))
        warnings += [finding_row(w, [], ()) for w in report.judgement.warnings]
    alerts = Alerts(db, make_environment(), lambda: book, MAIL_FROM, ZONE)
    alerts.after_evaluation(months, now, warnings)
    return alerts, warnings


def test_alerts_go_to_the_recipients_of_the_notice_intents(db: Database) -> None:
    seed(db)
    book = load_rulebook(PROJECT_ROOT / "rules")
    months = [parse_period(m) for m in ("2026-07", "2026-08", "2026-09")]
    produce(db, book, months, NOW)
    messages = [m for m in list_messages(db) if m.key.kind in ALERT_KINDS]
    sent = Counter((series(m.key.rule_id), ALERT_KINDS[m.key.kind], m.key.recipient_id) for m in messages)

    facts = Facts("2026Q3", kpis=tuple(v for m in months for v in kpi_values(m)), people=tuple(load_people(db)))
    decided = decide(book, facts, NOW)
    intended = {
        (n.ref.id + (":band" if n.detail == "kpi_warning" else ""), n.kind, n.to)
        for n in decided.notices
        if n.kind in set(ALERT_KINDS.values()) and n.to
    }

    assert set(sent) == intended
    assert set(sent.values()) == {1}  # one outbox row per rule, kind and person
    # every warning-band value is told, as such, to whom decide() tells it — and to nobody else
    band = {(series(m.key.rule_id), m.key.recipient_id) for m in messages if m.context.get("kind") == "warning"}
    assert band == {
        ("purchasing.on_time_rate:band", "PM"),
        ("operations.forecast_accuracy:band", "O2"),
        ("purchasing.slow_mover_list:band", "P1"),
    }
    assert band == {(rule, to) for rule, kind, to in intended if rule.endswith(":band")}
    assert {f.ref.id for f in decided.findings if f.kind == "kpi_warning"} == BAND
    # the facts reach every kind and the people-history words (the role holder, a manager, HR)
    assert {
        ("inventory.dio_alert", "kpi_warning", "PM"),
        ("inventory.turnover", "kpi_warning", "PM"),
        ("finance.capital_occupation", "consequence", "P1"),
        ("finance.capital_occupation", "consequence", "F1"),
        ("purchasing.slow_mover_list", "escalation", "PM"),
        ("purchasing.slow_mover_list", "escalation", "H1"),
    } <= intended
    # a breach with a deduction is told by the deduction notice, not by a KPI warning as well
    assert not {i for i in intended if i[0] == "finance.capital_occupation" and i[1] == "kpi_warning"}


def series(outbox_rule_id: str) -> str:
    """``<rule>#kpi_warning:<subject>:band`` → ``<rule>:band``; any other alert → its rule id."""
    rule, _, detail = outbox_rule_id.partition("#")
    return rule + (":band" if detail.startswith("kpi_warning:") and detail.endswith(":band") else "")


def test_warning_band_values_are_told_but_never_stored_priced_or_streaked(db: Database) -> None:
    seed(db)
    book = load_rulebook(PROJECT_ROOT / "rules")
    september = parse_period("2026-09")
    _, warnings = produce(db, book, [september], NOW)
    assert {w["rule_id"] for w in warnings} == BAND and {w["kind"] for w in warnings} == {"warning"}
    stored = store.findings(db, months=["2026-09"], active_only=False)
    assert not [f for f in stored if f["rule_id"] in BAND and f["kpi"]]  # the list deadline's findings only
    assert not [a for a in store.adjustments(db, quarter="2026Q3") if a["rule_id"] in BAND - {SLOW}]
    slow_lines = [a for a in store.adjustments(db, quarter="2026Q3") if a["rule_id"] == SLOW]
    slow_findings = {f["id"]: f for f in stored if f["rule_id"] == SLOW}
    assert all(slow_findings[i]["kind"] == "missing" for a in slow_lines for i in a["finding_ids"])
    assert not [e for e in store.escalations(db) if e["rule_id"] in BAND - {SLOW}]
    assert all(
        m.key.kind != "kpi_warning"
        or m.context["kind"] == "breach"
        or m.context["deducts"] is (series(m.key.rule_id) == f"{SLOW}:band")
        for m in list_messages(db)
    )
    # the next month's streaks start from the stored breaches only
    assert not {k for k in store.breach_months(db, "2026-10") if k[0] in BAND - {SLOW}}


def test_a_kpi_warning_repeats_at_the_interval_of_its_rule(db: Database) -> None:
    seed(db)
    book = load_rulebook(PROJECT_ROOT / "rules")
    dio = next(s.rule for s in book.by_id("inventory.dio_alert"))
    turnover = next(s.rule for s in book.by_id("inventory.turnover"))
    assert dio.threshold.repeat is not None and dio.threshold.repeat.days == 3  # the shipped rule says 3d
    assert turnover.threshold.repeat is None  # no repeat: every 7 days
    september = parse_period("2026-09")
    alerts, warnings = produce(db, book, [september], at(2026, 10, 1, 7))
    counts = {}
    for day in (1, 2, 3, 4, 5, 7, 8):
        alerts.after_evaluation([september], at(2026, 10, day, 7), warnings)
        sent = Counter(series(m.key.rule_id) for m in list_messages(db) if m.key.kind == "kpi_warning")
        counts[day] = (sent["inventory.dio_alert"], sent["inventory.turnover"], sent["purchasing.on_time_rate:band"])
    # a warning-band value repeats like a breach: the on-time rule has no repeat of its own, so every 7 days
    assert counts == {1: (1, 1, 1), 2: (1, 1, 1), 3: (1, 1, 1), 4: (2, 1, 1), 5: (2, 1, 1), 7: (3, 1, 1), 8: (3, 2, 2)}


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("repeat: 7 days", "rules[0].threshold.repeat: '7 days' is not a duration (write e.g. 3d, 12h, 30m or 1w)"),
        ("repeat: 0", "rules[0].threshold.repeat: a repeat interval must be longer than 0"),
    ],
)
def test_a_bad_threshold_repeat_is_a_precise_error(tmp_path: Path, written: str, expected: str) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(
        "rules:\n  - id: inventory.x\n    effective_from: 2026-01-01\n    title: {zh-CN: 测试, en: Test}\n"
        "    department: purchasing\n    role: purchasing_manager\n"
        f"    threshold:\n      kpi: dio\n      scope: company\n      {written}\n",
        encoding="utf-8",
    )
    assert [str(p) for p in check_path(path).problems] == [f"inventory.yaml:10:15: {expected}"]


@pytest.mark.parametrize(
    ("notify", "expected"),
    [
        (
            "notify: {consequence: [employee, manager]}",
            "rules[0].notify.consequence[1]: no consequence notice goes to 'manager': it goes to employee only",
        ),
        (
            "escalations: [{after: 2, action: training, notify: [hr, employee]}]",
            "rules[0].escalations[0].notify[1]: no escalation notice goes to 'employee': it goes to manager / hr / "
            "general_manager only",
        ),
    ],
)
def test_a_recipient_no_notice_can_reach_is_an_error(tmp_path: Path, notify: str, expected: str) -> None:
    path = tmp_path / "purchasing.yaml"
    path.write_text(
        "rules:\n  - id: purchasing.x\n    effective_from: 2026-01-01\n    title: {zh-CN: 测试, en: Test}\n"
        "    department: purchasing\n    role: purchaser\n"
        "    threshold: {kpi: dio, scope: company}\n    consequence: {deduction: 5%}\n"
        f"    {notify}\n",
        encoding="utf-8",
    )
    problems = [str(p) for p in check_path(path).problems]
    assert len(problems) == 1 and expected in problems[0]
