"""A full quarter (2026Q3) for a small company, walked month by month with known facts and outcomes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from perfrules.engine.evaluation.run import evaluate
from perfrules.engine.periods import parse_period
from perfrules.storage import evaluation_store as store

from tests.evaluation.company import StaticKpis, at, digestion, occupation, rulebook, seed, submit, timeliness

Q3 = "2026Q3"


@pytest.fixture
def company(db):
    seed(db)
    return db


def kpis():
    return StaticKpis(
        dict(
            [
                timeliness("2026-06", "0.80"),
                timeliness("2026-07", "0.85"),
                timeliness("2026-08", "0.70"),
                timeliness("2026-09", "0.95"),
                occupation("2026-06", "0.25"),
                occupation("2026-07", "0.32"),
                occupation("2026-08", "0.35"),
                occupation("2026-09", "0.33"),
                digestion("2026-06", "0.90"),
                digestion("2026-07", "0.75"),
                digestion("2026-08", "0.70"),
                digestion("2026-09", "0.60"),
            ]
        )
    )


def lines(db, quarter=Q3):
    return {
        (a["employee_id"], a["rule_id"], a["kind"]): store.effective(a)
        for a in store.adjustments(db, quarter=quarter)
        if store.effective(a)
    }


def run_month(db, month, now, source, rb):
    return evaluate(db, rb, parse_period(month), now=now, kpis=source)


def walk_quarter(db, rb, source):
    """July to September with the facts above; returns the September report."""
    # every list handed in on time except September's; E_P2 moves to operations on 16 August
    for emp in ("E_P1", "E_P2"):
        submit(db, f"L06-{emp}", emp, "2026-06", at(2026, 7, 3))
        submit(db, f"L07-{emp}", emp, "2026-07", at(2026, 8, 4))
    submit(db, "L08-E_P1", "E_P1", "2026-08", at(2026, 9, 4))
    store.record_transfer(db, "E_P2", "operations", "operations_specialist", date(2026, 8, 16))

    run_month(db, "2026-06", at(2026, 7, 20), source, rb)
    run_month(db, "2026-07", at(2026, 8, 20), source, rb)
    run_month(db, "2026-08", at(2026, 9, 20), source, rb)
    return run_month(db, "2026-09", at(2026, 10, 20), source, rb)


def test_quarter_walk_through(company):
    db, rb, source = company, rulebook(), kpis()
    for emp in ("E_P1", "E_P2"):
        submit(db, f"L06-{emp}", emp, "2026-06", at(2026, 7, 3))
        submit(db, f"L07-{emp}", emp, "2026-07", at(2026, 8, 4))
    submit(db, "L08-E_P1", "E_P1", "2026-08", at(2026, 9, 4))
    store.record_transfer(db, "E_P2", "operations", "operations_specialist", date(2026, 8, 16))

    june = run_month(db, "2026-06", at(2026, 7, 20), source, rb)
    assert {(o.rule_id, o.kind) for o in june.observations} == {("purchasing.slow_mover_list", "breach")}

    july = run_month(db, "2026-07", at(2026, 8, 20), source, rb)
    assert {(o.rule_id, o.kind) for o in july.observations} == {
        ("purchasing.slow_mover_list", "breach"),
        ("finance.capital_occupation", "breach"),
        ("operations.slow_mover_digestion", "breach"),
    }
    assert july.escalations == 0
    # once per quarter: July alone already sets every Q3 line
    assert lines(db) == {
        ("E_P1", "purchasing.slow_mover_list", "deduction"): Decimal("-1000.00"),
        ("E_P2", "purchasing.slow_mover_list", "deduction"): Decimal("-400.00"),  # 8000 × 46/92 days × 10%
        ("E_F1", "finance.capital_occupation", "deduction"): Decimal("-1800.00"),
        ("E_O1", "operations.slow_mover_digestion", "deduction"): Decimal("-1080.00"),
    }

    august = run_month(db, "2026-08", at(2026, 9, 20), source, rb)
    escalations = {(e["subject"], e["kind"]): e for e in store.escalations(db)}
    # purchasing: timeliness below 90% in June, July, August (across the Q2/Q3 boundary) → no promotion this
    # year; each month's timeliness measures the list due then, so the breaches count in the months those
    # lists cover (May, June, July: one event with a late list, never two)
    assert escalations[("E_P1", "no_promotion")]["streak"] == ["2026-05", "2026-06", "2026-07"]
    assert str(escalations[("E_P1", "no_promotion")]["valid_to"]) == "2026-12-31"
    # E_P2 left purchasing on 16 August: not charged for August, no streak of three
    assert ("E_P2", "no_promotion") not in escalations
    # finance: July and August → written improvement plan, a tracked deliverable due 14 days later
    plan = escalations[("E_F1", "improvement_plan")]
    assert plan["streak"] == ["2026-07", "2026-08"] and str(plan["due"]) == "2026-09-14"
    assert august.escalations == 2

    # re-running a month changes and duplicates nothing
    before = (store.findings(db), store.adjustments(db), store.escalations(db))
    again = run_month(db, "2026-08", at(2026, 9, 20), source, rb)
    assert again.repeat and again.escalations == 0
    assert (store.findings(db), store.adjustments(db), store.escalations(db)) == before

    september = run_month(db, "2026-09", at(2026, 10, 20), source, rb)
    escalations = {(e["subject"], e["kind"]) for e in store.escalations(db)}
    assert ("E_O1", "reassignment_review") in escalations
    assert september.escalations == 1
    # September's capital occupation breach while September's list is missing → purchasing carries it
    capital = [f for f in store.findings(db, months=["2026-09"]) if f["rule_id"] == "finance.capital_occupation"]
    assert [t["employee"] for t in capital[0]["charged_to"]] == ["E_P1"]
    assert "moved to purchasing/purchaser" in capital[0]["attribution"]
    assert lines(db) == {
        ("E_P1", "purchasing.slow_mover_list", "deduction"): Decimal("-1000.00"),
        ("E_P1", "finance.capital_occupation", "deduction"): Decimal("-1500.00"),
        ("E_P2", "purchasing.slow_mover_list", "deduction"): Decimal("-400.00"),
        ("E_F1", "finance.capital_occupation", "deduction"): Decimal("-1800.00"),
        ("E_O1", "operations.slow_mover_digestion", "deduction"): Decimal("-1080.00"),
    }


def test_a_late_correction_withdraws_the_escalation_whose_streak_it_breaks(company):
    """Finance's improvement plan rests on July and August. Corrected July figures clear July: the plan is
    withdrawn (kept for the record, named in explain); July's breach back again makes it active again."""
    from perfrules.engine.evaluation.explain import explain

    db, rb, source = company, rulebook(), kpis()
    walk_quarter(db, rb, source)
    plan = next(e for e in store.escalations(db) if (e["subject"], e["kind"]) == ("E_F1", "improvement_plan"))
    assert plan["status"] == "active"

    source.values[occupation("2026-07", "0")[0]] = Decimal("0.25")  # finance's July, corrected: under 30 %
    july = run_month(db, "2026-07", at(2026, 10, 21), source, rb)
    assert july.withdrawn_escalations == (plan["id"],)
    after = {e["id"]: e for e in store.escalations(db)}
    assert (after[plan["id"]]["status"], after[plan["id"]]["withdrawn_run_id"]) == ("withdrawn", july.run_id)
    assert all(e["status"] == "active" for i, e in after.items() if i != plan["id"])  # purchasing's stays
    assert run_month(db, "2026-08", at(2026, 10, 21), source, rb).escalations == 0  # August alone: no streak
    assert "WITHDRAWN by run" in explain(db, "E_F1", parse_period(Q3))

    source.values[occupation("2026-07", "0")[0]] = Decimal("0.32")  # the correction itself was wrong
    run_month(db, "2026-07", at(2026, 10, 22), source, rb)
    again = run_month(db, "2026-08", at(2026, 10, 22), source, rb)
    assert again.escalations == 1
    assert {e["id"]: e["status"] for e in store.escalations(db)}[plan["id"]] == "active"
