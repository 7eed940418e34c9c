"""``perfrules test`` (engine.decide) and ``perfrules evaluate`` (engine.evaluation.run) go through the same
core: on the same facts they find the same things and move the same bonus lines by the same amounts."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from perfrules.engine.evaluation.decide import KINDS, decide
from perfrules.engine.evaluation.facts import Facts
from perfrules.engine.evaluation.people import load_people
from perfrules.engine.evaluation.run import evaluate, load_submissions
from perfrules.engine.periods import parse_period
from perfrules.storage import evaluation_store as store

from tests.evaluation.company import StaticKpis, at, digestion, occupation, rulebook, seed, submit, timeliness

MONTHS = ("2026-07", "2026-08", "2026-09")


def test_hr_test_path_and_production_run_agree(db):
    seed(db)
    rb = rulebook()
    source = StaticKpis(
        dict(
            [
                timeliness("2026-07", "0.85"),
                timeliness("2026-08", "0.70"),
                timeliness("2026-09", "0.95"),
                occupation("2026-07", "0.32"),
                occupation("2026-08", "0.35"),
                occupation("2026-09", "0.29"),
                digestion("2026-07", "0.75"),
                digestion("2026-08", "0.70"),
                digestion("2026-09", "0.60"),
            ]
        )
    )
    submit(db, "L07-E_P1", "E_P1", "2026-07", at(2026, 8, 4))
    submit(db, "L08-E_P1", "E_P1", "2026-08", at(2026, 9, 10))
    store.record_transfer(db, "E_P2", "operations", "operations_specialist", date(2026, 8, 16))
    now = at(2026, 10, 25)
    for month in MONTHS:
        evaluate(db, rb, parse_period(month), now=now, kpis=source)

    months = [parse_period(m) for m in MONTHS]
    facts = Facts(
        "2026Q3",
        tuple(v for m in months for v in source(db, rb, m)),
        tuple({s for m in months for s in load_submissions(db, m)}),
        tuple(load_people(db)),
    )
    decision = decide(rb, facts, now)

    stored = {(f["rule_id"], f["subject"], f["period"], KINDS[f["kind"]]) for f in store.findings(db)}
    found = {
        (f.ref.id, f.subject.split(":", 1)[-1], f.period, f.kind) for f in decision.findings if f.kind != "kpi_warning"
    }
    assert found == stored and len(stored) > 5
    lines: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for a in store.adjustments(db, quarter="2026Q3"):
        if a["kind"] in ("deduction", "award", "proportional"):
            lines[(a["employee_id"], a["rule_id"])] += store.effective(a)
    moved: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for c in decision.consequences:
        moved[(c.employee, c.ref.id)] += c.amount
    assert dict(moved) == dict(lines) and any(lines.values())
