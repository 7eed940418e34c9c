"""Who is at risk: one breach away from an escalation (from stored findings of real evaluation runs), or a
deadline within three working days with nothing handed in (the rulebook's calendar)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from perfrules.engine.evaluation.at_risk import at_risk, judged_month, judged_through
from perfrules.engine.evaluation.run import evaluate
from perfrules.engine.periods import parse_period

from tests.evaluation.company import ZONE, StaticKpis, at, digestion, occupation, rulebook, seed, submit, timeliness


@pytest.fixture
def company(db):
    seed(db)
    return db


def run(db, rb, source, month: str, now: datetime) -> None:
    evaluate(db, rb, parse_period(month), now=now, kpis=source)


def three_months(db, rb, values):
    """July to September evaluated after each month ended, every list handed in on time."""
    for emp in ("E_P1", "E_P2"):
        for month, day in (("2026-07", at(2026, 8, 3)), ("2026-08", at(2026, 9, 3)), ("2026-09", at(2026, 9, 30))):
            submit(db, f"L{month}-{emp}", emp, month, day)
    source = StaticKpis(dict(values))
    for month, now in (("2026-07", at(2026, 8, 20)), ("2026-08", at(2026, 9, 20)), ("2026-09", at(2026, 10, 12))):
        run(db, rb, source, month, now)


def risks(db, rb, visible=None, now=None):
    return at_risk(db, rb, now=now or at(2026, 10, 12), zone=ZONE, visible=visible, items=[])


def test_a_streak_one_short_of_an_escalation_is_at_risk(company):
    db, rb = company, rulebook()
    three_months(
        db,
        rb,
        [
            occupation("2026-07", "0.32"),  # finance: July in breach, August clean, September in breach again
            occupation("2026-08", "0.25"),
            occupation("2026-09", "0.35"),
            digestion("2026-07", "0.75"),  # operations: two breaches, then a clean September ends the streak
            digestion("2026-08", "0.70"),
            digestion("2026-09", "0.90"),
            timeliness("2026-07", "0.95"),
            timeliness("2026-08", "0.80"),  # the lists due in August and September (July's and August's) late:
            timeliness("2026-09", "0.70"),  # breaches counting in July and August
        ],
    )
    found = risks(db, rb)
    assert found.judged_month == "2026-09"
    got = {(r.employee_id, r.rule_id): r for r in found.escalations}
    # finance: one breach (September) of a rule escalating after 2 → another in October makes the plan
    plan = got[("E_F1", "finance.capital_occupation")]
    assert (plan.streak, plan.after, plan.action, plan.next_month) == (("2026-09",), 2, "improvement_plan", "2026-10")
    # purchasing: timeliness of September judges the list covering August, so the streak is July–August and
    # the month that would make three is September (its list's timeliness is judged in October)
    for emp in ("E_P1", "E_P2"):
        smv = got[(emp, "purchasing.slow_mover_list")]
        assert (smv.streak, smv.after, smv.next_month) == (("2026-07", "2026-08"), 3, "2026-09")
    # operations: September was clean, the streak is over
    assert not any(r.rule_id == "operations.slow_mover_digestion" for r in found.escalations)
    purchasers = {(e, "purchasing.slow_mover_list") for e in ("E_P1", "E_P2")}
    assert set(got) == {("E_F1", "finance.capital_occupation")} | purchasers


def test_an_escalated_streak_is_no_longer_one_away_and_visibility_filters(company):
    db, rb = company, rulebook()
    values = [occupation("2026-08", "0.33"), occupation("2026-09", "0.35")]  # the plan is triggered in September
    three_months(db, rb, values)
    assert risks(db, rb).escalations == ()
    source = StaticKpis(dict([occupation("2026-10", "0.25"), occupation("2026-11", "0.31")]))
    run(db, rb, source, "2026-10", at(2026, 11, 3))  # clean October ends that streak
    run(db, rb, source, "2026-11", at(2026, 12, 2))  # a new one starts in November
    found = risks(db, rb, now=at(2026, 12, 2))
    assert [(r.employee_id, r.streak, r.next_month) for r in found.escalations] == [("E_F1", ("2026-11",), "2026-12")]
    assert risks(db, rb, visible=frozenset({"E_P1", "E_P2"}), now=at(2026, 12, 2)).escalations == ()


def test_nothing_is_judged_before_a_month_has_ended(company):
    db, rb = company, rulebook()
    run(db, rb, StaticKpis(dict([occupation("2026-09", "0.35")])), "2026-09", at(2026, 9, 20))  # mid-month
    found = risks(db, rb, now=at(2026, 9, 21))
    assert found.judged_month is None and found.escalations == ()


def test_the_latest_judged_month_is_the_latest_evaluated_after_it_ended():
    runs = [
        {"period": "2026-10", "as_of": at(2026, 10, 31, 23)},  # the month had not ended yet
        {"period": "2026-09", "as_of": datetime(2026, 9, 30, 16, 30, tzinfo=UTC)},  # 00:30 on 1 Oct in Shanghai
    ]
    month, _ = judged_month(runs, ZONE)
    assert month.label == "2026-09"


def test_a_kpi_judged_at_a_due_date_is_not_judged_before_it():
    rb = rulebook()
    digestion_rule = next(s.rule for s in rb.rules if s.rule.id == "operations.slow_mover_digestion")
    smv = next(s.rule for s in rb.rules if s.rule.id == "purchasing.slow_mover_list")
    september = parse_period("2026-09")
    assert judged_through(digestion_rule, september, at(2026, 10, 12)).label == "2026-09"
    # the list rule: a timeliness breach of September counts in August, the list covering September is due 8 Oct
    assert judged_through(smv, september, at(2026, 10, 12)).label == "2026-08"
    assert judged_through(smv, september, at(2026, 10, 2)).label == "2026-08"


@pytest.mark.parametrize(
    ("now", "handed_in", "expected"),
    [
        (at(2026, 3, 2, 10), (), {"E_P1", "E_P2"}),  # Mon: Tue, Wed, Thu 5 Mar — the February list is due Thu
        (at(2026, 3, 2, 10), ("E_P1",), {"E_P2"}),  # handed in: not at risk
        (at(2026, 3, 1, 10), (), set()),  # Sun: Mon, Tue, Wed — Thursday is the fourth working day
        (at(2026, 2, 11, 10), (), set()),  # the January list is due 5 Feb: overdue, no longer "due soon"
        (at(2026, 2, 27, 10), (), set()),  # Fri 27 Feb: Sat 28 (调休 make-up day), Mon 2, Tue 3 Mar
        (at(2026, 2, 28, 10), (), set()),  # Sat 28 Feb (调休, worked): Mon 2, Tue 3, Wed 4 — not Thursday
        (at(2026, 3, 5, 17), (), {"E_P1", "E_P2"}),  # the due day itself, before 18:00
    ],
)
def test_a_deadline_within_three_working_days_with_nothing_handed_in(company, now, handed_in, expected):
    db, rb = company, rulebook()
    for emp in handed_in:
        submit(db, f"L-{emp}", emp, "2026-02", now)
    found = at_risk(db, rb, now=now, zone=ZONE, visible=None)
    assert {d.employee_id for d in found.deadlines if d.deliverable == "slow_mover_list"} == expected
    assert all(d.state == "open" for d in found.deadlines)
