"""Contract acknowledgements: a person confirms they have read the clauses of their role in force.

One row per (employee, role, rulebook digest): acknowledging the same clauses twice changes nothing, and a
new rulebook (another digest) needs a new acknowledgement. Each new row is written to the audit log in the
same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from perfrules.storage import access
from perfrules.storage.db import Database
from perfrules.storage.types import UTCDateTime
from sqlalchemy import JSON, Column, UniqueConstraint, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel

ACTION = "contract.acknowledged"


class Acknowledgement(SQLModel, table=True):
    """One person's confirmation that they read their role's clauses under one rulebook."""

    __tablename__ = "contract_acknowledgements"
    __table_args__ = (
        UniqueConstraint("employee_id", "role", "rulebook_digest", name="uq_contract_acknowledgements_key"),
    )
    id: int | None = Field(default=None, primary_key=True)
    employee_id: str = Field(foreign_key="employees.id", max_length=32, index=True)
    role: str = Field(max_length=64)
    rulebook_digest: str = Field(max_length=64)
    clauses: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # "rule_id v3"
    acknowledged_by: str = Field(max_length=200)
    acknowledged_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


@dataclass(frozen=True)
class AcknowledgementRecord:
    """A read-only copy of one acknowledgement."""

    id: int
    employee_id: str
    role: str
    rulebook_digest: str
    clauses: tuple[str, ...]
    acknowledged_by: str
    acknowledged_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "employee_id": self.employee_id,
            "role": self.role,
            "rulebook_digest": self.rulebook_digest,
            "clauses": list(self.clauses),
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": self.acknowledged_at.isoformat(),
        }


def _record(row: Acknowledgement) -> AcknowledgementRecord:
    assert row.id is not None
    return AcknowledgementRecord(
        row.id,
        row.employee_id,
        row.role,
        row.rulebook_digest,
        tuple(row.clauses or ()),
        row.acknowledged_by,
        row.acknowledged_at,
    )


def _key(employee_id: str, role: str, digest: str) -> Any:
    return select(Acknowledgement).where(
        Acknowledgement.employee_id == employee_id,
        Acknowledgement.role == role,
        Acknowledgement.rulebook_digest == digest,
    )


def acknowledge(
    db: Database, *, employee_id: str, role: str, digest: str, clauses: tuple[str, ...], by: str, now: datetime
) -> tuple[AcknowledgementRecord, bool]:
    """Store the acknowledgement keyed (employee, role, digest) unless it exists: (the record, whether it is
    new). Two clicks at once insert one row (ON CONFLICT DO NOTHING) and one audit entry."""
    values = {
        "employee_id": employee_id,
        "role": role,
        "rulebook_digest": digest,
        "clauses": list(clauses),
        "acknowledged_by": by,
        "acknowledged_at": now,
    }
    with db.session() as session:
        dialect = session.get_bind().dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Acknowledgement.__table__)
        stmt = (
            insert.values(values)
            .on_conflict_do_nothing(index_elements=["employee_id", "role", "rulebook_digest"])
            .returning(Acknowledgement.__table__.c.id)
        )  # a conflict returns no row (rowcount is not reliable here on psycopg)
        created = session.execute(stmt).scalar_one_or_none() is not None
        if created:
            access.record_in(
                session.connection(),
                now=now,
                actor=by,
                action=ACTION,
                target=employee_id,
                detail={"role": role, "rulebook_digest": digest, "clauses": list(clauses)},
            )
        row = session.execute(_key(employee_id, role, digest)).scalar_one()
        return _record(row), created


def acknowledgements(
    db: Database, *, employee_ids: frozenset[str] | None = None, digest: str | None = None
) -> list[AcknowledgementRecord]:
    """Acknowledgements, newest first; ``employee_ids`` limits them to those people, ``digest`` to one rulebook."""
    stmt = select(Acknowledgement).order_by(Acknowledgement.acknowledged_at.desc(), Acknowledgement.id.desc())
    if employee_ids is not None:
        stmt = stmt.where(Acknowledgement.employee_id.in_(sorted(employee_ids)))
    if digest is not None:
        stmt = stmt.where(Acknowledgement.rulebook_digest == digest)
    with db.session() as session:
        return [_record(r) for r in session.execute(stmt).scalars()]
