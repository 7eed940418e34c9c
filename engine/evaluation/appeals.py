"""Appeals: staff contest a finding or a bonus line charged to them, HR accepts or rejects with a reason.

An appeal changes no money by itself. Accepting one carries it out as an HR correction
(:mod:`.corrections`): each active line it contests is voided — or, for one line, overridden to an amount or
share HR gives — with the reason ``appeal #N accepted: …``; a line of a closed quarter then gets its
correction line in the next open quarter, as every correction does. A finding's lines are the lines of the
person that price it; a finding without a line (an escalation-only breach) is decided without a correction.
Every step is in the audit log and in ``perfrules explain``.

Accepting is safe to repeat after a crash: a line already corrected for this appeal is not corrected twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from perfrules.engine.evaluation import corrections
from perfrules.engine.evaluation.errors import AppealRefused
from perfrules.engine.evaluation.pricing import REGULAR
from perfrules.storage import Database, access
from perfrules.storage import appeals as store
from perfrules.storage import evaluation_store as evaluations
from perfrules.storage.appeals import AppealRecord

log = logging.getLogger("perfrules.evaluation")
CONTESTABLE = ("active", "overridden")  # a void or withdrawn line pays nothing: nothing to contest


def _marker(appeal_id: int) -> str:
    return f"appeal #{appeal_id} accepted: "


def subject_lines(db: Database, employee_id: str, subject: str, subject_id: int) -> list[dict[str, Any]]:
    """The person's regular lines an appeal on ``subject`` contests (any status), oldest first."""
    if subject == "line":
        line = evaluations.adjustment(db, subject_id)
        return [line] if line is not None and line["employee_id"] == employee_id else []
    return [
        a
        for a in evaluations.adjustments(db, employee_id=employee_id)
        if subject_id in a["finding_ids"] and a["kind"] in REGULAR
    ]


def lodge(
    db: Database, employee_id: str, subject: str, subject_id: int, *, reason: str, by: str, now: datetime
) -> AppealRecord:
    """Lodge an appeal of ``employee_id`` against one of their lines or findings."""
    if subject not in store.SUBJECTS:
        raise AppealRefused(f"an appeal contests a line or a finding, not {subject!r}")
    if not reason.strip():
        raise AppealRefused("an appeal needs a reason (what happened, and why the line or finding is wrong)")
    lines = subject_lines(db, employee_id, subject, subject_id)
    if subject == "line":
        if not lines:
            raise AppealRefused(f"line #{subject_id} is not a bonus line of {employee_id}")
        (line,) = lines
        if line["kind"] not in REGULAR:
            raise AppealRefused(f"line #{subject_id} is a {line['kind']} line; appeal the lines it settles")
        if line["status"] not in CONTESTABLE:
            raise AppealRefused(f"line #{subject_id} is {line['status']}: it pays nothing to contest")
        quarter = line["quarter"]
    else:
        finding = evaluations.finding(db, subject_id)
        people = {t["employee"] for t in (*finding["charged_to"], *finding["answerable"])} if finding else set()
        if finding is None or (employee_id not in people and not lines):
            raise AppealRefused(f"finding #{subject_id} is not charged to {employee_id}")
        if finding["status"] != "active":
            raise AppealRefused(f"finding #{subject_id} is {finding['status']}: a later run no longer sees it")
        quarter = finding["quarter"]
    with db.session() as session:
        if store.open_appeal_on(session, employee_id, subject, subject_id) is not None:
            raise AppealRefused(f"{employee_id} has an open appeal on {subject} #{subject_id} already")
        record = store.add_appeal(
            session,
            employee_id=employee_id,
            subject=subject,
            subject_id=subject_id,
            quarter=quarter,
            reason=reason.strip(),
            filed_by=by,
            filed_at=now,
        )
        access.record_in(
            session.connection(),
            now=now,
            actor=by,
            action="appeal.filed",
            target=f"appeal #{record.id}",
            detail={"employee": employee_id, "subject": subject, "subject_id": subject_id, "reason": record.reason},
        )
    log.info("appeal filed", extra={"appeal": record.id, "employee_id": employee_id, "subject": subject})
    return record


def _open(db: Database, appeal_id: int) -> AppealRecord:
    record = store.appeal(db, appeal_id)
    if record is None:
        raise AppealRefused(f"no appeal with id {appeal_id}")
    if record.status != "open":
        raise AppealRefused(f"appeal #{appeal_id} is {record.status} already (by {record.decided_by})")
    return record


def accept(
    db: Database,
    appeal_id: int,
    *,
    reason: str,
    by: str,
    now: datetime,
    amount: Decimal | None = None,
    share: Decimal | None = None,
    total_cap: Decimal | None = None,
) -> AppealRecord:
    """Accept an open appeal: void its lines, or override its one line to ``amount`` / ``share``."""
    if not reason.strip():
        raise AppealRefused("accepting an appeal needs a reason (it is the correction's reason)")
    record = _open(db, appeal_id)
    lines = subject_lines(db, record.employee_id, record.subject, record.subject_id)
    overriding = amount is not None or share is not None
    if overriding and len(lines) != 1:
        raise AppealRefused(f"appeal #{appeal_id} contests {len(lines)} line(s): --amount/--share fit exactly one")
    note = _marker(appeal_id) + reason.strip()
    done = {
        line_id
        for line_id, acts in evaluations.actions(db, [a["id"] for a in lines]).items()
        if any(act["reason"].startswith(_marker(appeal_id)) for act in acts)
    }
    corrected: list[int] = []
    for line in lines:
        if line["id"] not in done:
            if overriding:
                corrections.override(
                    db, line["id"], reason=note, by=by, now=now, amount=amount, share=share, total_cap=total_cap
                )
            elif line["status"] in CONTESTABLE:
                corrections.void(db, line["id"], reason=note, by=by, now=now, total_cap=total_cap)
            else:
                continue
        corrected.append(line["id"])
    how = ("override" if overriding else "void") if corrected else "none"
    return _decide(db, record, "accepted", reason=reason, by=by, now=now, correction=how, lines=tuple(corrected))


def reject(db: Database, appeal_id: int, *, reason: str, by: str, now: datetime) -> AppealRecord:
    """Reject an open appeal; the lines stay as they are."""
    if not reason.strip():
        raise AppealRefused("rejecting an appeal needs a reason (the person is told it)")
    return _decide(db, _open(db, appeal_id), "rejected", reason=reason, by=by, now=now)


def withdraw(db: Database, appeal_id: int, *, by: str, now: datetime, reason: str = "") -> AppealRecord:
    """The person (or HR on their behalf) withdraws an open appeal."""
    return _decide(db, _open(db, appeal_id), "withdrawn", reason=reason or "withdrawn", by=by, now=now)


def _decide(
    db: Database,
    record: AppealRecord,
    status: str,
    *,
    reason: str,
    by: str,
    now: datetime,
    correction: str | None = None,
    lines: tuple[int, ...] = (),
) -> AppealRecord:
    with db.session() as session:
        decided = store.decide(
            session,
            record.id,
            status=status,
            by=by,
            at=now,
            decision=reason.strip(),
            correction=correction,
            adjustment_ids=lines,
        )
        if decided is None:
            raise AppealRefused(f"appeal #{record.id} was decided meanwhile")
        access.record_in(
            session.connection(),
            now=now,
            actor=by,
            action=f"appeal.{status}",
            target=f"appeal #{record.id}",
            detail={"employee": record.employee_id, "reason": reason.strip(), "correction": correction, "lines": lines},
        )
    log.info(f"appeal {status}", extra={"appeal": record.id, "employee_id": record.employee_id})
    return decided
