"""A threshold without ``scope_id`` judges every member of its scope in production, as HR's rule tests do
with the facts they list: every category, and every employee of the rule's department."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from perfrules.engine.evaluation.decide import decide
from perfrules.engine.evaluation.facts import Facts as DecideFacts
from perfrules.engine.evaluation.kpis import library_kpis
from perfrules.engine.evaluation.people import load_people
from perfrules.engine.evaluation.run import evaluate
from perfrules.engine.periods import parse_period
from perfrules.engine.rulebook.checker import load_rulebook
from perfrules.storage import Database
from perfrules.storage import evaluation_store as store

from tests.reports.support import at, seed_company
from tests.scheduler.support import ZONE

RULES = """\
rules:
  - id: purchasing.emergency_orders
    effective_from: 2025-01-01
    title: {zh-CN: 紧急订单率, en: Emergency order rate}
    department: purchasing
    role: purchaser
    threshold: {kpi: emergency_order_rate, scope: employee, period: month, target: 10%}
  - id: warehouse.obsolete_by_category
    effective_from: 2025-01-01
    title: {zh-CN: 分类呆滞率, en: Obsolete ratio per category}
    department: warehouse
    role: warehouse_keeper
    threshold: {kpi: obsolete_ratio, scope: category, period: month, target: 5%}
"""


def test_a_threshold_without_scope_id_judges_every_category_and_every_employee(db: Database, tmp_path: Path):
    facts = seed_company(db)  # purchasing: 王芳 (P1, purchaser) and her manager 李明 (PM); S1, S2 in "general"
    for day in (3, 4):  # February: P1 orders twice, once urgently (50%); PM orders nothing (not applicable)
        facts.po("S1", date(2026, 2, day), date(2026, 2, day + 7), buyer="P1", emergency=day == 3)
    facts.sku("TOY", category="toys").move("TOY", "receipt", date(2024, 6, 1), 10)  # untouched since: obsolete
    facts.sku("PAN", category="kitchen").move("PAN", "receipt", date(2024, 6, 1), 10)
    facts.move("PAN", "sale", date(2026, 2, 10), 2)  # sold this month: not obsolete
    facts.save()
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "rules.yaml").write_text(RULES, encoding="utf-8")
    book = load_rulebook(tmp_path / "rules")
    february = parse_period("2026-02")
    kpis = library_kpis(ZONE, date(2026, 3, 1))

    values = kpis(db, book, february)
    judged = {(v.kpi, v.scope, v.scope_id): v.value for v in values}
    assert set(judged) == {
        ("emergency_order_rate", "employee", "P1"),
        ("emergency_order_rate", "employee", "PM"),
        ("obsolete_ratio", "category", "general"),
        ("obsolete_ratio", "category", "kitchen"),
        ("obsolete_ratio", "category", "toys"),
    }  # purchasing's people; every category
    assert judged[("emergency_order_rate", "employee", "PM")] is None  # no orders: not applicable

    report = evaluate(db, book, february, now=at(2026, 3, 1, 7), kpis=kpis)
    found = sorted((o.rule_id, o.subject) for o in report.observations)
    assert found == [("purchasing.emergency_orders", "P1"), ("warehouse.obsolete_by_category", "toys")]
    assert sorted((f["rule_id"], f["subject"]) for f in store.findings(db)) == found
    # what HR's `perfrules test` finds on the same values
    decided = decide(book, DecideFacts("2026-02", kpis=tuple(values), people=tuple(load_people(db))), at(2026, 3, 1, 7))
    assert sorted(f.subject for f in decided.findings if f.kind == "kpi_breach") == ["category:toys", "employee:P1"]


ATTRIBUTED = """\
rules:
  - id: warehouse.obsolete
    effective_from: 2025-01-01
    title: {zh-CN: 呆滞率, en: Obsolete ratio}
    department: warehouse
    role: warehouse_keeper
    threshold: {kpi: obsolete_ratio, scope: company, period: month, target: 5%}
    consequence: {deduction: 5%}
    attribution:
      - when: {kpi: obsolete_ratio, scope: category, above: 50%}
        carried_by: {department: purchasing, role: purchaser}
"""


def test_a_condition_without_scope_id_holds_when_any_member_holds_it(db: Database, tmp_path: Path):
    """The company's obsolete ratio is in breach and one category is over half obsolete: purchasing carries it,
    in production as in HR's tests."""
    facts = seed_company(db)
    facts.sku("TOY", category="toys").move("TOY", "receipt", date(2024, 6, 1), 10)
    facts.sku("PAN", category="kitchen").move("PAN", "receipt", date(2024, 6, 1), 10)
    facts.move("PAN", "sale", date(2026, 2, 10), 2)
    facts.save()
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "rules.yaml").write_text(ATTRIBUTED, encoding="utf-8")
    book = load_rulebook(tmp_path / "rules")
    february, now = parse_period("2026-02"), at(2026, 3, 1, 7)
    kpis = library_kpis(ZONE, date(2026, 3, 1))
    values = kpis(db, book, february)
    assert {v.scope_id for v in values if v.scope == "category"} == {"general", "kitchen", "toys"}
    report = evaluate(db, book, february, now=now, kpis=kpis)
    [finding] = report.observations
    assert [c["employee"] for c in report.charged[finding.key]] == ["P1"]  # the purchaser, not the warehouse
    decided = decide(book, DecideFacts("2026-02", kpis=tuple(values), people=tuple(load_people(db))), now)
    assert {(c.employee, c.department, c.attributed_from) for c in decided.consequences} == {
        ("P1", "purchasing", "warehouse")
    }
