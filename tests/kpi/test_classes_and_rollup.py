"""ABC/XYZ classification and the per-SKU monthly rollup kept at import time."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from perfrules.engine.kpi.classes import classify
from perfrules.engine.kpi.library import compute_all
from perfrules.engine.kpi.parameters import KpiParameters
from perfrules.engine.kpi.scope import parse_scope
from perfrules.engine.periods import add_months, parse_period
from perfrules.storage.kpi import reading
from perfrules.storage.kpi.stock import stock_profile, stock_rows
from perfrules.storage.rollup import refresh
from perfrules.storage.sqlutil import bind_day
from sqlalchemy import text

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
    assert {s: c.abc for s, c in classes.items()} == {
        "S50": "A",
        "S30": "A",
        "S12": "B",
        "S5": "B",
        "S3": "C",
        "IDLE": "C",
    }
    assert classes["S50"].consumption_value == Decimal(50)
    # 12 months, 10 of them with 5 units: CV = sqrt(12·250 − 50²) / 50 ≈ 0.447 → X
    assert classes["S50"].xyz == "X"
    assert classes["S5"].xyz == "Z" and classes["IDLE"].xyz == "Z"
    loose = classify(db, date(2026, 10, 31), KpiParameters(abc_cutoffs=(Decimal("0.5"), Decimal("0.99"))))
    assert (loose["S30"].abc, loose["S3"].abc) == ("B", "B")
    tight = classify(db, date(2026, 10, 31), KpiParameters(xyz_cutoffs=(Decimal("0.4"), Decimal("1.0"))))
    assert tight["S50"].xyz == "Y"
    # a look-back other than the rollup's trailing twelve months: August to October (27 units of value)
    short = KpiParameters(class_months=3)
    recent = classify(db, date(2026, 10, 31), short)
    assert {s: c.abc for s, c in recent.items()} == {
        "S50": "A",
        "S30": "A",
        "S12": "B",
        "S5": "C",
        "S3": "C",
        "IDLE": "C",
    }
    assert (recent["S50"].consumption_value, recent["S50"].xyz, recent["S5"].xyz) == (Decimal(15), "X", "Z")
    # the stock profile behind the turnover breakdown classes SKUs the same way
    values = {v.scope: v for v in compute_all(db, parse_period("2026-10"), params=short) if v.kpi == "turnover"}
    assert [values[parse_scope(f"abc:{c}")].rows for c in "ABC"] == [2, 1, 3]


def test_rollup_rows_carry_state_through_quiet_months(db):
    f = Facts(db).sku("A", unit_cost="2")
    f.move("A", "receipt", date(2026, 1, 5), 10, "2").move("A", "sale", date(2026, 1, 9), 3, "2")
    f.move("A", "sale", date(2026, 4, 2), 1, "2")
    f.save()
    rows = rollup_rows(db)
    assert len(rows) == 4  # January to April, dense
    with db.engine.connect() as conn:
        from sqlalchemy import text

        march = conn.execute(
            text("SELECT closing_qty, closing_value, cum_out_qty, last_sale_day FROM sku_months WHERE month = :m"),
            {"m": date(2026, 3, 1) if db.dialect == "postgresql" else "2026-03-01"},
        ).one()
    assert (march[0], Decimal(str(march[1])), march[2], str(march[3])) == (7, Decimal(14), 3, "2026-01-09")


def test_incremental_refresh_equals_a_full_rebuild(db):
    f = Facts(db).sku("A").sku("B")
    f.move("A", "receipt", date(2026, 1, 5), 10).move("B", "receipt", date(2026, 2, 5), 10)
    f.move("B", "sale", date(2026, 3, 5), 4)
    f.save()
    # a late import: A gets a February sale and a May receipt; May is a month the rollup has not seen
    f.move("A", "sale", date(2026, 2, 20), 2).move("A", "receipt", date(2026, 5, 1), 5)
    incremental = _late_rows_refreshed(db, f, {"A"}, since=date(2026, 2, 20))
    assert {r[1] for r in incremental if str(r[0]).startswith("2026-05")} == {"A", "B"}


def test_a_late_push_refreshes_its_skus_trailing_twelve_months_as_a_full_rebuild_would(db):
    f = Facts(db).sku("A").sku("B").sku("C")
    for n in range(16):  # sixteen months of receipts and sales: the trailing months reach past the refresh
        month = add_months(date(2025, 1, 1), n)
        f.move("A", "receipt", month.replace(day=2), 50).move("B", "receipt", month.replace(day=3), 40)
        f.move("A", "sale", month.replace(day=10), n + 1).move("B", "sale", month.replace(day=11), 2 * n + 1)
    f.move("C", "receipt", date(2025, 1, 4), 7)
    f.save()
    f.move("A", "sale", date(2026, 2, 20), 9).move("B", "issue", date(2026, 3, 1), 3)
    _late_rows_refreshed(db, f, {"A", "B"}, since=date(2026, 2, 20))


def _late_rows_refreshed(db, f: Facts, skus: set[str], *, since: date) -> list[tuple]:
    """Store the movements ``f`` holds since its last save and refresh the rollup of ``skus`` from ``since``,
    as an import does; asserts that gives the rows a full rebuild gives, and returns them."""
    f.rows, late = [], f.rows
    with db.session() as session:
        session.add_all(late)
    with db.engine.begin() as conn:
        refresh(conn, skus=skus, since=since)
    incremental = rollup_rows(db)
    with db.engine.begin() as conn:
        refresh(conn)
    assert incremental == rollup_rows(db)
    return incremental


def _rows_by_sku(db) -> dict[str, list[dict]]:
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM sku_months ORDER BY sku, month")).mappings().all()
    by_sku: dict[str, list[dict]] = {}
    for row in rows:
        by_sku.setdefault(row["sku"], []).append(dict(row))
    return by_sku


def test_rollup_rows_carry_opening_state_and_trailing_twelve_months(db):
    """Each row's opening is the previous row's closing; its trailing-twelve-month outbound is the cumulative
    outbound minus that of the row twelve months earlier — after a full build and after late imports that
    rebuild from a month whose look-back reaches before it."""
    rng = random.Random(11)
    f = Facts(db)
    for n in range(6):
        sku = f"S{n}"
        f.sku(sku, unit_cost=str(n + 1))
        first = date(2024, 1 + n, 3)
        f.move(sku, "receipt", first, 500)
        for month in range(30):
            day = add_months(first, month)
            if day > date(2026, 6, 30):
                break
            if rng.random() < 0.7:
                f.move(sku, rng.choice(("sale", "issue")), day, rng.randint(1, 9), str(rng.randint(1, 4)))
    f.save()

    def check() -> None:
        for sku, rows in _rows_by_sku(db).items():
            for i, row in enumerate(rows):
                opening = rows[i - 1]["closing_qty"] if i else 0
                assert row["opening_qty"] == opening, (sku, row["month"])
                assert Decimal(str(row["opening_value"])) == opening * (Decimal(sku[1:]) + 1), (sku, row["month"])
                back = rows[i - 12] if i >= 12 else None
                for column, cumulative in (
                    ("out_qty_12m", "cum_out_qty"),
                    ("out_cost_12m", "cum_out_cost"),
                    ("out_qty2_12m", "cum_out_qty2"),
                ):
                    expected = Decimal(str(row[cumulative])) - Decimal(str(back[cumulative] if back else 0))
                    assert Decimal(str(row[column])) == expected, (sku, row["month"], column)

    check()
    full = rollup_rows(db)
    # late imports: a sale in an old month of one SKU, then a new month for another
    f.move("S2", "sale", date(2025, 8, 14), 4, "3").move("S4", "receipt", date(2026, 7, 2), 5)
    late, f.rows = f.rows, []
    with db.session() as session:
        session.add_all(late)
    with db.engine.begin() as conn:
        refresh(conn, skus={"S2"}, since=date(2025, 8, 14))
        refresh(conn, skus={"S4"}, since=date(2026, 7, 2))
    check()
    incremental = rollup_rows(db)
    assert incremental != full
    with db.engine.begin() as conn:
        refresh(conn)
    assert incremental == rollup_rows(db)


def test_a_whole_month_read_from_its_own_row_equals_the_state_of_the_day_before(db):
    """A monthly window reads opening and flows from the month's rollup row alone; without that row (the
    state then comes from September's row plus October's movements) the figures are the same — including a
    SKU that started after the year-ago month and one sold out since."""
    f = Facts(db)
    f.sku("OLD", category="tools", unit_cost="3").move("OLD", "receipt", date(2024, 6, 3), 50, "3")
    f.move("OLD", "sale", date(2025, 9, 20), 10, "3").move("OLD", "sale", date(2026, 10, 2), 5, "3")
    f.sku("GONE", category="toys").move("GONE", "receipt", date(2025, 8, 1), 4)
    f.move("GONE", "sale", date(2026, 10, 1), 4)
    f.sku("NEW", category="toys", unit_cost="2").move("NEW", "receipt", date(2026, 10, 1), 8, "2")
    f.move("NEW", "sale", date(2026, 10, 9), 3, "2").move("NEW", "receipt", date(2026, 10, 30), 2, "2")
    f.save()
    window = (date(2026, 10, 1), date(2026, 10, 31))
    args = {"obsolete_before": date(2025, 10, 31), "with_classes": False}

    def read() -> tuple:
        with reading(db) as conn:
            return (
                stock_profile(conn, *window, **args),
                stock_rows(conn, *window, obsolete_before=args["obsolete_before"]),
            )

    own_row = read()
    profile, rows = own_row
    assert {p.category for p in profile} == {"tools", "toys"}
    assert sum((w.out_cost for w in profile.values()), Decimal(0)) == Decimal(15 + 4 + 3 * 2)
    assert {r["sku"]: (r["opening_qty"], r["closing_qty"]) for r in rows} == {
        "OLD": (40, 35),
        "GONE": (4, 0),
        "NEW": (0, 7),
    }
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM sku_months WHERE month = :m"), {"m": bind_day(db.dialect, window[0])})
    assert read() == own_row
