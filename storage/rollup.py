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
import itertools
import re
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from perfrules.engine.periods import add_months
from perfrules.storage.models import Forecast, PurchaseOrder
from perfrules.storage.sqlutil import (
    bind_day,
    day_order_hint,
    drop_indexes,
    index_ddl,
    month_expr,
    month_start,
    take_if_empty,
    to_date,
)
from perfrules.storage.types import MONEY
from sqlalchemy import Connection, Index, bindparam, text
from sqlalchemy.schema import CreateTable
from sqlmodel import Field, SQLModel

TRAILING_MONTHS = 12  # the months the rollup's trailing outbound sums (``out_*_12m``) cover
CHUNK = 5000  # SKUs per statement when a subset is refreshed
FEW_SKUS = 1000  # up to this many SKUs (a push) are always refreshed by SKU: no count of the catalogue first
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

# The month's flows of each SKU, from movements, month by month in SKU order (the order rows are written in);
# money in ten-thousandths (exact integers: NUMERIC on PostgreSQL; on SQLite REAL sums rounded at the scale).
_AGG = """
SELECT {month} AS month, sku,
  SUM(CASE WHEN kind = 'receipt' THEN quantity ELSE 0 END) AS receipt_qty,
  CAST(ROUND(SUM(CASE WHEN kind = 'receipt' THEN quantity * unit_cost ELSE 0 END) * 10000) AS BIGINT) AS receipt_cost,
  SUM(CASE WHEN kind = 'sale' THEN -quantity ELSE 0 END) AS sale_qty,
  SUM(CASE WHEN kind IN ('sale', 'issue') THEN -quantity ELSE 0 END) AS out_qty,
  CAST(ROUND(SUM(CASE WHEN kind IN ('sale', 'issue') THEN -quantity * unit_cost ELSE 0 END) * 10000) AS BIGINT)
    AS out_cost,
  SUM(quantity) AS net_qty,
  CAST(MIN(day) AS TEXT) AS first_day,
  CAST(MAX(CASE WHEN kind = 'sale' THEN day END) AS TEXT) AS last_sale_day,
  CAST(MAX(CASE WHEN kind IN ('sale', 'issue') THEN day END) AS TEXT) AS last_out_day,
  CAST(MAX(CASE WHEN kind = 'receipt' THEN day END) AS TEXT) AS last_receipt_day
FROM movements {hint} WHERE day >= :since {sku_filter}
GROUP BY {month}, sku
ORDER BY 1, 2
"""
_FLOWS = ("receipt_qty", "receipt_cost", "sale_qty", "out_qty", "out_cost", "net_qty")
_FLOW_DAYS = ("first_day", "last_sale_day", "last_out_day", "last_receipt_day")
# the running state at a month's end that the next month starts from (money in ten-thousandths)
_STATE = ("closing_qty", "cum_out_qty", "cum_out_cost", "cum_out_qty2", "cum_sale_qty", "cum_receipt_qty",
          "cum_receipt_cost")  # fmt: skip
_TRAILING = ("cum_out_qty", "cum_out_cost", "cum_out_qty2")  # differences of these give the trailing months
_MONEY = frozenset({"receipt_cost", "out_cost", "cum_out_cost", "cum_receipt_cost", "opening_value",
                    "closing_value", "out_cost_12m"})  # fmt: skip
_COLUMNS = tuple(c.name for c in SkuMonth.__table__.columns)
SCALE = 10_000  # money is rebuilt in ten-thousandths of a unit (MONEY's scale): integer sums are exact
NO_DAY = np.iinfo(np.int64).min  # a missing day (numpy's NaT as an integer: below every day)
WRITE_ROWS = 50_000  # rollup rows per write (and agg rows per read): memory stays bounded at any size


def _scaled(values: list[Any]) -> np.ndarray:
    """Money from the driver (SQLite: float; PostgreSQL: Decimal) in ten-thousandths, exactly for Decimal."""
    if any(isinstance(v, Decimal) for v in values):
        return np.array([int((v or 0) * SCALE) for v in values], dtype=np.int64)
    return np.rint(np.array([v or 0 for v in values], dtype=np.float64) * SCALE).astype(np.int64)


def _money_text(scaled: np.ndarray) -> np.ndarray:
    """Ten-thousandths as exact decimal text (PostgreSQL's COPY reads it into NUMERIC as it is)."""
    if scaled.dtype == object:  # Python integers (beyond 64 bits)
        return np.array([f"{'-' if v < 0 else ''}{abs(v) // SCALE}.{abs(v) % SCALE:04d}" for v in scaled], dtype=object)
    size = np.abs(scaled)
    text = np.char.add(np.char.add((size // SCALE).astype(str), "."), np.char.zfill((size % SCALE).astype(str), 4))
    return np.where(scaled < 0, np.char.add("-", text), text)


def _days(values: list[Any]) -> np.ndarray:
    """Days (``YYYY-MM-DD`` text or dates; None for none) as integers, :data:`NO_DAY` for none."""
    return np.array(values, dtype="datetime64[D]").astype(np.int64)


class _Rebuild:
    """The rollup rows of a set of SKUs from one month on, computed month by month over arrays of SKUs.

    The state at the end of the month before (the kept row of each SKU that has one) is carried forward with
    each month's flows; the trailing twelve months are cumulative outbound minus that of the row twelve
    months earlier (0 before a SKU's first row), read back from the table (a kept row, or one this rebuild
    wrote). Memory holds a few numbers per SKU (about 200 bytes: the state, one month's flows, the SKU code
    as bytes, its category as a number) and one batch of rows read or written, whatever the history's length.
    """

    def __init__(self, conn: Connection, catalogue: Iterator[list[tuple]]):
        self.conn, self.dialect = conn, conn.dialect.name
        self.category_names: list[str] = []
        codes, categories, costs = [], [], []
        numbers: dict[str, int] = {}
        for batch in catalogue:  # (sku, category, unit_cost)
            codes.append(np.array([r[0].encode() for r in batch], dtype=bytes))
            categories.append(np.array([numbers.setdefault(r[1] or "", len(numbers)) for r in batch], dtype=np.int32))
            costs.append(_scaled([r[2] for r in batch]))
        self.category_names = list(numbers)
        skus = np.concatenate(codes) if codes else np.array([], dtype=bytes)
        order = np.argsort(skus, kind="stable")  # UTF-8 byte order: the order of Python's str and of SQLite
        self.skus = skus[order]
        self.categories = np.concatenate(categories)[order] if categories else np.array([], dtype=np.int32)
        self.cost = np.concatenate(costs)[order] if costs else np.array([], dtype=np.int64)
        n = len(self.skus)
        self.state = {name: np.zeros(n, dtype=np.int64) for name in _STATE}
        self.days = {name: np.full(n, NO_DAY, dtype=np.int64) for name in _FLOW_DAYS}
        self.started = np.zeros(n, dtype=bool)  # has a row in the month being built (or the one before)
        self.flows = {name: np.zeros(n, dtype=np.int64) for name in _FLOWS}  # the month's
        self.opening = np.zeros(n, dtype=np.int64)  # the month's opening quantity
        self.back = {name: np.zeros(n, dtype=np.int64) for name in _TRAILING}  # twelve months earlier

    def _positions(self, skus: list[str]) -> np.ndarray:
        """Where ``skus`` are in the (sorted) catalogue; a SKU that is not there is a bug (foreign keys)."""
        wanted = np.array([s.encode() for s in skus], dtype=bytes)
        at = np.searchsorted(self.skus, wanted)
        found = at < len(self.skus)
        found[found] = self.skus[at[found]] == wanted[found]
        if not found.all():
            raise LookupError(f"SKU {skus[int(np.argmin(found))]!r} is not in the rollup's catalogue")
        return at

    def carry(self, rows: list[tuple]) -> None:
        """Kept rows of the month before the rebuild: (sku, *_STATE, *_FLOW_DAYS)."""
        at = self._positions([r[0] for r in rows])
        for k, name in enumerate(_STATE, 1):
            values = [r[k] for r in rows]
            self.state[name][at] = _scaled(values) if name in _MONEY else np.array(values, dtype=np.int64)
        for k, name in enumerate(_FLOW_DAYS, 1 + len(_STATE)):
            self.days[name][at] = _days([r[k] for r in rows])
        self.started[at] = True

    def look_back(self, rows: list[tuple]) -> None:
        """Rows (sku, *_TRAILING) of the month twelve months before the one being built."""
        at = self._positions([r[0] for r in rows])
        for k, name in enumerate(_TRAILING, 1):
            values = [r[k] for r in rows]
            self.back[name][at] = _scaled(values) if name in _MONEY else np.array(values, dtype=np.int64)

    def begin(self) -> None:
        """A new month: no flows yet, nothing to look back on."""
        for values in (*self.flows.values(), *self.back.values()):
            values.fill(0)

    def add(self, flows: list[tuple]) -> None:
        """Some of the month's agg rows (month, sku, *_FLOWS, *_FLOW_DAYS)."""
        at = self._positions([r[1] for r in flows])
        for k, name in enumerate(_FLOWS, 2):
            self.flows[name][at] = np.array([r[k] for r in flows], dtype=np.int64)  # money in ten-thousandths
        for k, name in enumerate(_FLOW_DAYS, 2 + len(_FLOWS)):
            day = _days([r[k] for r in flows])
            kept = self.days[name][at]
            # first_day: the kept row's, else the first month's; the last days: the newest
            self.days[name][at] = np.where(kept == NO_DAY, day, kept) if name == "first_day" else np.maximum(kept, day)
        self.started[at] = True

    def close(self) -> None:
        """Carry the state through the month's flows."""
        s, month = self.state, self.flows
        self.opening[:] = s["closing_qty"]
        s["closing_qty"] += month["net_qty"]
        s["cum_out_qty"] += month["out_qty"]
        s["cum_out_cost"] += month["out_cost"]
        s["cum_out_qty2"] += month["out_qty"] * month["out_qty"]
        s["cum_sale_qty"] += month["sale_qty"]
        s["cum_receipt_qty"] += month["receipt_qty"]
        s["cum_receipt_cost"] += month["receipt_cost"]

    def _columns(self, at: np.ndarray) -> dict[str, np.ndarray]:
        """The month's columns of the SKUs at ``at`` (after :meth:`close`)."""
        out = {name: self.flows[name][at] for name in _FLOWS if name != "net_qty"}
        out |= {name: self.state[name][at] for name in _STATE}
        out["opening_qty"] = self.opening[at]
        cost = self.cost[at]
        out["opening_value"] = _times(out["opening_qty"], cost)
        out["closing_value"] = _times(out["closing_qty"], cost)
        for name, trailing in (("cum_out_qty", "out_qty_12m"), ("cum_out_cost", "out_cost_12m"),
                               ("cum_out_qty2", "out_qty2_12m")):  # fmt: skip
            out[trailing] = out[name] - self.back[name][at]
        out |= {name: days[at] for name, days in self.days.items()}
        return out

    def rows(self, month: date) -> Iterator[list[tuple]]:
        """The month's rows of the SKUs that have started, in SKU order, in batches of :data:`WRITE_ROWS`."""
        started = np.flatnonzero(self.started)
        sqlite = self.dialect == "sqlite"
        month_value = month.isoformat() if sqlite else month
        for lo in range(0, len(started), WRITE_ROWS):
            at = started[lo : lo + WRITE_ROWS]
            columns = self._columns(at)
            cells: list[list[Any]] = []
            for name in _COLUMNS:
                if name == "month":
                    cells.append([month_value] * len(at))
                elif name == "sku":
                    cells.append([code.decode() for code in self.skus[at].tolist()])
                elif name == "category":
                    cells.append([self.category_names[c] for c in self.categories[at].tolist()])
                elif name in _MONEY:
                    values = columns[name]
                    cells.append((values / SCALE).tolist() if sqlite else _money_text(values).tolist())
                elif name in _FLOW_DAYS:
                    days = columns[name]
                    text_days = days.astype("datetime64[D]").astype(str).astype(object)
                    text_days[days == NO_DAY] = None
                    cells.append(text_days.tolist())
                else:
                    cells.append(columns[name].tolist())
            yield list(zip(*cells, strict=True))


def _times(quantity: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Quantity × cost in ten-thousandths; in Python integers where 64 bits could overflow (never silently)."""
    if len(quantity) and float(np.abs(quantity).max()) * float(np.abs(cost).max()) >= 2.0**62:
        return quantity.astype(object) * cost.astype(object)
    return quantity * cost


def _months(since: date, last: date) -> list[date]:
    months = []
    m = since
    while m <= last:
        months.append(m)
        m = add_months(m, 1)
    return months


@functools.lru_cache(maxsize=64)
def _agg_sql(dialect: str, subset: int) -> str:
    """The month flows of every SKU (or of ``subset`` SKUs ``:s0``, ``:s1`` …) from ``:since`` on."""
    sku_filter = f"AND sku IN ({', '.join(f':s{i}' for i in range(subset))})" if subset else ""
    return _AGG.format(
        month=month_expr(dialect, "day"), sku_filter=sku_filter, hint=day_order_hint(dialect) if not subset else ""
    )


def _batches(conn: Connection, sql: str, params: dict[str, Any]) -> Iterator[list[tuple]]:
    """The rows of ``sql`` (``:name`` parameters) through the DBAPI cursor, as tuples in batches of
    :data:`WRITE_ROWS`: a server-side cursor on PostgreSQL (psycopg's own would fetch every row at once)."""
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        cur = raw.cursor(name=f"rollup_{next(_cursor_numbers)}")
        sql = re.sub(r":(\w+)", r"%(\1)s", sql)
    else:
        cur = raw.cursor()
    try:
        cur.execute(sql, params)
        while batch := cur.fetchmany(WRITE_ROWS):
            yield batch
    finally:
        cur.close()


_cursor_numbers = itertools.count()


def _in_skus(skus: list[str] | None) -> tuple[str, dict[str, Any]]:
    """`` AND sku IN (:s0, :s1 …)`` for a subset of SKUs (nothing for every SKU) and its parameters."""
    if skus is None:
        return "", {}
    return f" AND sku IN ({', '.join(f':s{i}' for i in range(len(skus)))})", {f"s{i}": s for i, s in enumerate(skus)}


def _flows(conn: Connection, since: date, skus: list[str] | None) -> Iterator[list[tuple]]:
    """The agg rows (month, sku, *_FLOWS, *_FLOW_DAYS) in batches of :data:`WRITE_ROWS`, in month order."""
    params: dict[str, Any] = {"since": bind_day(conn.dialect.name, since)} | _in_skus(skus)[1]
    return _batches(conn, _agg_sql(conn.dialect.name, len(skus or ())), params)


def _kept(conn: Connection, columns: tuple[str, ...], month: date, skus: list[str] | None) -> Iterator[list[tuple]]:
    """Rollup rows of ``month`` (kept, or written by this rebuild): (sku, *columns), in batches."""
    sku_filter, params = _in_skus(skus)
    sql = f"SELECT sku, {', '.join(columns)} FROM sku_months WHERE month = :month{sku_filter}"
    return _batches(conn, sql, params | {"month": bind_day(conn.dialect.name, month)})


def _rebuild(conn: Connection, since: date, last: date, skus: list[str] | None, first: date) -> None:
    """Replace the rows of ``skus`` (None: every SKU) from month ``since`` to month ``last``."""
    dialect = conn.dialect.name
    sku_filter, params = "", {"since": bind_day(dialect, since)}
    if skus is not None:
        sku_filter, params["skus"] = " AND sku IN :skus", skus
    whole = skus is None and since <= first  # every row goes: the table is rebuilt from nothing
    dropped: list[str] = []
    if whole and dialect == "sqlite":
        dropped = _empty_table(conn)
    elif whole and take_if_empty(conn, SkuMonth.__table__):  # a first rollup: built without its indexes, then them
        dropped = drop_indexes(conn, SkuMonth.__table__)
    elif whole:
        conn.execute(text("DELETE FROM sku_months"))  # not TRUNCATE: readers keep reading the rows until commit
    else:
        delete = text(f"DELETE FROM sku_months WHERE month >= :since{sku_filter}")
        conn.execute(delete.bindparams(bindparam("skus", expanding=True)) if skus is not None else delete, params)
    months = _months(since, last)
    if not months:
        return
    in_skus, sku_params = _in_skus(skus)
    catalogue = _batches(conn, f"SELECT sku, category, unit_cost FROM skus WHERE 1 = 1{in_skus}", sku_params)
    build = _Rebuild(conn, catalogue)
    for rows in _kept(conn, (*_STATE, *_FLOW_DAYS), add_months(since, -1), skus):
        build.carry(rows)
    by_month = itertools.groupby(itertools.chain.from_iterable(_flows(conn, since, skus)), key=lambda r: r[0])
    group = next(by_month, None)
    for month in months:
        build.begin()
        if group is not None and _month_key(group[0], dialect) == bind_day(dialect, month):
            while flows := list(itertools.islice(group[1], WRITE_ROWS)):
                build.add(flows)
            group = next(by_month, None)
        back = add_months(month, -TRAILING_MONTHS)
        if back >= first:  # the row twelve months earlier: kept, or written by this rebuild
            for rows in _kept(conn, _TRAILING, back, skus):
                build.look_back(rows)
        build.close()
        for batch in build.rows(month):
            _write(conn, batch)
    for ddl in dropped:
        conn.exec_driver_sql(ddl)


def _month_key(value: Any, dialect: str) -> Any:
    return value if dialect == "postgresql" else str(value)


def _empty_table(conn: Connection) -> list[str]:
    """SQLite, whole rebuild: drop and create the table without its secondary indexes (a DELETE of every row
    costs a third of the rebuild); the CREATE INDEX statements, run once the rows are in (one sort each
    instead of a random insert per row). Readers keep the last committed table until the commit."""
    table = SkuMonth.__table__
    conn.exec_driver_sql("DROP TABLE sku_months")
    conn.exec_driver_sql(str(CreateTable(table).compile(dialect=conn.dialect)))
    return [ddl for _name, ddl in index_ddl(conn, table)]


_INSERT_ROWS = f"INSERT INTO sku_months ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"


def _write(conn: Connection, rows: list[tuple]) -> None:
    cur = conn.connection.driver_connection.cursor()
    if conn.dialect.name == "postgresql":
        with cur.copy(f"COPY sku_months ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cur.executemany(_INSERT_ROWS, rows)


def _chunks(items: Iterable[str]) -> Iterable[list[str]]:
    batch: list[str] = []
    for item in sorted(items):
        batch.append(item)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _catalogue_size(conn: Connection) -> int:
    return conn.execute(text("SELECT COUNT(*) FROM skus")).scalar() or 0


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
    if skus is not None and len(skus) > FEW_SKUS and len(skus) * 2 > _catalogue_size(conn):
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
