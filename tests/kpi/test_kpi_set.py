"""The KPI set in two halves: the stock profile on one connection, the other fact tables' KPIs on a second one at
the same time; the values are those of each KPI computed alone, in catalogue order."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
from perfrules.engine.kpi import catalog, flow_kpis, library
from perfrules.engine.kpi.library import FACT_SIDE, compute, compute_all
from perfrules.engine.kpi.scope import COMPANY
from perfrules.engine.periods import parse_period
from perfrules.storage import connect
from sqlalchemy import event

from tests.kpi.factories import ZONE, Facts

SEP = parse_period("2026-09")


def _company(db) -> None:
    f = Facts(db).employee("B1").sku("A", category="bowls").sku("B", category="boxes", unit_cost="3")
    f.sku("K", components={"A": 1, "B": 2})
    for month in range(1, 10):
        f.move("A", "receipt", date(2026, month, 2), 40).move("A", "sale", date(2026, month, 20), 30)
    f.move("B", "receipt", date(2025, 3, 1), 50, unit_cost="3").move("B", "sale", date(2025, 4, 1), 5, unit_cost="3")
    f.demand("A", date(2026, 9, 20), 30, 25, (datetime(2026, 9, 20, 9, tzinfo=ZONE), None))
    f.po("A", date(2026, 8, 25), date(2026, 9, 2), date(2026, 9, 3), buyer="B1", inspected=40, passed=38)
    f.po("A", date(2025, 9, 1), date(2025, 9, 5), date(2025, 9, 5), unit_cost="1.2", buyer="B1")
    f.count("A", date(2026, 9, 15), 100, 98).count("B", date(2026, 9, 15), 45, 45)
    f.work_order("K", date(2026, 9, 10), available=True).work_order("K", date(2026, 9, 11), available=False)
    f.forecast("A", "2026-09", 28).forecast("B", "2026-09", 3)
    f.submission("slow_mover_list", "2026-08", "B1", datetime(2026, 9, 4, 17, tzinfo=ZONE), {"items": [{"sku": "B"}]})
    f.disposal("B", date(2026, 9, 12), 10)
    f.save()


def _essence(value) -> tuple:
    return value.kpi, value.scope, value.value, value.reason, value.numerator, value.denominator, value.rows


def test_the_set_equals_each_kpi_alone_in_catalogue_order(db):
    _company(db)
    values = compute_all(db, SEP, zone=ZONE, breakdown=False)
    assert [v.kpi for v in values] == [k.id for k in catalog.CATALOG if COMPANY.kind in k.scopes]
    alone = [compute(db, v.kpi, COMPANY, SEP, zone=ZONE) for v in values]
    assert [_essence(v) for v in values] == [_essence(v) for v in alone]
    assert any(v.value for v in values if v.kpi in FACT_SIDE), "the facts make the fact side's KPIs non-trivial"
    assert any(v.value for v in values if v.kpi not in FACT_SIDE)


def test_the_fact_side_runs_on_a_second_connection_while_the_profile_is_read(db, monkeypatch):
    _company(db)
    out, peak, lock = set(), [0], threading.Lock()

    def checkout(dbapi_connection, _record, _proxy):
        with lock:
            out.add(id(dbapi_connection))
            peak[0] = max(peak[0], len(out))

    def checkin(dbapi_connection, _record):
        with lock:
            out.discard(id(dbapi_connection))

    event.listen(db.engine, "checkout", checkout)
    event.listen(db.engine, "checkin", checkin)
    threads, meet = {}, threading.Barrier(2, timeout=60)

    def meeting(kpi_id, original):
        def compute_meeting(run, scope):
            threads[kpi_id] = threading.current_thread().name
            meet.wait()  # both sides hold their connection here, or the barrier breaks: they ran one after the other
            return original(run, scope)

        return compute_meeting

    monkeypatch.setitem(library.FUNCTIONS, "fill_rate", meeting("fill_rate", flow_kpis.fill_rate))
    monkeypatch.setitem(library.FUNCTIONS, "turnover", meeting("turnover", library.FUNCTIONS["turnover"]))
    compute_all(db, SEP, zone=ZONE)
    assert threads["fill_rate"].startswith("kpi-facts"), threads
    assert threads["turnover"] == threading.current_thread().name, threads
    assert peak[0] == 2, "two connections at once: the profile's and the fact side's"


def test_an_error_on_the_fact_side_reaches_the_caller(db, monkeypatch):
    _company(db)

    def broken(run, scope):
        raise RuntimeError("forecasts unreadable")

    monkeypatch.setitem(library.FUNCTIONS, "forecast_accuracy", broken)
    with pytest.raises(RuntimeError, match="forecasts unreadable"):
        compute_all(db, SEP, zone=ZONE)


def test_an_in_memory_database_computes_the_set_on_its_one_connection():
    """An in-memory SQLite is a database per thread: the set stays on the caller's thread there."""
    db = connect("sqlite://", upgrade=True)
    try:
        assert not db.concurrent_reads
        _company(db)
        values = {v.kpi: v for v in compute_all(db, SEP, zone=ZONE, breakdown=False)}
        assert values["fill_rate"].value is not None and values["inventory_accuracy"].value is not None
        assert values["turnover"].value is not None
    finally:
        db.dispose()
