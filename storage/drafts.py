"""Rule-file drafts: HR's proposed change to one file of the rulebook, reviewed by a second person before
it is written into the rules folder (the files stay the source of truth; this table holds the way there).

Statuses: ``draft`` (being written), ``submitted`` (waiting for a reviewer), ``approved``, ``published``
(written into the folder), ``rejected`` or ``withdrawn``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from perfrules.storage.db import Database, Session
from perfrules.storage.types import UTCDateTime
from sqlalchemy import Column, Index, Text, select
from sqlmodel import Field, SQLModel

STATUSES = ("draft", "submitted", "approved", "published", "rejected", "withdrawn")


class RuleDraft(SQLModel, table=True):
    """One proposed version of one rule file, with who wrote, reviewed and published it."""

    __tablename__ = "rule_drafts"
    __table_args__ = (Index("ix_rule_drafts_status", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    file: str = Field(max_length=300)  # the file's name inside the rules folder, e.g. purchasing.yaml
    content: str = Field(sa_column=Column(Text, nullable=False))
    base_sha256: str = Field(default="", max_length=64)  # the file it changes, as it was drafted ('' = new)
    base_content: str = Field(default="", sa_column=Column(Text, nullable=False))
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    author: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = Field(default="draft", max_length=16)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    reviewer: str | None = Field(default=None, max_length=200)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    review_note: str = Field(default="", sa_column=Column(Text, nullable=False))
    published_by: str | None = Field(default=None, max_length=200)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    rulebook_digest: str = Field(default="", max_length=64)  # the rulebook the publication made


@dataclass(frozen=True)
class DraftRecord:
    """A read-only copy of one draft."""

    id: int
    file: str
    content: str
    base_sha256: str
    base_content: str
    note: str
    author: str
    created_at: datetime
    status: str
    submitted_at: datetime | None
    reviewer: str | None
    reviewed_at: datetime | None
    review_note: str
    published_by: str | None
    published_at: datetime | None
    rulebook_digest: str


def _record(row: RuleDraft) -> DraftRecord:
    assert row.id is not None
    return DraftRecord(
        row.id,
        row.file,
        row.content,
        row.base_sha256,
        row.base_content,
        row.note,
        row.author,
        row.created_at,
        row.status,
        row.submitted_at,
        row.reviewer,
        row.reviewed_at,
        row.review_note,
        row.published_by,
        row.published_at,
        row.rulebook_digest,
    )


def add_draft(
    session: Session,
    *,
    file: str,
    content: str,
    base_sha256: str,
    base_content: str,
    note: str,
    author: str,
    now: datetime,
) -> DraftRecord:
    row = RuleDraft(
        file=file,
        content=content,
        base_sha256=base_sha256,
        base_content=base_content,
        note=note,
        author=author,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return _record(row)


def drafts(db: Database, *, status: str | None = None) -> list[DraftRecord]:
    """Drafts, newest first."""
    stmt = select(RuleDraft).order_by(RuleDraft.id.desc())
    if status is not None:
        stmt = stmt.where(RuleDraft.status == status)
    with db.session() as session:
        return [_record(r) for r in session.execute(stmt).scalars()]


def draft(db: Database, draft_id: int) -> DraftRecord | None:
    with db.session() as session:
        row = session.get(RuleDraft, draft_id)
        return None if row is None else _record(row)


def move(session: Session, draft_id: int, *, expected: tuple[str, ...], **values: object) -> DraftRecord | None:
    """Set ``values`` on the draft if its status is one of ``expected`` (None otherwise): the one way a
    draft changes state, under a row lock so two reviewers cannot both act."""
    row = session.get(RuleDraft, draft_id, with_for_update=True)
    if row is None or row.status not in expected:
        return None
    for name, value in values.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return _record(row)
