"""Bulk loading of imported facts: staging, set-wise upsert, change records and import batches.

One :class:`FactLoad` is one import transaction into one fact table. Rows arrive column-wise, already
validated, as driver-ready values (text for dates, times and amounts; UTC times as naive
``YYYY-MM-DD HH:MM:SS.ffffff`` text, the format SQLAlchemy itself writes to SQLite). They go through the
DBAPI, never through ORM objects:

- Table without self-references: straight into the table under a savepoint (SQLite: ``executemany`` with
  ``ON CONFLICT DO NOTHING``; PostgreSQL: ``COPY``); when a chunk meets an existing key it is rolled back
  and staged instead, and so is every later chunk (re-imports take the staged path).
- A large load (:data:`BULK_ROWS` rows) drops the table's secondary indexes and builds them again, in the same
  transaction, before :meth:`FactLoad.finish` reads the table: one sort per index instead of a random B-tree
  insert per row and index (the import's largest cost after PostgreSQL's foreign-key checks), and indexes
  half the size on PostgreSQL. SQLite: when the table held at most twice as many rows; readers keep seeing
  the last committed table, indexes included. PostgreSQL: when it held none (a first load), for ``DROP
  INDEX`` locks the table's readers out until the commit (:func:`~perfrules.storage.sqlutil.take_if_empty`).
- A large load into PostgreSQL (:data:`BULK_ROWS` rows or more) ends with ``ANALYZE`` of the table (and of
  the rollup it refreshed), in the same transaction: the KPI queries right after it are planned on the new
  row counts instead of waiting for autovacuum to notice them. Once it committed, ``VACUUM`` of the same
  tables sets their visibility map, so index-only scans read the indexes alone from the start.
- Otherwise rows go to a temporary staging table (PostgreSQL: ``COPY``), and :meth:`FactLoad.finish`
  records the changed fields in ``fact_changes`` and upserts set-wise with
  ``INSERT … SELECT … ON CONFLICT … DO UPDATE … WHERE <something changed>``.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import repeat
from typing import Any

import psycopg
from perfrules.engine.errors import PerfRulesError
from perfrules.storage.db import Database
from perfrules.storage.import_keys import KeyRegistry
from perfrules.storage.models import FactChange, FactGeneration, ImportBatch, KitComponent
from perfrules.storage.rollup import SkuMonth
from perfrules.storage.rollup import refresh as refresh_rollup_of
from perfrules.storage.schema import metadata
from perfrules.storage.sqlutil import drop_indexes, take_if_empty
from sqlalchemy import Column, Connection, Dialect, Integer, MetaData, Table, TextClause, column, insert, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateTable

STAGE = "_import_stage"
# Built once: every import (each API push) runs them, and building a statement costs more than running it.
_INSERT_BATCH = insert(ImportBatch.__table__).returning(ImportBatch.__table__.c.id)
_INSERT_CHANGES = insert(FactChange.__table__)
EVERY_PERIOD = date(1, 1, 1)  # the fact_generations month of master data: before every period
# Tables whose rows refer to rows of the same table or carry side tables: always staged (one statement).
_STAGED_ONLY = {"employees", "skus"}
# Past this many touched SKUs an import refreshes the rollup of every SKU (one pass over the movements beats
# that many index probes, and the set of SKUs stays small).
ROLLUP_SKUS = 50_000
# A load that has inserted this many rows into a table that held few (SQLite: at most twice as many;
# PostgreSQL: none) drops the table's secondary indexes and rebuilds them at the end: building an index sorts
# once (SQLite: about 1.3 µs a row here), keeping two indexes up to date costs about 5 µs a row (SQLite) or
# 12 µs (PostgreSQL) (bench/import.py prints both).
BULK_ROWS = 500_000


class FactStoreRejected(PerfRulesError, RuntimeError):
    """Raised by :class:`FactLoad` when the database refuses validated rows (e.g. a concurrent delete)."""

    def __init__(self, table: str, reason: str):
        super().__init__(f"the database refused the import into {table}: {reason}")
        self.table = table
        self.reason = reason


@dataclass(frozen=True)
class BatchInfo:
    """What :meth:`FactLoad.finish` records about one imported file."""

    kind: str
    source: str
    sha256: str
    rows: int


@dataclass(frozen=True)
class LoadCounts:
    """What one file did to the store."""

    rows: int
    inserted: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class Dating:
    """The columns that date a row of a kind, and the first day a value of them concerns (a day, a timestamp,
    a period label): a batch's first day tells which KPI periods its facts can change."""

    columns: tuple[str, ...]
    first_day: Callable[[Any], date | None]


@dataclass(frozen=True)
class RollupScope:
    """Columns naming the SKU and the local day of a row, for the rollup refresh after the load."""

    sku: str
    day: str | None = None


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class FactLoad:
    """One import transaction into one fact table; create with :func:`open_load`."""

    def __init__(
        self,
        conn: Connection,
        table: str,
        columns: Sequence[str],
        rollup: RollupScope | None,
        refresh_rollup: bool = True,
        dating: Dating | None = None,
    ):
        self.conn = conn
        self.table: Table = metadata.tables[table]
        self.columns = tuple(columns)
        self.key = tuple(c.name for c in self.table.primary_key.columns)
        self.values = tuple(c for c in self.columns if c not in self.key)
        self.rollup = rollup
        self.refresh_rollup = refresh_rollup
        self.dialect = conn.dialect.name
        self.raw = conn.connection.driver_connection
        self._fast = table not in _STAGED_ONLY
        self._inserted: Counter[int] = Counter()
        self._dropped: list[str] = []  # CREATE INDEX statements of the indexes dropped for a bulk load
        self._bulk_checked = False
        self._staged = 0
        self._skus: set[str] = set()  # touched SKUs whose rollup to refresh, up to ROLLUP_SKUS of them
        self._every_sku = False  # more than that: the refresh rebuilds every SKU's rows
        self._since: str | None = None
        self.kits: dict[str, tuple[int, str]] = {}  # SKUs given components: sku → (file, kit_components)
        self._has_stage = False  # created on the first staged chunk: a push of new rows needs no DDL
        self.dating = dating
        self._first_days: dict[int, date] = {}  # per file: the first day its rows concern

    # -- reading what is on file -------------------------------------------------------------------------
    def keys(self, table: str, column_name: str) -> set[str]:
        """Every value of ``table.column_name`` (for foreign-key checks before anything is written)."""
        return {key for batch in self.key_batches(table, column_name) for key in batch}

    def key_batches(self, table: str, column_name: str) -> Iterator[list[str]]:
        """Every value of ``table.column_name``, in batches of 50,000 (a server-side cursor on PostgreSQL)."""
        cur = self.raw.cursor(name="fact_keys") if self.dialect == "postgresql" else self.raw.cursor()
        try:
            cur.execute(f"SELECT {column_name} FROM {table}")
            while batch := cur.fetchmany(50_000):
                yield [row[0] for row in batch]
        finally:
            cur.close()

    def existing(self, table: str, column_name: str, values: set[str]) -> set[str]:
        """The ``values`` that are values of ``table.column_name`` (index look-ups, for small imports)."""
        found: set[str] = set()
        cur = self.raw.cursor()
        ordered = sorted(values)
        for start in range(0, len(ordered), 500):
            batch = ordered[start : start + 500]
            if self.dialect == "postgresql":
                cur.execute(f"SELECT {column_name} FROM {table} WHERE {column_name} = ANY(%s)", (batch,))
            else:
                marks = ", ".join("?" * len(batch))
                cur.execute(f"SELECT {column_name} FROM {table} WHERE {column_name} IN ({marks})", batch)
            found.update(row[0] for row in cur.fetchall())
        return found

    def key_registry(self) -> KeyRegistry:
        """A temporary table of the keys this import has read (for imports too large to keep them in memory)."""
        return KeyRegistry(self.conn)

    # -- writing -----------------------------------------------------------------------------------------
    def _create_stage(self) -> None:
        if self._has_stage:
            return
        self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGE}")
        self.conn.exec_driver_sql(_stage_ddl(self.table.name, self.columns, self.conn.dialect))
        self._has_stage = True

    def write(self, file_no: int, columns: Sequence[Sequence[Any]]) -> None:
        """Load one validated chunk (one list per column of ``self.columns``) of file ``file_no``."""
        n = len(columns[0]) if columns else 0
        if not n:
            return
        self._note_days(file_no, [columns[self.columns.index(c)] for c in self.dating.columns] if self.dating else [])
        try:
            if self._fast and self._insert_new(columns, n):
                self._inserted[file_no] += n
                self._note_rollup(columns)
                self._bulk_load()
                return
            self._fast = False
            self._stage(file_no, columns)
        except DBAPIError as exc:
            raise FactStoreRejected(self.table.name, str(exc.orig).splitlines()[0]) from None

    def _insert_new(self, columns: Sequence[Sequence[Any]], n: int) -> bool:
        """Insert a chunk straight into the table if none of its keys exists yet (else undo and say so)."""
        names = ", ".join(self.columns)
        cur = self.raw.cursor()
        cur.execute("SAVEPOINT fact_fast")
        if self.dialect == "postgresql":
            try:
                with cur.copy(f"COPY {self.table.name} ({names}) FROM STDIN") as copy:
                    for row in zip(*columns, strict=True):
                        copy.write_row(row)
                inserted = True
            except psycopg.errors.UniqueViolation:
                inserted = False
        else:
            marks = ", ".join("?" * len(self.columns))
            cur.executemany(
                f"INSERT INTO {self.table.name} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING",
                zip(*columns, strict=True),
            )
            inserted = cur.rowcount == n
        if not inserted:
            cur.execute("ROLLBACK TO SAVEPOINT fact_fast")
        cur.execute("RELEASE SAVEPOINT fact_fast")
        return inserted

    def _bulk_load(self) -> None:
        """Once a load has inserted :data:`BULK_ROWS` rows, drop the table's secondary indexes if the table held
        few rows before it (SQLite: at most twice as many; PostgreSQL: none, see :func:`take_if_empty`);
        :meth:`_restore_indexes` builds them again."""
        inserted = sum(self._inserted.values())
        if self._bulk_checked or inserted < BULK_ROWS:
            return
        self._bulk_checked = True
        if self.dialect == "postgresql":
            if not take_if_empty(self.conn, self.table, ignoring=inserted):
                return
        else:
            held = self.conn.exec_driver_sql(f"SELECT COUNT(*) FROM {self.table.name}").scalar_one() - inserted
            if held > 2 * inserted:
                return
        self._dropped = drop_indexes(self.conn, self.table)

    def _restore_indexes(self) -> None:
        """Build the indexes :meth:`_bulk_load` dropped (before anything reads the table through them)."""
        for ddl in self._dropped:
            self.conn.exec_driver_sql(ddl)
        self._dropped = []

    def settled_tables(self) -> list[str]:
        """After a load of :data:`BULK_ROWS` rows or more into PostgreSQL: the table and the rollup it refreshed,
        whose statistics and visibility map the load leaves to settle (none on SQLite: its queries carry their
        own index hints, and its indexes need no visibility map)."""
        if self.dialect != "postgresql" or sum(self._inserted.values()) + self._staged < BULK_ROWS:
            return []
        return [self.table.name, *([SkuMonth.__tablename__] if self.refresh_rollup and self.rollup is not None else [])]

    def _analyze(self) -> None:
        """Refresh the planner's statistics of :meth:`settled_tables` in the load's transaction: the queries
        right after the commit are planned on the new row counts."""
        for name in self.settled_tables():
            self.conn.exec_driver_sql(f"ANALYZE {name}")

    def _stage(self, file_no: int, columns: Sequence[Sequence[Any]]) -> None:
        self._create_stage()
        names = ", ".join((*self.columns, "_file"))
        rows = zip(*columns, repeat(file_no), strict=False)
        cur = self.raw.cursor()
        if self.dialect == "postgresql":
            with cur.copy(f"COPY {STAGE} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * (len(self.columns) + 1))
            cur.executemany(f"INSERT INTO {STAGE} ({names}) VALUES ({marks})", rows)
        self._staged += len(columns[0])

    def _note_rollup(self, columns: Sequence[Sequence[Any]]) -> None:
        if self.rollup is None:
            return
        self._touch(columns[self.columns.index(self.rollup.sku)])
        if self.rollup.day:
            first = min(columns[self.columns.index(self.rollup.day)])
            self._since = first if self._since is None else min(first, self._since)

    def _note_days(self, file_no: int, values: Sequence[Any]) -> None:
        """Lower file ``file_no``'s first day to the first day any of ``values`` (columns of dated values, or
        changed values) concerns; each distinct value is converted once."""
        days = (
            [d for col in values for d in map(self.dating.first_day, set(col) - {None}) if d is not None]
            if self.dating
            else []
        )
        if days:
            first = min(days)
            self._first_days[file_no] = min(first, self._first_days.get(file_no, first))

    # -- the set-wise part -------------------------------------------------------------------------------
    def _differs(self, a: str, b: str, name: str) -> str:
        if self.dialect == "sqlite":
            return f"{a} IS NOT {b}"
        if self.table.c[name].type.__class__.__name__ == "JSON":
            return f"{a}::jsonb IS DISTINCT FROM {b}::jsonb"
        return f"{a} IS DISTINCT FROM {b}"

    def _join(self) -> str:
        return " AND ".join(f"t.{k} = s.{k}" for k in self.key)

    def _changed(self, a: str = "t", b: str = "s") -> str:
        return " OR ".join(self._differs(f"{a}.{c}", f"{b}.{c}", c) for c in self.values) or "false"

    def _existing_per_file(self) -> Counter[int]:
        rows = self.conn.exec_driver_sql(
            f"SELECT s._file, COUNT(*) FROM {STAGE} s JOIN {self.table.name} t ON {self._join()} GROUP BY s._file"
        )
        return Counter({f: n for f, n in rows})

    def _changed_rows(self) -> dict[str, tuple[int, dict[str, Any], dict[str, Any]]]:
        """key text -> (file, old values, new values) of the changed fields of staged rows that exist."""
        flags = [f"CASE WHEN {self._differs(f't.{c}', f's.{c}', c)} THEN 1 ELSE 0 END AS f_{c}" for c in self.values]
        olds = [f"t.{c} AS o_{c}" for c in self.values]
        news = [f"s.{c} AS n_{c}" for c in self.values]
        keys = [f"s.{k} AS k_{k}" for k in self.key]
        sql = (
            f"SELECT s._file AS file, {', '.join(keys + flags + olds + news)} FROM {STAGE} s "
            f"JOIN {self.table.name} t ON {self._join()} WHERE {self._changed()}"
        )
        typed = [column("file", Integer)] + [column(f"k_{k}", self.table.c[k].type) for k in self.key]
        typed += [column(f"f_{c}", Integer) for c in self.values]
        typed += [column(f"{p}_{c}", self.table.c[c].type) for p in "on" for c in self.values]
        changes = {}
        for row in self.conn.execute(text(sql).columns(*typed)).mappings():
            fields = [c for c in self.values if row[f"f_{c}"]]
            key = "|".join(str(row[f"k_{k}"]) for k in self.key)
            changes[key] = (
                row["file"],
                {c: _jsonable(row[f"o_{c}"]) for c in fields},
                {c: _jsonable(row[f"n_{c}"]) for c in fields},
            )
        return changes

    def _stage_rollup(self, changes: dict[str, tuple[int, dict[str, Any], dict[str, Any]]]) -> None:
        if self.rollup is None or not self._staged:
            return
        sku, day = self.rollup.sku, self.rollup.day
        first = f"MIN(s.{day})" if day else "NULL"
        rows = self.conn.exec_driver_sql(
            f"SELECT s.{sku}, {first} FROM {STAGE} s LEFT JOIN {self.table.name} t ON {self._join()} "
            f"WHERE t.{self.key[0]} IS NULL OR {self._changed()} GROUP BY s.{sku}"
        )
        days = []
        for value, first_day in rows:
            self._touch((value,))
            days.append(str(first_day)[:10] if first_day is not None else None)
        for _file, old, _new in changes.values():
            if sku in old:
                self._touch((old[sku],))
            if day and day in old:
                days.append(str(old[day])[:10])
        days = [d for d in days if d]
        if day and days:
            self._since = min([*days, self._since] if self._since else days)

    def _upsert(self) -> None:
        names = ", ".join(self.columns)
        conflict = ", ".join(self.key)
        if self.values:
            sets = ", ".join(f"{c} = excluded.{c}" for c in self.values)
            action = f"DO UPDATE SET {sets} WHERE {self._changed(self.table.name, 'excluded')}"
        else:
            action = "DO NOTHING"
        self.conn.exec_driver_sql(
            f"INSERT INTO {self.table.name} ({names}) SELECT {names} FROM {STAGE} WHERE true "
            f"ON CONFLICT ({conflict}) {action}"
        )

    def _bills(self) -> dict[str, tuple[int, str | None, bool]]:
        """The imported SKUs whose bill of materials may change (run before the upsert): those the files give
        components (:attr:`kits`), and those on file with components, which a file without them drops;
        sku → (file, new ``kit_components`` text, on file before). Kits only: memory does not grow with SKUs."""
        had = dict(
            self.conn.exec_driver_sql(
                f"SELECT DISTINCT s.sku, s._file FROM {STAGE} s JOIN kit_components k ON k.kit_sku = s.sku"
            ).all()
        )
        on_file = {
            r[0]
            for r in self.conn.exec_driver_sql(
                f"SELECT s.sku FROM {STAGE} s JOIN {self.table.name} t ON {self._join()} WHERE s.is_kit"
            )
        }
        bills = {sku: (file_no, None, True) for sku, file_no in had.items()}
        bills |= {sku: (file_no, text, sku in on_file or sku in had) for sku, (file_no, text) in self.kits.items()}
        return bills

    def _sync_kits(self, bills: dict[str, tuple[int, str | None, bool]], changes: dict) -> None:
        """Replace the bill of materials of every imported SKU whose ``kit_components`` text changed."""
        old: dict[str, list[str]] = {}
        for kit, component, qty in self.conn.exec_driver_sql(
            "SELECT kit_sku, component_sku, quantity FROM kit_components ORDER BY kit_sku, component_sku"
        ):
            old.setdefault(kit, []).append(f"{component}*{qty}")
        table = KitComponent.__table__
        for sku, (file_no, new_text, existed) in bills.items():
            old_text = "|".join(old[sku]) if sku in old else None
            if old_text == new_text:
                continue
            self.conn.execute(table.delete().where(table.c.kit_sku == sku))
            if new_text:
                parts = [p.split("*") for p in new_text.split("|")]
                self.conn.execute(
                    insert(table), [{"kit_sku": sku, "component_sku": c, "quantity": int(q)} for c, q in parts]
                )
            if existed:
                file0, o, n = changes.get(sku, (file_no, {}, {}))
                changes[sku] = (file0, {**o, "kit_components": old_text}, {**n, "kit_components": new_text})

    def finish(self, batches: Sequence[BatchInfo], *, now: datetime, user: str) -> list[LoadCounts]:
        """Upsert the staged rows, record batches and changes, refresh the rollup; counts per file."""
        try:
            self._restore_indexes()
            existing = self._existing_per_file() if self._staged else Counter()
            changes = self._changed_rows() if self._staged and existing else {}
            bills = self._bills() if self._staged and self.table.name == "skus" else {}
            self._stage_rollup(changes)
            if self._staged:
                self._upsert()
            if bills:
                self._sync_kits(bills, changes)
                self._touch(bills)
            counts = self._record(batches, existing, changes, now, user)
            if self._has_stage:
                self.conn.exec_driver_sql(f"DROP TABLE {STAGE}")
            self._refresh_rollup()
            self._analyze()
        except DBAPIError as exc:
            raise FactStoreRejected(self.table.name, str(exc.orig).splitlines()[0]) from None
        return counts

    def _record(
        self, batches: Sequence[BatchInfo], existing: Counter[int], changes: dict, now: datetime, user: str
    ) -> list[LoadCounts]:
        updated = Counter(file_no for file_no, _o, _n in changes.values())
        if self.dating:  # a changed date moves the facts out of the periods of its old value too
            for file_no, old, _new in changes.values():
                self._note_days(file_no, [[old[c]] for c in self.dating.columns if c in old])
        counts, batch_ids = [], []
        newest: dict[date, int] = {}  # month → the newest batch that changed its facts (ids only grow)
        for file_no, info in enumerate(batches):
            upd = updated[file_no]
            c = LoadCounts(info.rows, info.rows - existing[file_no], upd, existing[file_no] - upd)
            counts.append(c)
            first_day = self._first_days.get(file_no) if self.dating else None
            batch_id = self.conn.execute(
                _INSERT_BATCH,
                {
                    "kind": info.kind,
                    "source": info.source,
                    "sha256": info.sha256,
                    "rows": c.rows,
                    "inserted": c.inserted,
                    "updated": c.updated,
                    "unchanged": c.unchanged,
                    "imported_at": now,
                    "imported_by": user,
                    "first_day": first_day,
                },
            ).scalar_one()
            batch_ids.append(batch_id)
            if c.inserted or c.updated:
                newest[EVERY_PERIOD if first_day is None else first_day.replace(day=1)] = batch_id
        for month, batch_id in newest.items():  # one upsert per month, however many files (grouped pushes)
            self._advance_generation(month, batch_id)
        if changes:
            kind = batches[0].kind
            self.conn.execute(
                _INSERT_CHANGES,
                [
                    {"batch_id": batch_ids[file_no], "kind": kind, "fact_key": key, "old": old, "new": new}
                    for key, (file_no, old, new) in changes.items()
                ],
            )
        return counts

    def _advance_generation(self, month: date, batch_id: int) -> None:
        """Record ``batch_id`` as the newest batch of ``month`` (:data:`EVERY_PERIOD`: of every period)."""
        self.conn.execute(
            _advance_statement(self.dialect),
            {"month": month if self.dialect == "postgresql" else month.isoformat(), "generation": batch_id},
        )

    def _refresh_rollup(self) -> None:
        """Rebuild the monthly rollup (``perfrules.storage.rollup``) of the touched SKUs, in the load's transaction."""
        if not self.refresh_rollup or self.rollup is None or not (self._skus or self._every_sku):
            return
        since = date.fromisoformat(self._since[:10]) if self._since else None
        refresh_rollup_of(self.conn, skus=None if self._every_sku else set(self._skus), since=since)

    def _touch(self, skus: Iterable[str]) -> None:
        """Note SKUs whose rollup rows the load changes; past :data:`ROLLUP_SKUS` of them, note every SKU."""
        if self._every_sku:
            return
        self._skus.update(skus)
        if len(self._skus) > ROLLUP_SKUS:
            self._every_sku, self._skus = True, set()


_STAGE_DDL: dict[tuple[str, tuple[str, ...], str], str] = {}
_WRITE_LOCKS: dict[str, threading.RLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _stage_ddl(table: str, columns: tuple[str, ...], dialect: Dialect) -> str:
    """``CREATE TEMPORARY TABLE`` of the staging table for these columns, compiled once per process."""
    key = (table, columns, dialect.name)
    if key not in _STAGE_DDL:
        source = metadata.tables[table]
        cols = [Column(c, source.c[c].type) for c in columns] + [Column("_file", Integer)]
        stage = Table(STAGE, MetaData(), *cols, prefixes=["TEMPORARY"])
        _STAGE_DDL[key] = str(CreateTable(stage).compile(dialect=dialect))
    return _STAGE_DDL[key]


@functools.cache
def _advance_statement(dialect: str) -> TextClause:
    """Upsert of a month's facts generation that never moves it back (built once: every push runs it)."""
    newest = "MAX" if dialect == "sqlite" else "GREATEST"
    table = FactGeneration.__tablename__
    return text(
        f"INSERT INTO {table} (month, generation) VALUES (:month, :generation) ON CONFLICT (month) "
        f"DO UPDATE SET generation = {newest}({table}.generation, excluded.generation)"
    )


@contextmanager
def write_lock(db: Database) -> Iterator[None]:
    """Hold this process's write lock of a SQLite database (re-entrant; a no-op on PostgreSQL).

    SQLite has one writer at a time. Imports of one process queue here instead of polling the database's
    busy timeout, so concurrent API pushes all succeed in turn; other processes still wait on
    ``BEGIN IMMEDIATE`` with the busy timeout. PostgreSQL imports run concurrently.
    """
    if db.dialect != "sqlite":
        yield
        return
    with _WRITE_LOCKS_GUARD:
        lock = _WRITE_LOCKS.setdefault(db.url, threading.RLock())
    with lock:
        yield


@contextmanager
def open_load(
    db: Database,
    table: str,
    columns: Sequence[str],
    *,
    rollup: RollupScope | None = None,
    refresh_rollup: bool = True,
    dating: Dating | None = None,
) -> Iterator[FactLoad]:
    """A :class:`FactLoad` in its own transaction: committed when the block ends, rolled back on error.

    On SQLite the transaction takes the write lock at once (``BEGIN IMMEDIATE``, under :func:`write_lock`):
    a deferred one that reads first and writes later could not wait for another writer and would fail
    with "database is locked".
    """
    with write_lock(db), db.engine.connect() as conn:
        if db.dialect == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:  # naive UTC text from the importer is read as UTC by timestamptz columns
            conn.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
        try:
            load = FactLoad(conn, table, columns, rollup, refresh_rollup, dating)
            yield load
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
    db.vacuum(load.settled_tables())
