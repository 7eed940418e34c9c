"""``perfrules evaluate`` with the real KPI library and the chunked engine path."""

from __future__ import annotations

from decimal import Decimal

from perfrules.engine.cli import cli
from perfrules.engine.evaluation import judging
from perfrules.engine.evaluation.facts import KpiValue
from perfrules.engine.evaluation.judging import decide_month
from perfrules.engine.evaluation.people import Person
from perfrules.engine.periods import parse_period
from perfrules.engine.rulebook.checker import load_rulebook
from perfrules.storage import evaluation_store as store

from tests.evaluation.company import RULES, at, seed

RULE = """rules:
  - id: planning.accuracy
    effective_from: 2026-01-01
    title: {zh-CN: 准确率, en: Accuracy}
    department: warehouse
    role: warehouse_keeper
    threshold: {kpi: inventory_accuracy, scope: employee, period: month, target: 98%}
    consequence: {deduction: 5%}
"""


def test_evaluate_command_dry_run_then_for_real(db, runner):
    seed(db)
    args = [
        "--database-url",
        db.url,
        "--rules-dir",
        str(RULES),
        "evaluate",
        "--period",
        "2026-09",
        "--as-of",
        "2026-10-20T12:00",
    ]
    result = runner.invoke(cli, [*args, "--dry-run"])
    assert result.exit_code == 0, result.output
    # September's list is missing for both buyers: the deadline findings, and the library's timeliness KPI
    assert "MISSING    purchasing.slow_mover_list [E_P1]" in result.output
    assert "dry run" in result.output and store.findings(db) == [] and store.runs(db) == []
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert {(f["subject"], f["kind"]) for f in store.findings(db)} == {
        ("E_P1", "missing"),
        ("E_P2", "missing"),
        ("purchasing", "breach"),
    }
    again = runner.invoke(cli, args)
    assert "repeat: nothing changed" in again.output and len(store.runs(db)) == 1
    bad = runner.invoke(cli, ["--database-url", db.url, "evaluate", "--period", "2026Q3"])
    assert bad.exit_code == 2 and "--period" in bad.output and "is not a month (YYYY-MM)" in bad.output


def test_chunked_engine_sessions_give_the_same_findings(tmp_path, monkeypatch):
    (tmp_path / "r.yaml").write_text(RULE, encoding="utf-8")
    rulebook = load_rulebook(tmp_path)
    month = parse_period("2026-09")
    people = [Person(f"W{i}", "w", "w", "warehouse", "warehouse_keeper", Decimal(1000), month.start) for i in range(7)]
    values = [
        KpiValue("inventory_accuracy", month.label, Decimal("0.97") if i % 2 else Decimal("0.99"), "employee", f"W{i}")
        for i in range(7)
    ]
    whole = decide_month(rulebook, month, values, (), people, at(2026, 10, 2))
    monkeypatch.setattr(judging, "CHUNK", 2)
    chunked = decide_month(rulebook, month, values, (), people, at(2026, 10, 2))
    assert [o.key for o in chunked] == [o.key for o in whole]
    assert [o.subject for o in whole] == ["W1", "W3", "W5"]
