"""Flow KPIs from demand, purchase orders, cycle counts, work orders and forecasts."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from perfrules.engine.kpi.run import Run
from perfrules.engine.kpi.scope import Scope
from perfrules.engine.kpi.values import KpiValue
from perfrules.storage.kpi import facts


def _demand(run: Run, kpi_id: str, scope: Scope) -> facts.Demand:
    selection = run.selection(kpi_id, scope)
    lo, hi = run.period.bounds(run.zone)[0], _end_bound(run)
    return run.cached(
        ("demand", selection),
        lambda: facts.demand(run.conn, run.start, run.end, lo, hi, selection=selection, classing=run.classing),
    )


def fill_rate(run: Run, scope: Scope) -> KpiValue:
    """Demand served at once ÷ demand (quantity, or whole lines with ``fill_rate_basis='lines'``)."""
    d = _demand(run, "fill_rate", scope)
    if run.params.fill_rate_basis == "lines":
        return run.ratio("fill_rate", scope, d.lines_filled, d.lines, "no demand", rows=d.lines, basis="lines")
    return run.ratio("fill_rate", scope, d.served, d.requested, "no demand", rows=d.lines, basis="quantity")


def _end_bound(run: Run) -> datetime:
    return datetime.combine(run.end + timedelta(days=1), time(), run.zone)


def avg_stockout_days(run: Run, scope: Scope) -> KpiValue:
    """Σ stockout durations ÷ number of stockouts that started in the window (open ones run to its end)."""
    d = _demand(run, "avg_stockout_days", scope)
    days = d.stockout_seconds / 86400
    return run.ratio("avg_stockout_days", scope, days, d.stockouts, "no stockouts", rows=d.stockouts)


def _purchasing(run: Run, kpi_id: str, scope: Scope) -> facts.Purchasing:
    selection = run.selection(kpi_id, scope)
    return run.cached(
        ("purchasing", selection),
        lambda: facts.purchasing(
            run.conn, run.start, run.end, run.year_ago, selection=selection, classing=run.classing
        ),
    )


def emergency_order_rate(run: Run, scope: Scope) -> KpiValue:
    p = _purchasing(run, "emergency_order_rate", scope)
    return run.ratio("emergency_order_rate", scope, p.emergency, p.ordered, "no purchase orders", rows=p.ordered)


def purchase_on_time_rate(run: Run, scope: Scope) -> KpiValue:
    """Orders received by the promised day ÷ orders promised in the window."""
    p = _purchasing(run, "purchase_on_time_rate", scope)
    return run.ratio("purchase_on_time_rate", scope, p.on_time, p.due, "no purchase orders due", rows=p.due)


def quality_pass_rate(run: Run, scope: Scope) -> KpiValue:
    """Units passed ÷ units inspected, on orders received in the window."""
    p = _purchasing(run, "quality_pass_rate", scope)
    return run.ratio("quality_pass_rate", scope, p.passed, p.inspected, "nothing inspected", rows=p.inspected)


def purchase_cost_reduction(run: Run, scope: Scope) -> KpiValue:
    """1 − cost of this window's orders ÷ the same quantities at each SKU's average unit cost a year earlier."""
    p = _purchasing(run, "purchase_cost_reduction", scope)
    inputs = {"cost": p.cost, "baseline_cost": p.baseline_cost}
    if p.baseline_cost <= 0:
        return run.value(
            "purchase_cost_reduction",
            scope,
            None,
            reason="no year-ago prices to compare",
            rows=p.compared_lines,
            **inputs,
        )
    return run.value(
        "purchase_cost_reduction",
        scope,
        1 - p.cost / p.baseline_cost,
        numerator=p.cost,
        denominator=p.baseline_cost,
        rows=p.compared_lines,
        **inputs,
    )


def inventory_accuracy(run: Run, scope: Scope) -> KpiValue:
    """SKUs whose latest count in the window matched the books ÷ SKUs counted."""
    c = facts.counts(
        run.conn,
        run.start,
        run.end,
        tolerance=run.params.accuracy_tolerance,
        selection=run.selection("inventory_accuracy", scope),
        classing=run.classing,
    )
    return run.ratio("inventory_accuracy", scope, c.matched, c.counted, "no counts", rows=c.counted)


def kit_completeness(run: Run, scope: Scope) -> KpiValue:
    """Work orders with every component in stock ÷ work orders (ERP flag, else stock at the start of the day)."""
    total, complete = facts.work_orders(
        run.conn, run.start, run.end, selection=run.selection("kit_completeness", scope), classing=run.classing
    )
    return run.ratio("kit_completeness", scope, complete, total, "no work orders", rows=total)


def forecast_accuracy(run: Run, scope: Scope) -> KpiValue:
    """1 − Σ|actual − forecast| ÷ Σ actual (weighted MAPE), floored at 0; or the mean per-line accuracy."""
    f = facts.forecasts(
        run.conn, run.months(), run.end, selection=run.selection("forecast_accuracy", scope), classing=run.classing
    )
    inputs = {
        "forecast": f.forecast,
        "actual": f.actual,
        "abs_error": f.abs_error,
        "method": run.params.forecast_method,
    }
    if run.params.forecast_method == "mape":
        if not f.lines_with_actual:
            return run.value("forecast_accuracy", scope, None, reason="no sales to compare", rows=f.lines, **inputs)
        return run.value(
            "forecast_accuracy",
            scope,
            f.line_accuracy / f.lines_with_actual,
            numerator=f.line_accuracy,
            denominator=f.lines_with_actual,
            rows=f.lines,
            **inputs,
        )
    if f.actual <= 0:
        return run.value("forecast_accuracy", scope, None, reason="no sales to compare", rows=f.lines, **inputs)
    value = max(Decimal(0), 1 - Decimal(f.abs_error) / f.actual)
    return run.value(
        "forecast_accuracy", scope, value, numerator=f.abs_error, denominator=f.actual, rows=f.lines, **inputs
    )
