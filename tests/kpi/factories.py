"""Build KPI facts by inserting rows directly (no importer): small, explicit, readable in a test."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from perfrules.storage import Database
from perfrules.storage.models import (
    CycleCount,
    DemandLine,
    Department,
    Disposal,
    Employee,
    FinanceMonth,
    Forecast,
    KitComponent,
    Movement,
    PurchaseOrder,
    Sku,
    Submission,
    WorkOrder,
)
from perfrules.storage.rollup import refresh
from sqlalchemy import text

ZONE = ZoneInfo("Asia/Shanghai")
SIGN = {"receipt": 1, "sale": -1, "issue": -1, "customer_return": 1, "supplier_return": -1, "adjustment": 1}


def at(day: date, hour: int = 12, zone: ZoneInfo = ZONE) -> datetime:
    return datetime.combine(day, time(hour), zone)


class Facts:
    """Collects fact rows and writes them in dependency order with :meth:`save` (which also rolls up)."""

    def __init__(self, db: Database):
        self.db = db
        self.rows: list[Any] = []
        self._ids = itertools.count(1)
        self._departments: set[str] = set()

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    def sku(
        self,
        sku: str,
        *,
        category: str = "general",
        unit_cost: str = "1",
        price: str = "2",
        season: str | None = None,
        components: dict[str, int] | None = None,
    ) -> Facts:
        self.rows.append(
            Sku(
                sku=sku,
                name=f"Item {sku}",
                category=category,
                unit_cost=Decimal(unit_cost),
                price=Decimal(price),
                season=season,
                is_kit=bool(components),
            )
        )
        for component, qty in (components or {}).items():
            self.rows.append(KitComponent(kit_sku=sku, component_sku=component, quantity=qty))
        return self

    def move(self, sku: str, kind: str, day: date, qty: int, unit_cost: str = "1") -> Facts:
        self.rows.append(
            Movement(
                id=self._id("M"),
                sku=sku,
                kind=kind,
                moved_at=at(day),
                day=day,
                quantity=SIGN[kind] * qty,
                unit_cost=Decimal(unit_cost),
            )
        )
        return self

    def demand(
        self, sku: str, day: date, requested: int, served: int, stockout: tuple[datetime, datetime | None] | None = None
    ) -> Facts:
        start, end = stockout or (None, None)
        self.rows.append(
            DemandLine(
                id=self._id("D"),
                sku=sku,
                requested_at=at(day),
                day=day,
                qty_requested=requested,
                qty_served=served,
                stockout_start=start,
                stockout_end=end,
            )
        )
        return self

    def employee(self, emp_id: str, department: str = "purchasing", role: str = "purchaser") -> Facts:
        if department not in self._departments:
            self._departments.add(department)
            self.rows.append(Department(code=department, name_en=department, name_zh=department))
        self.rows.append(
            Employee(
                id=emp_id,
                name_en=emp_id,
                name_zh=emp_id,
                department=department,
                role=role,
                email=f"{emp_id}@example.com",
                bonus_base=Decimal(10000),
                active_from=date(2020, 1, 1),
            )
        )
        return self

    def po(
        self,
        sku: str,
        ordered: date,
        promised: date,
        received: date | None = None,
        *,
        qty: int = 10,
        unit_cost: str = "1",
        buyer: str | None = None,
        emergency: bool = False,
        inspected: int | None = None,
        passed: int | None = None,
    ) -> Facts:
        self.rows.append(
            PurchaseOrder(
                id=self._id("P"),
                sku=sku,
                buyer_id=buyer,
                ordered_day=ordered,
                promised_day=promised,
                received_day=received,
                quantity=qty,
                unit_cost=Decimal(unit_cost),
                emergency=emergency,
                qty_inspected=inspected,
                qty_passed=passed,
            )
        )
        return self

    def count(self, sku: str, day: date, book: int, counted: int, counter: str | None = None) -> Facts:
        self.rows.append(
            CycleCount(id=self._id("C"), sku=sku, day=day, book_qty=book, counted_qty=counted, counter_id=counter)
        )
        return self

    def work_order(self, kit: str, day: date, qty: int = 1, available: bool | None = None) -> Facts:
        self.rows.append(
            WorkOrder(id=self._id("W"), kit_sku=kit, day=day, quantity=qty, all_components_available=available)
        )
        return self

    def forecast(
        self, sku: str, month: str, qty: int, actual: int | None = None, forecaster: str | None = None
    ) -> Facts:
        self.rows.append(Forecast(sku=sku, month=month, forecast_qty=qty, actual_qty=actual, forecaster_id=forecaster))
        return self

    def finance(self, month: str, **figures: str | int) -> Facts:
        fields = {
            name: Decimal(str(figures.get(name, 0)))
            for name in (
                "current_assets",
                "revenue",
                "receivable_days",
                "payable_days",
                "impairment_loss",
                "capital_cost",
                "storage_cost",
                "handling_cost",
                "risk_cost",
            )
        }
        self.rows.append(FinanceMonth(month=month, **fields))
        return self

    def submission(
        self,
        deliverable: str,
        period: str,
        employee: str,
        submitted_at: datetime,
        payload: dict[str, Any] | None = None,
    ) -> Facts:
        self.rows.append(
            Submission(
                id=self._id("S"),
                deliverable=deliverable,
                period=period,
                employee_id=employee,
                submitted_at=submitted_at,
                payload=payload or {},
            )
        )
        return self

    def disposal(self, sku: str, day: date, qty: int, action: str = "clearance", employee: str | None = None) -> Facts:
        self.rows.append(
            Disposal(id=self._id("X"), sku=sku, action=action, quantity=qty, day=day, employee_id=employee)
        )
        return self

    def save(self) -> Database:
        order = [Department, Employee, Sku, KitComponent]
        ranked = sorted(self.rows, key=lambda r: order.index(type(r)) if type(r) in order else len(order))
        with self.db.session() as session:
            for kind in [*order, None]:
                batch = [r for r in ranked if (type(r) is kind) or (kind is None and type(r) not in order)]
                session.add_all(batch)
                session.flush()
        self.rows = []
        with self.db.engine.begin() as conn:
            refresh(conn)
        return self.db


def rollup_rows(db: Database) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT * FROM sku_months ORDER BY sku, month"))]
