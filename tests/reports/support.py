"""A small company for the report and alert tests, the real service on a manual clock, and an SMTP server."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

from perfrules.engine.scheduler.calendar import Slot
from perfrules.engine.scheduler.service import Service
from perfrules.storage import Database
from perfrules.storage.models import Department, Employee
from perfrules.storage.outbox import list_messages

from tests import services
from tests.kpi.factories import Facts
from tests.scheduler.support import ZONE
from tests.smtp import SmtpServer

RULES = Path(__file__).parent / "rules"

# id, name_zh, name_en, department, role, manager, locale
PEOPLE = (
    ("G1", "赵总", "Zhao Zong", "management", "general_manager", None, "en"),
    ("PM", "李明", "Li Ming", "purchasing", "purchasing_manager", "G1", "zh-CN"),
    ("P1", "王芳", "Wang Fang", "purchasing", "purchaser", "PM", "en"),
    ("O1", "刘洋", "Liu Yang", "operations", "operations_manager", "G1", "zh-CN"),
    ("O2", "陈静", "Chen Jing", "operations", "operations_specialist", "O1", "en"),
    ("H1", "周安娜", "Anna Zhou", "hr", "hr_manager", "G1", "en"),
)
DEPARTMENTS = (
    ("management", "Management", "管理层"),
    ("purchasing", "Purchasing", "采购"),
    ("operations", "Operations", "运营"),
    ("hr", "HR", "人事"),
)


def email_of(pid: str) -> str:
    return f"{pid.lower()}@shop.example"


def seed_company(db: Database) -> Facts:
    """The people above and two SKUs; returns the fact builder for a test's own facts (call ``save``)."""
    facts = Facts(db)
    facts.rows += [Department(code=c, name_en=en, name_zh=zh) for c, en, zh in DEPARTMENTS]
    for pid, zh, en, dept, role, manager, locale in PEOPLE:
        facts.rows.append(
            Employee(
                id=pid,
                name_zh=zh,
                name_en=en,
                department=dept,
                role=role,
                manager_id=manager,
                email=email_of(pid),
                locale=locale,
                bonus_base=Decimal("10000"),
                active_from=date(2025, 1, 1),
            )
        )
    facts.sku("S1").sku("S2")
    return facts


def at(y: int, m: int, d: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=ZONE)


def make_service(db: Database, smtp: SmtpServer, tmp_path: Path, rules: Path = RULES) -> Service:
    """The real service on ``rules`` (see :func:`tests.services.make_service`)."""
    return services.make_service(db, smtp, tmp_path, rules, evaluation=True)


def run_slot(service: Service, kind: str, period: str, now: datetime, slot: str = "run") -> str:
    """Run one slot's action at ``now`` the way the runner does (``run_slot`` again = a re-run)."""
    return service.actions.run(Slot(now, kind, "", period, slot), now)


def deliver(service: Service, now: datetime) -> None:
    service.deliver(now + timedelta(minutes=1))


def kinds_to(db: Database) -> list[tuple[str, str, str]]:
    """(recipient id, kind, period) of every outbox message, sorted."""
    return sorted((m.key.recipient_id, m.key.kind, m.key.period) for m in list_messages(db))


def body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
