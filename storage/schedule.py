"""Scheduler bookkeeping: the slots the service has run (claimed once each), its state, and leadership.

A *slot* is one scheduled run of one job kind for one rule and period, e.g. the deadline check of
``slow_mover_list`` for ``2026-03``. Its natural key is (kind, rule_id, period, slot); claiming inserts the
row with insert-on-conflict-do-nothing, so two runs of the same slot (catch-up after a restart, a late
APScheduler fire, a second process) never both run it. A claim that failed, or that is older than the
stale limit (the process died mid-run), may be taken over.

Leadership on PostgreSQL is ``pg_try_advisory_lock`` held on a dedicated connection for the life of the
process (:class:`AdvisoryLease`); SQLite has no server, so the scheduler package locks a file instead
(:func:`sqlite_path` tells it where the database lives).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from perfrules.storage.db import Database
from perfrules.storage.models import Employee, Submission
from perfrules.storage.outbox import PersonRecord, find_person
from perfrules.storage.types import UTCDateTime
from sqlalchemy import Connection, Index, UniqueConstraint, and_, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlmodel import Field, SQLModel

SLOT_STATUSES = ("running", "done", "failed", "skipped")


class ScheduleSlot(SQLModel, table=True):
    """One scheduled run of a job kind for a rule and period: claimed once, then done/failed/skipped."""

    __tablename__ = "schedule_slots"
    __table_args__ = (
        UniqueConstraint("kind", "rule_id", "period", "slot", name="uq_schedule_slot"),
        Index("ix_schedule_slots_scheduled", "scheduled_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    rule_id: str = Field(max_length=200)  # "" for jobs that belong to no rule (reports)
    period: str = Field(max_length=32)
    slot: str = Field(max_length=32)  # "due", "remind-3d", ...
    scheduled_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = Field(default="running", max_length=16)
    attempts: int = 1
    claim_token: str | None = Field(default=None, max_length=64)
    claimed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    caught_up: bool = False  # run after its time by the catch-up pass
    detail: str | None = None  # what the run did, or the error


class SchedulerState(SQLModel, table=True):
    """Named timestamps and notes of the service (first start, current leader and its heartbeat)."""

    __tablename__ = "scheduler_state"
    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(default="", max_length=500)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)


@dataclass(frozen=True, order=True)
class SlotKey:
    """The natural key of a slot."""

    kind: str
    rule_id: str
    period: str
    slot: str

    def __str__(self) -> str:
        rule = f" {self.rule_id}" if self.rule_id else ""
        return f"{self.kind}{rule} {self.period} {self.slot}".rstrip()


@dataclass(frozen=True)
class SlotRecord:
    """A read-only copy of one slot row."""

    key: SlotKey
    scheduled_at: datetime
    status: str
    attempts: int
    claimed_at: datetime
    finished_at: datetime | None
    caught_up: bool
    detail: str | None


def _record(row: ScheduleSlot) -> SlotRecord:
    return SlotRecord(
        SlotKey(row.kind, row.rule_id, row.period, row.slot),
        row.scheduled_at,
        row.status,
        row.attempts,
        row.claimed_at,
        row.finished_at,
        row.caught_up,
        row.detail,
    )


def _insert(db: Database, table: type[SQLModel]):
    return (postgresql.insert if db.dialect == "postgresql" else sqlite.insert)(table)


def _key_filter(key: SlotKey) -> list:
    return [
        ScheduleSlot.kind == key.kind,
        ScheduleSlot.rule_id == key.rule_id,
        ScheduleSlot.period == key.period,
        ScheduleSlot.slot == key.slot,
    ]


def claim_slot(
    db: Database,
    key: SlotKey,
    *,
    scheduled_at: datetime,
    token: str,
    now: datetime,
    stale_after: timedelta,
    max_attempts: int,
    caught_up: bool = False,
) -> bool:
    """Claim ``key`` for this run; False when it is done, skipped, running elsewhere or out of attempts."""
    values = {
        "kind": key.kind,
        "rule_id": key.rule_id,
        "period": key.period,
        "slot": key.slot,
        "scheduled_at": scheduled_at,
        "status": "running",
        "attempts": 1,
        "claim_token": token,
        "claimed_at": now,
        "caught_up": caught_up,
    }
    with db.session() as session:
        inserted = session.execute(
            _insert(db, ScheduleSlot).values(**values).on_conflict_do_nothing().returning(ScheduleSlot.id)
        ).scalar_one_or_none()
        if inserted is not None:
            return True
        retake = or_(
            ScheduleSlot.status == "failed",
            and_(ScheduleSlot.status == "running", ScheduleSlot.claimed_at <= now - stale_after),
        )
        return bool(
            session.execute(
                update(ScheduleSlot)
                .where(*_key_filter(key), retake, ScheduleSlot.attempts < max_attempts)
                .values(
                    status="running",
                    claim_token=token,
                    claimed_at=now,
                    caught_up=caught_up,
                    attempts=ScheduleSlot.attempts + 1,
                    finished_at=None,
                )
            ).rowcount
        )


def finish_slot(db: Database, key: SlotKey, token: str, *, status: str, detail: str, now: datetime) -> bool:
    """Record how a claimed run ended (done, failed or skipped); False if the claim was lost."""
    if status not in SLOT_STATUSES[1:]:
        raise ValueError(f"unknown final slot status {status!r}")
    with db.session() as session:
        return bool(
            session.execute(
                update(ScheduleSlot)
                .where(*_key_filter(key), ScheduleSlot.claim_token == token, ScheduleSlot.status == "running")
                .values(status=status, detail=detail[:4000], finished_at=now)
            ).rowcount
        )


def settled_keys(db: Database, *, since: datetime, stale_before: datetime, max_attempts: int) -> set[SlotKey]:
    """Keys scheduled at or after ``since`` that need no run: done, skipped, running fresh, out of attempts."""
    with db.session() as session:
        rows = session.execute(
            select(ScheduleSlot.kind, ScheduleSlot.rule_id, ScheduleSlot.period, ScheduleSlot.slot)
            .where(ScheduleSlot.scheduled_at >= since)
            .where(
                or_(
                    ScheduleSlot.status.in_(("done", "skipped")),
                    and_(ScheduleSlot.status == "running", ScheduleSlot.claimed_at > stale_before),
                    ScheduleSlot.attempts >= max_attempts,
                )
            )
        ).all()
    return {SlotKey(*row) for row in rows}


def list_slots(db: Database, *, since: datetime | None = None, limit: int = 1000) -> list[SlotRecord]:
    """Slot runs, oldest scheduled first, optionally only those scheduled at or after ``since``."""
    stmt = select(ScheduleSlot).order_by(ScheduleSlot.scheduled_at, ScheduleSlot.id).limit(limit)
    if since is not None:
        stmt = stmt.where(ScheduleSlot.scheduled_at >= since)
    with db.session() as session:
        return [_record(r) for r in session.execute(stmt).scalars()]


def get_slot(db: Database, key: SlotKey) -> SlotRecord | None:
    with db.session() as session:
        row = session.execute(select(ScheduleSlot).where(*_key_filter(key))).scalar_one_or_none()
        return None if row is None else _record(row)


def state_setdefault(db: Database, name: str, *, value: str = "", at: datetime) -> datetime:
    """Record ``name`` at ``at`` unless already recorded; returns the recorded time (first start)."""
    with db.session() as session:
        session.execute(_insert(db, SchedulerState).values(name=name, value=value, at=at).on_conflict_do_nothing())
        return session.execute(select(SchedulerState.at).where(SchedulerState.name == name)).scalar_one()


def state_set(db: Database, name: str, *, value: str, at: datetime) -> None:
    stmt = _insert(db, SchedulerState).values(name=name, value=value, at=at)
    stmt = stmt.on_conflict_do_update(index_elements=["name"], set_={"value": value, "at": at})
    with db.session() as session:
        session.execute(stmt)


def state_get(db: Database, name: str) -> tuple[str, datetime] | None:
    with db.session() as session:
        row = session.execute(
            select(SchedulerState.value, SchedulerState.at).where(SchedulerState.name == name)
        ).one_or_none()
        return None if row is None else (row[0], row[1])


def sqlite_path(db: Database) -> Path | None:
    """The database file of a SQLite URL (None for in-memory or another backend)."""
    url = make_url(db.url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve()


class AdvisoryLease:
    """A PostgreSQL session advisory lock held on its own connection: whoever holds it leads.

    The lock lives as long as the connection: if the process dies, PostgreSQL drops the connection and
    the lock with it, and a standby's next :meth:`try_acquire` succeeds.
    """

    def __init__(self, db: Database, key: int):
        if db.dialect != "postgresql":
            raise ValueError("advisory locks need PostgreSQL")
        self._db = db
        self._key = key
        self._conn: Connection | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; False when another session holds it."""
        if self._conn is not None:
            return True
        conn = self._db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}).scalar_one())
        except BaseException:
            conn.close()
            raise
        if got:
            self._conn = conn
        else:
            conn.close()
        return got

    def check(self) -> bool:
        """Whether the lock is still held (the connection is alive and the lock listed as ours)."""
        if self._conn is None:
            return False
        try:
            return bool(
                self._conn.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        "AND pid = pg_backend_pid() AND objid = (:k)::bigint & 4294967295"
                    ),
                    {"k": self._key},
                ).scalar_one()
            )
        except Exception:
            self._drop()
            return False

    def release(self) -> None:
        if self._conn is None:
            return
        with contextlib.suppress(Exception):  # a dead connection took the lock with it
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
        self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.invalidate()  # never hand a connection holding a session lock back to the pool
                conn.close()


def role_holders(db: Database, department: str, role: str, day: date) -> list[PersonRecord]:
    """Employees of ``department`` in ``role`` employed on ``day``: who a deadline's notices go to."""
    with db.session() as session:
        rows = (
            session.execute(
                select(Employee.id)
                .where(
                    Employee.department == department,
                    Employee.role == role,
                    Employee.active_from <= day,
                    or_(Employee.active_to.is_(None), Employee.active_to >= day),
                )
                .order_by(Employee.id)
            )
            .scalars()
            .all()
        )
    return [p for p in (find_person(db, employee_id) for employee_id in rows) if p is not None]


def submitters(db: Database, deliverable: str, period: str, *, before: datetime) -> set[str]:
    """Who handed in ``deliverable`` for ``period`` before ``before``."""
    with db.session() as session:
        return set(
            session.execute(
                select(Submission.employee_id).where(
                    Submission.deliverable == deliverable, Submission.period == period, Submission.submitted_at < before
                )
            ).scalars()
        )
