"""Edge cases: nothing to divide by gives a defined "not applicable" value, never a crash."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from perfrules.engine.kpi import catalog
from perfrules.engine.kpi.library import compute, compute_all, drill_down
from perfrules.engine.kpi.scope import COMPANY, InvalidScope, UnknownKpi, parse_scope
from perfrules.engine.kpi.status import Status, evaluate
from perfrules.engine.periods import parse_period

from tests.kpi.factories import Facts

SEP = parse_period("2026-09")


def test_an_empty_store_gives_every_kpi_not_applicable_with_a_reason(db):
    values = compute_all(db, SEP)
    assert {v.kpi for v in values} == set(catalog.BY_ID)
    for v in values:
        if v.kpi in ("slow_mover_list_timeliness", "disposal_tracking_rate"):
            assert v.value == 0, v.kpi  # due, and nothing handed in
            continue
        assert v.value is None and v.reason, v.kpi
        assert evaluate(v).status is Status.NOT_APPLICABLE
    for kpi in catalog.BY_ID:
        assert drill_down(db, kpi, COMPANY, SEP) == []


def test_a_sku_with_only_returns_has_stock_but_no_turnover(db):
    Facts(db).sku("R").move("R", "customer_return", date(2026, 9, 3), 10).save()
    assert compute(db, "turnover", COMPANY, SEP).value == 0
    dio = compute(db, "dio", COMPANY, SEP)
    assert dio.value is None and dio.reason == "no outbound in the period"
    assert compute(db, "fill_rate", COMPANY, SEP).reason == "no demand"


def test_no_stock_at_all(db):
    f = Facts(db).sku("A").move("A", "receipt", date(2026, 1, 5), 10).move("A", "sale", date(2026, 1, 6), 10)
    f.save()
    assert compute(db, "turnover", COMPANY, SEP).reason == "no stock"
    assert compute(db, "obsolete_ratio", COMPANY, SEP).reason == "no stock"


def test_a_period_without_movements_reads_the_carried_state(db):
    Facts(db).sku("A").move("A", "receipt", date(2026, 1, 5), 10).move("A", "sale", date(2026, 11, 6), 1).save()
    value = compute(db, "turnover", COMPANY, SEP)
    assert value.value == 0
    assert (value.inputs["opening_value"], value.inputs["closing_value"]) == (Decimal(10), Decimal(10))


def test_as_of_inside_the_period_cuts_the_window(db):
    f = Facts(db).sku("A").move("A", "receipt", date(2026, 8, 1), 100)
    f.move("A", "sale", date(2026, 9, 10), 30).move("A", "sale", date(2026, 9, 20), 30).save()
    value = compute(db, "turnover", COMPANY, SEP, as_of=date(2026, 9, 15))
    assert value.end == date(2026, 9, 15)
    assert value.inputs["closing_value"] == Decimal(70)
    assert value.numerator == Decimal(30)
    assert value.inputs["annualise"] == Decimal(365) / 15
    early = compute(db, "turnover", COMPANY, SEP, as_of=date(2026, 8, 31))
    assert early.value is None and "not started" in early.reason


def test_as_of_after_the_last_movement(db):
    Facts(db).sku("A").move("A", "receipt", date(2026, 3, 1), 100).save()
    value = compute(db, "obsolete_ratio", COMPANY, parse_period("2027-06"))
    assert value.value == 1  # received 15 months earlier, never moved out


def test_unknown_kpi_and_unsupported_scope_are_errors(db):
    with pytest.raises(UnknownKpi, match="did you mean 'fill_rate'"):
        compute(db, "fill_rat", COMPANY, SEP)
    with pytest.raises(InvalidScope, match="kit_completeness is computed for company"):
        compute(db, "kit_completeness", parse_scope("employee:E1"), SEP)


@pytest.mark.parametrize("text", ["nowhere:1", "abc:D", "category", "segment:zombie"])
def test_bad_scopes(text):
    with pytest.raises(InvalidScope):
        parse_scope(text)


def test_scope_labels_round_trip():
    for text in [
        "company",
        "category:Kitchen",
        "abc_class:A",
        "xyz_class:Z",
        "segment:dead",
        "sku:S1",
        "employee:E1",
        "department:purchasing",
    ]:
        assert parse_scope(text).label == text
    assert parse_scope("class:b").label == "abc_class:B"
    assert parse_scope("xyz:y").label == "xyz_class:Y"
