"""Which ``perfrules serve`` process runs the schedule: exactly one per database.

PostgreSQL: a session advisory lock held on a dedicated connection for the life of the process. The
others are standbys: they retry every :data:`RETRY_SECONDS` and the first to get the lock after the
leader dies (its connection closes, PostgreSQL frees the lock) takes over.

SQLite: an exclusive ``flock`` on ``<database file>.scheduler.lock``. A second process refuses to start
its scheduler with :class:`SchedulerLocked` (SQLite serves one host, so there is nothing to stand by for).
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path
from typing import IO, Protocol

from perfrules.engine.errors import PerfRulesError
from perfrules.storage import Database
from perfrules.storage.schedule import AdvisoryLease, sqlite_path

LOCK_KEY = 0x70657266  # "perf": the advisory lock id every perfrules scheduler uses
RETRY_SECONDS = 5.0
HEARTBEAT_SECONDS = 5.0


class SchedulerLocked(PerfRulesError, RuntimeError):
    """Raised by ``perfrules serve`` on SQLite when another process already runs the scheduler."""

    def __init__(self, lock_file: Path, holder: str):
        super().__init__(
            f"another perfrules scheduler ({holder or 'unknown process'}) holds {lock_file}: only one "
            "'perfrules serve' may run on a SQLite database; stop it first, or use PostgreSQL for standbys"
        )
        self.lock_file = lock_file
        self.holder = holder


class Leadership(Protocol):
    """The right to run the schedule."""

    standby: bool  # whether a process that cannot lead should wait and retry (else: refuse)

    def try_acquire(self) -> bool: ...

    def still_held(self) -> bool: ...

    def release(self) -> None: ...

    def describe(self) -> str: ...


def identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class PostgresLeadership:
    """Leadership by ``pg_try_advisory_lock`` (see the module docstring)."""

    standby = True

    def __init__(self, db: Database):
        self._lease = AdvisoryLease(db, LOCK_KEY)

    def try_acquire(self) -> bool:
        return self._lease.try_acquire()

    def still_held(self) -> bool:
        return self._lease.check()

    def release(self) -> None:
        self._lease.release()

    def describe(self) -> str:
        return f"PostgreSQL advisory lock {LOCK_KEY}"


class FileLeadership:
    """Leadership by an exclusive lock on a file next to the SQLite database."""

    standby = False

    def __init__(self, lock_file: Path):
        self.lock_file = lock_file
        self._handle: IO[str] | None = None

    def try_acquire(self) -> bool:
        if self._handle is not None:
            return True
        handle = self.lock_file.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(identity() + "\n")
        handle.flush()
        self._handle = handle
        return True

    def holder(self) -> str:
        try:
            return self.lock_file.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def still_held(self) -> bool:
        return self._handle is not None

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    def describe(self) -> str:
        return f"lock file {self.lock_file}"


def leadership_for(db: Database) -> PostgresLeadership | FileLeadership:
    """The leadership mechanism for ``db``'s backend."""
    if db.dialect == "postgresql":
        return PostgresLeadership(db)
    path = sqlite_path(db)
    if path is None:
        raise PerfRulesError("perfrules serve needs a database file or PostgreSQL, not an in-memory database")
    return FileLeadership(path.with_name(path.name + ".scheduler.lock"))
