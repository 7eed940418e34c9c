"""A rule's wording renders at check time, and a percentage it states must be one of the rule's numbers."""

from __future__ import annotations

from pathlib import Path

from perfrules.engine.cli import cli
from perfrules.engine.rulebook.checker import check_path

RULE = """rules:
  - id: purchasing.x
    version: 1
    effective_from: 2026-01-01
    title: {{zh-CN: 测试, en: Test}}
    department: purchasing
    role: purchaser
    threshold: {{kpi: quality_pass_rate, scope: company, target: 90%}}
    consequence: {{deduction: 10%}}
    wording:
      duty: {{zh-CN: "合格率不低于{{{{ target }}}}", en: "Keep quality at {{{{ target }}}} or better"}}
      penalty: {{zh-CN: "未达标扣减季度奖金的{penalty}", en: "A breach deducts {{{{ deduction }}}} of the bonus"}}
"""


def _check(tmp_path: Path, penalty: str):
    path = tmp_path / "x.yaml"
    path.write_text(RULE.format(penalty=penalty), encoding="utf-8")
    return check_path(path)


def test_wording_that_agrees_passes_without_warning(tmp_path: Path) -> None:
    result = _check(tmp_path, "10%")
    assert result.ok and not result.reports[0].warnings


def test_a_percentage_that_differs_from_the_numbers_is_a_warning_naming_both(tmp_path: Path, runner) -> None:
    result = _check(tmp_path, "12%")
    assert result.ok  # a warning: the check passes
    [warning] = result.reports[0].warnings
    assert warning.endswith(
        "rules[0].wording.penalty.zh-CN: the wording states 12% but the rule's percentages are target 90%, "
        "deduction 10%"
    )
    out = runner.invoke(cli, ["check", str(tmp_path / "x.yaml")]).output
    assert "WARNING:" in out and "states 12%" in out


def test_the_shipped_rulebook_wording_agrees(runner) -> None:
    from perfrules.engine.settings import PROJECT_ROOT

    result = check_path(PROJECT_ROOT / "rules")
    assert result.ok
    assert not [w for r in result.reports for w in r.warnings if "wording" in w]
