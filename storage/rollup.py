"""Per-SKU monthly rollup of stock movements, kept up to date at import time.

One row per SKU and calendar month, from the SKU's first movement to the last month that has any movement
(dense: a month without movements still has a row carrying the closing state forward). Each row holds the
month's flows (receipts, sales, outbound = sales + issues), the state at the month's start (opening quantity
and value), the running state at the month's end (closing quantity and value, cumulative flows, first
movement, last sale / outbound / receipt day) and the outbound of the trailing twelve months (the ABC/XYZ
look-back), so a monthly KPI reads one row per SKU — no other month's row, no history rescanned.

Stock is valued at the SKU's standard cost (``skus.unit_cost``): ``value = quantity on hand × unit cost``, so
a SKU import that changes a cost refreshes its rows. Flows keep the cost each movement was booked at
(outbound cost = Σ quantity × movement unit cost of sales and issues).

The importer calls :func:`refresh` after loading movements, on its own connection and transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from perfrules.engine.periods import add_months
from perfrules.storage.models import Forecast, PurchaseOrder
from perfrules.storage.sqlutil import bind_day, day_order_hint, day_param, month_expr, month_start, to_date
from perfrules.storage.types import MONEY
from sqlalchemy import Connection, Index, TextClause, bindparam, text
from sqlmodel import Field, SQLModel

TRAILING_MONTHS = 12  # the months the rollup's trailing outbound sums (``out_*_12m``) cover
CHUNK = 5000  # SKUs per statement when a subset is refreshed
# PostgreSQL advisory lock key of the rollup ("sku_mont" in ASCII): concurrent imports refresh one at a time.
_PG_LOCK = 0x736B755F6D6F6E74


class SkuMonth(SQLModel, table=True):
    """The rollup row of one SKU for one month: the month's flows and the running state at its end."""

    __tablename__ = "sku_months"
    # Clustered by (month, sku) on SQLite: a KPI reads one month of every SKU as one contiguous range.
    # The (sku, month, sale_qty) index covers the sales-history look-up of the slow-mover list; the
    # (month, out_cost_12m) index hands the ABC cut a month's consumption values already sorted.
    __table_args__ = (
        Index("ix_sku_months_sku_sales", "sku", "month", "sale_qty"),
        Index("ix_sku_months_month_value", "month", "out_cost_12m"),
        {"sqlite_with_rowid": False},
    )
    month: date = Field(primary_key=True)  # first day of the month
    sku: str = Field(foreign_key="skus.sku", primary_key=True, max_length=64)
    # the SKU's category (copied from ``skus`` like the unit cost behind closing_value): a stock profile
    # groups one month's rows by it without joining ``skus``
    category: str = Field(default="", max_length=100)
    receipt_qty: int = 0
    receipt_cost: Decimal = Field(default=Decimal(0), sa_type=MONEY)
    sale_qty: int = 0  # units sold (positive)
    out_qty: int = 0  # units out to consumption: sales + issues (positive)
    out_cost: Decimal = Field(default=Decimal(0), sa_type=MONEY)
    opening_qty: int = 0  # on hand at the month's start (the previous month's closing quantity)
    opening_value: Decimal = Field(default=Decimal(0), sa_type=MONEY)  # opening quantity × today's unit cost
    closing_qty: int = 0
    closing_value: Decimal = Field(default=Decimal(0), sa_type=MONEY)
    cum_out_qty: int = 0  # outbound since the first movement, up to this month's end
    cum_out_cost: Decimal = Field(default=Decimal(0), sa_type=MONEY)
    cum_out_qty2: int = 0  # Σ of monthly out_qty², for the variability of demand (XYZ) over any months
    cum_sale_qty: int = 0
    cum_receipt_qty: int = 0
    cum_receipt_cost: Decimal = Field(default=Decimal(0), sa_type=MONEY)
    # outbound of the trailing twelve months, this one included (the classification look-back's default)
    out_qty_12m: int = 0
    out_cost_12m: Decimal = Field(default=Decimal(0), sa_type=MONEY)
    out_qty2_12m: int = 0  # Σ of monthly out_qty² over those months
    first_day: date | None = None
    last_sale_day: date | None = None
    last_out_day: date | None = None
    last_receipt_day: date | None = None


# Indexes the monthly KPI queries need on fact tables owned by storage.models: each KPI then reads one
# month's rows through an index instead of scanning the table.
FACT_INDEXES = (
    Index("ix_po_promised_day", PurchaseOrder.__table__.c.promised_day),
    Index("ix_po_received_day", PurchaseOrder.__table__.c.received_day),
    Index("ix_forecasts_month", Forecast.__table__.c.month),
)

# The month's flows of one SKU, from movements.
_AGG = """
SELECT sku, {month} AS month,
  SUM(CASE WHEN kind = 'receipt' THEN quantity ELSE 0 END) AS receipt_qty,
  SUM(CASE WHEN kind = 'receipt' THEN quantity * unit_cost ELSE 0 END) AS receipt_cost,
  SUM(CASE WHEN kind = 'sale' THEN -quantity ELSE 0 END) AS sale_qty,
  SUM(CASE WHEN kind IN ('sale', 'issue') THEN -quantity ELSE 0 END) AS out_qty,
  SUM(CASE WHEN kind IN ('sale', 'issue') THEN -quantity * unit_cost ELSE 0 END) AS out_cost,
  SUM(quantity) AS net_qty,
  MIN(day) AS first_day,
  MAX(CASE WHEN kind = 'sale' THEN day END) AS last_sale_day,
  MAX(CASE WHEN kind IN ('sale', 'issue') THEN day END) AS last_out_day,
  MAX(CASE WHEN kind = 'receipt' THEN day END) AS last_receipt_day
FROM movements {hint} WHERE day >= :since {sku_filter}
GROUP BY sku, {month}
"""

_INSERT = """
INSERT INTO sku_months (sku, month, category, receipt_qty, receipt_cost, sale_qty, out_qty, out_cost, opening_qty,
  opening_value, closing_qty, closing_value, cum_out_qty, cum_out_cost, cum_out_qty2, cum_sale_qty, cum_receipt_qty,
  cum_receipt_cost, out_qty_12m, out_cost_12m, out_qty2_12m, first_day, last_sale_day, last_out_day,
  last_receipt_day)
WITH agg AS ({agg}),
prev AS (SELECT * FROM sku_months WHERE month = :prev_month {sku_filter}),
months AS ({months}),
keys AS (SELECT sku FROM agg UNION SELECT sku FROM prev),
firsts AS (SELECT sku, MIN(month) AS first_month FROM agg GROUP BY sku),
grid AS (
  SELECT k.sku, m.month, m.back12 FROM keys k CROSS JOIN months m
  LEFT JOIN firsts f ON f.sku = k.sku
  LEFT JOIN prev p ON p.sku = k.sku
  WHERE p.sku IS NOT NULL OR m.month >= f.first_month
),
filled AS (
  SELECT g.sku, g.month, s.category,
    COALESCE(a.receipt_qty, 0) AS receipt_qty, COALESCE(a.receipt_cost, 0) AS receipt_cost,
    COALESCE(a.sale_qty, 0) AS sale_qty, COALESCE(a.out_qty, 0) AS out_qty, COALESCE(a.out_cost, 0) AS out_cost,
    COALESCE(p.closing_qty, 0) + SUM(COALESCE(a.net_qty, 0)) OVER w - COALESCE(a.net_qty, 0) AS opening_qty,
    (COALESCE(p.closing_qty, 0) + SUM(COALESCE(a.net_qty, 0)) OVER w - COALESCE(a.net_qty, 0)) * s.unit_cost
      AS opening_value,
    COALESCE(p.closing_qty, 0) + SUM(COALESCE(a.net_qty, 0)) OVER w AS closing_qty,
    (COALESCE(p.closing_qty, 0) + SUM(COALESCE(a.net_qty, 0)) OVER w) * s.unit_cost AS closing_value,
    COALESCE(p.cum_out_qty, 0) + SUM(COALESCE(a.out_qty, 0)) OVER w AS cum_out_qty,
    COALESCE(p.cum_out_cost, 0) + SUM(COALESCE(a.out_cost, 0)) OVER w AS cum_out_cost,
    COALESCE(p.cum_out_qty2, 0) + SUM(COALESCE(a.out_qty * a.out_qty, 0)) OVER w AS cum_out_qty2,
    COALESCE(p.cum_sale_qty, 0) + SUM(COALESCE(a.sale_qty, 0)) OVER w AS cum_sale_qty,
    COALESCE(p.cum_receipt_qty, 0) + SUM(COALESCE(a.receipt_qty, 0)) OVER w AS cum_receipt_qty,
    COALESCE(p.cum_receipt_cost, 0) + SUM(COALESCE(a.receipt_cost, 0)) OVER w AS cum_receipt_cost,
    SUM(COALESCE(a.out_qty, 0)) OVER w12 + {before_qty} AS out_qty_12m,
    SUM(COALESCE(a.out_cost, 0)) OVER w12 + {before_cost} AS out_cost_12m,
    SUM(COALESCE(a.out_qty * a.out_qty, 0)) OVER w12 + {before_qty2} AS out_qty2_12m,
    COALESCE(p.first_day, MIN(a.first_day) OVER w) AS first_day,
    COALESCE(MAX(a.last_sale_day) OVER w, p.last_sale_day) AS last_sale_day,
    COALESCE(MAX(a.last_out_day) OVER w, p.last_out_day) AS last_out_day,
    COALESCE(MAX(a.last_receipt_day) OVER w, p.last_receipt_day) AS last_receipt_day
  FROM grid g
  JOIN skus s ON s.sku = g.sku
  LEFT JOIN agg a ON a.sku = g.sku AND a.month = g.month
  LEFT JOIN prev p ON p.sku = g.sku {back_join}
  WINDOW w AS (PARTITION BY g.sku ORDER BY g.month ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
    w12 AS (PARTITION BY g.sku ORDER BY g.month ROWS BETWEEN {preceding} PRECEDING AND CURRENT ROW)
)
SELECT sku, month, category, receipt_qty, receipt_cost, sale_qty, out_qty, out_cost, opening_qty, opening_value,
  closing_qty, closing_value, cum_out_qty, cum_out_cost, cum_out_qty2, cum_sale_qty, cum_receipt_qty,
  cum_receipt_cost, out_qty_12m, out_cost_12m, out_qty2_12m, first_day, last_sale_day, last_out_day,
  last_receipt_day
FROM filled
"""
# The trailing twelve months of a rebuilt month M reach back before the rebuild's first month S when M − 11 < S:
# the window frame w12 then sums the rebuilt months S…M, and the months M−11…S−1 are the kept rows' cumulative
# difference (the row before S minus the row of M − 12 = ``back12``, which a SKU that started later has not got).
_BACK_JOIN = "LEFT JOIN sku_months b ON b.sku = g.sku AND b.month = g.back12"
_BEFORE = "CASE WHEN g.back12 >= {since} THEN 0 ELSE COALESCE(p.{col}, 0) - COALESCE(b.{col}, 0) END"


def _months_sql(dialect: str, months: list[date]) -> tuple[str, dict[str, object]]:
    """The rebuilt months, each with the month twelve before it (``back12``), as bind parameters."""
    params: dict[str, object] = {}
    for i, m in enumerate(months):
        params |= {f"m{i}": bind_day(dialect, m), f"b{i}": bind_day(dialect, add_months(m, -TRAILING_MONTHS))}
    cast = "CAST(:{} AS DATE)" if dialect == "postgresql" else ":{}"
    return " UNION ALL ".join(
        f"SELECT {cast.format(f'm{i}')} AS month, {cast.format(f'b{i}')} AS back12" for i in range(len(months))
    ), params


@functools.lru_cache(maxsize=256)
def _statements(dialect: str, month_count: int, subset: bool, kept_rows: bool) -> tuple[TextClause, TextClause]:
    """The DELETE and INSERT of :func:`_rebuild` (built once: parsing the long SQL costs more than running it
    for the few SKUs of an API push). ``kept_rows``: rows before the rebuilt months may exist, and the
    trailing twelve months read them."""
    sku_filter = "AND sku IN :skus" if subset else ""
    months_sql, _ = _months_sql(dialect, [date(2000, 1, 1)] * month_count)
    delete = f"DELETE FROM sku_months WHERE month >= :since {sku_filter}"
    agg = _AGG.format(
        month=month_expr(dialect, "day"), sku_filter=sku_filter, hint=day_order_hint(dialect) if not subset else ""
    )
    since = day_param(dialect, "since")
    before = {
        f"before_{name}": _BEFORE.format(col=column, since=since) if kept_rows else "0"
        for name, column in (("qty", "cum_out_qty"), ("cost", "cum_out_cost"), ("qty2", "cum_out_qty2"))
    }
    insert = _INSERT.format(
        agg=agg,
        months=months_sql,
        sku_filter=sku_filter,
        back_join=_BACK_JOIN if kept_rows else "",
        preceding=TRAILING_MONTHS - 1,
        **before,
    )
    statements = (text(delete), text(insert))
    if subset:
        statements = tuple(s.bindparams(bindparam("skus", expanding=True)) for s in statements)
    return statements


def _rebuild(conn: Connection, since: date, last: date, skus: list[str] | None, first: date) -> None:
    dialect = conn.dialect.name
    months = []
    m = since
    while m <= last:
        months.append(m)
        m = add_months(m, 1)
    _, params = _months_sql(dialect, months or [since])
    params |= {"since": bind_day(dialect, since), "prev_month": bind_day(dialect, add_months(since, -1))}
    delete, insert = _statements(dialect, len(months or [since]), skus is not None, since > first)
    if skus is not None:
        params["skus"] = skus
    conn.execute(delete, params)
    if months:
        conn.execute(insert, params)


def _chunks(items: Iterable[str]) -> Iterable[list[str]]:
    batch: list[str] = []
    for item in sorted(items):
        batch.append(item)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def last_month(conn: Connection) -> date | None:
    """The newest month in the rollup (None when it is empty)."""
    return to_date(conn.execute(text("SELECT MAX(month) FROM sku_months")).scalar())


def refresh(conn: Connection, *, skus: set[str] | None = None, since: date | None = None) -> None:
    """Rebuild the rollup rows of ``skus`` (None: every SKU) from the month of ``since`` (None: the beginning).

    Set-wise SQL on the caller's connection and transaction. When the movements reach a month the rollup
    has not got yet, every other SKU's state is carried forward to it as well, so the rollup stays dense.

    On PostgreSQL concurrent imports (e.g. API pushes) take turns here, holding a transaction-level advisory
    lock until they commit: each then rebuilds from the movements the previous ones committed, and none
    inserts a row another has just inserted. (SQLite has one writer at a time anyway.)
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
    first_movement = to_date(conn.execute(text("SELECT MIN(day) FROM movements")).scalar())
    last_movement = to_date(conn.execute(text("SELECT MAX(day) FROM movements")).scalar())
    if first_movement is None or last_movement is None:
        conn.execute(text("DELETE FROM sku_months"))
        return
    start = month_start(max(since, first_movement) if since else first_movement)
    end = month_start(last_movement)
    rolled = last_month(conn)
    if skus is not None and len(skus) * 2 > (conn.execute(text("SELECT COUNT(*) FROM skus")).scalar() or 0):
        skus = None  # most SKUs: one pass over the movements beats many index probes
    first = month_start(first_movement)
    if skus is None:
        _rebuild(conn, start, end, None, first)
        return
    if skus:
        for batch in _chunks(skus):
            _rebuild(conn, start, end, batch, first)
    if rolled is None or rolled < end:  # a new month: carry every SKU forward
        _rebuild(conn, add_months(rolled, 1) if rolled else first, end, None, first)
