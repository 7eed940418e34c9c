"""Inputs of the flow KPIs from the other fact tables: demand, purchase orders, counts, work orders,
forecasts, finance months, submissions and disposals. Each function aggregates set-wise in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from perfrules.storage.kpi.common import Classing, Selection, Sql, dec, where
from perfrules.storage.models import Submission
from perfrules.storage.sqlutil import month_expr, seconds_between, to_date
from perfrules.storage.types import UTCDateTime
from sqlalchemy import Connection


def _scope(
    sql: Sql, sku_column: str, person_column: str | None, selection: Selection, day: date, classing: Classing
) -> str:
    """Condition restricting a fact table to the selection (SKU scopes, or the person column)."""
    if selection.kind == "employee":
        if person_column is None:
            return "1 = 0"
        return f"{person_column} = {sql.bind('person', selection.key)}"
    if selection.kind == "department":
        if person_column is None:
            return ""
        return f"{person_column} IN (SELECT id FROM employees WHERE department = {sql.bind('dept', selection.key)})"
    return sql.sku_condition(sku_column, selection, day, classing)


@dataclass(frozen=True)
class Demand:
    """Demand lines of a window and the stockouts that started in it."""

    lines: int
    requested: int
    served: int
    lines_filled: int  # lines served in full at once
    stockouts: int  # distinct (SKU, stockout start)
    stockout_seconds: Decimal  # open stockouts count up to the window's end


def demand(
    conn: Connection,
    start: date,
    end: date,
    lo: datetime,
    hi: datetime,
    *,
    selection: Selection = Selection(),
    classing: Classing = Classing(),
) -> Demand:
    """Demand lines with ``day`` in ``[start, end]``; stockouts starting in ``[lo, hi)`` (aware bounds)."""
    sql = Sql(conn)
    cond = _scope(sql, "sku", None, selection, end, classing)
    a, b = sql.day("d_from", start), sql.day("d_to", end)
    lines = sql.run(
        "SELECT COUNT(*), SUM(qty_requested), SUM(qty_served), "
        "SUM(CASE WHEN qty_served >= qty_requested THEN 1 ELSE 0 END) FROM demand_lines "
        + where(f"day >= {a} AND day <= {b}", cond)
    ).one()
    sql.params["lo"], sql.params["hi"] = _ts(sql, lo), _ts(sql, hi)
    hi_sql = "CAST(:hi AS TIMESTAMPTZ)" if sql.dialect == "postgresql" else ":hi"
    ends = (
        f"CASE WHEN MAX(stockout_end) IS NULL OR MAX(stockout_end) > {hi_sql} THEN {hi_sql} ELSE MAX(stockout_end) END"
    )
    outs = sql.run(
        f"SELECT COUNT(*), SUM(secs) FROM (SELECT sku, stockout_start, "
        f"{seconds_between(sql.dialect, ends, 'stockout_start')} AS secs FROM demand_lines "
        + where(
            f"day >= {sql.day('d_prune', start - timedelta(days=1))}",
            "stockout_start >= :lo AND stockout_start < :hi",
            cond,
        )
        + " GROUP BY sku, stockout_start) x"
    ).one()
    return Demand(
        int(lines[0] or 0), int(lines[1] or 0), int(lines[2] or 0), int(lines[3] or 0), int(outs[0] or 0), dec(outs[1])
    )


def _ts(sql: Sql, moment: datetime) -> object:
    utc = moment.astimezone(UTC)
    return utc if sql.dialect == "postgresql" else utc.strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass(frozen=True)
class Purchasing:
    """Purchase-order figures of a window."""

    due: int  # promised in the window
    on_time: int  # of those, received by the promised day
    ordered: int
    emergency: int
    inspected: int  # units inspected on orders received in the window
    passed: int
    cost: Decimal  # ordered in the window, SKUs with a year-ago price: quantity × unit cost
    baseline_cost: Decimal  # the same quantities at the year-ago average unit cost
    compared_lines: int


def purchasing(
    conn: Connection,
    start: date,
    end: date,
    year_ago: tuple[date, date],
    *,
    selection: Selection = Selection(),
    classing: Classing = Classing(),
) -> Purchasing:
    """Purchase-order figures; each part reads its window through its own day index."""
    sql = Sql(conn)
    cond = _scope(sql, "sku", "buyer_id", selection, end, classing)
    a, b = sql.day("p_from", start), sql.day("p_to", end)
    ya, yb = sql.day("y_from", year_ago[0]), sql.day("y_to", year_ago[1])

    def one(select: str, column: str) -> tuple[int, int]:
        row = sql.run(f"SELECT {select} FROM purchase_orders " + where(f"{column} >= {a} AND {column} <= {b}", cond))
        first, second = row.one()
        return int(first or 0), int(second or 0)

    due, on_time = one(
        "COUNT(*), SUM(CASE WHEN received_day IS NOT NULL AND received_day <= promised_day THEN 1 ELSE 0 END)",
        "promised_day",
    )
    ordered, emergency = one("COUNT(*), SUM(CASE WHEN emergency THEN 1 ELSE 0 END)", "ordered_day")
    inspected, passed = one("SUM(COALESCE(qty_inspected, 0)), SUM(COALESCE(qty_passed, 0))", "received_day")
    sql.cte(
        "base",
        f"SELECT sku AS base_sku, SUM(quantity * unit_cost) / SUM(quantity) AS price "
        f"FROM purchase_orders WHERE ordered_day >= {ya} AND ordered_day <= {yb} GROUP BY sku",
    )
    sql.cte(
        "cur",
        "SELECT sku AS cur_sku, SUM(quantity * unit_cost) AS cost, SUM(quantity) AS qty, COUNT(*) AS n "
        "FROM purchase_orders " + where(f"ordered_day >= {a} AND ordered_day <= {b}", cond) + " GROUP BY sku",
    )
    cost = sql.run(
        "SELECT SUM(cur.cost), SUM(cur.qty * base.price), SUM(cur.n) FROM cur JOIN base ON base.base_sku = cur.cur_sku"
    ).one()
    return Purchasing(
        due, on_time, ordered, emergency, inspected, passed, dec(cost[0]), dec(cost[1]), int(cost[2] or 0)
    )


@dataclass(frozen=True)
class Counts:
    """Cycle counts of a window: SKUs counted (latest count each) and how many matched the books."""

    counted: int
    matched: int


def counts(
    conn: Connection,
    start: date,
    end: date,
    *,
    tolerance: Decimal = Decimal(0),
    selection: Selection = Selection(),
    classing: Classing = Classing(),
) -> Counts:
    sql = Sql(conn)
    cond = _scope(sql, "sku", "counter_id", selection, end, classing)
    a, b = sql.day("c_from", start), sql.day("c_to", end)
    tol = sql.bind("tol", float(tolerance))
    sql.cte(
        "latest",
        "SELECT sku, book_qty, counted_qty, ROW_NUMBER() OVER (PARTITION BY sku ORDER BY day DESC, "
        "id DESC) AS rn FROM cycle_counts " + where(f"day >= {a} AND day <= {b}", cond),
    )
    row = sql.run(
        "SELECT COUNT(*), SUM(CASE WHEN ABS(counted_qty - book_qty) <= "
        f"{tol} * ABS(book_qty) THEN 1 ELSE 0 END) FROM latest WHERE rn = 1"
    ).one()
    return Counts(int(row[0] or 0), int(row[1] or 0))


def _component_short(dialect: str) -> str:
    """SQL: true when some component of work order ``w`` was short at the start of its day."""
    month = month_expr(dialect, "w.day")
    on_hand = (
        f"COALESCE((SELECT r.closing_qty FROM sku_months r WHERE r.sku = k.component_sku AND r.month < {month} "
        "ORDER BY r.month DESC LIMIT 1), 0) + COALESCE((SELECT SUM(mv.quantity) FROM movements mv "
        f"WHERE mv.sku = k.component_sku AND mv.day >= {month} AND mv.day < w.day), 0)"
    )
    return (
        f"EXISTS (SELECT 1 FROM kit_components k WHERE k.kit_sku = w.kit_sku AND {on_hand} < w.quantity * k.quantity)"
    )


def work_orders(
    conn: Connection, start: date, end: date, *, selection: Selection = Selection(), classing: Classing = Classing()
) -> tuple[int, int]:
    """(work orders in the window, those with every component in stock)."""
    sql = Sql(conn)
    cond = _scope(sql, "w.kit_sku", None, selection, end, classing)
    a, b = sql.day("w_from", start), sql.day("w_to", end)
    complete = (
        f"CASE WHEN w.all_components_available IS NULL THEN (CASE WHEN {_component_short(sql.dialect)} "
        "THEN 0 ELSE 1 END) WHEN w.all_components_available THEN 1 ELSE 0 END"
    )
    row = sql.run(
        f"SELECT COUNT(*), SUM({complete}) FROM work_orders w " + where(f"w.day >= {a} AND w.day <= {b}", cond)
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


def work_order_rows(conn: Connection, start: date, end: date, limit: int) -> list[dict[str, Any]]:
    sql = Sql(conn)
    a, b = sql.day("w_from", start), sql.day("w_to", end)
    rows = sql.run(
        f"SELECT w.id, w.kit_sku, w.day, w.quantity, w.all_components_available, "
        f"CASE WHEN {_component_short(sql.dialect)} THEN 0 ELSE 1 END FROM work_orders w "
        f"WHERE w.day >= {a} AND w.day <= {b} ORDER BY w.day, w.id LIMIT {sql.bind('lim', limit)}"
    ).all()
    return [
        {
            "id": r[0],
            "kit_sku": r[1],
            "day": to_date(r[2]),
            "quantity": r[3],
            "recorded_available": r[4],
            "components_in_stock": bool(r[5]),
        }
        for r in rows
    ]


@dataclass(frozen=True)
class Forecasts:
    """Forecast lines of some months against actual sales (actual_qty, else sales from the rollup)."""

    lines: int
    forecast: int
    actual: int
    abs_error: int
    lines_with_actual: int = 0
    line_accuracy: Decimal = Decimal(0)  # Σ over lines with actual > 0 of max(0, 1 − |a − f| ÷ a)


def _forecast_sql(sql: Sql, months: list[str], selection: Selection, day: date, classing: Classing) -> str:
    cond = _scope(sql, "f.sku", "f.forecaster_id", selection, day, classing)
    names = ", ".join(sql.bind(f"fm{i}", m) for i, m in enumerate(months))
    first = "CAST(f.month || '-01' AS DATE)" if sql.dialect == "postgresql" else "(f.month || '-01')"
    return f"FROM forecasts f LEFT JOIN sku_months r ON r.sku = f.sku AND r.month = {first} " + where(
        f"f.month IN ({names})", cond
    )


def forecasts(
    conn: Connection,
    months: list[str],
    day: date,
    *,
    selection: Selection = Selection(),
    classing: Classing = Classing(),
) -> Forecasts:
    if not months:
        return Forecasts(0, 0, 0, 0)
    sql = Sql(conn)
    body = _forecast_sql(sql, months, selection, day, classing)
    actual = "COALESCE(f.actual_qty, r.sale_qty, 0)"
    err = f"ABS({actual} - f.forecast_qty)"
    row = sql.run(
        f"SELECT COUNT(*), SUM(f.forecast_qty), SUM({actual}), SUM({err}), "
        f"SUM(CASE WHEN {actual} > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN {actual} > 0 THEN (CASE WHEN "
        f"{err} >= {actual} THEN 0 ELSE 1.0 - 1.0 * {err} / {actual} END) ELSE 0 END) " + body
    ).one()
    return Forecasts(*(int(v or 0) for v in row[:5]), dec(row[5]))


def forecast_rows(
    conn: Connection, months: list[str], day: date, limit: int, *, selection: Selection = Selection()
) -> list[dict[str, Any]]:
    sql = Sql(conn)
    body = _forecast_sql(sql, months, selection, day, Classing())
    actual = "COALESCE(f.actual_qty, r.sale_qty, 0)"
    rows = sql.run(
        f"SELECT f.sku, f.month, f.forecast_qty, {actual}, f.forecaster_id {body} "
        f"ORDER BY ABS({actual} - f.forecast_qty) DESC, f.sku LIMIT {sql.bind('lim', limit)}"
    ).all()
    return [
        {
            "sku": r[0],
            "month": r[1],
            "forecast_qty": r[2],
            "actual_qty": r[3],
            "abs_error": abs(r[3] - r[2]),
            "forecaster_id": r[4],
        }
        for r in rows
    ]


@dataclass(frozen=True)
class FinanceMonthRow:
    """One month of finance figures."""

    month: str
    current_assets: Decimal
    revenue: Decimal
    receivable_days: Decimal
    payable_days: Decimal
    impairment_loss: Decimal
    holding_cost: Decimal  # capital + storage + handling + risk cost


def finance(conn: Connection, months: list[str]) -> list[FinanceMonthRow]:
    """The finance rows of ``months`` that exist, oldest first."""
    if not months:
        return []
    sql = Sql(conn)
    names = ", ".join(sql.bind(f"fm{i}", m) for i, m in enumerate(months))
    rows = sql.run(
        "SELECT month, current_assets, revenue, receivable_days, payable_days, impairment_loss, "
        f"capital_cost + storage_cost + handling_cost + risk_cost FROM finance_months "
        f"WHERE month IN ({names}) ORDER BY month"
    ).all()
    return [FinanceMonthRow(r[0], *(dec(v) for v in r[1:])) for r in rows]


@dataclass(frozen=True)
class SubmissionRow:
    """A deliverable handed in."""

    id: str
    deliverable: str
    period: str
    employee_id: str
    submitted_at: datetime
    payload: dict[str, Any]


def submissions(
    conn: Connection, deliverable: str, periods: list[str], *, selection: Selection = Selection()
) -> list[SubmissionRow]:
    """Submissions of ``deliverable`` for ``periods``, oldest first, for the whole company or a person/department."""
    if not periods:
        return []
    sql = Sql(conn)
    names = ", ".join(sql.bind(f"sp{i}", p) for i, p in enumerate(periods))
    person = selection.kind in ("employee", "department")
    cond = _scope(sql, "NULL", "employee_id", selection, date.min, Classing()) if person else ""
    rows = sql.run(
        "SELECT id, deliverable, period, employee_id, submitted_at, payload FROM submissions "
        + where(f"deliverable = {sql.bind('deliv', deliverable)}", f"period IN ({names})", cond)
        + " ORDER BY submitted_at, id"
    ).all()
    json_type = Submission.__table__.c.payload.type
    decode = json_type.result_processor(conn.dialect, None)
    ts = UTCDateTime()
    out = []
    for r in rows:
        payload = r[5] if isinstance(r[5], dict) else (decode(r[5]) if decode else r[5])
        out.append(SubmissionRow(r[0], r[1], r[2], r[3], ts.process_result_value(r[4], conn.dialect), payload or {}))
    return out


def disposed(
    conn: Connection, start: date, end: date, skus: list[str] | None = None, *, selection: Selection = Selection()
) -> dict[str, int]:
    """Units disposed of (promotion, clearance, return) per SKU with ``day`` in ``[start, end]``."""
    sql = Sql(conn)
    a, b = sql.day("x_from", start), sql.day("x_to", end)
    cond = _scope(sql, "sku", "employee_id", selection, end, Classing())
    rows = sql.run(
        "SELECT sku, SUM(quantity) FROM disposals " + where(f"day >= {a} AND day <= {b}", cond) + " GROUP BY sku"
    ).all()
    wanted = set(skus) if skus is not None else None
    return {r[0]: int(r[1]) for r in rows if wanted is None or r[0] in wanted}


def fact_rows(
    conn: Connection,
    table: str,
    date_column: str,
    start: date,
    end: date,
    limit: int,
    *,
    selection: Selection = Selection(),
    person_column: str | None = None,
    sku_column: str = "sku",
) -> list[dict[str, Any]]:
    """Raw rows of a fact table in a window (the drill-down of flow KPIs)."""
    sql = Sql(conn)
    a, b = sql.day("r_from", start), sql.day("r_to", end)
    cond = _scope(sql, sku_column, person_column, selection, end, Classing())
    result = sql.run(
        f"SELECT * FROM {table} "
        + where(f"{date_column} >= {a} AND {date_column} <= {b}", cond)
        + f" ORDER BY {date_column}, id LIMIT {sql.bind('lim', limit)}"
    )
    return [dict(r._mapping) for r in result]
