"""Building blocks shared by the KPI queries: the per-SKU stock state on a day, ABC/XYZ classes, SKU scopes.

The stock state on a day ``D`` is read from the rollup (:mod:`perfrules.storage.rollup`): the row of the last complete
month on or before ``D``, plus the movements of the days after it up to ``D`` when ``D`` is not a month end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from perfrules.engine.periods import add_months
from perfrules.storage.rollup import TRAILING_MONTHS
from perfrules.storage.sqlutil import bind_day, day_order_hint, day_param, month_end, month_start, to_date
from sqlalchemy import Connection, text

_STATE_COLUMNS = ("qty", "value", "cum_out_qty", "cum_out_cost", "cum_sale_qty", "cum_receipt_qty", "cum_receipt_cost")
# columns a state read from one rollup month alone has besides the state itself
_MONTH_ROW_COLUMNS = (
    "cum_out_qty2, category, opening_qty, opening_value, out_qty, out_cost, receipt_qty, "
    "receipt_cost, out_qty_12m, out_cost_12m, out_qty2_12m"
)
_DAY_COLUMNS = (("first_day", "MIN"), ("last_sale_day", "MAX"), ("last_out_day", "MAX"), ("last_receipt_day", "MAX"))


@dataclass(frozen=True)
class Classing:
    """How SKUs are put into ABC, XYZ and active/slow/dead segments (the engine's parameters, as numbers)."""

    abc_a: Decimal = Decimal("0.80")
    abc_b: Decimal = Decimal("0.95")
    xyz_x: Decimal = Decimal("0.5")
    xyz_y: Decimal = Decimal("1.0")
    months: int = 12  # classification look-back
    active_months: int = 3
    dead_months: int = 12


@dataclass(frozen=True)
class Selection:
    """Which SKUs (or which person's facts) a query covers.

    ``kind``: ``all``, ``category``, ``abc``, ``xyz``, ``segment``, ``sku``, ``employee``, ``department``.
    """

    kind: str = "all"
    key: str | None = None


ALL = Selection()


_MONEY_STEP = Decimal("0.0001")


def dec(value: object) -> Decimal:
    """A driver number as an exact Decimal (SQLite sums come back as float)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, float):  # SQLite REAL sums: back to the 4 decimals money is stored with
        return Decimal(repr(value)).quantize(_MONEY_STEP)
    return Decimal(value)  # type: ignore[arg-type]


class Sql:
    """A query under construction: CTEs, and bind parameters with unique names."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.dialect = conn.dialect.name
        self.ctes: list[str] = []
        self.params: dict[str, object] = {}
        self._rolled: date | bool | None = False
        self.month_of_state: dict[str, date] = {}  # state CTEs read from one rollup month alone

    def day(self, name: str, value: date) -> str:
        self.params[name] = bind_day(self.dialect, value)
        return day_param(self.dialect, name)

    def bind(self, name: str, value: object) -> str:
        self.params[name] = value
        return f":{name}"

    def cte(self, name: str, body: str) -> str:
        self.ctes.append(f"{name} AS ({body})")
        return name

    def run(self, select: str):
        with_sql = ("WITH " + ",\n".join(self.ctes) + "\n") if self.ctes else ""
        return self.conn.execute(text(with_sql + select), self.params)

    @property
    def rolled(self) -> date | None:
        if self._rolled is False:
            self._rolled = to_date(self.conn.execute(text("SELECT MAX(month) FROM sku_months")).scalar())
        return self._rolled  # type: ignore[return-value]

    def state(self, name: str, day: date) -> str:
        """Add CTE ``name``: per SKU, quantity, value, cumulative flows and key days at the end of ``day``."""
        complete = month_start(day) if day == month_end(day) else add_months(month_start(day), -1)
        base_month = min(complete, self.rolled) if self.rolled else None
        parts = []
        if base_month is not None:
            m = self.day(f"{name}_m", base_month)
            parts.append(
                "SELECT sku, closing_qty AS qty, closing_value AS value, cum_out_qty, cum_out_cost, cum_sale_qty, "
                "cum_receipt_qty, cum_receipt_cost, first_day, last_sale_day, last_out_day, last_receipt_day "
                f"FROM sku_months WHERE month = {m}"
            )
        partial_from = add_months(base_month, 1) if base_month else None
        if partial_from is None or partial_from <= day:
            low = f"day >= {self.day(f'{name}_from', partial_from)} AND " if partial_from else ""
            parts.append(
                "SELECT sku, SUM(quantity) AS qty, SUM(quantity) * MAX((SELECT unit_cost FROM skus "
                "WHERE skus.sku = movements.sku)) AS value, "
                "SUM(CASE WHEN kind IN ('sale', 'issue') THEN -quantity ELSE 0 END) AS cum_out_qty, "
                "SUM(CASE WHEN kind IN ('sale', 'issue') THEN -quantity * unit_cost ELSE 0 END) AS cum_out_cost, "
                "SUM(CASE WHEN kind = 'sale' THEN -quantity ELSE 0 END) AS cum_sale_qty, "
                "SUM(CASE WHEN kind = 'receipt' THEN quantity ELSE 0 END) AS cum_receipt_qty, "
                "SUM(CASE WHEN kind = 'receipt' THEN quantity * unit_cost ELSE 0 END) AS cum_receipt_cost, "
                "MIN(day) AS first_day, MAX(CASE WHEN kind = 'sale' THEN day END) AS last_sale_day, "
                "MAX(CASE WHEN kind IN ('sale', 'issue') THEN day END) AS last_out_day, "
                "MAX(CASE WHEN kind = 'receipt' THEN day END) AS last_receipt_day "
                f"FROM movements {day_order_hint(self.dialect)} WHERE {low}day <= {self.day(f'{name}_to', day)} "
                "GROUP BY sku"
            )
        if len(parts) == 1:
            if base_month is not None:  # the rollup month alone: its row also carries the month's flows, the
                self.month_of_state[name] = base_month  # opening state, the look-back sums and the category
                parts[0] = parts[0].replace(" FROM sku_months", f", {_MONTH_ROW_COLUMNS} FROM sku_months", 1)
            return self.cte(name, parts[0])
        sums = ", ".join(f"SUM({c}) AS {c}" for c in _STATE_COLUMNS)
        days = ", ".join(f"{agg}({c}) AS {c}" for c, agg in _DAY_COLUMNS)
        return self.cte(name, f"SELECT sku, {sums}, {days} FROM ({parts[0]} UNION ALL {parts[1]}) u GROUP BY sku")

    def _class_months(self, day: date, classing: Classing) -> tuple[date, date]:
        """(last month of the classification look-back, the month before it starts): its flows are the
        differences of the cumulative columns of these two rollup rows."""
        last = min(month_start(day), self.rolled) if self.rolled else month_start(day)
        return last, add_months(last, -classing.months)

    def _class_cuts(self, day: date, classing: Classing) -> tuple[str, str, str, str, str]:
        """Bind the ABC cut values, XYZ limits and look-back length; their SQL parameters."""
        last, before = self._class_months(day, classing)
        cut_a, cut_b = _abc_cuts(self.conn, last, before, classing)
        return (
            self.bind("abc_va", cut_a),
            self.bind("abc_vb", cut_b),
            self.bind("xyz_x2", float(classing.xyz_x**2)),
            self.bind("xyz_y2", float(classing.xyz_y**2)),
            self.bind("cls_n", classing.months),
        )

    def classes(self, day: date, classing: Classing) -> str:
        """Add CTE ``cls``: per SKU its ABC class (consumption value share) and XYZ class (demand CV)."""
        if any(c.startswith("cls AS") for c in self.ctes):
            return "cls"
        last, before = self._class_months(day, classing)
        self.cte("cls_base", _class_base(self, last, before, classing))
        a, b, x2, y2, n = self._class_cuts(day, classing)
        abc, xyz = _class_case("b.v", "b.q", "b.q2", a, b, x2, y2, n)
        return self.cte(
            "cls",
            (
                f"SELECT s.sku, COALESCE(b.v, 0) AS class_value, COALESCE(b.q, 0) AS class_qty, {abc} AS abc, "
                f"{xyz} AS xyz FROM skus s LEFT JOIN cls_base b ON b.sku = s.sku"
            ),
        )

    def class_columns(
        self, sku: str, day: date, classing: Classing, *, state: str | None = None, alias: str | None = None
    ) -> tuple[str, str, str]:
        """(joins, ABC SQL, XYZ SQL): the classes of SKU column ``sku`` read from the rollup row of the
        look-back's last month, for a query over many SKUs. Same classes as the ``cls`` CTE, without
        materialising it. ``state``: a state CTE the query reads as ``alias``; when it was read from the
        look-back's last month, its row is used instead of a look-up by key. A look-back other than the
        rollup's trailing twelve months also reads the row of the month before it starts."""
        last, before = self._class_months(day, classing)
        a, b, x2, y2, n = self._class_cuts(day, classing)
        joins = ""
        if state is not None and self.month_of_state.get(state) == last:
            c = alias or state
        else:
            joins = f"LEFT JOIN sku_months cls_c ON cls_c.sku = {sku} AND cls_c.month = {self.day('cls_to', last)}"
            c = "cls_c"
        if classing.months == TRAILING_MONTHS:
            v, q, q2 = f"{c}.out_cost_12m", f"{c}.out_qty_12m", f"{c}.out_qty2_12m"
        else:
            joins += (
                f" LEFT JOIN sku_months cls_o ON cls_o.sku = {sku} AND cls_o.month = {self.day('cls_before', before)}"
            )
            v = f"({c}.cum_out_cost - COALESCE(cls_o.cum_out_cost, 0))"
            q = f"({c}.cum_out_qty - COALESCE(cls_o.cum_out_qty, 0))"
            q2 = f"({c}.cum_out_qty2 - COALESCE(cls_o.cum_out_qty2, 0))"
        abc, xyz = _class_case(v, q, q2, a, b, x2, y2, n)
        return joins, abc, xyz

    def segment_expr(self, state: str, day: date, classing: Classing) -> str:
        """SQL naming a SKU's segment on ``day``: active (outbound within N months), dead, or slow."""
        active = self.day("seg_active", add_months(day, -classing.active_months))
        dead = self.day("seg_dead", add_months(day, -classing.dead_months))
        return (
            f"CASE WHEN {state}.last_out_day > {active} THEN 'active' "
            f"WHEN COALESCE({state}.last_out_day, {state}.first_day) <= {dead} THEN 'dead' ELSE 'slow' END"
        )

    def sku_condition(self, column: str, selection: Selection, day: date, classing: Classing) -> str:
        """A condition restricting ``column`` (a SKU column) to the selection; '' for all SKUs."""
        key = self.bind("sel_key", selection.key)
        match selection.kind:
            case "all" | "employee" | "department":
                return ""
            case "sku":
                return f"{column} = {key}"
            case "category":
                return f"{column} IN (SELECT sku FROM skus WHERE category = {key})"
            case "abc" | "xyz":
                self.classes(day, classing)
                return f"{column} IN (SELECT sku FROM cls WHERE {selection.kind} = {key})"
            case "segment":
                if not any(c.startswith("seg_state AS") for c in self.ctes):
                    self.state("seg_state", day)
                seg = self.segment_expr("seg_state", day, classing)
                return f"{column} IN (SELECT sku FROM seg_state WHERE {seg} = {key})"
        raise ValueError(f"unknown selection kind {selection.kind!r}")


def _class_base(sql: Sql, last: date, before: date, classing: Classing) -> str:
    """SQL of (sku, v, q, q2): each SKU's outbound cost, quantity and Σ monthly quantity² over the look-back
    ending with month ``last`` — the rollup's trailing twelve months, or for another look-back the cumulative
    columns at ``last`` minus those of month ``before``, the month before it starts."""
    hi = sql.day("cls_to", last)
    if classing.months == TRAILING_MONTHS:
        return f"SELECT sku, out_cost_12m AS v, out_qty_12m AS q, out_qty2_12m AS q2 FROM sku_months WHERE month = {hi}"
    return (
        "SELECT c.sku, c.cum_out_cost - COALESCE(o.cum_out_cost, 0) AS v, "
        "c.cum_out_qty - COALESCE(o.cum_out_qty, 0) AS q, c.cum_out_qty2 - COALESCE(o.cum_out_qty2, 0) AS q2 "
        f"FROM sku_months c LEFT JOIN sku_months o ON o.sku = c.sku AND o.month = {sql.day('cls_before', before)} "
        f"WHERE c.month = {hi}"
    )


def _class_case(v: str, q: str, q2: str, a: str, b: str, x2: str, y2: str, n: str) -> tuple[str, str]:
    """SQL of the ABC class from consumption value ``v`` and of the XYZ class from the look-back's outbound
    quantity ``q`` and Σ monthly quantity² ``q2`` (CV² = (n·q2 − q²) ÷ q²)."""
    cv2 = f"({n} * {q2} - {q} * {q})"
    return (
        f"CASE WHEN {v} > 0 AND {v} >= {a} THEN 'A' WHEN {v} > 0 AND {v} >= {b} THEN 'B' ELSE 'C' END",
        f"CASE WHEN {q} IS NULL OR {q} <= 0 THEN 'Z' WHEN {cv2} <= {x2} * {q} * {q} THEN 'X' "
        f"WHEN {cv2} <= {y2} * {q} * {q} THEN 'Y' ELSE 'Z' END",
    )


def _abc_cuts(conn: Connection, last: date, before: date, classing: Classing) -> tuple[float, float]:
    """The consumption values at which A and B end: walking down the values, a SKU is A while the sum of
    the values before it is under ``abc_a`` of the total (B: ``abc_b``). SKUs tied with the last A (B) SKU's
    value share its class. Summed in SQL, two numbers come back; with the rollup's trailing twelve months
    the (month, out_cost_12m) index hands the values over already sorted."""
    sql = Sql(conn)
    if classing.months == TRAILING_MONTHS:
        v, source = "out_cost_12m", f"FROM sku_months WHERE month = {sql.day('cls_to', last)} AND out_cost_12m > 0"
    else:
        v, source = "v", f"FROM ({_class_base(sql, last, before, classing)}) b WHERE v > 0"
    a, b = sql.bind("share_a", float(classing.abc_a)), sql.bind("share_b", float(classing.abc_b))
    row = sql.run(
        f"SELECT MIN(CASE WHEN before_it < {a} * total THEN v END), MIN(CASE WHEN before_it < {b} * total THEN v END) "
        f"FROM (SELECT {v} AS v, COALESCE(SUM({v}) OVER (ORDER BY {v} DESC ROWS BETWEEN UNBOUNDED PRECEDING AND "
        f"1 PRECEDING), 0) AS before_it, (SELECT SUM({v}) {source}) AS total {source}) r"
    ).one()
    return tuple(float("inf") if cut is None else float(cut) for cut in row)  # type: ignore[return-value]


def where(*conditions: str) -> str:
    kept = [c for c in conditions if c]
    return ("WHERE " + " AND ".join(kept)) if kept else ""
