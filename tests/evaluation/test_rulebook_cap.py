"""The rulebook's ``bonus.quarterly_cap``: set in one rule file, applied by evaluation, checked by ``check``."""

from __future__ import annotations

import shutil
from decimal import Decimal

from perfrules.engine.cli import cli
from perfrules.engine.rulebook.checker import check_path
from perfrules.storage import evaluation_store as store

from tests.evaluation.company import RULES, rulebook, seed
from tests.evaluation.test_quarter import kpis, walk_quarter


def _rules_with(tmp_path, header: str, file: str = "purchasing.yaml"):
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    path = folder / file
    path.write_text(header + path.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def test_deductions_beyond_the_rulebook_cap_are_given_back(db, tmp_path):
    seed(db)
    rb = rulebook(_rules_with(tmp_path, "bonus:\n  quarterly_cap: 20%\n"))
    assert rb.quarterly_cap == Decimal("0.20")
    walk_quarter(db, rb, kpis())
    e_p1 = [a for a in store.adjustments(db, quarter="2026Q3") if a["employee_id"] == "E_P1"]
    # E_P1 loses 1000 + 1500 of a 10000 base = 25%; the cap of 20% gives 500 back on a cap line
    assert {a["kind"]: store.effective(a) for a in e_p1 if a["kind"] == "cap"} == {"cap": Decimal("500.00")}
    assert sum(store.effective(a) for a in e_p1) == Decimal("-2000.00")


def test_without_a_cap_nothing_is_given_back(db):
    seed(db)
    walk_quarter(db, rulebook(), kpis())
    assert not [a for a in store.adjustments(db, quarter="2026Q3") if a["kind"] == "cap"]


def test_a_rulebook_has_one_bonus_policy(tmp_path, runner):
    folder = _rules_with(tmp_path, "bonus:\n  quarterly_cap: 40%\n")
    finance = folder / "finance.yaml"
    finance.write_text("bonus:\n  quarterly_cap: 30%\n" + finance.read_text(encoding="utf-8"), encoding="utf-8")
    result = check_path(folder)
    assert result.rulebook is None
    assert any("the bonus policy is already set in" in str(p) for p in result.problems)


def test_a_cap_above_100_percent_is_refused(tmp_path, runner):
    folder = _rules_with(tmp_path, "bonus:\n  quarterly_cap: 150%\n")
    result = runner.invoke(cli, ["check", str(folder / "purchasing.yaml")])
    assert result.exit_code == 1
    assert "bonus.quarterly_cap: 150% is not a share: a share lies between 0% and 100%" in result.output
