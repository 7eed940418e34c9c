"""Stock KPIs' inputs: inventory values, outbound cost and obsolete stock over a window, per selection or profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from perfrules.engine.periods import add_months
from perfrules.storage.kpi.common import Classing, Selection, Sql, dec, where
from perfrules.storage.sqlutil import to_date
from sqlalchemy import Connection, bindparam, text


@dataclass(frozen=True)
class StockWindow:
    """Per group: inventory value at the start and end of a window and what flowed out in between."""

    opening_value: Decimal  # value of stock on hand the day before the window starts (SKUs with qty > 0)
    closing_value: Decimal  # value of stock on hand at the end of the window's last day
    out_cost: Decimal  # cost of sales and issues in the window
    out_qty: int
    receipt_cost: Decimal
    obsolete_value: Decimal  # closing value of SKUs with no outbound since ``obsolete_before``
    skus: int  # SKUs with any stock history
    skus_in_stock: int

    @property
    def average_value(self) -> Decimal:
        return (self.opening_value + self.closing_value) / 2

    def __add__(self, other: StockWindow) -> StockWindow:  # spelt out: a KPI set adds thousands of these
        return StockWindow(
            self.opening_value + other.opening_value,
            self.closing_value + other.closing_value,
            self.out_cost + other.out_cost,
            self.out_qty + other.out_qty,
            self.receipt_cost + other.receipt_cost,
            self.obsolete_value + other.obsolete_value,
            self.skus + other.skus,
            self.skus_in_stock + other.skus_in_stock,
        )


EMPTY = StockWindow(Decimal(0), Decimal(0), Decimal(0), 0, Decimal(0), Decimal(0), 0, 0)


def _buyer_of(sql: Sql, sku: str, day: date) -> str:
    """SQL: the buyer of the latest purchase order up to ``day`` of SKU column ``sku`` (NULL without one):
    one short look-up per SKU through the (sku, ordered_day, id, buyer_id) index."""
    d = sql.day("pb_day", day)
    return (
        f"(SELECT p.buyer_id FROM purchase_orders p WHERE p.sku = {sku} AND p.ordered_day <= {d} "
        "ORDER BY p.ordered_day DESC, p.id DESC LIMIT 1)"
    )


@dataclass(frozen=True)
class _Opening:
    """SQL for a window's opening state and flows: from the closing row's own opening columns when the window
    is that rollup month (one row per SKU), else from the state of the day before the window (``o``)."""

    qty: str
    value: str
    out_qty: str
    out_cost: str
    receipt_cost: str
    join: str


_OWN_ROW = _Opening("c.opening_qty", "c.opening_value", "c.out_qty", "c.out_cost", "c.receipt_cost", "")
_DAY_BEFORE = _Opening(
    "o.qty",
    "o.value",
    "c.cum_out_qty - COALESCE(o.cum_out_qty, 0)",
    "c.cum_out_cost - COALESCE(o.cum_out_cost, 0)",
    "c.cum_receipt_cost - COALESCE(o.cum_receipt_cost, 0)",
    " LEFT JOIN op o ON o.sku = c.sku",
)


def _window_sql(
    sql: Sql,
    start: date,
    end: date,
    obsolete_before: date,
    classing: Classing,
    selection: Selection,
    purchased_only: bool,
    obsolete_only: bool = False,
) -> tuple[str, str, _Opening]:
    """(FROM … WHERE clause, select list of the sums, the opening's SQL) of the SKUs of ``selection``; an
    employee's SKUs are those whose latest purchase order up to the window's end is theirs."""
    sql.state("cl", end)
    if start.day == 1 and sql.month_of_state.get("cl") == start:
        opening = _OWN_ROW
    else:
        sql.state("op", start - timedelta(days=1))
        opening = _DAY_BEFORE
    conditions = [sql.sku_condition("c.sku", selection, end, classing)]
    if selection.kind == "employee":
        conditions.append(f"{_buyer_of(sql, 'c.sku', end)} = {sql.bind('buyer', selection.key)}")
    elif purchased_only:  # stock purchasing bought: SKUs received from suppliers
        conditions.append("c.cum_receipt_qty > 0")
    obs = sql.day("obsolete_before", obsolete_before)
    if obsolete_only:
        conditions.append(f"c.qty > 0 AND COALESCE(c.last_out_day, c.first_day) <= {obs}")
    o = opening
    sums = (
        f"SUM(CASE WHEN {o.qty} > 0 THEN {o.value} ELSE 0 END), SUM(CASE WHEN c.qty > 0 THEN c.value ELSE 0 END), "
        f"SUM({o.out_cost}), SUM({o.out_qty}), SUM({o.receipt_cost}), "
        f"SUM(CASE WHEN c.qty > 0 AND COALESCE(c.last_out_day, c.first_day) <= {obs} THEN c.value ELSE 0 END), "
        "COUNT(*), SUM(CASE WHEN c.qty > 0 THEN 1 ELSE 0 END)"
    )
    return f"FROM cl c{opening.join} " + where(*conditions), sums, opening


def stock_window(
    conn: Connection,
    start: date,
    end: date,
    *,
    obsolete_before: date,
    classing: Classing = Classing(),
    selection: Selection = Selection(),
    purchased_only: bool = False,
) -> StockWindow:
    """The stock window ``[start, end]`` of the selection's SKUs."""
    sql = Sql(conn)
    body, sums, _ = _window_sql(sql, start, end, obsolete_before, classing, selection, purchased_only)
    return _window(sql.run(f"SELECT {sums} {body}").one())


@dataclass(frozen=True, order=True)
class Profile:
    """The attributes a stock profile groups by (abc and xyz are '-' in a profile without classes)."""

    category: str
    abc: str
    xyz: str
    segment: str
    purchased: bool  # received from a supplier by the window's end


def stock_profile(
    conn: Connection,
    start: date,
    end: date,
    *,
    obsolete_before: date,
    classing: Classing = Classing(),
    with_classes: bool = True,
) -> dict[Profile, StockWindow]:
    """Stock windows of every (category, ABC, XYZ, segment, purchased) group in one pass: company, category,
    class, segment and purchasing-side figures are sums of these. For a window that is one whole rollup
    month (a monthly KPI set, and a year before it) the pass reads that month's row of each SKU and nothing
    else: one contiguous range of the rollup."""
    sql = Sql(conn)
    body, sums, _ = _window_sql(sql, start, end, obsolete_before, classing, Selection(), False)
    # a state read from one rollup month carries the category; one with days after it joins ``skus``
    skus = "" if "cl" in sql.month_of_state else " JOIN skus s ON s.sku = c.sku"
    category = "c.category" if not skus else "s.category"
    joins, classes = "", "'-', '-'"
    if with_classes:
        joins, abc, xyz = sql.class_columns("c.sku", end, classing, state="cl", alias="c")
        classes = f"{abc}, {xyz}"
    body = body.replace("FROM cl c", f"FROM cl c{skus} {joins}", 1)
    keys = (
        f"{category}, {classes}, {sql.segment_expr('c', end, classing)}, "
        "CASE WHEN c.cum_receipt_qty > 0 THEN 1 ELSE 0 END"
    )
    grouped = keys if with_classes else keys.replace(f"{classes}, ", "", 1)
    rows = sql.run(f"SELECT {keys}, {sums} {body} GROUP BY {grouped}").all()
    return {Profile(r[0], r[1], r[2], r[3], bool(r[4])): _window(r[5:]) for r in rows}


def _window(r: Any) -> StockWindow:
    ov, cv, oc, oq, rc, obs, n, n_stock = r
    return StockWindow(dec(ov), dec(cv), dec(oc), int(oq or 0), dec(rc), dec(obs), int(n or 0), int(n_stock or 0))


def stock_rows(
    conn: Connection,
    start: date,
    end: date,
    *,
    obsolete_before: date,
    classing: Classing = Classing(),
    selection: Selection = Selection(),
    purchased_only: bool = False,
    limit: int = 100,
    obsolete_only: bool = False,
) -> list[dict[str, Any]]:
    """The per-SKU rows behind a stock window, largest closing value first (the drill-down)."""
    sql = Sql(conn)
    body, _, o = _window_sql(sql, start, end, obsolete_before, classing, selection, purchased_only, obsolete_only)
    seg = sql.segment_expr("c", end, classing)
    lim = sql.bind("limit", limit)
    rows = sql.run(
        f"SELECT c.sku, COALESCE({o.qty}, 0), COALESCE({o.value}, 0), c.qty, c.value, {o.out_qty}, {o.out_cost}, "
        f"c.last_sale_day, c.last_out_day, c.first_day, {seg} {body} "
        f"ORDER BY c.value DESC, c.sku LIMIT {lim}"
    ).all()
    return [
        {
            "sku": r[0],
            "opening_qty": int(r[1]),
            "opening_value": dec(r[2]),
            "closing_qty": int(r[3]),
            "closing_value": dec(r[4]),
            "out_qty": int(r[5]),
            "out_cost": dec(r[6]),
            "last_sale_day": to_date(r[7]),
            "last_out_day": to_date(r[8]),
            "first_day": to_date(r[9]),
            "segment": r[10],
        }
        for r in rows
    ]


@dataclass(frozen=True)
class SkuClass:
    """One SKU's classes on a day, with the figures they came from."""

    sku: str
    abc: str
    xyz: str
    consumption_value: Decimal  # outbound cost over the look-back
    consumption_qty: int


def sku_classes(
    conn: Connection, day: date, classing: Classing = Classing(), skus: list[str] | None = None
) -> dict[str, SkuClass]:
    """ABC and XYZ class of every SKU (or of ``skus``) on ``day``."""
    sql = Sql(conn)
    sql.classes(day, classing)
    rows = sql.run("SELECT sku, abc, xyz, class_value, class_qty FROM cls").all()
    wanted = set(skus) if skus is not None else None
    return {
        r[0]: SkuClass(r[0], r[1], r[2], dec(r[3]), int(r[4] or 0)) for r in rows if wanted is None or r[0] in wanted
    }


@dataclass(frozen=True)
class SlowMoverRow:
    """A SKU with stock on hand and no sale for more than the threshold, as of a day."""

    sku: str
    name: str
    category: str
    season: str | None
    qty: int
    value: Decimal
    last_sale_day: date | None
    first_day: date | None
    peak_share: Decimal | None  # share of look-back sales in the 3 busiest calendar months (None: no sales)
    sold_qty: int  # units sold over the seasonal look-back
    buyer: str | None = None  # buyer of the latest purchase order up to the day (None: none, or not asked)


def slow_movers(
    conn: Connection,
    day: date,
    *,
    min_days: int,
    seasonal_months: int,
    selection: Selection = Selection(),
    classing: Classing = Classing(),
    with_history: bool = True,
    with_buyer: bool = False,
) -> list[SlowMoverRow]:
    """SKUs on hand on ``day`` whose last sale (or, never sold, first movement) is more than ``min_days`` ago;
    ``with_buyer`` adds who placed each one's latest purchase order (whose list must name it)."""
    sql = Sql(conn)
    sql.state("st", day)
    cut = sql.day("cut", day - timedelta(days=min_days))
    cond = sql.sku_condition("st.sku", selection, day, classing)
    sql.cte(
        "slow",
        f"SELECT st.* FROM st WHERE st.qty > 0 AND COALESCE(st.last_sale_day, st.first_day) < {cut}"
        + (f" AND {cond}" if cond else ""),
    )
    buyer = _buyer_of(sql, "slow.sku", day) if with_buyer else "NULL"
    rows = sql.run(
        "SELECT slow.sku, s.name, s.category, s.season, slow.qty, slow.value, slow.last_sale_day, "
        f"slow.first_day, {buyer} FROM slow JOIN skus s ON s.sku = slow.sku ORDER BY slow.value DESC, slow.sku"
    ).all()
    # the month's state is read once: the sales history is then looked up for the listed SKUs by key
    peaks = (
        _peaks(conn, [r[0] for r in rows], add_months(day.replace(day=1), -seasonal_months), day)
        if with_history
        else {}
    )
    out = []
    for sku, name, cat, season, qty, value, last_sale, first, bought_by in rows:
        sold, top = peaks.get(sku, (0, 0))
        sold_qty = int(sold or 0)
        share = (dec(top) / sold_qty) if sold_qty > 0 else None
        out.append(
            SlowMoverRow(
                sku,
                name,
                cat,
                season,
                int(qty),
                dec(value),
                to_date(last_sale),
                to_date(first),
                share,
                sold_qty,
                bought_by,
            )
        )
    return out


_PEAK_CHUNK = 5000  # SKUs per statement (bind parameters)


def _peaks(conn: Connection, skus: list[str], since: date, day: date) -> dict[str, tuple[int, int]]:
    """Per SKU: units sold in the months from ``since`` to ``day`` and in its 3 busiest calendar months.

    The months with sales are read through the (sku, month, sale_qty) index, summed per calendar month and
    ranked in SQL: one row per SKU comes back."""
    sql = Sql(conn)
    lo, hi = sql.day("hist_from", since), sql.day("hist_to", day)
    moy = "EXTRACT(MONTH FROM m.month)" if sql.dialect == "postgresql" else "CAST(substr(m.month, 6, 2) AS INTEGER)"
    statement = text(
        "SELECT sku, SUM(qty), SUM(CASE WHEN place <= 3 THEN qty ELSE 0 END) FROM ("
        "SELECT sku, qty, ROW_NUMBER() OVER (PARTITION BY sku ORDER BY qty DESC) AS place FROM ("
        f"SELECT m.sku AS sku, {moy} AS moy, SUM(m.sale_qty) AS qty FROM sku_months m "
        f"WHERE m.sku IN :skus AND m.month >= {lo} AND m.month <= {hi} AND m.sale_qty > 0 GROUP BY m.sku, {moy}"
        ") by_month) ranked GROUP BY sku"
    )
    statement = statement.bindparams(bindparam("skus", expanding=True))
    peaks: dict[str, tuple[int, int]] = {}
    for i in range(0, len(skus), _PEAK_CHUNK):
        rows = conn.execute(statement, {**sql.params, "skus": skus[i : i + _PEAK_CHUNK]}).all()
        peaks.update((sku, (int(sold), int(top))) for sku, sold, top in rows)
    return peaks
