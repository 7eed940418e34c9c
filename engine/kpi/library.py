"""The KPI library's entry points: compute one KPI or the whole set, per scope and period, and drill down."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from perfrules.engine.kpi import catalog, flow_kpis, list_kpis, stock_kpis
from perfrules.engine.kpi.catalog import ScopeKind
from perfrules.engine.kpi.deadlines import Deadlines
from perfrules.engine.kpi.parameters import DEFAULT, KpiParameters
from perfrules.engine.kpi.run import Run
from perfrules.engine.kpi.scope import COMPANY, Scope, UnknownKpi
from perfrules.engine.kpi.slow_movers import slow_mover_list
from perfrules.engine.kpi.stock_kpis import turnover_of
from perfrules.engine.kpi.values import KpiValue
from perfrules.engine.periods import Period
from perfrules.storage.kpi import facts, reading
from perfrules.storage.kpi.stock import stock_rows

Compute = Callable[[Run, Scope], KpiValue]

FUNCTIONS: dict[str, Compute] = {
    "turnover": stock_kpis.turnover,
    "dio": stock_kpis.dio,
    "fill_rate": flow_kpis.fill_rate,
    "avg_stockout_days": flow_kpis.avg_stockout_days,
    "emergency_order_rate": flow_kpis.emergency_order_rate,
    "obsolete_ratio": stock_kpis.obsolete_ratio,
    "inventory_accuracy": flow_kpis.inventory_accuracy,
    "kit_completeness": flow_kpis.kit_completeness,
    "investment_ratio": stock_kpis.investment_ratio,
    "holding_cost_rate": stock_kpis.holding_cost_rate,
    "cash_to_cash_days": stock_kpis.cash_to_cash_days,
    "purchase_on_time_rate": flow_kpis.purchase_on_time_rate,
    "purchase_cost_reduction": flow_kpis.purchase_cost_reduction,
    "quality_pass_rate": flow_kpis.quality_pass_rate,
    "purchasing_dio": stock_kpis.purchasing_dio,
    "purchasing_dio_yoy": stock_kpis.purchasing_dio_yoy,
    "slow_mover_list_timeliness": list_kpis.slow_mover_list_timeliness,
    "disposal_tracking_rate": list_kpis.disposal_tracking_rate,
    "capital_occupation": stock_kpis.capital_occupation,
    "capital_turnover": stock_kpis.capital_turnover,
    "capital_turnover_yoy": stock_kpis.capital_turnover_yoy,
    "impairment_loss_rate": stock_kpis.impairment_loss_rate,
    "slow_mover_digestion_rate": list_kpis.slow_mover_digestion_rate,
    "turnover_improvement": stock_kpis.turnover_improvement,
    "forecast_accuracy": flow_kpis.forecast_accuracy,
}
assert set(FUNCTIONS) == set(catalog.BY_ID), "every catalogue KPI has a computation"

# The KPIs whose inputs are fact tables beside the stock rollup's profile (demand, purchase orders, cycle counts,
# work orders, forecasts, submissions, disposals and the slow-mover lists). A KPI set computes them on a second
# connection, in a thread of its own, while the first reads the stock profile: their statements are independent
# of it, so the database runs the two halves on two cores at once (SQLite and psycopg let go of the GIL while a
# statement runs). Each connection reads committed data statement by statement, as one connection does.
FACT_SIDE = frozenset(
    {
        "fill_rate",
        "avg_stockout_days",
        "emergency_order_rate",
        "inventory_accuracy",
        "kit_completeness",
        "purchase_on_time_rate",
        "purchase_cost_reduction",
        "quality_pass_rate",
        "slow_mover_list_timeliness",
        "disposal_tracking_rate",
        "forecast_accuracy",
    }
)
assert set(FUNCTIONS) >= FACT_SIDE

_ZONE = ZoneInfo("Asia/Shanghai")
BREAKDOWNS = {
    ScopeKind.ABC_CLASS: ("A", "B", "C"),
    ScopeKind.XYZ_CLASS: ("X", "Y", "Z"),
    ScopeKind.SEGMENT: ("active", "slow", "dead"),
}


def _function(kpi_id: str) -> Compute:
    try:
        return FUNCTIONS[kpi_id]
    except KeyError:
        raise UnknownKpi(kpi_id, sorted(FUNCTIONS)) from None


def _not_started(run: Run, kpi_id: str, scope: Scope) -> KpiValue:
    return KpiValue(
        kpi_id,
        scope,
        run.period.label,
        run.start,
        run.start - timedelta(days=1),
        None,
        "the period has not started on the as-of day",
        parameters=run.params,
    )


def _evaluate(run: Run, kpi_id: str, scope: Scope) -> KpiValue:
    function = _function(kpi_id)
    if not run.started:
        run.selection(kpi_id, scope)
        return _not_started(run, kpi_id, scope)
    return function(run, scope)


def compute(
    db: Any,
    kpi_id: str,
    scope: Scope,
    period: Period,
    *,
    as_of: date | None = None,
    params: KpiParameters = DEFAULT,
    zone: ZoneInfo = _ZONE,
) -> KpiValue:
    """One KPI for one scope and period, as of ``as_of`` (default: the period's last day)."""
    with reading(db) as conn:
        return _evaluate(Run(conn, period, as_of or period.last_day, params, zone), kpi_id, scope)


def compute_all(
    db: Any,
    period: Period,
    *,
    scope: Scope = COMPANY,
    as_of: date | None = None,
    params: KpiParameters = DEFAULT,
    zone: ZoneInfo = _ZONE,
    kpis: list[str] | None = None,
    breakdown: bool = True,
    categories: bool = False,
    deadlines: Deadlines | None = None,
) -> list[KpiValue]:
    """Every KPI the scope supports (or ``kpis``), catalogue order; at company scope with ``breakdown``
    also turnover per ABC class, XYZ class and segment (active / slow / dead), and with ``categories``
    per category. ``deadlines`` are the rulebook's due moments (:class:`~.deadlines.Deadlines`): timeliness
    and tracking KPIs count a deliverable on time exactly when its deadline finding does."""
    ids = kpis or [k.id for k in catalog.CATALOG if scope.kind in k.scopes]
    as_of = as_of or period.last_day
    beside = [k for k in ids if k in FACT_SIDE] if db.concurrent_reads and len(ids) > 1 else []

    def stock_side() -> tuple[dict[str, KpiValue], list[KpiValue]]:
        with reading(db) as conn:
            run = Run(conn, period, as_of, params, zone, deadlines)
            if breakdown and scope == COMPANY and run.started:  # one pass serves the company figures and the breakdown
                run.profile(with_classes=True)
            by_id = {kpi_id: _evaluate(run, kpi_id, scope) for kpi_id in ids if kpi_id not in beside}
            extra = []
            if breakdown and scope == COMPANY and run.started and "turnover" in ids:
                extra = turnover_breakdown(run, categories=categories)
        return by_id, extra

    def fact_side() -> dict[str, KpiValue]:
        with reading(db) as conn:
            run = Run(conn, period, as_of, params, zone, deadlines)
            return {kpi_id: _evaluate(run, kpi_id, scope) for kpi_id in beside}

    if not beside:  # nothing for a second connection: no thread
        by_id, extra = stock_side()
    else:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kpi-facts") as pool:
            side = pool.submit(fact_side)
            by_id, extra = stock_side()
            by_id.update(side.result())
    return [by_id[kpi_id] for kpi_id in ids] + extra


def turnover_breakdown(run: Run, *, categories: bool = False) -> list[KpiValue]:
    """Turnover of every ABC class, XYZ class and segment (and category), from the run's stock profile."""
    run.profile(with_classes=True)
    scopes = [Scope(kind, key) for kind, keys in BREAKDOWNS.items() for key in keys]
    if categories:
        names = sorted({group.category for group in run.profile(with_classes=True)})
        scopes += [Scope(ScopeKind.CATEGORY, name) for name in names]
    return [turnover_of(run, "turnover", scope, run.stock("turnover", scope)) for scope in scopes]


_STOCK_DRILL = {
    "turnover",
    "dio",
    "turnover_improvement",
    "investment_ratio",
    "holding_cost_rate",
    "capital_occupation",
    "capital_turnover",
    "capital_turnover_yoy",
    "impairment_loss_rate",
    "cash_to_cash_days",
}
# kpi -> (table, date column, person column)
_FACT_DRILL = {
    "fill_rate": ("demand_lines", "day", None),
    "avg_stockout_days": ("demand_lines", "day", None),
    "emergency_order_rate": ("purchase_orders", "ordered_day", "buyer_id"),
    "purchase_cost_reduction": ("purchase_orders", "ordered_day", "buyer_id"),
    "purchase_on_time_rate": ("purchase_orders", "promised_day", "buyer_id"),
    "quality_pass_rate": ("purchase_orders", "received_day", "buyer_id"),
    "inventory_accuracy": ("cycle_counts", "day", "counter_id"),
    "disposal_tracking_rate": ("submissions", "submitted_at", "employee_id"),
    "slow_mover_list_timeliness": ("submissions", "submitted_at", "employee_id"),
}


def drill_down(
    db: Any,
    kpi_id: str,
    scope: Scope,
    period: Period,
    *,
    as_of: date | None = None,
    params: KpiParameters = DEFAULT,
    zone: ZoneInfo = _ZONE,
    limit: int = 100,
    deadlines: Deadlines | None = None,
) -> list[dict[str, Any]]:
    """The rows behind a KPI value as plain dicts (largest or earliest first), at most ``limit``."""
    _function(kpi_id)
    with reading(db) as conn:
        run = Run(conn, period, as_of or period.last_day, params, zone, deadlines)
        selection = run.selection(kpi_id, scope)
        obsolete_before = run.obsolete_before(run.end)
        if kpi_id in _STOCK_DRILL or kpi_id in ("obsolete_ratio", "purchasing_dio", "purchasing_dio_yoy"):
            return stock_rows(
                conn,
                run.start,
                run.end,
                obsolete_before=obsolete_before,
                classing=run.classing,
                selection=selection,
                purchased_only=kpi_id.startswith("purchasing_dio"),
                limit=limit,
                obsolete_only=kpi_id == "obsolete_ratio",
            )
        if kpi_id == "kit_completeness":
            return facts.work_order_rows(conn, run.start, run.end, limit)
        if kpi_id == "forecast_accuracy":
            return facts.forecast_rows(conn, run.months(), run.end, limit, selection=selection)
        if kpi_id == "slow_mover_digestion_rate":
            listed = slow_mover_list(
                conn,
                run.start - timedelta(days=1),
                params,
                category=scope.key if selection.kind == "category" else None,
            )
            done = facts.disposed(conn, run.start, list_kpis.digestion_until(run), [i.sku for i in listed.items])
            return [
                {
                    "sku": i.sku,
                    "listed_qty": i.qty,
                    "listed_value": i.value,
                    "class": i.cls,
                    "disposed_qty": done.get(i.sku, 0),
                }
                for i in listed.items[:limit]
            ]
        table, column, person = _FACT_DRILL[kpi_id]
        if table == "submissions":
            deliverable = "slow_mover_list" if kpi_id == "slow_mover_list_timeliness" else "disposal_tracking"
            rows = facts.fact_rows(
                conn,
                table,
                "submitted_at",
                run.start,
                run.end + timedelta(days=7),
                limit,
                selection=selection,
                person_column=person,
                sku_column="NULL",
            )
            return [r for r in rows if r["deliverable"] == deliverable]
        return facts.fact_rows(
            conn, table, column, run.start, run.end, limit, selection=selection, person_column=person
        )
