"""The twelve fact kinds: their columns, natural keys, references and cross-column rules.

This table is the import interface (docs/architecture.md "Fact file formats"); ``docs/importing.md``
describes it for the people who export the files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email
from perfrules.engine.importing.columns import (
    Amount,
    Choice,
    ColumnType,
    Day,
    Flag,
    JsonObject,
    KitList,
    Month,
    PeriodLabel,
    Text,
    Timestamp,
    WholeNumber,
)
from perfrules.engine.vocabulary import DELIVERABLES, LOCALES, ROLES

MOVEMENT_KINDS = ("receipt", "sale", "issue", "customer_return", "supplier_return", "adjustment")
OUTBOUND = frozenset({"sale", "issue", "supplier_return"})  # stored with a negative quantity
DISPOSAL_ACTIONS = ("promotion", "clearance", "return")
# reference name -> (table, key column), and how a message names it
REFERENCES = {
    "skus": ("skus", "sku", "SKU"),
    "employees": ("employees", "id", "employee"),
    "departments": ("departments", "code", "department"),
}

Columns = dict[str, list[Any]]
Report = Callable[[int, str, str], None]  # (row index, column, message)


@dataclass(frozen=True)
class FactColumn:
    """One column of a fact file: its type, whether it is required, what it means, what it refers to."""

    name: str
    type: ColumnType
    required: bool
    help: str
    ref: str | None = None  # a key of REFERENCES

    @property
    def outputs(self) -> tuple[str, ...]:
        if isinstance(self.type, Timestamp) and self.type.day:
            return (self.name, "day")
        return (self.name,)


@dataclass(frozen=True)
class Kind:
    """One importable kind of fact: file columns, the table it fills and its natural key."""

    name: str
    table: str
    key: tuple[str, ...]
    fields: tuple[FactColumn, ...]
    help: str
    example: str  # a tiny CSV example for the docs
    derived: tuple[str, ...] = ()  # table columns computed by ``derive``
    check: Callable[[Columns, Report], None] | None = None
    derive: Callable[[Columns], None] | None = None
    rollup: tuple[str, str | None] | None = None  # (sku column, day column) for the rollup refresh
    # table columns dating a row (days, timestamps, period labels): the first periods its facts can change;
    # none for master data, which concerns every period
    dated: tuple[str, ...] = ()
    not_stored: tuple[str, ...] = field(default=())  # file columns kept out of the table

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def columns(self) -> tuple[str, ...]:
        """Table columns written, in order."""
        out = [o for f in self.fields if f.name not in self.not_stored for o in f.outputs]
        return (*out, *self.derived)


def _c(name: str, type_: ColumnType, help_: str, ref: str | None = None, required: bool = True) -> FactColumn:
    return FactColumn(name, type_, required, help_, ref)


def _o(name: str, type_: ColumnType, help_: str, ref: str | None = None) -> FactColumn:
    return FactColumn(name, type_, False, help_, ref)


def _rows(cols: Columns, *names: str):
    return enumerate(zip(*(cols[n] for n in names), strict=True))


# -- cross-column rules and derived values ------------------------------------------------------------
def _check_movements(cols: Columns, report: Report) -> None:
    qty = cols["quantity"]
    if all(q is not None and q > 0 for q in qty):
        return
    for i, (kind, q) in _rows(cols, "kind", "quantity"):
        if q is not None and kind is not None and kind != "adjustment" and q <= 0:
            report(i, "quantity", f"{q} must be positive for kind {kind!r} (only adjustment is signed)")


def _derive_movements(cols: Columns) -> None:
    cols["quantity"] = [-q if k in OUTBOUND else q for q, k in zip(cols["quantity"], cols["kind"], strict=True)]


def _check_employees(cols: Columns, report: Report) -> None:
    for i, (id_, manager, email, start, end) in _rows(cols, "id", "manager_id", "email", "active_from", "active_to"):
        if manager is not None and manager == id_:
            report(i, "manager_id", f"{id_!r} cannot be their own manager")
        if email is not None:
            try:
                validate_email(email, check_deliverability=False)
            except EmailNotValidError as exc:
                report(i, "email", f"{email!r} is not an e-mail address notices can go to: {exc}")
        if start is not None and end is not None and end < start:
            report(i, "active_to", f"{end} is before active_from {start}")


def _derive_employees(cols: Columns) -> None:
    cols["locale"] = [v or "zh-CN" for v in cols["locale"]]


def _check_skus(cols: Columns, report: Report) -> None:
    for i, (sku, kits) in _rows(cols, "sku", "kit_components"):
        if kits and sku in {p.rpartition("*")[0] for p in kits.split("|")}:
            report(i, "kit_components", f"kit {sku!r} cannot contain itself")


def _derive_skus(cols: Columns) -> None:
    cols["is_kit"] = [v is not None for v in cols["kit_components"]]


def _check_demand(cols: Columns, report: Report) -> None:
    names = ("qty_requested", "qty_served", "stockout_start", "stockout_end")
    for i, (asked, served, start, end) in _rows(cols, *names):
        if asked is not None and served is not None and served > asked:
            report(i, "qty_served", f"{served} is more than qty_requested {asked}")
        if end is not None and start is None:
            report(i, "stockout_start", "required when stockout_end is given")
        elif start is not None and end is not None and end < start:
            report(i, "stockout_end", "is before stockout_start")


def _check_purchase_orders(cols: Columns, report: Report) -> None:
    names = ("ordered_day", "promised_day", "received_day", "qty_inspected", "qty_passed")
    for i, (ordered, promised, received, inspected, passed) in _rows(cols, *names):
        if ordered is not None and promised is not None and promised < ordered:
            report(i, "promised_day", f"{promised} is before ordered_day {ordered}")
        if ordered is not None and received is not None and received < ordered:
            report(i, "received_day", f"{received} is before ordered_day {ordered}")
        if passed is not None and (inspected is None or passed > inspected):
            report(i, "qty_passed", f"{passed} is more than qty_inspected {inspected or 0}")


def _derive_purchase_orders(cols: Columns) -> None:
    cols["emergency"] = [bool(v) for v in cols["emergency"]]


_PAYLOAD_ITEMS = {
    "slow_mover_list": ("class", ("seasonal", "structural")),
    "disposal_tracking": ("status", ("promotion", "clearance", "return", "pending")),
}


def _payload_problem(deliverable: str, payload: dict[str, Any]) -> str | None:
    if deliverable == "capital_report":
        flag = payload.get("impairment_accounted")
        return None if flag is None or isinstance(flag, bool) else "impairment_accounted: expected true or false"
    if deliverable not in _PAYLOAD_ITEMS:
        return None
    name, options = _PAYLOAD_ITEMS[deliverable]
    items = payload.get("items")
    if not isinstance(items, list):
        return f"items: a {deliverable} needs a list of items"
    for n, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("sku"), str):
            return f"items[{n}]: expected an object with a sku"
        if item.get(name) not in options:
            return f"items[{n}].{name}: {item.get(name)!r} is not one of {', '.join(options)}"
    return None


def _check_submissions(cols: Columns, report: Report) -> None:
    for i, (deliverable, payload) in _rows(cols, "deliverable", "payload"):
        if deliverable is not None and payload is not None:
            problem = _payload_problem(deliverable, json.loads(payload))
            if problem:
                report(i, "payload", problem)


def _derive_submissions(cols: Columns) -> None:
    cols["payload"] = [v or "{}" for v in cols["payload"]]


# -- the kinds ----------------------------------------------------------------------------------------
ID = _c("id", Text(64), "the source system's id (natural key)")
SKU = _c("sku", Text(64), "SKU code; must be on file (import `skus` first)", "skus")

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "departments",
            "departments",
            ("code",),
            (
                _c("code", Text(32), "department code, e.g. `purchasing`"),
                _c("name_en", Text(100), "English name"),
                _c("name_zh", Text(100), "Chinese name"),
            ),
            "The departments employees belong to.",
            "code,name_en,name_zh\npurchasing,Purchasing,采购\n",
        ),
        Kind(
            "employees",
            "employees",
            ("id",),
            (
                _c("id", Text(32), "employee id (natural key)"),
                _c("name_en", Text(200), "name in Latin letters"),
                _c("name_zh", Text(200), "name in Chinese"),
                _c("department", Text(32), "department code; must be on file", "departments"),
                _c("role", Choice(ROLES), "role"),
                _o("manager_id", Text(32), "the manager's employee id (on file or in the same import)", "employees"),
                _c("email", Text(320), "e-mail address for notices"),
                _o("locale", Choice(LOCALES), "language of notices (default zh-CN)"),
                _c("bonus_base", Amount(), "quarterly bonus base 季度奖金基数, CNY"),
                _c("active_from", Day(), "first day of employment"),
                _o("active_to", Day(), "last day of employment (empty while employed)"),
            ),
            "People who are measured.",
            "id,name_en,name_zh,department,role,manager_id,email,locale,bonus_base,active_from,active_to\n"
            "E001,Li Na,李娜,purchasing,purchaser,E002,li.na@example.com,zh-CN,12000.00,2024-01-01,\n",
            check=_check_employees,
            derive=_derive_employees,
        ),
        Kind(
            "skus",
            "skus",
            ("sku",),
            (
                _c("sku", Text(64), "SKU code (natural key)"),
                _c("name", Text(300), "product name"),
                _c("category", Text(100), "category"),
                _c("unit_cost", Amount(), "standard unit cost, CNY"),
                _c("price", Amount(), "selling price, CNY"),
                _o("supplier", Text(200), "supplier"),
                _o("season", Text(32), "season (e.g. summer); empty = all year"),
                _o(
                    "kit_components",
                    KitList(),
                    "bill of materials of a kit; components on file or in the same import",
                    "skus",
                ),
            ),
            "Stock-keeping units.",
            "sku,name,category,unit_cost,price,supplier,season,kit_components\n"
            "S1,Bowl,ceramic,12.50,30.00,Jingdezhen Co,,\n",
            derived=("is_kit",),
            check=_check_skus,
            derive=_derive_skus,
            rollup=("sku", None),
            not_stored=("kit_components",),
        ),
        Kind(
            "movements",
            "movements",
            ("id",),
            (
                ID,
                SKU,
                _c("kind", Choice(MOVEMENT_KINDS), "movement kind"),
                _c("moved_at", Timestamp(day=True), "when; the local date becomes the movement's day"),
                _c("quantity", WholeNumber(), "units, positive; signed only for adjustment"),
                _c("unit_cost", Amount(), "cost per unit booked, CNY"),
                _o("ref", Text(100), "source document reference"),
            ),
            "Stock movements (stored signed: receipts +, sales −).",
            "id,sku,kind,moved_at,quantity,unit_cost,ref\nM1,S1,receipt,2026-09-01T08:30:00,100,12.50,PO-1\n",
            check=_check_movements,
            derive=_derive_movements,
            rollup=("sku", "day"),
            dated=("day",),
        ),
        Kind(
            "demand",
            "demand_lines",
            ("id",),
            (
                ID,
                SKU,
                _c("requested_at", Timestamp(day=True), "when the demand arrived"),
                _c("qty_requested", WholeNumber(0), "units asked for"),
                _c("qty_served", WholeNumber(0), "units served at once from stock"),
                _o("stockout_start", Timestamp(), "start of the stockout it hit"),
                _o("stockout_end", Timestamp(), "end of that stockout"),
            ),
            "Demand lines (fill rate, stockouts).",
            "id,sku,requested_at,qty_requested,qty_served,stockout_start,stockout_end\n"
            "D1,S1,2026-09-02T10:00:00,10,8,2026-09-02T10:00:00,2026-09-04T09:00:00\n",
            check=_check_demand,
            dated=("day", "stockout_start"),
        ),
        Kind(
            "purchase-orders",
            "purchase_orders",
            ("id",),
            (
                ID,
                SKU,
                _o("supplier", Text(200), "supplier"),
                _o("buyer_id", Text(32), "purchaser's employee id", "employees"),
                _c("ordered_day", Day(), "order date"),
                _c("promised_day", Day(), "promised delivery date"),
                _o("received_day", Day(), "actual delivery date"),
                _c("quantity", WholeNumber(1), "units ordered"),
                _c("unit_cost", Amount(), "price per unit, CNY"),
                _o("emergency", Flag(), "emergency order (default false)"),
                _o("qty_inspected", WholeNumber(0), "units inspected"),
                _o("qty_passed", WholeNumber(0), "units that passed inspection"),
            ),
            "Purchase order lines (on-time rate, quality, emergency orders).",
            "id,sku,supplier,buyer_id,ordered_day,promised_day,received_day,quantity,unit_cost,emergency,"
            "qty_inspected,qty_passed\nPO1,S1,Jingdezhen "
            "Co,E001,2026-08-20,2026-09-01,2026-09-01,100,12.50,no,100,99\n",
            check=_check_purchase_orders,
            derive=_derive_purchase_orders,
            dated=("ordered_day", "promised_day", "received_day"),
        ),
        Kind(
            "cycle-counts",
            "cycle_counts",
            ("id",),
            (
                ID,
                SKU,
                _c("day", Day(), "day of the count"),
                _c("book_qty", WholeNumber(), "quantity in the books"),
                _c("counted_qty", WholeNumber(0), "quantity counted"),
                _o("counter_id", Text(32), "employee who counted", "employees"),
            ),
            "Stock counts (inventory accuracy).",
            "id,sku,day,book_qty,counted_qty,counter_id\nC1,S1,2026-09-30,92,92,E003\n",
            dated=("day",),
        ),
        Kind(
            "work-orders",
            "work_orders",
            ("id",),
            (
                ID,
                _c("kit_sku", Text(64), "the kit SKU built", "skus"),
                _c("day", Day(), "day of the work order"),
                _c("quantity", WholeNumber(1), "kits to build"),
                _o("all_components_available", Flag(), "as the ERP recorded it; empty = computed from stock"),
            ),
            "Kit work orders (kit completeness).",
            "id,kit_sku,day,quantity,all_components_available\nW1,K1,2026-09-03,5,yes\n",
            dated=("day",),
        ),
        Kind(
            "forecasts",
            "forecasts",
            ("sku", "month"),
            (
                SKU,
                _c("month", Month(), "forecast month"),
                _c("forecast_qty", WholeNumber(0), "units forecast"),
                _o("actual_qty", WholeNumber(0), "actual units (empty = taken from sale movements)"),
                _o("forecaster_id", Text(32), "employee who forecast", "employees"),
            ),
            "Monthly sales forecasts (forecast accuracy).",
            "sku,month,forecast_qty,actual_qty,forecaster_id\nS1,2026-09,120,,E004\n",
            dated=("month",),
        ),
        Kind(
            "finance",
            "finance_months",
            ("month",),
            (
                _c("month", Month(), "month"),
                _c("current_assets", Amount(), "current assets at month end, CNY"),
                _c("revenue", Amount(), "revenue of the month, CNY"),
                _c("receivable_days", Amount(), "days sales outstanding (DSO)"),
                _c("payable_days", Amount(), "days payables outstanding (DPO)"),
                _c(
                    "impairment_loss",
                    Amount(negative=True),
                    "slow-mover impairment booked in the month (may be negative)",
                ),
                _c("capital_cost", Amount(), "capital cost of stock, CNY"),
                _c("storage_cost", Amount(), "storage cost, CNY"),
                _c("handling_cost", Amount(), "handling cost, CNY"),
                _c("risk_cost", Amount(), "risk cost (shrinkage, obsolescence), CNY"),
            ),
            "Monthly ledger figures.",
            "month,current_assets,revenue,receivable_days,payable_days,impairment_loss,capital_cost,storage_cost,"
            'handling_cost,risk_cost\n2026-09,"8,000,000.00","700,000.00",45,60,2000,5000,3000,1500,800\n',
            dated=("month",),
        ),
        Kind(
            "submissions",
            "submissions",
            ("id",),
            (
                ID,
                _c("deliverable", Choice(DELIVERABLES), "what was handed in"),
                _c("period", PeriodLabel(), "the period it covers"),
                _c("employee_id", Text(32), "who handed it in", "employees"),
                _c("submitted_at", Timestamp(), "when"),
                _o("note", Text(), "free text, e.g. the reason for a late list"),
                _o("payload", JsonObject(), "JSON object (see below)"),
            ),
            "Deliverables handed in.",
            "id,deliverable,period,employee_id,submitted_at,note,payload\n"
            'SUB1,capital_report,2026-08,E005,2026-09-09T17:00:00,,"{""impairment_accounted"": true}"\n',
            check=_check_submissions,
            derive=_derive_submissions,
            dated=("period",),
        ),
        Kind(
            "disposals",
            "disposals",
            ("id",),
            (
                ID,
                SKU,
                _c("action", Choice(DISPOSAL_ACTIONS), "promotion 促销, clearance 清仓 or return 退货"),
                _c("quantity", WholeNumber(1), "units disposed of"),
                _c("day", Day(), "day of the action"),
                _o("employee_id", Text(32), "who did it", "employees"),
                _o("list_period", Month(), "the slow-mover list (month) it works off"),
                _o("recovered_value", Amount(), "money recovered, CNY"),
            ),
            "Disposal actions on slow movers.",
            "id,sku,action,quantity,day,employee_id,list_period,recovered_value\nX1,S1,clearance,20,2026-09-15,E006,"
            "2026-08,180.00\n",
            dated=("day",),
        ),
    )
}
