"""Stock KPIs (seed 004 and finance/purchasing of seed 000): turnover, DIO, obsolete ratio, capital ratios."""

from __future__ import annotations

from decimal import Decimal

from perfrules.engine.kpi.run import Run
from perfrules.engine.kpi.scope import COMPANY, Scope
from perfrules.engine.kpi.values import KpiValue
from perfrules.engine.periods import month_of
from perfrules.storage.kpi.facts import FinanceMonthRow, finance
from perfrules.storage.kpi.stock import StockWindow


def turnover_of(run: Run, kpi_id: str, scope: Scope, w: StockWindow, days: int | None = None) -> KpiValue:
    annualise = run.annualise if days is None else Decimal(run.params.days_per_year) / days
    inputs = {
        "opening_value": w.opening_value,
        "closing_value": w.closing_value,
        "out_cost": w.out_cost,
        "annualise": annualise,
    }
    if w.average_value <= 0:
        return run.value(
            kpi_id,
            scope,
            None,
            reason="no stock",
            numerator=w.out_cost,
            denominator=w.average_value,
            rows=w.skus,
            **inputs,
        )
    return run.value(
        kpi_id,
        scope,
        w.out_cost * annualise / w.average_value,
        numerator=w.out_cost,
        denominator=w.average_value,
        rows=w.skus,
        **inputs,
    )


def turnover(run: Run, scope: Scope) -> KpiValue:
    """Outbound cost of the window, annualised ÷ ((opening + closing stock value) ÷ 2)."""
    return turnover_of(run, "turnover", scope, run.stock("turnover", scope))


def _dio_from(run: Run, kpi_id: str, scope: Scope, t: KpiValue) -> KpiValue:
    inputs = dict(t.inputs) | {"turnover": t.value}
    if t.value is None or t.value == 0:
        reason = t.reason if t.value is None else "no outbound in the period"
        return run.value(kpi_id, scope, None, reason=reason, rows=t.rows, **inputs)
    exact = Decimal(run.params.days_per_year) * t.denominator / (t.numerator * t.inputs["annualise"])
    return run.value(
        kpi_id, scope, exact, numerator=run.params.days_per_year, denominator=t.value, rows=t.rows, **inputs
    )


def dio(run: Run, scope: Scope) -> KpiValue:
    """365 ÷ turnover."""
    return _dio_from(run, "dio", scope, turnover_of(run, "dio", scope, run.stock("dio", scope)))


def _yoy(run: Run, kpi_id: str, scope: Scope, now: KpiValue, before: KpiValue) -> KpiValue:
    inputs = {"current": now.value, "year_ago": before.value}
    if now.value is None or before.value is None or before.value == 0:
        reason = "no value a year earlier" if now.value is not None else (now.reason or "no value")
        return run.value(kpi_id, scope, None, reason=reason, **inputs)
    return run.value(
        kpi_id,
        scope,
        now.value / before.value - 1,
        numerator=now.value,
        denominator=before.value,
        rows=now.rows,
        **inputs,
    )


def _year_ago_days(run: Run) -> int:
    start, end = run.year_ago
    return (end - start).days + 1


def turnover_improvement(run: Run, scope: Scope) -> KpiValue:
    """Turnover ÷ turnover of the same window a year earlier − 1."""
    now = turnover_of(run, "turnover_improvement", scope, run.stock("turnover_improvement", scope))
    before = turnover_of(
        run, "turnover_improvement", scope, run.stock("turnover_improvement", scope, year_ago=True), _year_ago_days(run)
    )
    return _yoy(run, "turnover_improvement", scope, now, before)


def _purchasing_dio(run: Run, scope: Scope, kpi_id: str, year_ago: bool) -> KpiValue:
    w = run.stock(kpi_id, scope, purchased=True, year_ago=year_ago)
    t = turnover_of(run, kpi_id, scope, w, _year_ago_days(run) if year_ago else None)
    return _dio_from(run, kpi_id, scope, t)


def purchasing_dio(run: Run, scope: Scope) -> KpiValue:
    """DIO of the SKUs purchasing bought, i.e. with a supplier receipt (employee scope: the buyer of each SKU's
    latest purchase order)."""
    return _purchasing_dio(run, scope, "purchasing_dio", False)


def purchasing_dio_yoy(run: Run, scope: Scope) -> KpiValue:
    return _yoy(
        run,
        "purchasing_dio_yoy",
        scope,
        _purchasing_dio(run, scope, "purchasing_dio_yoy", False),
        _purchasing_dio(run, scope, "purchasing_dio_yoy", True),
    )


def obsolete_ratio(run: Run, scope: Scope) -> KpiValue:
    """Value on hand with no outbound for ``obsolete_months`` ÷ value on hand, at the window's end."""
    w = run.stock("obsolete_ratio", scope)
    return run.ratio(
        "obsolete_ratio",
        scope,
        w.obsolete_value,
        w.closing_value,
        "no stock",
        rows=w.skus_in_stock,
        obsolete_before=run.obsolete_before(run.end),
    )


def _finance(run: Run, months: list[str] | None = None) -> list[FinanceMonthRow]:
    return finance(run.conn, months or run.months())


def _average_value(run: Run, kpi_id: str) -> StockWindow:
    return run.stock(kpi_id, COMPANY)


def investment_ratio(run: Run, scope: Scope) -> KpiValue:
    """Stock value at the window's end ÷ revenue of the 12 months ending with its month (annualised if fewer)."""
    run.selection("investment_ratio", scope)
    last = month_of(run.end)
    rows = _finance(run, [last.shift(-i).label for i in range(12)])
    w = _average_value(run, "investment_ratio")
    revenue = sum((r.revenue for r in rows), Decimal(0))
    annual = revenue * 12 / len(rows) if rows else Decimal(0)
    return run.ratio(
        "investment_ratio",
        scope,
        w.closing_value,
        annual,
        "no finance figures" if not rows else "no revenue",
        rows=len(rows),
        revenue_months=len(rows),
        revenue=revenue,
    )


def _annual_over_stock(run: Run, kpi_id: str, scope: Scope, amount_of, what: str) -> KpiValue:
    run.selection(kpi_id, scope)
    rows = _finance(run)
    w = _average_value(run, kpi_id)
    if not rows:
        return run.value(kpi_id, scope, None, reason="no finance figures")
    amount = sum((amount_of(r) for r in rows), Decimal(0))
    annual = amount * 12 / len(rows)
    result = run.ratio(
        kpi_id,
        scope,
        annual,
        w.average_value,
        "no stock",
        rows=len(rows),
        months=len(rows),
        **{what: amount},
        opening_value=w.opening_value,
        closing_value=w.closing_value,
    )
    return result


def holding_cost_rate(run: Run, scope: Scope) -> KpiValue:
    """(capital + storage + handling + risk cost) of the window's months, annualised ÷ average stock value."""
    return _annual_over_stock(run, "holding_cost_rate", scope, lambda r: r.holding_cost, "holding_cost")


def capital_turnover(run: Run, scope: Scope) -> KpiValue:
    """Revenue of the window's months, annualised ÷ average stock value."""
    return _annual_over_stock(run, "capital_turnover", scope, lambda r: r.revenue, "revenue")


def capital_turnover_yoy(run: Run, scope: Scope) -> KpiValue:
    now = capital_turnover(run, scope)
    months = [m.label for m in run.period.year_ago().months() if m.start <= run.year_ago[1]]
    rows = _finance(run, months)
    w = run.stock("capital_turnover_yoy", scope, year_ago=True)
    if not rows or w.average_value <= 0:
        before = run.value("capital_turnover_yoy", scope, None, reason="no value a year earlier")
    else:
        revenue = sum((r.revenue for r in rows), Decimal(0))
        before = run.value("capital_turnover_yoy", scope, revenue * 12 / len(rows) / w.average_value)
    return _yoy(run, "capital_turnover_yoy", scope, now, before)


def impairment_loss_rate(run: Run, scope: Scope) -> KpiValue:
    """Impairment losses booked in the window's months ÷ average stock value (annualised when
    ``annualise_impairment``)."""
    run.selection("impairment_loss_rate", scope)
    rows = _finance(run)
    w = _average_value(run, "impairment_loss_rate")
    if not rows:
        return run.value("impairment_loss_rate", scope, None, reason="no finance figures")
    loss = sum((r.impairment_loss for r in rows), Decimal(0))
    if run.params.annualise_impairment:
        loss = loss * 12 / len(rows)
    return run.ratio(
        "impairment_loss_rate",
        scope,
        loss,
        w.average_value,
        "no stock",
        rows=len(rows),
        months=len(rows),
        annualised=run.params.annualise_impairment,
    )


def capital_occupation(run: Run, scope: Scope) -> KpiValue:
    """Stock value at the window's end ÷ current assets of the window's last finance month."""
    run.selection("capital_occupation", scope)
    rows = _finance(run)
    w = _average_value(run, "capital_occupation")
    if not rows:
        return run.value("capital_occupation", scope, None, reason="no finance figures")
    return run.ratio(
        "capital_occupation",
        scope,
        w.closing_value,
        rows[-1].current_assets,
        "no current assets",
        rows=1,
        finance_month=rows[-1].month,
    )


def cash_to_cash_days(run: Run, scope: Scope) -> KpiValue:
    """DIO + DSO − DPO, with DSO and DPO from the window's last finance month."""
    rows = _finance(run)
    d = _dio_from(
        run,
        "cash_to_cash_days",
        scope,
        turnover_of(run, "cash_to_cash_days", scope, _average_value(run, "cash_to_cash_days")),
    )
    if not rows:
        return run.value("cash_to_cash_days", scope, None, reason="no finance figures")
    if d.value is None:
        return run.value("cash_to_cash_days", scope, None, reason=f"DIO not applicable: {d.reason}")
    last = rows[-1]
    return run.value(
        "cash_to_cash_days",
        scope,
        d.value + last.receivable_days - last.payable_days,
        rows=1,
        dio=d.value,
        dso=last.receivable_days,
        dpo=last.payable_days,
        finance_month=last.month,
    )
