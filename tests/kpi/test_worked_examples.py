"""Every worked example of domain.md section 6 (seed 004), reproduced from facts built for it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from perfrules.engine.kpi.library import compute, compute_all
from perfrules.engine.kpi.scope import COMPANY, parse_scope
from perfrules.engine.kpi.status import Status, evaluate
from perfrules.engine.periods import parse_period

from tests.kpi.factories import ZONE, Facts

Y2025 = parse_period("2025")


def turnover_example(db) -> Facts:
    """Opening stock 480, 2400 out during 2025, closing 520 (unit cost 1)."""
    f = Facts(db).sku("A")
    f.move("A", "receipt", date(2024, 6, 1), 480)
    f.move("A", "receipt", date(2025, 1, 10), 2440)
    for month in range(1, 13):
        f.move("A", "sale", date(2025, month, 15), 200)
    return f


def test_turnover_2400_over_average_500_is_4_8(db):
    turnover_example(db).save()
    value = compute(db, "turnover", COMPANY, Y2025)
    assert value.value == Decimal("4.8")
    assert value.numerator == Decimal(2400)
    assert value.denominator == Decimal(500)
    assert (value.inputs["opening_value"], value.inputs["closing_value"]) == (Decimal(480), Decimal(520))


def test_dio_is_365_over_4_8_about_76_days(db):
    turnover_example(db).save()
    value = compute(db, "dio", COMPANY, Y2025)
    assert round(value.value) == 76
    assert value.value == Decimal("76.0417")


def test_cash_to_cash_76_plus_45_minus_60_is_61(db):
    f = turnover_example(db)
    f.finance("2025-12", receivable_days=45, payable_days=60, revenue=1000, current_assets=5000)
    f.save()
    value = compute(db, "cash_to_cash_days", COMPANY, Y2025)
    assert round(value.value) == 61
    assert (value.inputs["dso"], value.inputs["dpo"]) == (Decimal(45), Decimal(60))


def test_fill_rate_940_of_1000_is_94_percent(db):
    f = Facts(db).sku("A")
    for i in range(10):
        f.demand("A", date(2026, 9, 1 + i), 100, 100 if i < 9 else 40)
    f.demand("A", date(2026, 10, 1), 100, 0)  # another month
    f.save()
    value = compute(db, "fill_rate", COMPANY, parse_period("2026-09"))
    assert value.value == Decimal("0.94")
    assert (value.numerator, value.denominator, value.rows) == (940, 1000, 10)
    status = evaluate(value)
    assert status.status is Status.WARNING  # 94% vs 95%: achievement 98.9%, within the 5% band
    assert status.band.label_en == "average"


def test_average_stockout_2_3_5_1_4_days_is_3_days(db):
    f = Facts(db).sku("A").sku("B")
    for n, days in enumerate((2, 3, 5, 1, 4)):
        start = datetime(2026, 9, 1 + 5 * n, 8, tzinfo=ZONE)
        end = datetime(2026, 9, 1 + 5 * n + days, 8, tzinfo=ZONE)
        f.demand("A", start.date(), 10, 0, (start, end))
        f.demand("A", start.date(), 5, 0, (start, end))  # a second line hitting the same stockout
    f.save()
    value = compute(db, "avg_stockout_days", COMPANY, parse_period("2026-09"))
    assert value.value == Decimal(3)
    assert value.denominator == 5


def test_obsolete_320_of_2500_is_12_8_percent(db):
    f = Facts(db).sku("OLD").sku("SOLD_LATELY").sku("SOLD_11_MONTHS_AGO")
    f.move("OLD", "receipt", date(2025, 6, 1), 320)  # never moved out: 16 months on the as-of day
    f.move("SOLD_LATELY", "receipt", date(2025, 1, 1), 2000).move("SOLD_LATELY", "sale", date(2026, 9, 1), 100)
    f.move("SOLD_11_MONTHS_AGO", "receipt", date(2025, 1, 1), 380)
    f.move("SOLD_11_MONTHS_AGO", "sale", date(2025, 10, 31), 100)
    f.save()
    value = compute(db, "obsolete_ratio", COMPANY, parse_period("2026-09"))
    assert (value.numerator, value.denominator) == (Decimal(320), Decimal(2500))
    assert value.value == Decimal("0.128")


def test_accuracy_485_of_500_counted_is_97_percent(db):
    f = Facts(db)
    for i in range(500):
        f.sku(f"S{i}")
        f.count(f"S{i}", date(2026, 9, 10), 10, 10 if i >= 15 else 9)
    f.count("S0", date(2026, 9, 20), 10, 10)  # recounted later and now right: the latest count counts
    f.count("S1", date(2026, 8, 20), 10, 10)  # another month
    f.save()
    value = compute(db, "inventory_accuracy", COMPANY, parse_period("2026-09"))
    assert (value.numerator, value.denominator) == (486, 500)
    f.count("S0", date(2026, 9, 25), 10, 8).save()
    value = compute(db, "inventory_accuracy", COMPANY, parse_period("2026-09"))
    assert value.value == Decimal("0.97")


def stock_2500(f: Facts) -> Facts:
    f.sku("A").move("A", "receipt", date(2024, 12, 1), 2500)
    return f


def test_investment_2500_over_revenue_8000_is_31_3_percent(db):
    f = stock_2500(Facts(db))
    for month in range(1, 13):
        f.finance(f"2025-{month:02d}", revenue=600 if month < 12 else 1400)
    f.save()
    value = compute(db, "investment_ratio", COMPANY, parse_period("2025-12"))
    assert (value.numerator, value.denominator) == (Decimal(2500), Decimal(8000))
    assert value.value == Decimal("0.3125")  # 31.3% as the seed prints it
    assert (value.value * 100).quantize(Decimal("0.1"), ROUND_HALF_UP) == Decimal("31.3")
    assert evaluate(value).status is Status.WARNING  # 30% ÷ 31.25% = 96% achievement


def test_holding_cost_rate_25_percent_of_2500_is_625_a_year(db):
    f = stock_2500(Facts(db))
    for month in range(1, 13):
        f.finance(
            f"2025-{month:02d}", capital_cost=30, storage_cost=15, handling_cost=5, risk_cost=2 if month < 12 else 3
        )  # 52 × 11 + 53 = 625
    f.save()
    value = compute(db, "holding_cost_rate", COMPANY, Y2025)
    assert value.inputs["holding_cost"] == Decimal(625)
    assert value.value == Decimal("0.25")
    assert value.denominator * value.value == Decimal(625)


def blended_stock(db) -> None:
    """Seed 004's two stocks: 1300 untouched since mid-2023 and 1200 turned over every month of 2025."""
    f = Facts(db).sku("ACTIVE").sku("DEAD")
    f.move("DEAD", "receipt", date(2023, 6, 1), 1300)
    f.move("ACTIVE", "receipt", date(2024, 12, 1), 1200)
    for month in range(1, 13):
        f.move("ACTIVE", "receipt", date(2025, month, 1), 1200).move("ACTIVE", "sale", date(2025, month, 20), 1200)
    f.save()


def test_blended_turnover_hides_dead_stock(db):
    """Seed 004: active stock 1200 at 12 turns and dead stock 1300 at 0 turns. The seed prints the blend as
    4.8; the same figures give 14400 ÷ 2500 = 5.76 (see docs/kpis.md). What matters: the split shows it."""
    blended_stock(db)
    values = {v.scope: v for v in compute_all(db, Y2025, kpis=["turnover"])}
    assert values[parse_scope("segment:active")].value == Decimal(12)
    assert values[parse_scope("segment:dead")].value == Decimal(0)
    assert values[parse_scope("segment:dead")].inputs["closing_value"] / Decimal(2500) == Decimal("0.52")
    assert values[COMPANY].value == Decimal("5.76")
    assert compute(db, "turnover", parse_scope("segment:active"), Y2025).value == Decimal(12)


@pytest.mark.parametrize(
    ("scope", "expected"),
    [("abc:A", Decimal(12)), ("abc:C", Decimal(0)), ("xyz:X", Decimal(12)), ("xyz:Z", Decimal(0))],
)
def test_turnover_per_class(db, scope, expected):
    blended_stock(db)
    assert compute(db, "turnover", parse_scope(scope), Y2025).value == expected
