"""The notices of an appeal's steps: a lodged or withdrawn appeal tells the person's manager and HR; a
decision tells the person and their manager. Through the outbox like every notice (e-mail and the chat
channels the routing names), each exactly once per step and recipient."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from perfrules.engine.notices.contexts import AppealContext
from perfrules.engine.notices.message import mail_domain
from perfrules.engine.notices.queue import queue_notice
from perfrules.engine.notices.templating import NoticeSandbox
from perfrules.engine.periods import local_date
from perfrules.engine.reporting.people import holders, person_of, recipient_of
from perfrules.storage import Database
from perfrules.storage.appeals import AppealRecord
from perfrules.storage.outbox import find_person

HR = (("hr", "hr_specialist"), ("hr", "hr_manager"))


def notify_appeal(
    db: Database,
    env: NoticeSandbox,
    record: AppealRecord,
    *,
    now: datetime,
    mail_from: str,
    zone: ZoneInfo,
) -> int:
    """Queue the notices of the appeal's current step (its status); returns how many were new."""
    person = find_person(db, record.employee_id)
    if person is None:
        return 0
    event = "lodged" if record.status == "open" else record.status
    manager = find_person(db, person.manager_id) if person.manager_id else None
    hr = holders(db, HR, local_date(now, zone)) if event in ("lodged", "withdrawn") else []
    told = [manager, *hr] if hr or event in ("lodged", "withdrawn") else [person, manager]
    written = 0
    for recipient in {p.id: p for p in told if p is not None}.values():
        context = AppealContext(
            recipient=recipient_of(recipient, zone),
            appeal_id=record.id,
            event=event,
            employee=person_of(person),
            subject=record.subject,
            subject_id=record.subject_id,
            quarter=record.quarter,
            reason=record.reason,
            decision=record.decision or "",
            decided_by=record.decided_by or "",
            correction=record.correction or "",
        )
        queued = queue_notice(
            db,
            env,
            context,
            rule_id=f"appeal#{record.id}:{event}",
            period=record.quarter,
            now=now,
            domain=mail_domain(mail_from),
        )
        written += int(queued.created)
    return written
