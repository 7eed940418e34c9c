"""Small dialect helpers for the set-wise SQL of ``storage``: dates as bind values, month buckets, day maths.

SQLite keeps dates as ``YYYY-MM-DD`` text and PostgreSQL as ``DATE``; these helpers hide the difference.
"""

from __future__ import annotations

from datetime import date, datetime

import psycopg
from perfrules.engine.periods import add_months
from sqlalchemy import Connection, Table
from sqlalchemy.schema import CreateIndex

# How long a bulk load waits for the transactions using a table before it goes on without taking it.
BULK_LOCK_TIMEOUT = "5s"


def month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def month_end(day: date) -> date:
    return add_months(month_start(day), 1) - date.resolution


def to_date(value: object) -> date | None:
    """A date from what a driver returns (PostgreSQL: ``date``; SQLite: ``YYYY-MM-DD`` text)."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value  # type: ignore[return-value]
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def bind_day(dialect: str, day: date) -> object:
    """A date as a bind value the dialect compares correctly with its date columns."""
    return day if dialect == "postgresql" else day.isoformat()


def day_param(dialect: str, name: str) -> str:
    """SQL for a date bind parameter, typed so PostgreSQL can compare and subtract it."""
    return f"CAST(:{name} AS DATE)" if dialect == "postgresql" else f":{name}"


def month_expr(dialect: str, column: str) -> str:
    """SQL for the first day of the month of a date column."""
    if dialect == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS DATE)"
    return f"(substr({column}, 1, 7) || '-01')"


def seconds_between(dialect: str, later: str, earlier: str) -> str:
    """SQL for the seconds from timestamp expression ``earlier`` to ``later``."""
    if dialect == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def day_order_hint(dialect: str) -> str:
    """SQLite: read movements in day order. Left alone, its planner walks the (sku, day) index to save the
    GROUP BY sort and fetches every row at random — four times slower over a month or over everything."""
    return "INDEXED BY ix_movements_day_sku" if dialect == "sqlite" else ""


def index_ddl(conn: Connection, table: Table) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of each secondary (non-unique) index of ``table``, by name: what a bulk
    load drops and builds again once its rows are in."""
    indexes = sorted((i for i in table.indexes if not i.unique), key=lambda i: i.name)
    return [(index.name, str(CreateIndex(index).compile(dialect=conn.dialect))) for index in indexes]


def drop_indexes(conn: Connection, table: Table) -> list[str]:
    """Drop the secondary indexes of ``table`` (:func:`index_ddl`) in the caller's transaction; the CREATE INDEX
    statements that build them again once the rows are in."""
    dropped = []
    for name, ddl in index_ddl(conn, table):
        conn.exec_driver_sql(f"DROP INDEX {name}")
        dropped.append(ddl)
    return dropped


def take_if_empty(conn: Connection, table: Table, *, ignoring: int = 0) -> bool:
    """PostgreSQL: whether ``table`` held no rows before this transaction wrote its ``ignoring`` rows, and if so
    take it for the rest of the transaction (``ACCESS EXCLUSIVE``: what ``DROP INDEX`` needs; readers of the
    table wait for the commit, and see nothing before it anyway). Waits at most :data:`BULK_LOCK_TIMEOUT` for
    transactions using the table; when they keep it, or the table held rows, nothing is taken: False."""
    cur = conn.connection.driver_connection.cursor()

    def empty() -> bool:
        cur.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {table.name} LIMIT %s) t", (ignoring + 1,))
        return cur.fetchone()[0] <= ignoring

    if not empty():  # asked first without the lock: a lock request would queue the table's readers behind it
        return False
    cur.execute("SELECT current_setting('lock_timeout')")
    previous = cur.fetchone()[0]
    cur.execute("SAVEPOINT take_table")
    cur.execute("SELECT set_config('lock_timeout', %s, true)", (BULK_LOCK_TIMEOUT,))
    try:
        cur.execute(f"LOCK TABLE {table.name} IN ACCESS EXCLUSIVE MODE")
        taken = empty()  # rows committed while the lock was awaited count
    except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected):
        taken = False
    if taken:
        cur.execute("SELECT set_config('lock_timeout', %s, true)", (previous,))
    else:  # gives the lock back: readers keep reading what the table holds
        cur.execute("ROLLBACK TO SAVEPOINT take_table")
    cur.execute("RELEASE SAVEPOINT take_table")
    return taken
