"""The KPI value store: the figure sets pages show, kept per period, scope, rulebook and facts generation.

One row per set — the KPI values of one scope and period as of a day under one rulebook (``kpis``), or
another figure set a page shows (``slow_movers``, ``drill:<kpi>``) — with the facts generation it was
computed at and its payload as exact JSON text (the engine serialises it: decimals stay decimal text).
Storing a newer generation of a set deletes the older ones: the newest stored set is what a page serves
while the next one is computed (stale while revalidate), so older ones serve nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from perfrules.storage.db import Database
from perfrules.storage.models import ImportBatch
from perfrules.storage.sqlutil import to_date
from perfrules.storage.types import UTCDateTime
from sqlalchemy import Column, Text, UniqueConstraint, and_, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel

KEY = ("figures", "scope_kind", "scope", "period", "as_of", "rulebook", "generation")


class KpiValueSet(SQLModel, table=True):
    """One stored figure set of one scope and period, as of a day, under one rulebook and facts generation."""

    __tablename__ = "kpi_values"
    __table_args__ = (UniqueConstraint(*KEY, name="uq_kpi_values_key"),)
    id: int | None = Field(default=None, primary_key=True)
    figures: str = Field(max_length=64)  # kpis, slow_movers, drill:<kpi>
    scope_kind: str = Field(max_length=32)
    scope: str = Field(max_length=64)
    period: str = Field(max_length=16)  # the period label, 2026-02
    period_end: date  # the day the facts generation is read up to
    as_of: date
    rulebook: str = Field(max_length=64)  # the digest of the rules in force (due moments, judged targets)
    generation: int  # the newest import batch of a month up to period_end when the set was computed
    payload: str = Field(sa_column=Column(Text, nullable=False))
    computed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


@dataclass(frozen=True)
class SetKey:
    """What a stored set is of (everything but the facts generation)."""

    figures: str
    scope_kind: str
    scope: str
    period: str
    period_end: date
    as_of: date
    rulebook: str


@dataclass(frozen=True)
class StoredSet:
    """A read-only copy of one stored set (``payload``: empty in listings)."""

    key: SetKey
    generation: int
    computed_at: datetime
    payload: str
    size: int


def _where(key: SetKey):
    t = KpiValueSet.__table__.c
    return and_(
        t.figures == key.figures,
        t.scope_kind == key.scope_kind,
        t.scope == key.scope,
        t.period == key.period,
        t.as_of == key.as_of,
        t.rulebook == key.rulebook,
    )


def _set(row) -> StoredSet:
    key = SetKey(
        row.figures, row.scope_kind, row.scope, row.period, to_date(row.period_end), to_date(row.as_of), row.rulebook
    )
    payload = getattr(row, "payload", "") or ""
    return StoredSet(key, row.generation, row.computed_at, payload, row.size)


_COLUMNS = [c for c in KpiValueSet.__table__.c if c.name not in ("id", "payload")]


def newest(db: Database, key: SetKey, *, any_rulebook: bool = False) -> StoredSet | None:
    """The newest stored generation of the set, or None (one indexed lookup). ``any_rulebook``: of the same
    figures under whichever rulebook digest (the newest computed), for a page to show while the sets under
    the rules now in force are drawn up."""
    t = KpiValueSet.__table__
    where = _where(key)
    order = [t.c.generation.desc()]
    if any_rulebook:
        where = and_(*[c for c in where.clauses if c.left.name != "rulebook"])
        order = [t.c.generation.desc(), t.c.computed_at.desc()]
    stmt = select(*_COLUMNS, t.c.payload, func.length(t.c.payload).label("size")).where(where).order_by(*order).limit(1)
    with db.engine.connect() as conn:
        row = conn.execute(stmt).first()
    return None if row is None else _set(row)


def put(db: Database, key: SetKey, generation: int, payload: str, computed_at: datetime) -> None:
    """Store the set computed at ``generation`` (a set stored already at that generation stays as it is) and
    drop its older generations."""
    t = KpiValueSet.__table__
    values = {**key.__dict__, "generation": generation, "payload": payload, "computed_at": computed_at}
    insert = (postgresql.insert if db.dialect == "postgresql" else sqlite.insert)(t)
    with db.engine.begin() as conn:
        conn.execute(insert.values(**values).on_conflict_do_nothing(index_elements=list(KEY)))
        conn.execute(delete(t).where(_where(key), t.c.generation < generation))


def listing(db: Database, *, period: str | None = None) -> list[StoredSet]:
    """Every stored set (of ``period``), without payloads: figures, scope, period, generation, size."""
    t = KpiValueSet.__table__
    stmt = select(*_COLUMNS, func.length(t.c.payload).label("size")).order_by(
        t.c.period, t.c.figures, t.c.scope_kind, t.c.scope, t.c.generation
    )
    if period is not None:
        stmt = stmt.where(t.c.period == period)
    with db.engine.connect() as conn:
        return [_set(row) for row in conn.execute(stmt)]


def prune(db: Database, *, current: Mapping[date, int], rulebook: str | None = None) -> int:
    """Delete the sets no longer current: computed at an older facts generation than ``current`` gives for
    their period end (the newest import batch of a month up to it), or under another rulebook digest than
    ``rulebook`` (sets stored under ``""`` depend on no rule). Pages compute a pruned set again on demand.
    Returns how many sets were deleted."""
    t = KpiValueSet.__table__
    deleted = 0
    with db.engine.begin() as conn:
        if rulebook is not None:
            other = and_(t.c.rulebook != rulebook, t.c.rulebook != "")  # "": sets no rule bears on
            deleted += conn.execute(delete(t).where(other)).rowcount
        for end, generation in current.items():
            deleted += conn.execute(delete(t).where(t.c.period_end == end, t.c.generation < generation)).rowcount
    return deleted


def period_ends(db: Database) -> list[date]:
    """The period ends stored sets are read up to (for :func:`prune`)."""
    t = KpiValueSet.__table__
    with db.engine.connect() as conn:
        return [to_date(d) for (d,) in conn.execute(select(t.c.period_end).distinct())]


def batches_between(db: Database, after: int, until: int) -> int:
    """How many import batches came in after generation ``after`` up to ``until`` (the newer facts a stale set
    misses, at most)."""
    stmt = select(func.count()).where(ImportBatch.id > after, ImportBatch.id <= until)
    with db.engine.connect() as conn:
        return conn.execute(stmt).scalar_one()
