"""The KPI value store keeps the newest generation of each figure set, lists and prunes them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from perfrules.storage import kpi_store
from perfrules.storage.kpi_store import SetKey

AT = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)
FEB = SetKey("kpis", "company", "company", "2026-02", date(2026, 2, 28), date(2026, 2, 28), "digest1")


def test_the_newest_generation_of_a_set_is_kept_and_read_back_exactly(db):
    assert kpi_store.newest(db, FEB) is None
    kpi_store.put(db, FEB, 3, '[{"value":{"$d":"0.1000"}}]', AT)
    kpi_store.put(db, FEB, 3, "ignored: this generation is stored already", AT)
    found = kpi_store.newest(db, FEB)
    assert (found.generation, found.computed_at, found.key) == (3, AT, FEB)
    assert found.payload == '[{"value":{"$d":"0.1000"}}]'
    kpi_store.put(db, FEB, 5, "[]", AT)
    assert [s.generation for s in kpi_store.listing(db)] == [5]  # the older generation serves nothing any more
    other = SetKey("kpis", "employee", "E1", "2026-02", FEB.period_end, FEB.as_of, "digest1")
    kpi_store.put(db, other, 4, "[1]", AT)
    assert kpi_store.newest(db, other).payload == "[1]" and kpi_store.newest(db, FEB).payload == "[]"
    assert [(s.key.scope, s.size) for s in kpi_store.listing(db, period="2026-02")] == [("company", 2), ("E1", 3)]
    assert kpi_store.listing(db, period="2026-01") == []


def test_prune_drops_the_sets_no_longer_current(db):
    jan = SetKey("kpis", "company", "company", "2026-01", date(2026, 1, 31), date(2026, 1, 31), "digest1")
    charts = SetKey("slow_movers", "company", "company", "2026-01", date(2026, 1, 31), date(2026, 1, 31), "")
    old_rules = SetKey("kpis", "department", "hr", "2026-01", date(2026, 1, 31), date(2026, 1, 31), "digest0")
    kpi_store.put(db, FEB, 7, "[]", AT)  # stale: February is at generation 9
    kpi_store.put(db, jan, 6, "[]", AT)  # current
    kpi_store.put(db, charts, 6, "[]", AT)  # current, depends on no rule
    kpi_store.put(db, old_rules, 6, "[]", AT)  # another rulebook
    assert sorted(kpi_store.period_ends(db)) == [date(2026, 1, 31), date(2026, 2, 28)]
    current = {date(2026, 1, 31): 6, date(2026, 2, 28): 9}
    assert kpi_store.prune(db, current=current, rulebook="digest1") == 2
    assert {(s.key.figures, s.key.period) for s in kpi_store.listing(db)} == {
        ("kpis", "2026-01"),
        ("slow_movers", "2026-01"),
    }
