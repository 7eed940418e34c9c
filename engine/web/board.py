"""What the dashboard shows, gathered from the KPI library, the evaluation store and the rulebook.

This is the web layer's one adapter onto the engine: pages and API routes call these functions and
render the frozen results; nothing here computes a KPI itself. Parts of the engine that are not installed
yet show as empty (``available=False``) instead of failing the page.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from engine.kpi import catalog
from engine.kpi.catalog import Direction, KpiDef
from engine.periods import Period, month_of
from engine.settings import Settings
from storage import Database

STATUSES = ("met", "warning", "not_met", "no_data")


@dataclass(frozen=True)
class KpiCell:
    """One KPI for one scope and period: value, target, achievement rate (actual ÷ target) and status."""

    kpi: KpiDef
    scope_kind: str
    scope: str
    period: str
    value: Decimal | None
    target: Decimal
    achievement: Decimal | None
    status: str  # met, warning, not_met, no_data
    band: str | None = None


@dataclass(frozen=True)
class Table:
    """Rows behind a figure: column names and plain values, with a title."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    available: bool = True


@dataclass(frozen=True)
class Series:
    """A named chart: labels on the x axis and one or more data sets of (possibly missing) numbers."""

    title: str
    labels: tuple[str, ...]
    datasets: tuple[tuple[str, tuple[float | None, ...]], ...]
    kind: str = "line"
    link: str | None = None
    available: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def _optional(module: str) -> Any | None:
    """A part of the engine another package provides, or None while it is not there."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def achievement(kpi: KpiDef, value: Decimal | None, target: Decimal) -> Decimal | None:
    """Actual ÷ target, inverted for lower-is-better KPIs (domain.md section 6); None when undefined."""
    if value is None:
        return None
    if kpi.direction is Direction.HIGHER:
        return None if target == 0 else value / target
    return None if value == 0 else target / value


def status_of(rate: Decimal | None, warning_margin: Decimal = Decimal("0.95")) -> str:
    """met at ≥ 100% achievement, warning from 95%, not met below; no data without a rate."""
    if rate is None:
        return "no_data"
    if rate >= 1:
        return "met"
    return "warning" if rate >= warning_margin else "not_met"


def months_back(end: Period, count: int) -> list[Period]:
    """The ``count`` calendar months ending with the month that holds ``end``'s last day, oldest first."""
    last = month_of(end.last_day)
    out = [last]
    while len(out) < count:
        out.append(month_of(out[-1].start.replace(day=1) - _ONE_DAY))
    return list(reversed(out))


_ONE_DAY = date(2000, 1, 2) - date(2000, 1, 1)


def kpi_defs(department: str | None = None) -> list[KpiDef]:
    return [k for k in catalog.CATALOG if department is None or k.department == department]


def _library() -> Any | None:
    return _optional("engine.kpi.library")


def kpi_table(db: Database, settings: Settings, *, scope_kind: str, scope: str, period: Period,
              department: str | None = None) -> list[KpiCell]:
    """Every KPI that applies to the scope, with value, target, achievement and status."""
    lib = _library()
    cells = []
    for kpi in kpi_defs(department):
        if scope_kind not in {s.value for s in kpi.scopes}:
            continue
        value = None
        if lib is not None:
            value = lib.value(db, kpi.id, scope_kind=scope_kind, scope=scope, period=period, zone=settings.zone)
        rate = achievement(kpi, value, kpi.target)
        cells.append(KpiCell(kpi, scope_kind, scope, period.label, value, kpi.target, rate, status_of(rate)))
    return cells


def trend(db: Database, settings: Settings, kpi: KpiDef, *, scope_kind: str, scope: str, end: Period,
          months: int = 12) -> Series:
    """The KPI month by month for the twelve months up to ``end``."""
    lib = _library()
    periods = months_back(end, months)
    values: list[float | None] = []
    for p in periods:
        v = None if lib is None else lib.value(db, kpi.id, scope_kind=scope_kind, scope=scope, period=p,
                                                zone=settings.zone)
        values.append(None if v is None else float(v))
    return Series(kpi.name_en, tuple(p.label for p in periods), (("value", tuple(values)),
                  ("target", tuple(float(kpi.target) for _ in periods))), available=lib is not None,
                  link=f"/kpis/{kpi.id}?scope_kind={scope_kind}&scope={scope}&period={end.label}")


def drill(db: Database, settings: Settings, kpi: KpiDef, *, scope_kind: str, scope: str, period: Period) -> Table:
    """The rows behind one KPI figure."""
    lib = _library()
    if lib is None:
        return Table(kpi.name_en, (), (), available=False)
    columns, rows = lib.rows(db, kpi.id, scope_kind=scope_kind, scope=scope, period=period, zone=settings.zone)
    return Table(kpi.name_en, tuple(columns), tuple(tuple(r) for r in rows))


def class_comparison(db: Database, settings: Settings, period: Period) -> Series:
    """Turnover per ABC and XYZ class against the class targets."""
    lib = _library()
    labels = ("A", "B", "C", "X", "Y", "Z")
    if lib is None:
        return Series("turnover by class", labels, (), kind="bar", available=False)
    values = []
    for cls in labels:
        kind = "abc_class" if cls in "ABC" else "xyz_class"
        v = lib.value(db, "turnover", scope_kind=kind, scope=cls, period=period, zone=settings.zone)
        values.append(None if v is None else float(v))
    return Series("turnover by class", labels, (("turnover", tuple(values)),), kind="bar",
                  link=f"/kpis/turnover?scope_kind=abc_class&scope=A&period={period.label}")


def slow_movers(db: Database, settings: Settings, period: Period) -> tuple[Series, Series, Series, Table]:
    """Slow-mover stock value by category, by age band and by value band, and the list behind them."""
    lib = _library()
    if lib is None or not hasattr(lib, "slow_movers"):
        empty = Series("slow movers", (), (), kind="bar", available=False)
        return empty, empty, empty, Table("slow movers", (), (), available=False)
    items = lib.slow_movers(db, period=period, zone=settings.zone)
    by_cat: dict[str, float] = {}
    by_age: dict[str, float] = {}
    by_value: dict[str, int] = {}
    for it in items:
        by_cat[it.category] = by_cat.get(it.category, 0.0) + float(it.value)
        age = _age_band(it.days_unsold)
        by_age[age] = by_age.get(age, 0.0) + float(it.value)
        band = _value_band(it.value)
        by_value[band] = by_value.get(band, 0) + 1
    rows = tuple((it.sku, it.category, it.days_unsold, it.quantity, it.value) for it in items)
    link = f"/slow-movers?period={period.label}"
    return (Series("by category", tuple(by_cat), (("value", tuple(by_cat.values())),), "bar", link),
            Series("by age", tuple(by_age), (("value", tuple(by_age.values())),), "bar", link),
            Series("by value", tuple(by_value), (("count", tuple(float(v) for v in by_value.values())),), "bar",
                   link),
            Table("slow movers", ("sku", "category", "days_unsold", "quantity", "value"), rows))


def _age_band(days: int) -> str:
    for limit, label in ((120, "90–120 d"), (180, "120–180 d"), (365, "180–365 d")):
        if days < limit:
            return label
    return "> 365 d"


def _value_band(value: Decimal) -> str:
    for limit, label in ((1000, "< 1k"), (10000, "1k–10k"), (100000, "10k–100k")):
        if value < limit:
            return label
    return "≥ 100k"


def forecast_vs_actual(db: Database, settings: Settings, end: Period) -> Series:
    """Forecast and actual quantity per month, twelve months up to ``end``."""
    lib = _library()
    periods = months_back(end, 12)
    if lib is None or not hasattr(lib, "forecast_totals"):
        return Series("forecast vs actual", tuple(p.label for p in periods), (), available=False)
    forecast, actual = [], []
    for p in periods:
        f, a = lib.forecast_totals(db, period=p)
        forecast.append(None if f is None else float(f))
        actual.append(None if a is None else float(a))
    return Series("forecast vs actual", tuple(p.label for p in periods),
                  (("forecast", tuple(forecast)), ("actual", tuple(actual))),
                  link=f"/kpis/forecast_accuracy?scope_kind=company&scope=company&period={end.label}")


def deadlines(db: Database, settings: Settings, *, now: datetime, visible: frozenset[str] | None) -> Table:
    """Upcoming deadlines and their state (submitted, open, late), from the rulebook's calendar."""
    cols = ("deliverable", "period", "due", "employee", "state")
    mod = _optional("engine.evaluation.deadlines")
    if mod is None or not hasattr(mod, "upcoming"):
        return Table("deadlines", cols, (), available=False)
    rows = [(d.deliverable, d.period, d.due, d.employee_id, d.state)
            for d in mod.upcoming(db, settings, now=now)
            if visible is None or d.employee_id in visible]
    return Table("deadlines", cols, tuple(rows))
