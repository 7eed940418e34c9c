"""Pricing rules without a database: once per quarter, stacking with a cap, the proportional scheme,
pro-rating, the total cap and the floor, streaks across year boundaries, leave and transfers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from perfrules.engine.evaluation.consequences import Charge, price, proportional_share, settle
from perfrules.engine.evaluation.people import Person, Stint, holders
from perfrules.engine.evaluation.streaks import streak
from perfrules.engine.periods import parse_period

Q3 = parse_period("2026Q3")
D = Decimal


def person(pid="E1", base="10000", start=date(2025, 1, 1), end=None, stints=(), leaves=()):
    return Person(pid, pid, pid, "purchasing", "purchaser", D(base), start, end, stints, leaves)


def charge(period, share, stacks=False, cap=None, rule="r.x", employee="E1", department="purchasing"):
    return Charge(
        None,
        rule,
        "rules/x.yaml",
        3,
        "1",
        employee,
        department,
        period,
        D(share),
        stacks,
        None if cap is None else D(cap),
    )


def test_fixed_share_applies_once_per_quarter():
    lines = price([charge("2026-07", "-0.10"), charge("2026-08", "-0.10")], {"E1": person()}, Q3)
    assert [(x.period, x.amount) for x in lines] == [("2026Q3", D("-1000.00"))]
    assert "fired in 2026-07, 2026-08" in lines[0].computation


def test_stacking_share_applies_every_month_up_to_its_cap():
    charges = [charge(m, "-0.10", stacks=True, cap="0.25") for m in ("2026-07", "2026-08", "2026-09")]
    lines = price(charges, {"E1": person()}, Q3)
    assert [(x.period, x.amount) for x in lines] == [
        ("2026-07", D("-1000.00")),
        ("2026-08", D("-1000.00")),
        ("2026-09", D("-500.00")),
    ]
    assert "capped at 25%" in lines[-1].computation


def test_new_hire_base_is_pro_rated_by_days_employed_and_rounded_half_up():
    hire = person(base="9000", start=date(2026, 8, 16))  # 46 of 92 days
    lines = price([charge("2026-09", "-0.125")], {"E1": hire}, Q3)
    assert lines[0].base == D("4500.00") and lines[0].amount == D("-562.50")
    odd = person(base="1000", start=date(2026, 7, 2))  # 91/92 × 1000 = 989.1304…; × 15% = 148.3695… → 148.37
    assert price([charge("2026-07", "-0.15")], {"E1": odd}, Q3)[0].amount == D("-148.37")


def test_transfer_pro_rates_by_days_in_the_charged_department():
    moved = person(
        stints=(
            Stint("purchasing", "purchaser", date(2025, 1, 1), date(2026, 8, 16)),
            Stint("operations", "operations_specialist", date(2026, 8, 16)),
        )
    )
    assert moved.days_in(Q3, "purchasing") == 46 and moved.days_in(Q3, "operations") == 46
    assert price([charge("2026-07", "-0.10")], {"E1": moved}, Q3)[0].amount == D("-500.00")
    assert [p.id for p in holders([moved], "purchasing", date(2026, 8, 31))] == []
    assert [p.id for p in holders([moved], "operations", date(2026, 8, 31))] == ["E1"]


def test_leave_and_leavers_are_not_charged():
    away = person(leaves=((date(2026, 9, 1), date(2026, 9, 30)),))
    gone = person("E2", end=date(2026, 8, 31))
    assert holders([away, gone], "purchasing", date(2026, 9, 7)) == []
    assert [p.id for p in holders([away, gone], "purchasing", date(2026, 8, 5))] == ["E1", "E2"]
    assert gone.base_for(Q3) == (D("10000") * 62 / 92, 62)


@pytest.mark.parametrize(
    ("value", "target", "higher", "share"),
    [
        ("0.97", "0.95", True, "0.0105"),  # 2 points above × 5% × weight 30% × KPI share 35%
        ("0.90", "0.95", True, "-0.01575"),  # 5 points below × 3% × 30% × 35%
        ("0.95", "0.95", True, "0"),
        ("0.07", "0.05", False, "-0.0063"),  # lower is better: 2 points above the ceiling
    ],
)
def test_proportional_scheme(value, target, higher, share):
    result, how = proportional_share(D(value), D(target), higher, D("0.35"), D("0.30"))
    assert result == D(share)
    assert "points" in how


def test_settle_caps_deductions_and_floors_the_bonus():
    assert settle(D("10000"), [D("-3000"), D("-2000")], D("0.50")) == []
    cap = settle(D("10000"), [D("-3000"), D("-2500"), D("-1500")], D("0.50"))
    assert [(k, a) for k, a, _ in cap] == [("cap", D("2000.00"))]
    floor = settle(D("1000"), [D("-1500"), D("200")], None)
    assert [(k, a) for k, a, _ in floor] == [("floor", D("300.00"))]


def test_streaks_run_across_quarter_and_year_boundaries():
    assert streak(["2025-11", "2025-12"], "2026-01") == ("2025-11", "2025-12", "2026-01")
    assert streak(["2025-10", "2025-12"], "2026-01") == ("2025-12", "2026-01")
    assert streak([], "2026-03") == ("2026-03",)


@pytest.mark.parametrize(
    ("covers", "due", "kind", "period", "expected"),
    [
        # the timeliness breach of August is caused by the list due in August: July's
        ("previous_month", {"day": 5}, "breach", "2026-08", "2026-07"),
        ("previous_month", {"day": 5}, "breach", "2026-01", "2025-12"),  # across the year boundary
        ("previous_month", {"day": 5}, "late", "2026-07", "2026-07"),  # a late list counts where it is stored
        ("previous_month", {"day": 5}, "missing", "2026-07", "2026-07"),
        ("current_month", {"day": "last"}, "breach", "2026-08", "2026-08"),
        ("current_week", {"weekday": "friday"}, "breach", "2026-08", "2026-08"),  # weekly: its own month
    ],
)
def test_a_late_deliverable_and_the_breach_it_causes_count_in_one_month(covers, due, kind, period, expected):
    from perfrules.engine.evaluation.streaks import counts_in
    from perfrules.engine.rulebook.model import Rule

    rule = Rule.model_validate(
        {
            "id": "purchasing.slow_mover_list",
            "version": 1,
            "effective_from": "2026-01-01",
            "title": {"zh-CN": "滞销品统计分析", "en": "Slow-mover list"},
            "department": "purchasing",
            "role": "purchaser",
            "deadline": {"deliverable": "slow_mover_list", "covers": covers, "due": {**due, "time": "18:00"}},
            "threshold": {"kpi": "slow_mover_list_timeliness", "target": "90%"},
        }
    )
    assert counts_in(rule, period, kind) == expected
    assert counts_in(rule.model_copy(update={"deadline": None}), period, kind) == period  # no deadline: own month
