"""Group commit of pushed fact files: pushes that arrive together are imported together.

A system pushing facts over the HTTP API sends small files, often many at once. Imported one by one, each
pays a whole import: a transaction, the rollup refresh of its SKUs and a commit flushed to disk. Here each
push joins a queue and waits for its turn; whoever takes the turn imports every push queued by then (of the
same kind, format and pusher, in arrival order) as the files of **one** import — one transaction, one
rollup refresh, one flush — and hands each push its own counts. Under load the groups grow by themselves;
a lone push is imported alone at once (no timer, no added wait).

Each push keeps its meaning. If the import of a group is refused or fails (a bad row in one file, two
files with the same key), every push of the group is imported alone, in arrival order: a push is refused
only for its own errors, and a later push of the same key updates the row an earlier one inserted. Nothing
is answered before the transaction holding it has committed.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from perfrules.engine.importing.reading import Upload
from perfrules.engine.importing.run import FileResult, import_files
from perfrules.storage import Database
from perfrules.storage.db import Connection

MAX_FILES = 256  # pushes per group
MAX_BYTES = 16 << 20  # bytes of pushed files per group (a push larger than this goes alone)

Audit = Callable[[Connection, FileResult], None]


@dataclass(eq=False)
class _Push:
    kind: str
    upload: Upload
    fmt: str
    user: str
    on_loaded: Audit | None
    done: threading.Event = field(default_factory=threading.Event)
    result: FileResult | None = None
    error: BaseException | None = None

    def group_key(self) -> tuple[str, str, str]:
        return self.kind, self.fmt, self.user


class PushQueue:
    """The queue of pushes into one database (one per process and database: the web app holds it)."""

    def __init__(self, db: Database, *, zone: ZoneInfo, clock: Callable[[], datetime]):
        self.db, self.zone, self.clock = db, zone, clock
        self._pending: deque[_Push] = deque()
        self._guard = threading.Lock()  # guards _pending
        self._turn = threading.Lock()  # one group is imported at a time

    def push(self, kind: str, upload: Upload, *, fmt: str, user: str, on_loaded: Audit | None = None) -> FileResult:
        """Import ``upload`` (a file of ``kind``), in a group with the pushes queued beside it; blocks until
        its transaction has committed. ``on_loaded(conn, result)`` runs in that transaction (its writes commit
        with the push). Raises what importing the file alone raises (e.g. ``ImportRejected``)."""
        item = _Push(kind, upload, fmt, user, on_loaded)
        with self._guard:
            self._pending.append(item)
        while not item.done.is_set():
            with self._turn:
                if not item.done.is_set():
                    self._run(self._take())
        if item.error is not None:
            raise item.error
        assert item.result is not None
        return item.result

    def _take(self) -> list[_Push]:
        """The oldest push and the pushes queued after it that can share its import (up to the limits)."""
        with self._guard:
            first = self._pending.popleft()
            group, kept, size = [first], deque(), len(first.upload.data)
            while self._pending:
                item = self._pending.popleft()
                fits = len(group) < MAX_FILES and size + len(item.upload.data) <= MAX_BYTES
                if fits and item.group_key() == first.group_key():
                    group.append(item)
                    size += len(item.upload.data)
                else:
                    kept.append(item)
            self._pending = kept
        return group

    def _run(self, group: list[_Push]) -> None:
        try:
            if len(group) > 1 and self._together(group):
                return
            for item in group:
                try:
                    (item.result,) = self._import(item.kind, item.fmt, item.user, [item])
                except Exception as exc:
                    item.error = exc
                item.done.set()
        finally:
            for item in group:  # whatever happened (even an interrupt), nobody waits for ever
                if not item.done.is_set():
                    item.error = item.error or RuntimeError("the push's group was interrupted")
                    item.done.set()

    def _together(self, group: list[_Push]) -> bool:
        """Import the group as one; False (nothing written) if that import was refused or failed."""
        first = group[0]
        try:
            results = self._import(first.kind, first.fmt, first.user, group)
        except Exception:
            return False
        for item, result in zip(group, results, strict=True):
            item.result = result
            item.done.set()
        return True

    def _import(self, kind: str, fmt: str, user: str, items: list[_Push]) -> list[FileResult]:
        def loaded(conn: Connection, results: list[FileResult]) -> None:
            for item, result in zip(items, results, strict=True):
                if item.on_loaded is not None:
                    item.on_loaded(conn, result)

        return import_files(
            self.db,
            kind,
            [item.upload for item in items],
            zone=self.zone,
            now=self.clock(),
            user=user,
            fmt=fmt,
            on_loaded=loaded,
        )
