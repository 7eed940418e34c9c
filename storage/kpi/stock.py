"""Stock KPIs' inputs: inventory values, outbound cost and obsolete stock over a window, grouped or not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, text

from storage.kpi.common import Classing, Selection, Sql, dec, where
from storage.sqlutil import add_months, to_date

GROUPS = ("category", "abc", "xyz", "segment", "classes", "sku", "buyer")


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
        return StockWindow(self.opening_value + other.opening_value, self.closing_value + other.closing_value,
                           self.out_cost + other.out_cost, self.out_qty + other.out_qty,
                           self.receipt_cost + other.receipt_cost, self.obsolete_value + other.obsolete_value,
                           self.skus + other.skus, self.skus_in_stock + other.skus_in_stock)


EMPTY = StockWindow(Decimal(0), Decimal(0), Decimal(0), 0, Decimal(0), Decimal(0), 0, 0)


def _buyers(sql: Sql, day: date) -> str:
    """CTE ``pb``: each purchased SKU with the buyer of its latest purchase order up to ``day``."""
    if not any(c.startswith("pb AS") for c in sql.ctes):
        d = sql.day("pb_day", day)
        sql.cte("pb", "SELECT sku, buyer_id FROM (SELECT sku, buyer_id, ROW_NUMBER() OVER (PARTITION BY sku "
                      f"ORDER BY ordered_day DESC, id DESC) AS rn FROM purchase_orders WHERE ordered_day <= {d}) x "
                      "WHERE rn = 1")
    return "pb"


def _window_sql(sql: Sql, start: date, end: date, obsolete_before: date, classing: Classing,
                group: str | None, selection: Selection, purchased_only: bool,
                obsolete_only: bool = False) -> tuple[str, str, str]:
    """(FROM … WHERE clause, group key expression or '', select list of the sums)."""
    sql.state("cl", end)
    sql.state("op", start - timedelta(days=1))
    joins = ["FROM cl c LEFT JOIN op o ON o.sku = c.sku"]
    key = ""
    if group == "category":
        joins.append("JOIN skus s ON s.sku = c.sku")
        key = "s.category"
    elif group in ("abc", "xyz"):
        sql.classes(end, classing)
        joins.append("LEFT JOIN cls ON cls.sku = c.sku")
        key = f"COALESCE(cls.{group}, '{'C' if group == 'abc' else 'Z'}')"
    elif group == "segment":
        key = sql.segment_expr("c", end, classing)
    elif group == "classes":  # ABC, XYZ and segment at once: "A|X|active"
        sql.classes(end, classing)
        joins.append("LEFT JOIN cls ON cls.sku = c.sku")
        key = (f"COALESCE(cls.abc, 'C') || '|' || COALESCE(cls.xyz, 'Z') || '|' || "
               f"{sql.segment_expr('c', end, classing)}")
    elif group == "sku":
        key = "c.sku"
    conditions = [sql.sku_condition("c.sku", selection, end, classing)]
    if group == "buyer" or selection.kind == "employee":
        joins.append(f"JOIN {_buyers(sql, end)} ON pb.sku = c.sku")
        key = "pb.buyer_id" if group == "buyer" else key
        if selection.kind == "employee":
            conditions.append(f"pb.buyer_id = {sql.bind('buyer', selection.key)}")
    elif purchased_only:  # stock purchasing bought: SKUs received from suppliers
        conditions.append("c.cum_receipt_qty > 0")
    obs = sql.day("obsolete_before", obsolete_before)
    if obsolete_only:
        conditions.append(f"c.qty > 0 AND COALESCE(c.last_out_day, c.first_day) <= {obs}")
    sums = (
        "SUM(CASE WHEN o.qty > 0 THEN o.value ELSE 0 END), SUM(CASE WHEN c.qty > 0 THEN c.value ELSE 0 END), "
        "SUM(c.cum_out_cost - COALESCE(o.cum_out_cost, 0)), SUM(c.cum_out_qty - COALESCE(o.cum_out_qty, 0)), "
        "SUM(c.cum_receipt_cost - COALESCE(o.cum_receipt_cost, 0)), "
        f"SUM(CASE WHEN c.qty > 0 AND COALESCE(c.last_out_day, c.first_day) <= {obs} THEN c.value ELSE 0 END), "
        "COUNT(*), SUM(CASE WHEN c.qty > 0 THEN 1 ELSE 0 END)")
    return " ".join(joins) + " " + where(*conditions), key, sums


def stock_windows(conn: Connection, start: date, end: date, *, obsolete_before: date,
                  classing: Classing = Classing(), group: str | None = None, selection: Selection = Selection(),
                  purchased_only: bool = False) -> dict[str | None, StockWindow]:
    """Stock windows ``[start, end]`` per group key (``group=None``: one window under key None)."""
    sql = Sql(conn)
    body, key, sums = _window_sql(sql, start, end, obsolete_before, classing, group, selection, purchased_only)
    if group is None:
        rows = sql.run(f"SELECT NULL, {sums} {body}").all()
    else:
        rows = sql.run(f"SELECT {key} AS k, {sums} {body} GROUP BY {key}").all()
    result = {}
    for k, ov, cv, oc, oq, rc, obs, n, n_stock in rows:
        result[k] = StockWindow(dec(ov), dec(cv), dec(oc), int(oq or 0), dec(rc), dec(obs), int(n or 0),
                                int(n_stock or 0))
    return result


@dataclass(frozen=True, order=True)
class Profile:
    """The attributes a stock profile groups by (abc and xyz are '-' in a profile without classes)."""

    category: str
    abc: str
    xyz: str
    segment: str
    purchased: bool  # received from a supplier by the window's end


def stock_profile(conn: Connection, start: date, end: date, *, obsolete_before: date,
                  classing: Classing = Classing(), with_classes: bool = True) -> dict[Profile, StockWindow]:
    """Stock windows of every (category, ABC, XYZ, segment, purchased) group in one pass over the rollup:
    company, category, class, segment and purchasing-side figures are sums of these."""
    return stock_profiles(conn, start, end, obsolete_before=obsolete_before, classing=classing,
                          with_classes=with_classes)[0]


def stock_profiles(conn: Connection, start: date, end: date, *, obsolete_before: date,
                   classing: Classing = Classing(), with_classes: bool = True,
                   year_ago: tuple[date, date, date] | None = None,
                   ) -> tuple[dict[Profile, StockWindow], dict[Profile, StockWindow] | None]:
    """:func:`stock_profile`, and with ``year_ago`` = (start, end, obsolete_before) the profile (without
    classes) of that earlier window from the same pass, when both periods' ends are whole rollup months
    (else None: read it with :func:`stock_profile`)."""
    sql = Sql(conn)
    body, _, sums = _window_sql(sql, start, end, obsolete_before, classing, None, Selection(), False)
    # a state read from one rollup month carries the category; one with days after it joins ``skus``
    skus = "" if "cl" in sql.month_of_state else " JOIN skus s ON s.sku = c.sku"
    category = "c.category" if not skus else "s.category"
    joins = ""
    if with_classes:  # read by key next to the state row: no materialised class table to join
        joins, abc, xyz = sql.class_columns("c.sku", end, classing, state="cl", alias="c")
        classes = f"{abc}, {xyz}"
    else:
        classes = ""
    body = body.replace("FROM cl c LEFT JOIN op o ON o.sku = c.sku",
                        f"FROM cl c LEFT JOIN op o ON o.sku = c.sku{skus} {joins}", 1)
    keys = (f"{category}, {classes + ', ' if classes else ''}{sql.segment_expr('c', end, classing)}, "
            "CASE WHEN c.cum_receipt_qty > 0 THEN 1 ELSE 0 END")
    shown = keys if classes else keys.replace(f"{category}, ", f"{category}, '-', '-', ", 1)
    class_before = sql._class_months(end, classing)[1] if with_classes else None
    earlier = _year_ago_sql(sql, year_ago, classing, class_before) if year_ago and not skus else None
    if earlier is None:
        rows = sql.run(f"SELECT {shown}, {sums} {body} GROUP BY {keys}").all()
        return {Profile(r[0], r[1], r[2], r[3], bool(r[4])): _window(r[5:]) for r in rows}, None
    # the year-ago windows in the same pass: their rows joined by key to the current month's (the rollup is
    # dense, so every SKU of a year ago has a row now), grouped by both key sets, then summed apart
    y_joins, y_keys, y_sums = earlier
    body = body.replace("FROM cl c LEFT JOIN op o ON o.sku = c.sku", f"FROM cl c LEFT JOIN op o ON o.sku = c.sku "
                        f"{y_joins}", 1)
    rows = sql.run(f"SELECT {shown}, {y_keys}, {sums}, {y_sums} {body} GROUP BY {keys}, {y_keys}").all()
    current: dict[Profile, StockWindow] = {}
    before: dict[Profile, StockWindow] = {}
    for r in rows:
        group = Profile(r[0], r[1], r[2], r[3], bool(r[4]))
        current[group] = current.get(group, EMPTY) + _window(r[8:16])
        if r[5]:  # the SKU had a row a year ago
            group = Profile(r[0], "-", "-", r[6], bool(r[7]))
            before[group] = before.get(group, EMPTY) + _window(r[16:24])
    return current, before


def _window(r: Any) -> StockWindow:
    ov, cv, oc, oq, rc, obs, n, n_stock = r
    return StockWindow(dec(ov), dec(cv), dec(oc), int(oq or 0), dec(rc), dec(obs), int(n or 0), int(n_stock or 0))


def _year_ago_sql(sql: Sql, window: tuple[date, date, date], classing: Classing,
                  class_before: date | None) -> tuple[str, str, str] | None:
    """(joins, group keys, sums) of the profile of ``window`` = (start, end, obsolete_before) read next to the
    current month's rows; None unless both its ends are whole rollup months. ``class_before``: the month of
    the class look-back's ``cls_o`` row the query reads already (by default the year-ago closing month)."""
    start, end, obsolete_before = window
    probe = Sql(sql.conn)
    probe._rolled = sql.rolled
    probe.state("y", end)
    probe.state("yo", start - timedelta(days=1))
    if set(probe.month_of_state) != {"y", "yo"}:
        return None
    yo = sql.day("yao_m", probe.month_of_state["yo"])
    joins = f"LEFT JOIN sku_months yo ON yo.sku = c.sku AND yo.month = {yo}"
    if probe.month_of_state["y"] == class_before:
        y = "cls_o"
    else:
        y = "y"
        month = sql.day("ya_m", probe.month_of_state["y"])
        joins += f" LEFT JOIN sku_months y ON y.sku = c.sku AND y.month = {month}"
    active = sql.day("ya_seg_active", add_months(end, -classing.active_months))
    dead = sql.day("ya_seg_dead", add_months(end, -classing.dead_months))
    seg = (f"CASE WHEN {y}.last_out_day > {active} THEN 'active' "
           f"WHEN COALESCE({y}.last_out_day, {y}.first_day) <= {dead} THEN 'dead' ELSE 'slow' END")
    keys = f"CASE WHEN {y}.sku IS NULL THEN 0 ELSE 1 END, {seg}, CASE WHEN {y}.cum_receipt_qty > 0 THEN 1 ELSE 0 END"
    obs = sql.day("ya_obsolete_before", obsolete_before)
    sums = (
        f"SUM(CASE WHEN yo.closing_qty > 0 THEN yo.closing_value ELSE 0 END), "
        f"SUM(CASE WHEN {y}.closing_qty > 0 THEN {y}.closing_value ELSE 0 END), "
        f"SUM({y}.cum_out_cost - COALESCE(yo.cum_out_cost, 0)), SUM({y}.cum_out_qty - COALESCE(yo.cum_out_qty, 0)), "
        f"SUM({y}.cum_receipt_cost - COALESCE(yo.cum_receipt_cost, 0)), "
        f"SUM(CASE WHEN {y}.closing_qty > 0 AND COALESCE({y}.last_out_day, {y}.first_day) <= {obs} "
        f"THEN {y}.closing_value ELSE 0 END), "
        f"COUNT(*), SUM(CASE WHEN {y}.closing_qty > 0 THEN 1 ELSE 0 END)")
    return joins, keys, sums


def stock_window(conn: Connection, start: date, end: date, **kw: Any) -> StockWindow:
    return stock_windows(conn, start, end, **kw).get(None, EMPTY)


def stock_rows(conn: Connection, start: date, end: date, *, obsolete_before: date, classing: Classing = Classing(),
               selection: Selection = Selection(), purchased_only: bool = False, limit: int = 100,
               obsolete_only: bool = False) -> list[dict[str, Any]]:
    """The per-SKU rows behind a stock window, largest closing value first (the drill-down)."""
    sql = Sql(conn)
    body, _, _ = _window_sql(sql, start, end, obsolete_before, classing, None, selection, purchased_only,
                             obsolete_only)
    seg = sql.segment_expr("c", end, classing)
    lim = sql.bind("limit", limit)
    rows = sql.run(
        "SELECT c.sku, COALESCE(o.qty, 0), COALESCE(o.value, 0), c.qty, c.value, "
        "c.cum_out_qty - COALESCE(o.cum_out_qty, 0), c.cum_out_cost - COALESCE(o.cum_out_cost, 0), "
        f"c.last_sale_day, c.last_out_day, c.first_day, {seg} {body} "
        f"ORDER BY c.value DESC, c.sku LIMIT {lim}").all()
    return [{"sku": r[0], "opening_qty": int(r[1]), "opening_value": dec(r[2]), "closing_qty": int(r[3]),
             "closing_value": dec(r[4]), "out_qty": int(r[5]), "out_cost": dec(r[6]),
             "last_sale_day": to_date(r[7]), "last_out_day": to_date(r[8]), "first_day": to_date(r[9]),
             "segment": r[10]} for r in rows]


@dataclass(frozen=True)
class SkuClass:
    """One SKU's classes on a day, with the figures they came from."""

    sku: str
    abc: str
    xyz: str
    consumption_value: Decimal  # outbound cost over the look-back
    consumption_qty: int


def sku_classes(conn: Connection, day: date, classing: Classing = Classing(),
                skus: list[str] | None = None) -> dict[str, SkuClass]:
    """ABC and XYZ class of every SKU (or of ``skus``) on ``day``."""
    sql = Sql(conn)
    sql.classes(day, classing)
    rows = sql.run("SELECT sku, abc, xyz, class_value, class_qty FROM cls").all()
    wanted = set(skus) if skus is not None else None
    return {r[0]: SkuClass(r[0], r[1], r[2], dec(r[3]), int(r[4] or 0)) for r in rows
            if wanted is None or r[0] in wanted}


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


def slow_movers(conn: Connection, day: date, *, min_days: int, seasonal_months: int,
                selection: Selection = Selection(), classing: Classing = Classing(),
                with_history: bool = True) -> list[SlowMoverRow]:
    """SKUs on hand on ``day`` whose last sale (or, never sold, first movement) is more than ``min_days`` ago."""
    sql = Sql(conn)
    sql.state("st", day)
    cut = sql.day("cut", day - timedelta(days=min_days))
    cond = sql.sku_condition("st.sku", selection, day, classing)
    sql.cte("slow", f"SELECT st.* FROM st WHERE st.qty > 0 AND COALESCE(st.last_sale_day, st.first_day) < {cut}"
                    + (f" AND {cond}" if cond else ""))
    rows = sql.run("SELECT slow.sku, s.name, s.category, s.season, slow.qty, slow.value, slow.last_sale_day, "
                   "slow.first_day FROM slow JOIN skus s ON s.sku = slow.sku ORDER BY slow.value DESC, slow.sku").all()
    # the month's state is read once: the sales history is then looked up for the listed SKUs by key
    peaks = _peaks(conn, [r[0] for r in rows], add_months(day.replace(day=1), -seasonal_months), day) \
        if with_history else {}
    out = []
    for sku, name, cat, season, qty, value, last_sale, first in rows:
        sold, top = peaks.get(sku, (0, 0))
        sold_qty = int(sold or 0)
        share = (dec(top) / sold_qty) if sold_qty > 0 else None
        out.append(SlowMoverRow(sku, name, cat, season, int(qty), dec(value), to_date(last_sale), to_date(first),
                                share, sold_qty))
    return out


_PEAK_CHUNK = 5000  # SKUs per statement (bind parameters)


def _peaks(conn: Connection, skus: list[str], since: date, day: date) -> dict[str, tuple[int, int]]:
    """Per SKU: units sold in the months from ``since`` to ``day`` and in its 3 busiest calendar months.

    The months' rows are read through the (sku, month, sale_qty) index and summed per calendar month here:
    cheaper than SQLite's sort for grouping by calendar month and ranking them."""
    sql = Sql(conn)
    lo, hi = sql.day("hist_from", since), sql.day("hist_to", day)
    moy = "EXTRACT(MONTH FROM m.month)" if sql.dialect == "postgresql" else "CAST(substr(m.month, 6, 2) AS INTEGER)"
    statement = text(f"SELECT m.sku, {moy}, m.sale_qty FROM sku_months m "
                     f"WHERE m.sku IN :skus AND m.month >= {lo} AND m.month <= {hi}")
    statement = statement.bindparams(bindparam("skus", expanding=True))
    months: dict[str, dict[int, int]] = {}
    for i in range(0, len(skus), _PEAK_CHUNK):
        for sku, month, qty in conn.execute(statement, {**sql.params, "skus": skus[i:i + _PEAK_CHUNK]}).all():
            by_month = months.setdefault(sku, {})
            by_month[int(month)] = by_month.get(int(month), 0) + qty
    return {sku: (sum(q.values()), sum(sorted(q.values(), reverse=True)[:3])) for sku, q in months.items()}
