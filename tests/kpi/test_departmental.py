"""Hand-checked cases for the departmental KPIs of seed 000 (purchasing, finance, operations)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import yaml
from perfrules.engine.kpi.library import compute, compute_all, drill_down
from perfrules.engine.kpi.parameters import KpiParameters
from perfrules.engine.kpi.scope import COMPANY, parse_scope
from perfrules.engine.periods import parse_period
from perfrules.engine.rulebook.checker import load_rulebook
from perfrules.engine.rulebook.deadlines import RuleDeadlines

from tests.kpi.factories import ZONE, Facts

SEP = parse_period("2026-09")
ROOT = Path(__file__).resolve().parents[2]


def test_purchase_on_time_rate_per_company_and_buyer(db):
    f = Facts(db).employee("B1").employee("B2").sku("A")
    f.po("A", date(2026, 8, 1), date(2026, 9, 5), date(2026, 9, 5), buyer="B1")
    f.po("A", date(2026, 8, 1), date(2026, 9, 6), date(2026, 9, 9), buyer="B1")  # late
    f.po("A", date(2026, 8, 1), date(2026, 9, 7), date(2026, 9, 1), buyer="B2")
    f.po("A", date(2026, 8, 1), date(2026, 9, 8), date(2026, 9, 8), buyer="B2")
    f.po("A", date(2026, 8, 1), date(2026, 10, 1), None, buyer="B2")  # due next month
    f.save()
    assert compute(db, "purchase_on_time_rate", COMPANY, SEP).value == Decimal("0.75")
    assert compute(db, "purchase_on_time_rate", parse_scope("employee:B1"), SEP).value == Decimal("0.5")
    assert len(drill_down(db, "purchase_on_time_rate", parse_scope("employee:B2"), SEP)) == 2


def test_purchase_on_time_counts_an_unreceived_overdue_order_as_late(db):
    Facts(db).sku("A").po("A", date(2026, 8, 1), date(2026, 9, 5), None).save()
    assert compute(db, "purchase_on_time_rate", COMPANY, SEP).value == 0


def test_purchase_cost_reduction_against_last_years_average_price(db):
    f = Facts(db).sku("A").sku("NEW")
    f.po("A", date(2025, 9, 3), date(2025, 9, 9), qty=100, unit_cost="10")
    f.po("A", date(2025, 9, 20), date(2025, 9, 29), qty=100, unit_cost="12")  # year-ago average: 11
    f.po("A", date(2026, 9, 3), date(2026, 9, 9), qty=100, unit_cost="10.45")
    f.po("A", date(2026, 9, 4), date(2026, 9, 9), qty=100, unit_cost="10.89")
    f.po("NEW", date(2026, 9, 4), date(2026, 9, 9), qty=100, unit_cost="99")  # no year-ago price: left out
    f.save()
    value = compute(db, "purchase_cost_reduction", COMPANY, SEP)
    assert (value.numerator, value.denominator) == (Decimal("2134"), Decimal("2200"))
    assert value.value == Decimal("0.03")


def test_quality_pass_rate_over_units_inspected_on_receipt(db):
    f = Facts(db).sku("A")
    f.po("A", date(2026, 8, 1), date(2026, 9, 1), date(2026, 9, 2), inspected=100, passed=98)
    f.po("A", date(2026, 8, 1), date(2026, 9, 1), date(2026, 9, 3), inspected=50, passed=50)
    f.po("A", date(2026, 8, 1), date(2026, 9, 1), date(2026, 8, 30), inspected=50, passed=0)  # August
    f.save()
    value = compute(db, "quality_pass_rate", COMPANY, SEP)
    assert (value.numerator, value.denominator) == (148, 150)


def test_emergency_order_rate(db):
    f = Facts(db).sku("A")
    for i in range(10):
        f.po("A", date(2026, 9, 1 + i), date(2026, 9, 20), emergency=i == 0)
    f.save()
    assert compute(db, "emergency_order_rate", COMPANY, SEP).value == Decimal("0.1")


def purchasing_days(f: Facts) -> Facts:
    """Sept 2025: average stock 600, 300 out → DIO 60; Sept 2026: average 540, 300 out → DIO 54."""
    f.employee("B1").sku("P")
    f.po("P", date(2025, 7, 1), date(2025, 8, 1), date(2025, 8, 1), qty=600, buyer="B1")
    f.move("P", "receipt", date(2025, 8, 1), 600)
    f.move("P", "receipt", date(2025, 9, 2), 300).move("P", "sale", date(2025, 9, 3), 300)
    f.move("P", "sale", date(2026, 1, 10), 60)
    f.move("P", "receipt", date(2026, 9, 2), 300).move("P", "sale", date(2026, 9, 3), 300)
    return f


def test_purchasing_dio_and_its_year_on_year_change(db):
    # an opening balance booked as an adjustment was never received from a supplier: not purchasing's stock
    purchasing_days(Facts(db)).sku("UNBOUGHT").move("UNBOUGHT", "adjustment", date(2025, 1, 1), 1000).save()
    assert compute(db, "purchasing_dio", COMPANY, SEP).value == Decimal(54)
    assert compute(db, "purchasing_dio", parse_scope("employee:B1"), SEP).value == Decimal(54)
    assert compute(db, "purchasing_dio_yoy", COMPANY, SEP).value == Decimal("-0.1")
    assert compute(db, "turnover_improvement", parse_scope("sku:P"), SEP).value == Decimal("0.1111")


def test_a_skus_stock_belongs_to_the_buyer_of_its_latest_order_up_to_the_windows_end(db):
    f = purchasing_days(Facts(db)).employee("B2")
    f.po("P", date(2026, 3, 1), date(2026, 3, 9), qty=5, buyer="B1")
    f.po("P", date(2026, 3, 1), date(2026, 3, 9), qty=5, buyer="B2")  # same day, later id: the latest order
    f.po("P", date(2026, 10, 2), date(2026, 10, 9), qty=5, buyer="B1")  # after the window: not counted
    f.save()
    assert compute(db, "purchasing_dio", parse_scope("employee:B2"), SEP).value == Decimal(54)
    b1 = compute(db, "purchasing_dio", parse_scope("employee:B1"), SEP)
    assert (b1.value, b1.rows) == (None, 0)


def test_slow_mover_list_timeliness_counts_lists_due_in_the_period(db):
    f = Facts(db).employee("B1").employee("B2")
    f.submission("slow_mover_list", "2026-06", "B1", datetime(2026, 7, 5, 23, 59, tzinfo=ZONE))
    f.submission("slow_mover_list", "2026-07", "B1", datetime(2026, 8, 6, 0, 1, tzinfo=ZONE))  # late
    f.submission("slow_mover_list", "2026-08", "B2", datetime(2026, 9, 1, 9, tzinfo=ZONE))
    f.save()
    q3 = parse_period("2026Q3")
    value = compute(db, "slow_mover_list_timeliness", COMPANY, q3)
    assert (value.numerator, value.denominator) == (2, 3)
    assert value.inputs["late"] == ["2026-07"]
    assert compute(db, "slow_mover_list_timeliness", COMPANY, SEP).value == 1
    assert compute(db, "slow_mover_list_timeliness", parse_scope("employee:B1"), SEP).value == 0
    assert compute(db, "slow_mover_list_timeliness", parse_scope("department:purchasing"), q3).value == Decimal(
        "0.6667"
    )
    early = compute(db, "slow_mover_list_timeliness", COMPANY, SEP, as_of=date(2026, 9, 4))
    assert early.value is None and early.reason == "no list due in the period"


def test_slow_mover_list_timeliness_coverage_method(db):
    f = Facts(db).employee("B1").sku("S1").sku("S2")
    f.move("S1", "receipt", date(2026, 1, 1), 5).move("S2", "receipt", date(2026, 1, 1), 5)
    f.submission(
        "slow_mover_list",
        "2026-08",
        "B1",
        datetime(2026, 9, 2, tzinfo=ZONE),
        {"items": [{"sku": "S1", "class": "structural"}]},
    )
    f.save()
    params = KpiParameters(list_timeliness_method="coverage")
    assert compute(db, "slow_mover_list_timeliness", COMPANY, SEP, params=params).value == Decimal("0.5")


def test_disposal_tracking_rate_weekly(db):
    f = Facts(db).employee("B1")
    for week, day in (("2026-W36", 6), ("2026-W37", 13), ("2026-W39", 27)):
        f.submission("disposal_tracking", week, "B1", datetime(2026, 9, day, 18, tzinfo=ZONE))
    f.submission("disposal_tracking", "2026-W38", "B1", datetime(2026, 9, 21, 9, tzinfo=ZONE))  # Monday: late
    f.save()
    value = compute(db, "disposal_tracking_rate", COMPANY, SEP)
    assert (value.numerator, value.denominator) == (3, 4)
    assert value.inputs["weeks_missed"] == ["2026-W38"]
    grace = KpiParameters(tracking_grace_days=1)
    assert compute(db, "disposal_tracking_rate", COMPANY, SEP, params=grace).value == 1


def steady_stock(f: Facts) -> Facts:
    f.sku("A").move("A", "receipt", date(2024, 12, 1), 2500)
    for month in range(1, 13):
        f.finance(f"2025-{month:02d}", revenue=Decimal(10000) / 12, impairment_loss="4.1667", current_assets=10000)
        f.finance(f"2026-{month:02d}", revenue=Decimal(11500) / 12, current_assets=10000)
    return f


def test_capital_occupation_turnover_and_impairment(db):
    steady_stock(Facts(db)).save()
    y2025, y2026 = parse_period("2025"), parse_period("2026")
    assert compute(db, "capital_occupation", COMPANY, SEP).value == Decimal("0.25")
    assert compute(db, "capital_turnover", COMPANY, y2025).value == Decimal("4")
    assert compute(db, "capital_turnover", COMPANY, y2026).value == Decimal("4.6")
    assert compute(db, "capital_turnover_yoy", COMPANY, y2026).value == Decimal("0.15")
    assert compute(db, "impairment_loss_rate", COMPANY, y2025).value == Decimal("0.02")
    monthly = compute(db, "impairment_loss_rate", COMPANY, parse_period("2025-03"))
    assert monthly.value == Decimal("0.0017")
    annualised = KpiParameters(annualise_impairment=True)
    assert compute(db, "impairment_loss_rate", COMPANY, parse_period("2025-03"), params=annualised).value == Decimal(
        "0.02"
    )


def test_slow_mover_digestion_weighs_last_months_list_by_value(db):
    f = Facts(db).employee("O1", "operations", "operations_specialist")
    f.sku("S1", unit_cost="10").sku("S2", unit_cost="10")
    f.move("S1", "receipt", date(2026, 1, 1), 80, "10").move("S2", "receipt", date(2026, 1, 1), 20, "10")
    f.disposal("S1", date(2026, 9, 10), 70, employee="O1")
    f.disposal("S2", date(2026, 9, 12), 30)  # more than listed: capped at the listed 20
    f.disposal("S1", date(2026, 9, 25), 10)  # after the 20th
    f.move("S1", "sale", date(2026, 9, 10), 70, "10").move("S2", "sale", date(2026, 9, 12), 20, "10")
    f.save()
    value = compute(db, "slow_mover_digestion_rate", COMPANY, SEP)
    assert (value.numerator, value.denominator) == (Decimal(900), Decimal(1000))
    units = KpiParameters(digestion_weight="units")
    assert compute(db, "slow_mover_digestion_rate", COMPANY, SEP, params=units).value == Decimal("0.9")
    skus = KpiParameters(digestion_weight="skus")
    assert compute(db, "slow_mover_digestion_rate", COMPANY, SEP, params=skus).value == Decimal("0.5")
    assert compute(db, "slow_mover_digestion_rate", parse_scope("employee:O1"), SEP).value == Decimal("0.7")
    rows = drill_down(db, "slow_mover_digestion_rate", COMPANY, SEP)
    assert [(r["sku"], r["disposed_qty"]) for r in rows] == [("S1", 70), ("S2", 30)]  # up to the 20th


def test_forecast_accuracy_weighted_and_per_line(db):
    f = Facts(db).employee("F1", "operations", "planner").sku("A").sku("B")
    f.forecast("A", "2026-09", 100, actual=90, forecaster="F1")
    f.forecast("B", "2026-09", 50)  # actual from sales: 60
    f.move("B", "receipt", date(2026, 9, 1), 100).move("B", "sale", date(2026, 9, 2), 60)
    f.save()
    value = compute(db, "forecast_accuracy", COMPANY, SEP)
    assert (value.numerator, value.denominator) == (20, 150)
    assert value.value == Decimal("0.8667")
    mape = compute(db, "forecast_accuracy", COMPANY, SEP, params=KpiParameters(forecast_method="mape"))
    assert mape.value == Decimal("0.8611")
    assert compute(db, "forecast_accuracy", parse_scope("employee:F1"), SEP).value == Decimal("0.8889")


def test_kit_completeness_uses_the_erp_flag_else_stock(db):
    f = Facts(db).sku("C1").sku("KIT", components={"C1": 2})
    f.move("C1", "receipt", date(2026, 8, 1), 4)
    f.work_order("KIT", date(2026, 9, 1), available=True).work_order("KIT", date(2026, 9, 2), available=True)
    f.work_order("KIT", date(2026, 9, 3), available=False)
    f.work_order("KIT", date(2026, 9, 4), qty=2)  # needs 4 C1: in stock
    f.work_order("KIT", date(2026, 9, 5), qty=3)  # needs 6 C1: short
    f.save()
    value = compute(db, "kit_completeness", COMPANY, SEP)
    assert (value.numerator, value.denominator) == (3, 5)
    rows = drill_down(db, "kit_completeness", COMPANY, SEP)
    assert [r["components_in_stock"] for r in rows][-2:] == [True, False]


def test_digestion_counts_disposals_up_to_the_rules_by_not_a_parameter(db, tmp_path):
    """The rule's ``threshold.by`` owns the day disposals count until (one deadline model): moved to the 24th,
    the disposal of the 24th counts; the library's ``digestion_due_day`` (20th) is not consulted. On the
    25th (Mid-Autumn Festival 2026, then a weekend) it is moved to Monday the 28th, as every deadline."""
    f = Facts(db).sku("S1", unit_cost="10").sku("S2", unit_cost="10")
    f.move("S1", "receipt", date(2026, 1, 1), 80, "10").move("S2", "receipt", date(2026, 1, 1), 20, "10")
    f.disposal("S1", date(2026, 9, 10), 70).disposal("S2", date(2026, 9, 12), 20)
    f.disposal("S1", date(2026, 9, 24), 10)
    f.save()
    rule = yaml.safe_load((ROOT / "rules" / "operations.yaml").read_text(encoding="utf-8"))["rules"][0]
    assert rule["id"] == "operations.slow_mover_digestion"
    for day, until in ((24, date(2026, 9, 24)), (25, date(2026, 9, 28))):
        rule["threshold"]["by"]["due"] = {"day": day, "time": "18:00"}
        (tmp_path / "operations.yaml").write_text(yaml.safe_dump({"rules": [rule]}, allow_unicode=True), "utf-8")
        deadlines = RuleDeadlines(load_rulebook(tmp_path))
        (value,) = compute_all(
            db, SEP, scope=COMPANY, zone=ZONE, kpis=["slow_mover_digestion_rate"], breakdown=False, deadlines=deadlines
        )
        assert (value.numerator, value.denominator) == (Decimal(1000), Decimal(1000))
        assert value.inputs["disposals_until"] == until
    (default,) = compute_all(db, SEP, scope=COMPANY, zone=ZONE, kpis=["slow_mover_digestion_rate"], breakdown=False)
    assert default.inputs["disposals_until"] == date(2026, 9, 20)  # no rule: the documented parameter
    assert default.numerator == Decimal(900)
