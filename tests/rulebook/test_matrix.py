"""The responsibility matrix with weights is read from the rules in force (seed 004's matrix)."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

from perfrules.engine.rulebook.checker import load_rulebook
from perfrules.engine.rulebook.matrix import responsibility_matrix

RULES = Path(__file__).resolve().parents[2] / "rules"


def test_the_bundled_rules_carry_the_seeds_matrix():
    cells = responsibility_matrix(load_rulebook(RULES), date(2026, 3, 31))
    got = {(c.kpi, c.department, c.role, c.weight) for c in cells}
    # seed 004: turnover → purchasing 25 % (purchasing-side inventory days), fill rate → planning 30 %,
    # obsolete ratio → warehouse 20 %, accuracy → warehouse 15 %, emergency-order rate → planning 10 %
    assert got == {
        ("purchasing_dio_yoy", "purchasing", "purchasing_manager", Decimal("0.25")),
        ("fill_rate", "planning", "planner", Decimal("0.30")),
        ("emergency_order_rate", "planning", "planner", Decimal("0.10")),
        ("obsolete_ratio", "warehouse", "warehouse_manager", Decimal("0.20")),
        ("inventory_accuracy", "warehouse", "warehouse_keeper", Decimal("0.15")),
    }
    heaviest_first = [c.kpi for c in cells if c.department == "planning"]
    assert heaviest_first == ["fill_rate", "emergency_order_rate"]


def test_editing_a_weight_changes_the_matrix_and_rules_not_in_force_are_left_out(tmp_path):
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder, ignore=shutil.ignore_patterns("tests"))
    planning = folder / "planning.yaml"
    planning.write_text(planning.read_text(encoding="utf-8").replace("weight: 30%", "weight: 35%"), encoding="utf-8")
    rulebook = load_rulebook(folder)
    weights = {c.kpi: c.weight for c in responsibility_matrix(rulebook, date(2026, 3, 31))}
    assert weights["fill_rate"] == Decimal("0.35")
    assert responsibility_matrix(rulebook, date(2025, 12, 31)) == ()  # before the rules took effect
