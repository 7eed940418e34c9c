"""Helpers of the scheduler tests: a small company, the service on tests.smtp's server, a frozen-clock walk."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from perfrules.engine.scheduler.service import Service
from perfrules.storage import Database
from perfrules.storage.models import Department, Employee, Submission

from tests import services
from tests.smtp import SmtpServer

ZONE = ZoneInfo("Asia/Shanghai")
RULES = Path(__file__).parent / "rules"


def seed_company(db: Database) -> None:
    """Purchasing: 王芳 (P1, zh-CN) reporting to Li Ming (M1, en). Finance: Anna (F1, en), no manager."""
    with db.session() as s:
        for code, en, zh in (("purchasing", "Purchasing", "采购"), ("finance", "Finance", "财务")):
            s.add(Department(code=code, name_en=en, name_zh=zh))
        s.flush()
        common = {"bonus_base": Decimal("10000"), "active_from": date(2025, 1, 1)}
        s.add(
            Employee(
                id="M1",
                name_en="Li Ming",
                name_zh="李明",
                department="purchasing",
                role="purchasing_manager",
                email="li@shop.example",
                locale="en",
                **common,
            )
        )
        s.flush()
        s.add(
            Employee(
                id="P1",
                name_en="Wang Fang",
                name_zh="王芳",
                department="purchasing",
                role="purchaser",
                manager_id="M1",
                email="wang@shop.example",
                locale="zh-CN",
                **common,
            )
        )
        s.add(
            Employee(
                id="F1",
                name_en="Anna Zhou",
                name_zh="周安娜",
                department="finance",
                role="finance_analyst",
                email="anna@shop.example",
                locale="en",
                **common,
            )
        )


def submit(db: Database, sid: str, deliverable: str, period: str, employee: str, at: datetime) -> None:
    with db.session() as s:
        s.add(Submission(id=sid, deliverable=deliverable, period=period, employee_id=employee, submitted_at=at))


def make_service(db: Database, smtp: SmtpServer, tmp_path: Path, *, evaluation: bool = False) -> Service:
    """The real service on this folder's rules (see :func:`tests.services.make_service`)."""
    return services.make_service(db, smtp, tmp_path, RULES, evaluation=evaluation)


def next_stop(service: Service, until: datetime) -> datetime | None:
    """The next time a job other than the minute-by-minute outbox or the hourly replan is due."""
    times = [
        j.next_run_time
        for j in service.scheduler.get_jobs()
        if j.id not in ("outbox", "replan") and j.next_run_time is not None
    ]
    upcoming = [t for t in times if t <= until]
    return min(upcoming) if upcoming else None


def walk(service: Service, clock, smtp: SmtpServer, until: datetime, events: dict | None = None) -> None:
    """Move the frozen clock job by job up to ``until``: at each job time run what is due, then one minute
    later again (the outbox job delivers what the first pass queued). ``events`` maps a time to a
    callable run when the walk reaches it (a submission, the SMTP server going down)."""
    pending = sorted((at, action) for at, action in (events or {}).items() if at <= until)
    while True:
        stop = next_stop(service, until)
        if pending and (stop is None or pending[0][0] <= stop):
            at, action = pending.pop(0)
            clock.move_to(at)
            action()
            continue
        if stop is None:
            break
        step(service, clock, smtp, stop)
        step(service, clock, smtp, stop + timedelta(minutes=1))
    step(service, clock, smtp, until)


def step(service: Service, clock, smtp: SmtpServer, moment: datetime) -> None:
    """Move the clock to ``moment``, run the due jobs, and note when new e-mails arrived."""
    clock.move_to(moment)
    seen = len(smtp.received)
    service.scheduler.run_pending()
    for rec in smtp.received[seen:]:
        rec.at = datetime.now(UTC).astimezone(ZONE)
