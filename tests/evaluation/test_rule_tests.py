"""HR rule test files are as strict as rule files: typos and tests that assert nothing fail, diffs name every field."""

from __future__ import annotations

import shutil
from pathlib import Path

from perfrules.engine.cli import cli
from perfrules.engine.settings import PROJECT_ROOT

RULES = PROJECT_ROOT / "rules"
HEAD = "  - name: {name}\n    now: 2026-10-09T09:00:00+08:00\n    period: 2026-09\n"


def _run(runner, tmp_path: Path, body: str):
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder, ignore=shutil.ignore_patterns("tests"))
    (folder / "tests").mkdir()
    test_file = folder / "tests" / "t.yaml"
    test_file.write_text("tests:\n" + body, encoding="utf-8")
    return runner.invoke(cli, ["test", str(test_file)])


def test_unknown_keys_and_words_are_errors_with_did_you_mean(runner, tmp_path: Path) -> None:
    body = HEAD.format(name="typos") + (
        "    facts:\n"
        "      people: [{id: E1, department: purchasng, role: purchaser, bonus_base: 20000}]\n"
        "      kpis: [{kpi: slow_mover_list_timelines, value: 85%}]\n"
        "      breaches: [{rule: purchasing.slow_mover, subject: department:purchasing, period: 2026-08}]\n"
        "    expect:\n"
        "      findngs: [{rule: purchasing.slow_mover_list, kind: kpi_breach}]\n"
    )
    result = _run(runner, tmp_path, body)
    assert result.exit_code == 1
    out = result.output
    assert (
        "t.yaml:6:37: tests[0].facts.people[0].department: unknown department 'purchasng' (did you mean 'purchasing'?)"
        in out
    )
    assert (
        "tests[0].facts.kpis[0].kpi: unknown kpi 'slow_mover_list_timelines' "
        "(did you mean 'slow_mover_list_timeliness'?)" in out
    )
    assert (
        "tests[0].facts.breaches[0].rule: unknown rule 'purchasing.slow_mover' "
        "(did you mean 'purchasing.slow_mover_list'?)" in out
    )
    assert "t.yaml:10:7: tests[0].expect.findngs: unknown key 'findngs' (did you mean 'findings'?)" in out
    assert "0 passed, 1 failed" in out


def test_a_test_of_an_unknown_rule_or_without_expectations_fails(runner, tmp_path: Path) -> None:
    body = (
        HEAD.format(name="vacuous")
        + "    expect:\n      findings: []\n    only_rules: [purchasing.nothing]\n"
        + HEAD.format(name="asserts nothing")
    )
    result = _run(runner, tmp_path, body)
    assert result.exit_code == 1
    assert "tests[0].only_rules[0]: unknown rule 'purchasing.nothing'" in result.output
    assert "tests[1]: the test expects nothing: add 'expect:'" in result.output
    assert "0 passed, 2 failed" in result.output


def test_a_failing_expectation_names_every_field_that_differs(runner, tmp_path: Path) -> None:
    body = HEAD.format(name="differs") + (
        "    only_rules: [finance.capital_occupation]\n"
        "    facts:\n"
        "      people: [{id: F1, department: finance, role: finance_analyst, manager: F9, bonus_base: 10000}]\n"
        "      kpis: [{kpi: capital_occupation, value: 35%}]\n"
        "    expect:\n"
        "      findings: [{kind: kpi_breach, value: 33%, target: 30%, streak: 2}]\n"
    )
    result = _run(runner, tmp_path, body)
    assert result.exit_code == 1
    assert "- expected, not got: {kind: kpi_breach, value: 33%, target: 30%, streak: 2}" in result.output
    assert (
        "      closest result: {rule: finance.capital_occupation, kind: kpi_breach, subject: company," in result.output
    )
    assert "        value: expected 33%, got 0.35\n        streak: expected 2, got 1\n" in result.output
    assert "target: expected" not in result.output  # 30% is the target found: not a difference
