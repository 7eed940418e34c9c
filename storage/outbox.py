"""The outbox: every notice e-mail is written here first, under a unique natural key, then delivered.

The natural key is (rule_id, recipient_id, period, kind, slot, channel); ``slot`` numbers the repeats of
one notice (0 for a notice that is never repeated) and ``channel`` is ``email`` or the name of a chat
channel, so the same notice by e-mail and to a WeCom group are two rows, each delivered once. Inserting is
insert-on-conflict-do-nothing, so writing the same notice twice is a no-op. Delivery claims a row
(``sending`` with a claim token and time) before the SMTP transaction (or the chat request) and marks it
``sent`` after; a claim older than the lease is taken over by the next run and re-sent with the same
Message-ID.

Statuses: ``pending`` (due at ``next_attempt_at``), ``sending`` (claimed), ``sent``, ``failed`` (last
attempt failed; retried at ``next_attempt_at``), ``dead`` (gave up; ``outbox retry`` revives it) and
``merged`` (folded into the digest e-mail ``digest_id``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from perfrules.storage.db import Database
from perfrules.storage.models import Department, Employee
from perfrules.storage.types import UTCDateTime
from sqlalchemy import JSON, Column, Index, UniqueConstraint, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel

STATUSES = ("pending", "sending", "sent", "failed", "dead", "merged", "cancelled")
DUE_STATUSES = ("pending", "failed")


class OutboxMessage(SQLModel, table=True):
    """One e-mail: its natural key, the rendered multipart message and its delivery state."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("rule_id", "recipient_id", "period", "kind", "slot", "channel", name="uq_outbox_natural_key"),
        Index("ix_outbox_channel_sent", "channel", "sent_at"),
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_recipient_day", "recipient_id", "local_day"),
    )
    id: int | None = Field(default=None, primary_key=True)
    rule_id: str = Field(max_length=200)
    recipient_id: str = Field(max_length=32)
    period: str = Field(max_length=32)
    kind: str = Field(max_length=32)
    slot: int = 0
    channel: str = Field(default="email", max_length=64)  # "email" or the name of a chat channel
    local_day: date  # the recipient's calendar day the notice belongs to (digest grouping)
    message_id: str = Field(max_length=300, unique=True)
    to_addr: str = Field(max_length=320)
    locale: str = Field(max_length=8)
    subject: str = Field(max_length=998)
    text_body: str
    html_body: str
    context: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    claim_token: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    last_error: str | None = None
    digest_id: int | None = Field(default=None, foreign_key="outbox.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


@dataclass(frozen=True)
class OutboxKey:
    """The natural key of one outbox message."""

    rule_id: str
    recipient_id: str
    period: str
    kind: str
    slot: int = 0
    channel: str = "email"

    def __str__(self) -> str:
        # an e-mail's key reads as it always did (its Message-ID derives from it); a chat row adds @channel
        base = f"{self.rule_id}/{self.recipient_id}/{self.period}/{self.kind}/{self.slot}"
        return base if self.channel == "email" else f"{base}@{self.channel}"


@dataclass(frozen=True)
class NewMessage:
    """What the notice layer writes into the outbox."""

    key: OutboxKey
    local_day: date
    message_id: str
    to_addr: str
    locale: str
    subject: str
    text_body: str
    html_body: str
    context: dict[str, Any]
    not_before: datetime


@dataclass(frozen=True)
class OutboxEntry:
    """A read-only copy of one outbox row."""

    id: int
    key: OutboxKey
    local_day: date
    message_id: str
    to_addr: str
    locale: str
    subject: str
    text_body: str
    html_body: str
    context: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    claim_token: str | None
    claimed_at: datetime | None
    last_error: str | None
    digest_id: int | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class PersonRecord:
    """An employee as the notice layer needs them: names, address, language, department, manager."""

    id: str
    name_zh: str
    name_en: str
    email: str
    locale: str
    role: str
    department: str
    department_zh: str
    department_en: str
    manager_id: str | None
    bonus_base: Decimal


def _entry(row: OutboxMessage) -> OutboxEntry:
    key = OutboxKey(row.rule_id, row.recipient_id, row.period, row.kind, row.slot, row.channel)
    fields = {name: getattr(row, name) for name in OutboxEntry.__dataclass_fields__ if name != "key"}
    return OutboxEntry(key=key, **fields)


def _insert(db: Database):
    return (postgresql.insert if db.dialect == "postgresql" else sqlite.insert)(OutboxMessage)


def insert_message(db: Database, message: NewMessage, *, now: datetime) -> tuple[int, bool]:
    """Write ``message`` unless its key is already there; returns (row id, whether it was inserted)."""
    k = message.key
    values = {
        "rule_id": k.rule_id,
        "recipient_id": k.recipient_id,
        "period": k.period,
        "kind": k.kind,
        "slot": k.slot,
        "channel": k.channel,
        "local_day": message.local_day,
        "message_id": message.message_id,
        "to_addr": message.to_addr,
        "locale": message.locale,
        "subject": message.subject,
        "text_body": message.text_body,
        "html_body": message.html_body,
        "context": message.context,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": message.not_before,
        "created_at": now,
    }
    stmt = _insert(db).values(**values).on_conflict_do_nothing().returning(OutboxMessage.id)
    with db.session() as session:
        inserted = session.execute(stmt).scalar_one_or_none()
        if inserted is not None:
            return inserted, True
        existing = session.execute(_ID_BY_KEY, _key_params(k)).scalar_one()
        return existing, False


def _key_filter(k: OutboxKey) -> list[Any]:
    return [
        OutboxMessage.rule_id == k.rule_id,
        OutboxMessage.recipient_id == k.recipient_id,
        OutboxMessage.period == k.period,
        OutboxMessage.kind == k.kind,
        OutboxMessage.slot == k.slot,
        OutboxMessage.channel == k.channel,
    ]


def _by_key(column: Any) -> Any:
    """``select(column)`` of the row with one natural key, built once with bound parameters (the hot path of
    :func:`perfrules.engine.notices.queue.queue_notice`; building the expression per call cost more than the query)."""
    return select(column).where(*(getattr(OutboxMessage, name) == bindparam(f"k_{name}") for name in KEY_FIELDS))


def _key_params(k: OutboxKey) -> dict[str, Any]:
    return {f"k_{name}": getattr(k, name) for name in KEY_FIELDS}


KEY_FIELDS = ("rule_id", "recipient_id", "period", "kind", "slot", "channel")
_ID_BY_KEY = _by_key(OutboxMessage.id)
_CREATED_BY_KEY = _by_key(OutboxMessage.created_at)


def first_created(db: Database, rule_id: str, recipient_id: str, period: str, kind: str) -> datetime | None:
    """When the first notice (slot 0) of this series was written; the anchor of its repeat slots."""
    with db.session() as session:
        return session.execute(
            _CREATED_BY_KEY, _key_params(OutboxKey(rule_id, recipient_id, period, kind, 0))
        ).scalar_one_or_none()


def undigested(db: Database, kinds: Sequence[str], *, now: datetime, channel: str = "email") -> list[OutboxEntry]:
    """Due messages of ``kinds`` on ``channel`` never attempted: candidates to be grouped into a digest."""
    with db.session() as session:
        rows = (
            session.execute(
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == "pending",
                    OutboxMessage.attempts == 0,
                    OutboxMessage.kind.in_(kinds),
                    OutboxMessage.channel == channel,
                    OutboxMessage.next_attempt_at <= now,
                )
                .order_by(OutboxMessage.recipient_id, OutboxMessage.local_day, OutboxMessage.id)
            )
            .scalars()
            .all()
        )
        return [_entry(r) for r in rows]


def count_digests(db: Database, recipient_id: str, day: date, channel: str = "email") -> int:
    with db.session() as session:
        return session.execute(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.recipient_id == recipient_id,
                OutboxMessage.kind == "digest",
                OutboxMessage.channel == channel,
                OutboxMessage.local_day == day,
            )
        ).scalar_one()


def merge_into_digest(db: Database, member_ids: Sequence[int], digest: NewMessage, *, now: datetime) -> int | None:
    """Insert ``digest`` and mark the members ``merged`` into it, all or nothing.

    Returns the digest's id, or None when another run got there first (a member is no longer an
    untouched pending message, or the digest key exists): then nothing changes.
    """
    k = digest.key
    values = {
        "rule_id": k.rule_id,
        "recipient_id": k.recipient_id,
        "period": k.period,
        "kind": k.kind,
        "slot": k.slot,
        "channel": k.channel,
        "local_day": digest.local_day,
        "message_id": digest.message_id,
        "to_addr": digest.to_addr,
        "locale": digest.locale,
        "subject": digest.subject,
        "text_body": digest.text_body,
        "html_body": digest.html_body,
        "context": digest.context,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": digest.not_before,
        "created_at": now,
    }
    with db.session() as session:
        digest_id = session.execute(
            _insert(db).values(**values).on_conflict_do_nothing().returning(OutboxMessage.id)
        ).scalar_one_or_none()
        if digest_id is None:
            return None
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(member_ids), OutboxMessage.status == "pending", OutboxMessage.attempts == 0)
            .values(status="merged", digest_id=digest_id)
        ).rowcount
        if claimed != len(member_ids):
            session.rollback()
            return None
        return digest_id


def due_ids(db: Database, *, now: datetime, lease: timedelta, limit: int, channel: str = "email") -> list[int]:
    """Messages of ``channel`` to attempt now: pending/failed and due, or claimed longer ago than ``lease``."""
    with db.session() as session:
        return list(
            session.execute(
                select(OutboxMessage.id)
                .where(_due(now, lease), OutboxMessage.channel == channel)
                .order_by(OutboxMessage.id)
                .limit(limit)
            ).scalars()
        )


def _due(now: datetime, lease: timedelta) -> Any:
    return or_(
        and_(OutboxMessage.status.in_(DUE_STATUSES), OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_at <= now - lease),
    )


def claim(db: Database, message_id: int, token: str, *, now: datetime, lease: timedelta) -> OutboxEntry | None:
    """Mark one due message ``sending`` under ``token``; None if it is not due or another worker has it."""
    with db.session() as session:
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, _due(now, lease))
            .values(status="sending", claim_token=token, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        ).rowcount
        if not claimed:
            return None
        row = session.get(OutboxMessage, message_id)  # in the claiming transaction: one commit per claim
        return None if row is None else _entry(row)


def mark_sent(db: Database, message_id: int, token: str, *, now: datetime) -> bool:
    """Record a completed delivery; False if the claim was lost (another worker took it over)."""
    return finish(db, message_id, token, status="sent", sent_at=now, last_error=None)


def mark_failed(db: Database, message_id: int, token: str, *, error: str, retry_at: datetime, dead: bool) -> bool:
    """Record a failed attempt: ``failed`` (retried at ``retry_at``) or ``dead``."""
    return finish(
        db, message_id, token, status="dead" if dead else "failed", next_attempt_at=retry_at, last_error=error[:2000]
    )


def finish(db: Database, message_id: int, token: str, **values: Any) -> bool:
    """Settle a message this claim holds (``sending`` with ``token``): clear the claim and set ``values``."""
    with db.session() as session:
        return bool(
            session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message_id,
                    OutboxMessage.status == "sending",
                    OutboxMessage.claim_token == token,
                )
                .values(claim_token=None, **values)
            ).rowcount
        )


def get_message(db: Database, message_id: int) -> OutboxEntry | None:
    with db.session() as session:
        row = session.get(OutboxMessage, message_id)
        return None if row is None else _entry(row)


def id_of(db: Database, key: OutboxKey) -> int | None:
    """The row id of the notice with this natural key, if it was written."""
    with db.session() as session:
        return session.execute(_ID_BY_KEY, _key_params(key)).scalar_one_or_none()


def find_message(db: Database, key: OutboxKey) -> OutboxEntry | None:
    with db.session() as session:
        row = session.execute(select(OutboxMessage).where(*_key_filter(key))).scalar_one_or_none()
        return None if row is None else _entry(row)


def list_messages(db: Database, *, statuses: Iterable[str] | None = None, limit: int = 1000) -> list[OutboxEntry]:
    """Messages, newest first, optionally only those in ``statuses``."""
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if statuses is not None:
        stmt = stmt.where(OutboxMessage.status.in_(list(statuses)))
    with db.session() as session:
        return [_entry(r) for r in session.execute(stmt).scalars()]


def retry(db: Database, message_ids: Sequence[int] | None, *, now: datetime) -> int:
    """Make failed and dead messages (all of them when ``message_ids`` is None) pending again, due now."""
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.status.in_(("failed", "dead")))
        .values(status="pending", attempts=0, next_attempt_at=now)
    )
    if message_ids is not None:
        stmt = stmt.where(OutboxMessage.id.in_(list(message_ids)))
    with db.session() as session:
        return session.execute(stmt).rowcount


def cancel(db: Database, *, rule_id: str, period: str, now: datetime, reason: str) -> int:
    """Cancel the messages of outbox key (``rule_id``, ``period``) not sent yet (pending or failed): what
    they announce no longer holds. Sent ones stay as they are. Returns how many were cancelled."""
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.rule_id == rule_id, OutboxMessage.period == period, OutboxMessage.status.in_(DUE_STATUSES))
        .values(status="cancelled", last_error=f"cancelled {now.isoformat()}: {reason}")
    )
    with db.session() as session:
        return session.execute(stmt).rowcount


_REMEMBERED: ContextVar[dict[tuple[str, str], PersonRecord | None] | None] = ContextVar("remembered", default=None)


@contextmanager
def remembered_people() -> Iterator[None]:
    """Within the block (one scheduler slot run, in this thread), :func:`find_person` reads each employee
    once: people do not change under one run (imports are runs of their own). Nested blocks share the outer."""
    token = _REMEMBERED.set({}) if _REMEMBERED.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _REMEMBERED.reset(token)


def find_person(db: Database, employee_id: str) -> PersonRecord | None:
    """The employee ``employee_id`` with their department names, or None."""
    memo = _REMEMBERED.get()
    if memo is None:
        return _find_person(db, employee_id)
    key = (db.url, employee_id)
    if key not in memo:
        memo[key] = _find_person(db, employee_id)
    return memo[key]


def _find_person(db: Database, employee_id: str) -> PersonRecord | None:
    with db.session() as session:
        found = session.execute(
            select(Employee, Department)
            .join(Department, Department.code == Employee.department)
            .where(Employee.id == employee_id)
        ).one_or_none()
        if found is None:
            return None
        emp, dept = found
        return PersonRecord(
            emp.id,
            emp.name_zh,
            emp.name_en,
            emp.email,
            emp.locale,
            emp.role,
            dept.code,
            dept.name_zh,
            dept.name_en,
            emp.manager_id,
            emp.bonus_base,
        )
