"""A rule that cannot be judged for lack of holiday data is reported by name; every other rule is judged."""

from __future__ import annotations

import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from perfrules.engine.cli import cli
from perfrules.engine.evaluation.decide import decide
from perfrules.engine.evaluation.facts import Facts, KpiValue, Person
from perfrules.engine.rulebook.checker import load_rulebook

from tests.evaluation.company import RULES, seed

ZONE = ZoneInfo("Asia/Shanghai")
REASON = "rule purchasing.slow_mover_list not judged: no Chinese holiday data for 2027-01-05"


def strict_rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    path = folder / "purchasing.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('due: {day: 5, time: "18:00"}', 'due: {day: 5, time: "18:00"}\n      calendar: cn', 1))
    return folder


def test_the_strict_rule_is_named_and_the_others_are_judged(tmp_path: Path) -> None:
    rulebook = load_rulebook(strict_rules(tmp_path))
    people = (
        Person(
            "F1",
            "F1",
            "F1",
            "finance",
            "finance_analyst",
            Decimal(10000),
            datetime(2000, 1, 1).date(),
            None,
            (),
            (),
            None,
        ),
    )
    facts = Facts(
        "2026-12", (KpiValue("capital_occupation", "2026-12", Decimal("0.35"), "company", ""),), (), people, (), ()
    )
    decision = decide(rulebook, facts, datetime(2027, 1, 20, 9, tzinfo=ZONE))
    assert [(f.ref.id, f.kind) for f in decision.findings] == [("finance.capital_occupation", "kpi_breach")]
    [blocked] = [n for n in decision.not_applicable if n.ref.id == "purchasing.slow_mover_list"]
    assert blocked.reason.startswith(REASON)


def test_evaluate_names_the_rule_instead_of_failing(db, runner, tmp_path: Path) -> None:
    seed(db)
    args = ["--database-url", db.url, "--rules-dir", str(strict_rules(tmp_path)), "evaluate", "--period", "2026-12"]
    result = runner.invoke(cli, [*args, "--as-of", "2027-01-20T12:00", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert REASON in result.output
