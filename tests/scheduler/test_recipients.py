"""The scheduler's reminders and deadline notices go to exactly the people the decision core's notice intents
name (``decide()``, what HR's ``perfrules test`` runs) for the same facts and time: holders of the role on
the due day (transfers, leave) and the rule's ``notify`` words."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from perfrules.engine.evaluation.decide import decide
from perfrules.engine.evaluation.facts import Facts
from perfrules.engine.evaluation.facts import Submission as FactSubmission
from perfrules.engine.evaluation.people import load_people
from perfrules.engine.rulebook.checker import load_rulebook
from perfrules.engine.scheduler.build import build_service
from perfrules.engine.scheduler.calendar import DEADLINE_CHECK, REMINDER
from perfrules.engine.scheduler.service import ManualScheduler
from perfrules.engine.settings import load_settings
from perfrules.storage import Database
from perfrules.storage.evaluation import Assignment, Leave
from perfrules.storage.models import Department, Employee, Submission
from perfrules.storage.outbox import list_messages

from tests.scheduler.support import ZONE
from tests.services import MAIL_FROM

RULE = """\
rules:
  - id: purchasing.slow_mover_list
    effective_from: 2025-01-01
    title: {zh-CN: 滞销品清单按时提交, en: Slow-mover list on time}
    department: purchasing
    role: purchaser
    deadline:
      deliverable: slow_mover_list
      covers: previous_month
      due: {day: 5, time: "18:00"}
      reminders: [1d]
    notify:
      reminder: [employee, manager]
      deadline_missed: [employee, manager, hr]
"""
PERIOD = "2026-05"  # due 2026-06-05 18:00; the reminder the day before


def seed(db: Database) -> None:
    """M1 manages P1 (hands in on time), P2 (on leave on the due day), P3 (late) and T1, who moved from
    finance into purchasing on 2026-06-01 (owes it). X1 left purchasing on 2026-05-31 (owes nothing). H1 is HR."""
    base = {"bonus_base": Decimal("10000"), "active_from": date(2025, 1, 1), "locale": "en"}
    with db.session() as s:
        for code in ("purchasing", "finance", "hr"):
            s.add(Department(code=code, name_en=code.title(), name_zh=code))
        s.flush()
        s.add(
            Employee(
                id="M1",
                name_en="M",
                name_zh="M",
                department="purchasing",
                role="purchasing_manager",
                email="m1@shop.example",
                **base,
            )
        )
        s.add(
            Employee(
                id="H1",
                name_en="H",
                name_zh="H",
                department="hr",
                role="hr_specialist",
                email="h1@shop.example",
                **base,
            )
        )
        s.flush()
        for eid in ("P1", "P2", "P3", "T1", "X1"):
            s.add(
                Employee(
                    id=eid,
                    name_en=eid,
                    name_zh=eid,
                    department="purchasing",
                    role="purchaser",
                    manager_id="M1",
                    email=f"{eid.lower()}@shop.example",
                    **base,
                )
            )
        s.flush()
        s.add(
            Assignment(
                employee_id="T1",
                department="finance",
                role="finance_analyst",
                valid_from=date(2025, 1, 1),
                valid_to=date(2026, 6, 1),
            )
        )
        s.add(Assignment(employee_id="T1", department="purchasing", role="purchaser", valid_from=date(2026, 6, 1)))
        s.add(
            Assignment(
                employee_id="X1",
                department="purchasing",
                role="purchaser",
                valid_from=date(2025, 1, 1),
                valid_to=date(2026, 5, 31),
            )
        )
        s.add(Assignment(employee_id="X1", department="finance", role="finance_analyst", valid_from=date(2026, 5, 31)))
        s.add(Leave(employee_id="P2", start=date(2026, 6, 3), end=date(2026, 6, 8)))
        s.add(
            Submission(
                id="s1",
                deliverable="slow_mover_list",
                period=PERIOD,
                employee_id="P1",
                submitted_at=datetime(2026, 6, 3, 10, tzinfo=ZONE),
            )
        )


def queued(db: Database, kind: str) -> set[tuple[str, str]]:
    """(recipient, employee the notice is about) of every queued notice of ``kind``."""
    out = set()
    for m in list_messages(db, limit=1000):
        if m.key.kind == kind:
            about = m.key.rule_id.split("#", 1)[1].rsplit(":", 1)
            out.add((m.key.recipient_id, about[0] if len(about) == 2 else m.key.recipient_id))
    return out


def intended(rules: Path, db: Database, kind: str, now: datetime) -> set[tuple[str, str]]:
    facts = Facts(
        PERIOD,
        submissions=(FactSubmission("slow_mover_list", PERIOD, "P1", datetime(2026, 6, 3, 10, tzinfo=ZONE)),),
        people=tuple(load_people(db)),
    )
    notices = decide(load_rulebook(rules), facts, now).notices
    return {(n.to, n.about) for n in notices if n.kind == kind and n.to is not None}


def test_scheduler_recipients_equal_the_notice_intents(db: Database, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "purchasing.yaml").write_text(RULE, encoding="utf-8")
    seed(db)
    settings = load_settings(
        {"database_url": db.url, "rules_dir": str(rules), "timezone": "Asia/Shanghai"},
        environ={"PERFRULES_MAIL_FROM": MAIL_FROM, "PERFRULES_OUTBOX_DIR": str(tmp_path / "eml")},
    )
    service = build_service(settings, db, scheduler=ManualScheduler(), evaluation=False)
    slots = [
        s
        for s in service.plan(datetime(2026, 6, 1, tzinfo=ZONE), datetime(2026, 6, 10, tzinfo=ZONE))
        if s.period == PERIOD
    ]
    reminder = next(s for s in slots if s.kind == REMINDER)
    check = next(s for s in slots if s.kind == DEADLINE_CHECK and s.slot == "due")

    service.actions.run(reminder, reminder.at)
    told = queued(db, "reminder")
    assert told == intended(rules, db, "reminder", reminder.at)
    assert told == {("P3", "P3"), ("T1", "T1"), ("M1", "P3"), ("M1", "T1")}

    after = check.at + timedelta(minutes=1)  # at the check itself the core still counts the list as pending
    service.actions.run(check, after)
    told = queued(db, "deadline_missed")
    assert told == intended(rules, db, "deadline_missed", after)
    assert {to for to, _ in told} == {"P3", "T1", "M1", "H1"}
