"""A small company for the evaluation tests: three departments, five people, known KPI values per month."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from perfrules.engine.evaluation.facts import KpiValue
from perfrules.engine.rulebook.checker import load_rulebook
from perfrules.storage import Database
from perfrules.storage.models import Department, Employee, Submission

RULES = Path(__file__).parent / "rules"
ZONE = ZoneInfo("Asia/Shanghai")

PEOPLE = [
    # id, name_zh, name_en, department, role, base, active_from, active_to
    ("E_P1", "李娜", "Li Na", "purchasing", "purchaser", "10000", date(2025, 1, 1), None),
    ("E_P2", "王伟", "Wang Wei", "purchasing", "purchaser", "8000", date(2025, 1, 1), None),
    ("E_F1", "张敏", "Zhang Min", "finance", "finance_analyst", "12000", date(2025, 1, 1), None),
    ("E_O1", "刘洋", "Liu Yang", "operations", "operations_manager", "9000", date(2025, 1, 1), None),
    ("E_O2", "陈静", "Chen Jing", "operations", "operations_specialist", "6000", date(2026, 8, 1), None),
]


def rulebook(path: Path = RULES):
    return load_rulebook(path)


def at(y: int, m: int, d: int, hour: int = 12) -> datetime:
    return datetime(y, m, d, hour, tzinfo=ZONE)


def seed(db: Database) -> None:
    with db.session() as s:
        for code, en, zh in (
            ("purchasing", "Purchasing", "采购"),
            ("finance", "Finance", "财务"),
            ("operations", "Operations", "运营"),
            ("planning", "Planning", "计划"),
        ):
            s.add(Department(code=code, name_en=en, name_zh=zh))
        s.flush()
        for pid, zh, en, dept, role, base, start, end in PEOPLE:
            s.add(
                Employee(
                    id=pid,
                    name_zh=zh,
                    name_en=en,
                    department=dept,
                    role=role,
                    email=f"{pid}@example.com",
                    bonus_base=Decimal(base),
                    active_from=start,
                    active_to=end,
                )
            )


def submit(
    db: Database, sid: str, employee: str, period: str, when: datetime, deliverable: str = "slow_mover_list"
) -> None:
    with db.session() as s:
        s.add(
            Submission(
                id=sid, deliverable=deliverable, period=period, employee_id=employee, submitted_at=when, payload={}
            )
        )


class StaticKpis:
    """A KPI source with known values: (kpi, scope, scope_id, period) → value. Mutable, so a test can
    deliver a late correction of an earlier month."""

    def __init__(self, values: dict[tuple[str, str, str, str], str]):
        self.values = {k: Decimal(v) for k, v in values.items()}

    def __call__(self, db, rulebook, month):
        return [
            KpiValue(kpi, period, value, scope, scope_id)
            for (kpi, scope, scope_id, period), value in sorted(self.values.items())
            if period == month.label
        ]


def timeliness(month: str, value: str):
    return ("slow_mover_list_timeliness", "department", "purchasing", month), value


def occupation(month: str, value: str):
    return ("capital_occupation", "company", "", month), value


def digestion(month: str, value: str):
    return ("slow_mover_digestion_rate", "company", "", month), value
