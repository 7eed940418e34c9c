"""The slow-mover list, its seasonal/structural classification, and the check of a submitted list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from perfrules.engine.kpi.parameters import KpiParameters
from perfrules.engine.kpi.slow_movers import Misclassified, check_list, listed_skus, slow_mover_list
from perfrules.storage.kpi import reading

from tests.kpi.factories import Facts

AS_OF = date(2026, 9, 30)


def company(db) -> None:
    f = Facts(db).sku("SEASON", season="summer").sku("PEAK").sku("FLAT").sku("NEVER").sku("RECENT").sku("ZERO")
    f.sku("NEW")
    for sku in ("SEASON", "PEAK", "FLAT", "NEVER", "RECENT", "ZERO"):
        f.move(sku, "receipt", date(2025, 1, 2), 100 if sku != "ZERO" else 5)
    f.move("SEASON", "sale", date(2026, 6, 1), 10)
    for month in (6, 7, 8):
        f.move("PEAK", "sale", date(2025, month, 15), 10)
    f.move("PEAK", "sale", date(2026, 6, 15), 10)
    for n in range(12):
        f.move("FLAT", "sale", date(2025 + (6 + n) // 12, (6 + n) % 12 + 1, 15), 2)
    f.move("RECENT", "sale", date(2026, 9, 20), 1)
    f.move("ZERO", "sale", date(2025, 2, 1), 5)
    f.move("NEW", "receipt", date(2026, 9, 10), 50)
    f.save()


def test_the_list_holds_stock_unsold_for_more_than_90_days(db):
    company(db)
    with reading(db) as conn:
        listed = slow_mover_list(conn, AS_OF)
    by_sku = listed.by_sku()
    assert set(by_sku) == {"SEASON", "PEAK", "FLAT", "NEVER"}
    assert by_sku["FLAT"].last_sale_day == date(2026, 6, 15)
    assert by_sku["FLAT"].days_since_sale == 107
    assert by_sku["NEVER"].last_sale_day is None and by_sku["NEVER"].days_since_sale == (AS_OF - date(2025, 1, 2)).days
    assert (by_sku["PEAK"].qty, by_sku["PEAK"].value) == (60, 60)
    assert {s: i.cls for s, i in by_sku.items()} == {
        "SEASON": "seasonal",
        "PEAK": "seasonal",
        "FLAT": "structural",
        "NEVER": "structural",
    }
    assert by_sku["SEASON"].reason == "season summer"


def test_threshold_and_seasonal_rule_are_parameters(db):
    company(db)
    with reading(db) as conn:
        assert "RECENT" in slow_mover_list(conn, AS_OF, KpiParameters(slow_mover_days=5)).by_sku()
        strict = slow_mover_list(conn, AS_OF, KpiParameters(seasonal_min_units=100)).by_sku()
    assert strict["PEAK"].cls == "structural"


def test_a_submitted_list_is_checked_for_completeness_and_classification(db):
    company(db)
    with reading(db) as conn:
        listed = slow_mover_list(conn, AS_OF)
    payload = {
        "items": [
            {"sku": "SEASON", "class": "seasonal"},
            {"sku": "PEAK", "class": "structural"},
            {"sku": "FLAT", "class": "structural"},
            {"sku": "EXTRA", "class": "structural"},
            {"class": "seasonal"},
        ]
    }
    result = check_list(listed, payload)
    assert result.missing == ("NEVER",)
    assert result.extra == ("EXTRA",)
    assert result.misclassified == (Misclassified("PEAK", "seasonal", "structural"),)
    assert result.invalid == ("items[4]: no sku",)
    assert result.coverage == 0.75 and not result.complete
    perfect = check_list(listed, {"items": [{"sku": i.sku, "class": i.cls} for i in listed.items]})
    assert perfect.complete and perfect.correctly_classified and not perfect.extra
    assert check_list(listed, {}).invalid == ("payload has no 'items' list",)


def test_each_purchaser_owes_what_they_bought_and_the_department_what_nobody_bought(db):
    """B1 last ordered SEASON and PEAK, B2 FLAT; nobody ever ordered NEVER. B1's list owes SEASON, PEAK and
    NEVER — until B2's list of the same month names NEVER: then the department has it, once."""
    company(db)
    f = Facts(db).employee("B1").employee("B2")
    f.po("SEASON", date(2024, 12, 1), date(2024, 12, 20), buyer="B2")
    f.po("SEASON", date(2024, 12, 2), date(2024, 12, 20), buyer="B1")  # the latest order decides
    f.po("PEAK", date(2024, 12, 1), date(2024, 12, 20), buyer="B1")
    f.po("FLAT", date(2024, 12, 1), date(2024, 12, 20), buyer="B2")
    f.save()
    with reading(db) as conn:
        listed = slow_mover_list(conn, AS_OF, classify=False, with_buyer=True)
    assert {i.sku: i.buyer for i in listed.items} == {"SEASON": "B1", "PEAK": "B1", "FLAT": "B2", "NEVER": None}
    mine = {"items": [{"sku": "SEASON", "class": "seasonal"}, {"sku": "PEAK", "class": "seasonal"}]}
    alone = check_list(listed.owed_by("B1"), mine)
    assert (alone.expected, alone.missing, alone.coverage) == (3, ("NEVER",), Decimal("0.6667"))
    shared = check_list(listed.owed_by("B1", listed_skus({"items": [{"sku": "NEVER"}, {"sku": "FLAT"}]})), mine)
    assert shared.complete and shared.expected == 2
