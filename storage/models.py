"""Fact tables: the organisation, the stock facts imported from ERP/WMS/finance, and import bookkeeping.

Every fact has a natural key from its source system (``id`` or a composite key), so a re-import updates in
place and records what changed in :class:`FactChange`. Times are aware UTC (:class:`UTCDateTime`);
``day`` columns hold the local calendar date in the company zone, fixed at import time, because every
period calculation is by local date. Money is ``MONEY`` (NUMERIC 18,4).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from perfrules.storage.types import MONEY, UTCDateTime
from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

MOVEMENT_KINDS = ("receipt", "sale", "issue", "customer_return", "supplier_return", "adjustment")
DISPOSAL_ACTIONS = ("promotion", "clearance", "return")


def _money(nullable: bool = False, **kw: Any) -> Any:
    return Field(sa_type=MONEY, nullable=nullable, **kw)


def _utc(nullable: bool = False, **kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, nullable=nullable, **kw)


class Department(SQLModel, table=True):
    """A department (采购 purchasing, 财务 finance, 运营 operations, 计划 planning, 仓储 warehouse, 人事 HR)."""

    __tablename__ = "departments"
    code: str = Field(primary_key=True, max_length=32)
    name_en: str = Field(max_length=100)
    name_zh: str = Field(max_length=100)


class Employee(SQLModel, table=True):
    """A person who can be measured: department, role, manager, contact, language and bonus base."""

    __tablename__ = "employees"
    id: str = Field(primary_key=True, max_length=32)
    name_en: str = Field(max_length=200)
    name_zh: str = Field(max_length=200)
    department: str = Field(foreign_key="departments.code", index=True, max_length=32)
    role: str = Field(index=True, max_length=64)
    manager_id: str | None = Field(default=None, foreign_key="employees.id", max_length=32)
    email: str = Field(max_length=320)
    locale: str = Field(default="zh-CN", max_length=8)
    bonus_base: Decimal = _money()  # quarterly bonus base 季度奖金基数, CNY
    active_from: date
    active_to: date | None = None


class Sku(SQLModel, table=True):
    """A stock-keeping unit with its category, standard unit cost, price and supplier."""

    __tablename__ = "skus"
    sku: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=300)
    category: str = Field(index=True, max_length=100)
    unit_cost: Decimal = _money()
    price: Decimal = _money()
    supplier: str | None = Field(default=None, max_length=200)
    season: str | None = Field(default=None, max_length=32)  # e.g. summer, winter, spring_festival; null = all-year
    is_kit: bool = False


class KitComponent(SQLModel, table=True):
    """One component line of a kit SKU's bill of materials."""

    __tablename__ = "kit_components"
    kit_sku: str = Field(foreign_key="skus.sku", primary_key=True, max_length=64)
    component_sku: str = Field(foreign_key="skus.sku", primary_key=True, max_length=64)
    quantity: int = Field(gt=0)


class Movement(SQLModel, table=True):
    """A stock movement. ``quantity`` is the signed change of on-hand stock (receipts +, sales −)."""

    __tablename__ = "movements"
    __table_args__ = (
        Index("ix_movements_day_sku", "day", "sku"),
        Index("ix_movements_sku_day", "sku", "day"),
    )
    id: str = Field(primary_key=True, max_length=64)
    sku: str = Field(foreign_key="skus.sku", max_length=64)
    kind: str = Field(max_length=20)
    moved_at: datetime = _utc()
    day: date
    quantity: int
    unit_cost: Decimal = _money()
    ref: str | None = Field(default=None, max_length=100)


class DemandLine(SQLModel, table=True):
    """A line of customer or internal demand: asked, served at once, and the stockout it hit, if any."""

    __tablename__ = "demand_lines"
    # covering: fill rate and stockouts read a window's lines from the index alone
    __table_args__ = (
        Index("ix_demand_day_cover", "day", "sku", "qty_requested", "qty_served", "stockout_start", "stockout_end"),
    )
    id: str = Field(primary_key=True, max_length=64)
    sku: str = Field(foreign_key="skus.sku", max_length=64)
    requested_at: datetime = _utc()
    day: date
    qty_requested: int = Field(ge=0)
    qty_served: int = Field(ge=0)  # served immediately from stock
    stockout_start: datetime | None = _utc(nullable=True, default=None)
    stockout_end: datetime | None = _utc(nullable=True, default=None)


class PurchaseOrder(SQLModel, table=True):
    """A purchase order line: who bought it, when it was promised and received, and its quality check."""

    __tablename__ = "purchase_orders"
    # (sku, ordered_day, id, buyer_id) also answers "who bought this SKU last, up to a day" from the index
    __table_args__ = (
        Index("ix_po_ordered_day", "ordered_day"),
        Index("ix_po_sku_latest", "sku", "ordered_day", "id", "buyer_id"),
    )
    id: str = Field(primary_key=True, max_length=64)
    sku: str = Field(foreign_key="skus.sku", max_length=64)
    supplier: str | None = Field(default=None, max_length=200)
    buyer_id: str | None = Field(default=None, foreign_key="employees.id", max_length=32)
    ordered_day: date
    promised_day: date
    received_day: date | None = None
    quantity: int = Field(gt=0)
    unit_cost: Decimal = _money()
    emergency: bool = False
    qty_inspected: int | None = Field(default=None, ge=0)
    qty_passed: int | None = Field(default=None, ge=0)


class CycleCount(SQLModel, table=True):
    """A stock count of one SKU: book quantity against counted quantity."""

    __tablename__ = "cycle_counts"
    __table_args__ = (Index("ix_cycle_counts_day", "day"),)
    id: str = Field(primary_key=True, max_length=64)
    sku: str = Field(foreign_key="skus.sku", max_length=64)
    day: date
    book_qty: int
    counted_qty: int
    counter_id: str | None = Field(default=None, foreign_key="employees.id", max_length=32)


class WorkOrder(SQLModel, table=True):
    """A kit work order: build ``quantity`` kits of ``kit_sku`` on ``day``."""

    __tablename__ = "work_orders"
    __table_args__ = (Index("ix_work_orders_day", "day"),)
    id: str = Field(primary_key=True, max_length=64)
    kit_sku: str = Field(foreign_key="skus.sku", max_length=64)
    day: date
    quantity: int = Field(gt=0)
    all_components_available: bool | None = None  # as the ERP recorded it; null = compute from stock


class Forecast(SQLModel, table=True):
    """A sales forecast of one SKU for one month, with the actual when the source system gives it."""

    __tablename__ = "forecasts"
    sku: str = Field(foreign_key="skus.sku", primary_key=True, max_length=64)
    month: str = Field(primary_key=True, max_length=7)  # YYYY-MM
    forecast_qty: int = Field(ge=0)
    actual_qty: int | None = Field(default=None, ge=0)  # null = taken from sale movements
    forecaster_id: str | None = Field(default=None, foreign_key="employees.id", max_length=32)


class FinanceMonth(SQLModel, table=True):
    """Monthly finance figures from the ledger (CNY)."""

    __tablename__ = "finance_months"
    month: str = Field(primary_key=True, max_length=7)  # YYYY-MM
    current_assets: Decimal = _money()
    revenue: Decimal = _money()  # revenue of the month
    receivable_days: Decimal = _money()  # DSO
    payable_days: Decimal = _money()  # DPO
    impairment_loss: Decimal = _money()  # 滞销品减值损失 booked in the month
    capital_cost: Decimal = _money()
    storage_cost: Decimal = _money()
    handling_cost: Decimal = _money()
    risk_cost: Decimal = _money()


class Submission(SQLModel, table=True):
    """A deliverable handed in: what, for which period, by whom, when, with its payload."""

    __tablename__ = "submissions"
    __table_args__ = (Index("ix_submissions_deliverable_period", "deliverable", "period"),)
    id: str = Field(primary_key=True, max_length=64)
    deliverable: str = Field(max_length=64)  # e.g. slow_mover_list, capital_report, disposal_tracking
    period: str = Field(max_length=16)  # the period it covers: YYYY-MM, YYYY-Www, YYYYQn
    employee_id: str = Field(foreign_key="employees.id", max_length=32)
    submitted_at: datetime = _utc()
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    note: str | None = None  # e.g. the reason given for a late list


class Disposal(SQLModel, table=True):
    """A disposal action on a slow mover: promotion 促销, clearance 清仓 or return to supplier 退货."""

    __tablename__ = "disposals"
    __table_args__ = (Index("ix_disposals_day", "day"),)
    id: str = Field(primary_key=True, max_length=64)
    sku: str = Field(foreign_key="skus.sku", max_length=64)
    action: str = Field(max_length=16)
    quantity: int = Field(gt=0)
    day: date
    employee_id: str | None = Field(default=None, foreign_key="employees.id", max_length=32)
    list_period: str | None = Field(default=None, max_length=7)  # the slow-mover list (YYYY-MM) it works off
    recovered_value: Decimal | None = _money(nullable=True, default=None)


class ImportBatch(SQLModel, table=True):
    """One run of ``perfrules import`` for one file: what came in and what it did."""

    __tablename__ = "import_batches"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    source: str = Field(max_length=1000)  # file name as given
    sha256: str = Field(max_length=64, index=True)
    rows: int
    inserted: int
    updated: int
    unchanged: int
    imported_at: datetime = _utc()
    imported_by: str = Field(max_length=200)
    # the first day the batch's new or changed facts concern (None: every period — master data); a KPI of a
    # period ending before it cannot have changed
    first_day: date | None = None


class FactGeneration(SQLModel, table=True):
    """Per month, the newest import batch whose facts begin in it (``0001-01-01``: master data, every month).

    The KPI values of a period can only have changed since they were computed if a batch of a month up to
    the period's end is newer than then: the dashboard keys its cached figures by that (one small table,
    whatever the number of pushes)."""

    __tablename__ = "fact_generations"
    month: date = Field(primary_key=True)
    generation: int


class FactChange(SQLModel, table=True):
    """An existing fact that a later import changed: the old and new values of the changed fields."""

    __tablename__ = "fact_changes"
    __table_args__ = (UniqueConstraint("batch_id", "kind", "fact_key"),)
    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="import_batches.id", index=True)
    kind: str = Field(max_length=32)
    fact_key: str = Field(max_length=200)
    old: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    new: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
