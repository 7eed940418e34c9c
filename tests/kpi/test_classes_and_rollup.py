"""ABC/XYZ classification and the per-SKU monthly rollup kept at import time."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from engine.kpi.classes import classify
from engine.kpi.parameters import KpiParameters
from storage.kpi import reading
from storage.kpi.stock import stock_profile, stock_profiles
from storage.rollup import refresh
from tests.kpi.factories import Facts, rollup_rows


def test_abc_by_consumption_value_and_xyz_by_demand_variability(db):
    f = Facts(db)
    for sku, monthly in (("S50", 5), ("S30", 3), ("S12", 1), ("S5", 0), ("S3", 0), ("IDLE", 0)):
        f.sku(sku).move(sku, "receipt", date(2025, 9, 1), 1000)
        for month in range(1, 11):
            if monthly:
                f.move(sku, "sale", date(2026, month, 10), monthly)
    f.move("S12", "sale", date(2026, 1, 11), 2)
    f.move("S5", "sale", date(2026, 2, 1), 5)  # one spike: Z
    f.move("S3", "issue", date(2026, 3, 1), 3)
    f.save()
    classes = classify(db, date(2026, 10, 31))
    assert {s: c.abc for s, c in classes.items()} == {"S50": "A", "S30": "A", "S12": "B", "S5": "B", "S3": "C",
                                                      "IDLE": "C"}
    assert classes["S50"].consumption_value == Decimal(50)
    # 12 months, 10 of them with 5 units: CV = sqrt(12·250 − 50²) / 50 ≈ 0.447 → X
    assert classes["S50"].xyz == "X"
    assert classes["S5"].xyz == "Z" and classes["IDLE"].xyz == "Z"
    loose = classify(db, date(2026, 10, 31), KpiParameters(abc_cutoffs=(Decimal("0.5"), Decimal("0.99"))))
    assert (loose["S30"].abc, loose["S3"].abc) == ("B", "B")
    tight = classify(db, date(2026, 10, 31), KpiParameters(xyz_cutoffs=(Decimal("0.4"), Decimal("1.0"))))
    assert tight["S50"].xyz == "Y"


def test_rollup_rows_carry_state_through_quiet_months(db):
    f = Facts(db).sku("A", unit_cost="2")
    f.move("A", "receipt", date(2026, 1, 5), 10, "2").move("A", "sale", date(2026, 1, 9), 3, "2")
    f.move("A", "sale", date(2026, 4, 2), 1, "2")
    f.save()
    rows = rollup_rows(db)
    assert len(rows) == 4  # January to April, dense
    with db.engine.connect() as conn:
        from sqlalchemy import text

        march = conn.execute(text("SELECT closing_qty, closing_value, cum_out_qty, last_sale_day FROM sku_months "
                                  "WHERE month = :m"), {"m": date(2026, 3, 1) if db.dialect == "postgresql"
                                                        else "2026-03-01"}).one()
    assert (march[0], Decimal(str(march[1])), march[2], str(march[3])) == (7, Decimal(14), 3, "2026-01-09")


def test_incremental_refresh_equals_a_full_rebuild(db):
    f = Facts(db).sku("A").sku("B")
    f.move("A", "receipt", date(2026, 1, 5), 10).move("B", "receipt", date(2026, 2, 5), 10)
    f.move("B", "sale", date(2026, 3, 5), 4)
    f.save()
    # a late import: A gets a February sale and a May receipt; May is a month the rollup has not seen
    f.move("A", "sale", date(2026, 2, 20), 2).move("A", "receipt", date(2026, 5, 1), 5)
    f.rows, late = [], f.rows
    with db.session() as session:
        session.add_all(late)
    with db.engine.begin() as conn:
        refresh(conn, skus={"A"}, since=date(2026, 2, 20))
    incremental = rollup_rows(db)
    with db.engine.begin() as conn:
        refresh(conn)
    assert incremental == rollup_rows(db)
    assert {r[1] for r in incremental if str(r[0]).startswith("2026-05")} == {"A", "B"}


def test_year_ago_profile_read_in_the_same_pass_equals_its_own_read(db):
    """The profile of a month and of the month a year before, read in one pass (month-end windows), equals
    each read on its own — including a SKU that started after the year-ago month and one sold out since."""
    f = Facts(db)
    f.sku("OLD", category="tools", unit_cost="3").move("OLD", "receipt", date(2024, 6, 3), 50, "3")
    f.move("OLD", "sale", date(2025, 9, 20), 10, "3").move("OLD", "sale", date(2025, 10, 2), 5, "3")
    f.sku("GONE", category="toys").move("GONE", "receipt", date(2025, 8, 1), 4)
    f.move("GONE", "sale", date(2026, 2, 1), 4)
    f.sku("NEW", category="toys", unit_cost="2").move("NEW", "receipt", date(2026, 3, 1), 8, "2")
    f.move("NEW", "sale", date(2026, 10, 9), 3, "2")
    f.save()
    args = {"obsolete_before": date(2025, 10, 31)}
    ya = (date(2025, 10, 1), date(2025, 10, 31), date(2024, 10, 31))
    with reading(db) as conn:
        current, before = stock_profiles(conn, date(2026, 10, 1), date(2026, 10, 31), year_ago=ya, **args)
        assert current == stock_profile(conn, date(2026, 10, 1), date(2026, 10, 31), **args)
        assert before == stock_profile(conn, ya[0], ya[1], obsolete_before=ya[2], with_classes=False)
        assert {p.category for p in before} == {"tools", "toys"} and before  # NEW had no row a year ago
        # mid-month: the state includes days after the last rollup month, so no folded year-ago profile
        assert stock_profiles(conn, date(2026, 10, 1), date(2026, 10, 15), year_ago=ya, **args)[1] is None
