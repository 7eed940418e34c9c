"""Database connection: engine creation, SQLite pragmas, schema migration and sessions."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from perfrules.engine.errors import DatabaseNotReady, DatabaseUnreachable
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlmodel import Session

_log = logging.getLogger("perfrules.storage")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

__all__ = ["MIGRATIONS", "Connection", "Database", "Pool", "Session", "alembic_config", "connect", "make_engine"]


SQLITE_CACHE_MIB = 128  # page cache per connection
SQLITE_HEAP_MIB = 256  # soft limit of SQLite's memory in the whole process
# One transaction's pages all go to the write-ahead log first: a history load grows it to the size of the data
# it wrote (so a first load needs free disk for about twice its data). After the checkpoint that copies them
# into the database the log is cut back to this size instead of keeping its largest size for good.
SQLITE_WAL_MIB = 64


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # FULL: the write-ahead log is flushed to disk at each commit, so what perfrules acknowledged (a push, an
    # outbox entry marked sent) survives a power cut, not only a crash of perfrules. Concurrent pushes share
    # one commit (perfrules.engine.importing.pushes), so the flush is paid once per group.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Memory is bounded by design, whatever the data: each connection caches up to 128 MiB of pages; all of
    # SQLite in this process (every pooled connection's cache, the sorters of a rollup rebuild) is held near
    # 256 MiB, sorts spilling to files past it; temporary tables (an import's staging table, its key registry)
    # live in files, not RAM. The operating system's file cache keeps them fast.
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_MIB * 1024}")
    cursor.execute(f"PRAGMA soft_heap_limit={SQLITE_HEAP_MIB << 20}")
    cursor.execute("PRAGMA temp_store=FILE")
    cursor.execute(f"PRAGMA journal_size_limit={SQLITE_WAL_MIB << 20}")
    cursor.close()


@dataclass(frozen=True)
class Pool:
    """How many connections one process keeps open to its database (SQLAlchemy's ``pool_size``) and opens
    beyond them at a peak (``max_overflow``, closed again after use). On SQLite too: a connection opened
    afresh for each request of a busy web server costs its pragmas and a cold page cache."""

    size: int = 10
    max_overflow: int = 10


def _in_memory(parsed: URL) -> bool:
    """Whether ``parsed`` names an in-memory SQLite database (SQLAlchemy gives each thread one of its own)."""
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def make_engine(url: str, pool: Pool = Pool()) -> Engine:
    """An engine for ``url`` with the connection ``pool``; SQLite gets WAL, foreign keys and a busy timeout on
    every connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # an in-memory database: one connection per thread, no pool to size
        sizes = {} if _in_memory(parsed) else {"pool_size": pool.size, "max_overflow": pool.max_overflow}
        engine = create_engine(url, connect_args={"check_same_thread": False}, **sizes)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, pool_size=pool.size, max_overflow=pool.max_overflow)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@dataclass
class Database:
    """The fact store behind one URL. Create with :func:`connect`."""

    url: str
    engine: Engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def concurrent_reads(self) -> bool:
        """Whether two connections, in two threads, read the same database at once (not an in-memory SQLite's:
        there each thread gets a database of its own)."""
        return not _in_memory(self.engine.url)

    @property
    def display_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def upgrade(self) -> None:
        """Bring the schema to the newest revision (creates it on an empty database)."""
        with self.engine.begin() as conn:
            cfg = alembic_config(self.url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def revisions(self) -> tuple[str | None, str]:
        """(current revision of the database, newest revision this release knows)."""
        head = ScriptDirectory.from_config(alembic_config(self.url)).get_current_head()
        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        return current, head

    def require_current(self) -> None:
        """Raise :class:`DatabaseNotReady` unless the schema is at the newest revision."""
        current, head = self.revisions()
        if current != head:
            raise DatabaseNotReady(self.display_url, current, head)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def vacuum(self, tables: Sequence[str], *, analyze: bool = False) -> None:
        """``VACUUM`` (with ``analyze``: ``VACUUM (ANALYZE)``) ``tables`` of a PostgreSQL database after a large
        load or rebuild committed (VACUUM runs outside any transaction); nothing on SQLite.

        It sets the tables' visibility map: until then an index-only scan (the KPI queries' covering indexes)
        visits the table for every row it reads. Left to autovacuum, which works slowly on purpose and had not
        come by minutes after the large company's import, its KPI set ran twice as slow until then. The work is
        committed by now, so a failure is logged, not raised: autovacuum does the same later."""
        if not tables or self.dialect != "postgresql":
            return
        try:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for name in tables:
                    conn.exec_driver_sql(f"VACUUM {'(ANALYZE) ' if analyze else ''}{name}")
        except DBAPIError as exc:
            _log.warning("VACUUM %s failed (autovacuum will do it later): %s", ", ".join(tables), exc.orig)

    def dispose(self) -> None:
        self.engine.dispose()


def connect(url: str, *, upgrade: bool = False, pool: Pool = Pool()) -> Database:
    """Open the database at ``url``; with ``upgrade`` create or migrate the schema first (which connects, so
    an unreachable server is reported here as :class:`DatabaseUnreachable`, with the password hidden)."""
    try:
        engine = make_engine(url, pool)
    except (ArgumentError, ValueError) as exc:
        raise DatabaseUnreachable(repr(url), f"not a database URL ({exc})") from None
    db = Database(url, engine)
    if upgrade:
        try:
            db.upgrade()
        except (OperationalError, InterfaceError) as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise DatabaseUnreachable(db.display_url, f"cannot connect ({reason})") from None
    return db
