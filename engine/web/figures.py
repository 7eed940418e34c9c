"""The KPI figures of each page — department, employee, KPI — drawn up by one function per page, which the
page and the KPI value store's filler (:mod:`perfrules.engine.web.warming`) both call, so the filler stores
exactly the sets a page reads. The company dashboard's is :func:`perfrules.engine.web.board.dashboard_figures`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from perfrules.engine.kpi.catalog import KpiDef
from perfrules.engine.periods import Period
from perfrules.engine.settings import Settings
from perfrules.engine.web import board
from perfrules.engine.web.board import KpiCell, Series, Table
from perfrules.storage import Database, access


@dataclass(frozen=True)
class ScopeFigures:
    """A department's or employee's KPI table and the trend of every KPI that applies there."""

    cells: list[KpiCell]
    trends: list[Series]


def department_figures(
    db: Database, settings: Settings, code: str, period: Period, today: date, generations: access.FactGenerations
) -> ScopeFigures:
    """The department page: its own KPIs, then the company KPIs the department owns, with their trends."""
    return board.page_figures(
        db,
        settings,
        ("department", code),
        period,
        today,
        generations,
        lambda: _department(db, settings, code, period, today, generations),
    )


def _department(
    db: Database, settings: Settings, code: str, period: Period, today: date, generations: access.FactGenerations
) -> ScopeFigures:
    cells = board.kpi_table(
        db,
        settings,
        scope_kind="department",
        scope=code,
        period=period,
        today=today,
        people_of=code,
        generations=generations,
    )
    owned = board.kpi_table(
        db,
        settings,
        scope_kind="company",
        scope="company",
        period=period,
        department=code,
        today=today,
        generations=generations,
    )
    cells += [c for c in owned if c.kpi.id not in {x.kpi.id for x in cells}]
    return ScopeFigures(cells, _trends(db, settings, cells, period, today, generations))


def employee_figures(
    db: Database,
    settings: Settings,
    employee_id: str,
    department: str,
    period: Period,
    today: date,
    generations: access.FactGenerations,
) -> ScopeFigures:
    """The employee page: the person's KPIs (not applicable where their department produces no such facts)."""
    return board.page_figures(
        db,
        settings,
        ("employee", employee_id, department),
        period,
        today,
        generations,
        lambda: _employee(db, settings, employee_id, department, period, today, generations),
    )


def _employee(
    db: Database,
    settings: Settings,
    employee_id: str,
    department: str,
    period: Period,
    today: date,
    generations: access.FactGenerations,
) -> ScopeFigures:
    cells = board.kpi_table(
        db,
        settings,
        scope_kind="employee",
        scope=employee_id,
        period=period,
        today=today,
        people_of=department,
        generations=generations,
    )
    return ScopeFigures(cells, _trends(db, settings, cells, period, today, generations))


@dataclass(frozen=True)
class KpiFigures:
    """A KPI page: the KPI's cell, its trend and the rows behind it."""

    cell: KpiCell | None
    trend: Series
    table: Table


def kpi_figures(
    db: Database,
    settings: Settings,
    kpi: KpiDef,
    scope_kind: str,
    scope: str,
    period: Period,
    today: date,
    generations: access.FactGenerations,
) -> KpiFigures:
    """A KPI page: the KPI at the scope, its twelve-month trend, the rows behind it."""
    return board.page_figures(
        db,
        settings,
        ("kpi", kpi.id, scope_kind, scope),
        period,
        today,
        generations,
        lambda: _kpi(db, settings, kpi, scope_kind, scope, period, today, generations),
    )


def _kpi(
    db: Database,
    settings: Settings,
    kpi: KpiDef,
    scope_kind: str,
    scope: str,
    period: Period,
    today: date,
    generations: access.FactGenerations,
) -> KpiFigures:
    cells = board.kpi_table(
        db,
        settings,
        scope_kind=scope_kind,
        scope=scope,
        period=period,
        today=today,
        people_of=board.people_of(db, scope_kind, scope),
        generations=generations,
    )
    return KpiFigures(
        next((c for c in cells if c.kpi.id == kpi.id), None),
        board.trend(
            db, settings, kpi, scope_kind=scope_kind, scope=scope, end=period, today=today, generations=generations
        ),
        board.drill(db, settings, kpi, scope_kind=scope_kind, scope=scope, period=period, generations=generations),
    )


def _trends(
    db: Database,
    settings: Settings,
    cells: list[KpiCell],
    period: Period,
    today: date,
    generations: access.FactGenerations,
) -> list[Series]:
    rulebook = board.rulebook_of(settings)
    sets: dict[tuple[str, str], list] = {}  # per scope (a department page also shows company KPIs it owns)
    trends = []
    for c in cells:
        if c.status == "not_applicable":
            continue
        if (c.scope_kind, c.scope) not in sets:
            sets[c.scope_kind, c.scope] = board.month_sets(
                db,
                settings,
                scope_kind=c.scope_kind,
                scope=c.scope,
                end=period,
                today=today,
                generations=generations,
                rulebook=rulebook,
            )
        trends.append(
            board.trend(
                db,
                settings,
                c.kpi,
                scope_kind=c.scope_kind,
                scope=c.scope,
                end=period,
                rulebook=rulebook,
                sets=sets[c.scope_kind, c.scope],
            )
        )
    return trends
