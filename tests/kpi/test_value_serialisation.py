"""KPI values go into the KPI value store as JSON text and come back equal, digit for digit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from perfrules.engine.kpi import values
from perfrules.engine.kpi.catalog import ScopeKind
from perfrules.engine.kpi.library import compute_all
from perfrules.engine.kpi.parameters import DEFAULT
from perfrules.engine.kpi.scope import COMPANY, Scope
from perfrules.engine.kpi.values import KpiValue
from perfrules.engine.periods import parse_period

from tests.kpi.factories import ZONE, Facts


def _same(a: KpiValue, b: KpiValue) -> bool:
    """Equal, and every decimal written the same way (1.10 is not 1.1 here)."""
    return a == b and repr(a.as_dict()) == repr(b.as_dict()) and str(a.value) == str(b.value)


def test_a_hand_made_value_round_trips_with_its_exponents_tuples_and_parameters():
    v = KpiValue(
        "turnover",
        Scope(ScopeKind.ABC_CLASS, "A"),
        "2026-02",
        date(2026, 2, 1),
        date(2026, 2, 28),
        Decimal("4.1000"),
        None,
        Decimal("1E+3"),
        Decimal("-0.00"),
        12,
        {
            "annualise": Decimal("0.0767123287671232876712328767"),
            "days": 28,
            "flag": True,
            "first": date(2026, 2, 3),
            "at": datetime(2026, 2, 3, 9, tzinfo=ZONE),
            "pair": (Decimal("1.0"), None),
            "lines": [{"sku": "S1", "qty": Decimal("2.50")}],
            "ratio": 0.25,
        },
        DEFAULT.with_(abc_cutoffs=(Decimal("0.70"), Decimal("0.90")), fill_rate_basis="lines"),
    )
    (back,) = values.loads(values.dumps([v]))
    assert _same(back, v)
    assert back.inputs["pair"] == (Decimal("1.0"), None) and isinstance(back.inputs["pair"], tuple)
    assert str(back.denominator) == "-0.00" and back.parameters.abc_cutoffs == (Decimal("0.70"), Decimal("0.90"))


def test_every_value_the_library_computes_round_trips(db):
    f = Facts(db).employee("B1").sku("A").sku("B", unit_cost="3.25")
    f.move("A", "receipt", date(2025, 12, 2), 40).move("A", "sale", date(2026, 2, 5), 7)
    f.move("B", "receipt", date(2026, 1, 9), 11, unit_cost="3.25").count("A", date(2026, 2, 9), 33, 32)
    f.po("A", date(2026, 1, 1), date(2026, 2, 5), date(2026, 2, 6), buyer="B1")
    f.save()
    february = parse_period("2026-02")
    computed = compute_all(db, february, zone=ZONE) + compute_all(db, february, scope=Scope(ScopeKind.EMPLOYEE, "B1"))
    assert any(v.value is not None for v in computed) and any(v.scope != COMPANY for v in computed)
    back = values.loads(values.dumps(computed))
    assert len(back) == len(computed) and all(_same(b, c) for b, c in zip(back, computed, strict=True))
