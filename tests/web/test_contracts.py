"""Contract clauses rendered from the rule files in force: golden files, and a changed threshold."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from perfrules.engine.cli import cli

from tests.web.support import build_company

RULES = Path(__file__).parent / "fixtures" / "rules"
GOLDEN = Path(__file__).parent / "golden"


def _render(runner, tmp_path: Path, *args: str) -> str:
    out = tmp_path / "contract.out"
    r = runner.invoke(
        cli,
        [
            "--rules-dir",
            str(tmp_path / "rules"),
            "render",
            "contract",
            "--date",
            "2026-03-01",
            *args,
            "--output",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    return out.read_text(encoding="utf-8")


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    shutil.copytree(RULES, tmp_path / "rules")
    return tmp_path / "rules"


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_purchaser_contract_matches_golden(runner, tmp_path, rules, golden, locale, fmt):
    text = _render(runner, tmp_path, "--role", "purchaser", "--locale", locale, "--format", fmt)
    golden(text, GOLDEN / f"purchaser.{locale}.{fmt}")


def test_changed_threshold_changes_the_clause(runner, tmp_path, rules):
    before = _render(runner, tmp_path, "--role", "purchaser", "--locale", "en")
    assert "at least 90%" in before and "10% of the quarterly bonus" in before
    path = rules / "purchasing.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace("target: 90%", "target: 85%")
        .replace("deduction: 10%", "deduction: 12%"),
        encoding="utf-8",
    )
    after = _render(runner, tmp_path, "--role", "purchaser", "--locale", "en")
    assert "at least 85%" in after and "≥ 85%" in after and "12% of the quarterly bonus" in after
    assert "90%" not in after
    assert before.splitlines()[-1] != after.splitlines()[-1]  # the rulebook stamp changed too


def test_contract_for_an_employee_uses_their_role(runner, tmp_path, rules, database_url, db):
    build_company(db)
    out = tmp_path / "e2.md"
    r = runner.invoke(
        cli,
        [
            "--database-url",
            database_url,
            "--rules-dir",
            str(rules),
            "render",
            "contract",
            "--employee",
            "E2",
            "--date",
            "2026-03-01",
            "--output",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert "Wang Fang (E2)" in text and "purchasing.slow_mover_list" in text


def test_role_without_rules_is_an_error(runner, tmp_path, rules):
    r = runner.invoke(cli, ["--rules-dir", str(rules), "render", "contract", "--role", "planner"])
    assert r.exit_code == 1 and "applies to role 'planner'" in r.output
