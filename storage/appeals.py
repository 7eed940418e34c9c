"""Appeals: a person contests a finding or a bonus line charged to them; HR accepts or rejects it.

An appeal never changes money by itself: an accepted one is carried out as an HR correction (void or
override, :mod:`perfrules.storage.evaluation`) whose reason names the appeal. One open appeal per person
and subject at a time (a partial unique index where the database has them, checked in the same transaction
everywhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from perfrules.storage.db import Database, Session
from perfrules.storage.types import UTCDateTime
from sqlalchemy import JSON, Column, Index, Text, select, text
from sqlmodel import Field, SQLModel

SUBJECTS = ("line", "finding")
STATUSES = ("open", "accepted", "rejected", "withdrawn")


class Appeal(SQLModel, table=True):
    """One appeal: who contests what and why, and HR's decision."""

    __tablename__ = "appeals"
    __table_args__ = (
        Index("ix_appeals_status", "status"),
        Index(
            "uq_appeals_open_subject",
            "employee_id",
            "subject",
            "subject_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    employee_id: str = Field(foreign_key="employees.id", max_length=32, index=True)
    subject: str = Field(max_length=16)  # line, finding
    subject_id: int
    quarter: str = Field(max_length=8, index=True)  # the payroll quarter of the line (of the finding)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    filed_by: str = Field(max_length=200)
    filed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = Field(default="open", max_length=16)
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    decision: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # HR's reason
    # the correction an accepted appeal was carried out as: void, override or none (no line attached)
    correction: str | None = Field(default=None, max_length=16)
    adjustment_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


@dataclass(frozen=True)
class AppealRecord:
    """A read-only copy of one appeal."""

    id: int
    employee_id: str
    subject: str
    subject_id: int
    quarter: str
    reason: str
    filed_by: str
    filed_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None
    decision: str | None
    correction: str | None
    adjustment_ids: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "employee_id": self.employee_id,
            "subject": self.subject,
            "subject_id": self.subject_id,
            "quarter": self.quarter,
            "reason": self.reason,
            "filed_by": self.filed_by,
            "filed_at": self.filed_at.isoformat(),
            "status": self.status,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "decision": self.decision,
            "correction": self.correction,
            "adjustment_ids": list(self.adjustment_ids),
        }


def _record(row: Appeal) -> AppealRecord:
    assert row.id is not None
    return AppealRecord(
        row.id,
        row.employee_id,
        row.subject,
        row.subject_id,
        row.quarter,
        row.reason,
        row.filed_by,
        row.filed_at,
        row.status,
        row.decided_by,
        row.decided_at,
        row.decision,
        row.correction,
        tuple(row.adjustment_ids or ()),
    )


def open_appeal_on(session: Session, employee_id: str, subject: str, subject_id: int) -> AppealRecord | None:
    row = session.execute(
        select(Appeal).where(
            Appeal.employee_id == employee_id,
            Appeal.subject == subject,
            Appeal.subject_id == subject_id,
            Appeal.status == "open",
        )
    ).scalar_one_or_none()
    return None if row is None else _record(row)


def add_appeal(
    session: Session,
    *,
    employee_id: str,
    subject: str,
    subject_id: int,
    quarter: str,
    reason: str,
    filed_by: str,
    filed_at: datetime,
) -> AppealRecord:
    row = Appeal(
        employee_id=employee_id,
        subject=subject,
        subject_id=subject_id,
        quarter=quarter,
        reason=reason,
        filed_by=filed_by,
        filed_at=filed_at,
    )
    session.add(row)
    session.flush()
    return _record(row)


def appeals(
    db: Database, *, status: str | None = None, employee_ids: frozenset[str] | None = None, quarter: str | None = None
) -> list[AppealRecord]:
    """Appeals, newest first; ``employee_ids`` limits them to those people (a manager's team, one person)."""
    stmt = select(Appeal).order_by(Appeal.id.desc())
    if status is not None:
        stmt = stmt.where(Appeal.status == status)
    if employee_ids is not None:
        stmt = stmt.where(Appeal.employee_id.in_(sorted(employee_ids)))
    if quarter is not None:
        stmt = stmt.where(Appeal.quarter == quarter)
    with db.session() as session:
        return [_record(r) for r in session.execute(stmt).scalars()]


def appeal(db: Database, appeal_id: int) -> AppealRecord | None:
    with db.session() as session:
        row = session.get(Appeal, appeal_id)
        return None if row is None else _record(row)


def decide(
    session: Session,
    appeal_id: int,
    *,
    status: str,
    by: str,
    at: datetime,
    decision: str,
    correction: str | None = None,
    adjustment_ids: tuple[int, ...] = (),
) -> AppealRecord | None:
    """Close an open appeal (accepted, rejected or withdrawn); None when it is not open any more."""
    row = session.get(Appeal, appeal_id, with_for_update=True)
    if row is None or row.status != "open":
        return None
    row.status, row.decided_by, row.decided_at, row.decision = status, by, at, decision
    row.correction, row.adjustment_ids = correction, list(adjustment_ids)
    session.add(row)
    session.flush()
    return _record(row)
