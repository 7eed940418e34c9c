"""Set-wise SQL behind the KPI library: stock windows, slow movers, classes, and the other fact tables.

Everything here returns plain frozen values; ``perfrules.engine.kpi`` turns them into KPI values.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from perfrules.storage.db import Database
from sqlalchemy import Connection, text


@contextmanager
def reading(db: Database) -> Iterator[Connection]:
    """A connection for a batch of KPI queries (one snapshot on PostgreSQL's repeatable read is not needed:
    the rollup is refreshed in the importer's transaction)."""
    with db.engine.connect() as conn:
        yield conn


def categories(db: Database) -> list[str]:
    """The categories of the SKU master, sorted."""
    with reading(db) as conn:
        return [r[0] for r in conn.execute(text("SELECT DISTINCT category FROM skus ORDER BY category"))]
