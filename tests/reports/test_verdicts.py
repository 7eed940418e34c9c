"""One status (issue 12 item 4): where a rule in force judges a KPI, its verdict; else the generic band."""

from __future__ import annotations

from decimal import Decimal

import pytest
from perfrules.engine.bundled import bundled_path
from perfrules.engine.kpi.catalog import ScopeKind
from perfrules.engine.kpi.scope import COMPANY, Scope
from perfrules.engine.kpi.status import GENERIC_BAND, Status, evaluate
from perfrules.engine.kpi.values import KpiValue
from perfrules.engine.periods import parse_period
from perfrules.engine.reporting.lines import metric_line
from perfrules.engine.reporting.verdicts import judge
from perfrules.engine.rulebook.checker import load_rulebook


@pytest.fixture(scope="module")
def rulebook():
    return load_rulebook(bundled_path("rules"))


def value(kpi: str, amount: str | None, period: str = "2026-09", scope: Scope = COMPANY) -> KpiValue:
    p = parse_period(period)
    return KpiValue(kpi, scope, p.label, p.start, p.last_day, None if amount is None else Decimal(amount))


# finance.capital_occupation: company, month, target ≤ 30 %, warning from 28 %
@pytest.mark.parametrize(
    ("amount", "status"),
    [
        ("0.31", Status.NOT_MET),  # the generic band calls this a warning; the rule deducts 15 %
        ("0.30", Status.WARNING),  # at the target: not a breach, inside the rule's warning band
        ("0.29", Status.WARNING),
        ("0.28", Status.MET),
        ("0.25", Status.MET),
    ],
)
def test_a_rule_in_force_gives_the_status(rulebook, amount, status):
    judged = judge(value("capital_occupation", amount), rulebook)
    assert (judged.status, judged.judged_by, judged.target) == (status, "finance.capital_occupation@1", Decimal("0.3"))


def test_31_percent_is_a_breach_not_a_warning(rulebook):
    v = value("capital_occupation", "0.31")
    assert evaluate(v).status is Status.WARNING  # what the kpi command and the dashboard used to show
    assert judge(v, rulebook).status is Status.NOT_MET


def test_the_generic_band_only_where_no_rule_judges_and_it_says_so(rulebook):
    monthly_fill = judge(value("fill_rate", "0.94"), rulebook)  # planning.fill_rate judges quarters only
    assert (monthly_fill.status, monthly_fill.judged_by) == (Status.WARNING, GENERIC_BAND)
    quarterly_fill = judge(value("fill_rate", "0.94", "2026Q3"), rulebook)
    assert (quarterly_fill.status, quarterly_fill.judged_by) == (Status.NOT_MET, "planning.fill_rate@1")
    before = judge(value("capital_occupation", "0.31", "2025-12"), rulebook)  # before the rule took effect
    assert before.judged_by == GENERIC_BAND
    ttm = judge(value("capital_occupation", "0.31", "ttm:2026-09"), rulebook)
    assert ttm.judged_by == GENERIC_BAND


def test_department_rules_judge_their_own_department_only(rulebook):
    purchasing = Scope(ScopeKind.DEPARTMENT, "purchasing")
    judged = judge(value("slow_mover_list_timeliness", "0.93", scope=purchasing), rulebook)
    assert (judged.status, judged.judged_by) == (Status.WARNING, "purchasing.slow_mover_list@1")
    assert judge(value("slow_mover_list_timeliness", "0.85", scope=purchasing), rulebook).status is Status.NOT_MET
    finance = Scope(ScopeKind.DEPARTMENT, "finance")
    assert judge(value("slow_mover_list_timeliness", "0.85", scope=finance), rulebook).judged_by == GENERIC_BAND


def test_no_value_is_not_applicable_under_the_rule(rulebook):
    judged = judge(value("capital_occupation", None), rulebook)
    assert (judged.status, judged.judged_by) == (Status.NOT_APPLICABLE, "finance.capital_occupation@1")


def test_a_report_line_shows_the_rules_verdict(rulebook):
    line = metric_line(value("capital_occupation", "0.31"), None, rulebook)
    assert (line.status, line.target.value, line.target.comparison) == ("not_met", Decimal("0.3"), "<=")
