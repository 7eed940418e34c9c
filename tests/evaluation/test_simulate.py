"""simulate: a proposed rulebook against the same past facts, per employee and in total; nothing written."""

from __future__ import annotations

import shutil
from decimal import Decimal

from perfrules.engine.cli import cli
from perfrules.engine.evaluation.simulate import report, simulate
from perfrules.engine.periods import parse_period
from perfrules.storage import evaluation_store as store

from tests.evaluation.company import RULES, at, rulebook, seed
from tests.evaluation.test_quarter import kpis


def test_simulate_compares_rulebooks_without_writing(db, tmp_path, runner):
    seed(db)
    proposed_dir = tmp_path / "proposed"
    shutil.copytree(RULES, proposed_dir)
    ops = proposed_dir / "operations.yaml"
    ops.write_text(ops.read_text().replace("deduction: 12%", "deduction: 20%").replace("after: 3", "after: 2"))
    current, proposed = rulebook(), rulebook(proposed_dir)
    source = kpis()
    steps: list[int] = []
    comparison = simulate(
        db,
        current,
        proposed,
        parse_period("2026-07"),
        parse_period("2026-09"),
        kpis_for={id(current): source, id(proposed): source},
        now=at(2026, 10, 20),
        on_month=steps.append,
    )
    assert steps == [1] * 6  # three months, once per rulebook: what the progress bar counts
    assert comparison.current.totals["E_O1"] == Decimal("-1080.00")
    assert comparison.proposed.totals["E_O1"] == Decimal("-1800.00")
    assert comparison.proposed.total - comparison.current.total == Decimal("-720.00")
    assert comparison.current.escalations["E_O1"] == ["reassignment_review (operations.slow_mover_digestion, 2026-09)"]
    assert comparison.proposed.escalations["E_O1"] == ["reassignment_review (operations.slow_mover_digestion, 2026-08)"]
    text = "\n".join(report(comparison))
    assert "E_O1" in text and "-720.00" in text
    assert store.findings(db) == [] and store.adjustments(db) == [] and store.runs(db) == []

    result = runner.invoke(
        cli,
        [
            "--database-url",
            db.url,
            "--rules-dir",
            str(RULES),
            "simulate",
            "--rules",
            str(proposed_dir),
            "--from",
            "2026-07",
            "--to",
            "2026-09",
        ],
    )
    assert result.exit_code == 0, result.output  # the KPI library finds no data here: nothing changes
    assert "total" in result.output and store.runs(db) == []
