"""The slow-mover list, its seasonal/structural classification, and the check of a submitted list."""

from __future__ import annotations

from datetime import date

from perfrules.engine.kpi.parameters import KpiParameters
from perfrules.engine.kpi.slow_movers import Misclassified, check_list, slow_mover_list
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
