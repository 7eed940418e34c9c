"""The keys one import has read so far, in a temporary table: for imports too large to remember them in memory.

Each key is stored as text with its position (which file and line first had it); adding a chunk of keys
answers which of them were there already, and where. The table lives on the import's connection and
transaction and is dropped with it (SQLite keeps temporary tables in a file: ``PRAGMA temp_store=FILE``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

REGISTRY = "_import_keys"
_BATCH = 500  # keys per look-up statement on SQLite (PostgreSQL takes them all as one array)


class KeyRegistry:
    """Keys and their first positions; create with :meth:`FactLoad.key_registry`."""

    def __init__(self, conn: Connection):
        self.raw = conn.connection.driver_connection
        self.postgres = conn.dialect.name == "postgresql"
        cur = self.raw.cursor()
        cur.execute(f"DROP TABLE IF EXISTS {REGISTRY}")
        if self.postgres:
            cur.execute(f"CREATE TEMPORARY TABLE {REGISTRY} (k TEXT PRIMARY KEY, pos BIGINT) ON COMMIT DROP")
        else:
            cur.execute(f"CREATE TEMPORARY TABLE {REGISTRY} (k TEXT PRIMARY KEY, pos INTEGER) WITHOUT ROWID")

    def add(self, keys: Sequence[str], positions: Sequence[int]) -> dict[str, int]:
        """Register ``keys`` (distinct) at ``positions``; returns the ones registered before, at their position."""
        cur = self.raw.cursor()
        if self.postgres:
            found = self.find(keys)
            with cur.copy(f"COPY {REGISTRY} (k, pos) FROM STDIN") as copy:
                for key, pos in zip(keys, positions, strict=True):
                    if key not in found:
                        copy.write_row((key, pos))
            return found
        cur.executemany(
            f"INSERT INTO {REGISTRY} (k, pos) VALUES (?, ?) ON CONFLICT DO NOTHING", zip(keys, positions, strict=True)
        )
        if cur.rowcount == len(keys):
            return {}
        mine = dict(zip(keys, positions, strict=True))
        return {k: pos for k, pos in self.find(keys).items() if pos != mine[k]}

    def find(self, keys: Sequence[str]) -> dict[str, int]:
        """The registered ``keys`` with their positions."""
        cur = self.raw.cursor()
        found: dict[str, int] = {}
        if self.postgres:
            cur.execute(f"SELECT k, pos FROM {REGISTRY} WHERE k = ANY(%s)", (list(keys),))
            return dict(cur.fetchall())
        for start in range(0, len(keys), _BATCH):
            batch = list(keys[start : start + _BATCH])
            cur.execute(f"SELECT k, pos FROM {REGISTRY} WHERE k IN ({', '.join('?' * len(batch))})", batch)
            found.update(cur.fetchall())
        return found

    def drop(self) -> None:
        self.raw.cursor().execute(f"DROP TABLE IF EXISTS {REGISTRY}")
