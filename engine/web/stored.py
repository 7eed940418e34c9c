"""Figure sets through the KPI value store: stored at the current facts generation they are served as they
are; stored only at an older one, a page view serves that newest stored set marked stale (stale while
revalidate) and wakes the background filler, which computes it again at once; never stored, they are
computed, stored and served.

Outside a page view (:func:`serving`) — the filler, the CLI, tests — a stale set is never served: it is
computed again and stored, so whoever fills the store leaves it current.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from perfrules.storage import Database, kpi_store
from perfrules.storage.kpi_store import SetKey


@dataclass(frozen=True)
class Served:
    """One stored set a view showed: the facts generation it reflects and the current one of its period."""

    key: SetKey
    generation: int
    current: int
    computed_at: datetime | None  # None: held in memory at the current generation
    other_rules: bool = False  # computed under another rulebook than the one in force

    @property
    def stale(self) -> bool:
        return self.generation < self.current or self.other_rules


@dataclass
class Reading:
    """What one page view or API answer served from the store; ``stale_ok``: whether it may serve an older
    generation than the current one (pages and the API do; the filler and the CLI compute instead)."""

    stale_ok: bool = True
    served: list[Served] = field(default_factory=list)

    @property
    def stale(self) -> list[Served]:
        return [s for s in self.served if s.stale]

    @property
    def as_of(self) -> datetime | None:
        """When the oldest stale set shown was computed (None: every figure is current)."""
        return min((s.computed_at for s in self.stale if s.computed_at is not None), default=None)

    @property
    def generation(self) -> int | None:
        """The facts generation every figure shown reflects at least (None: no stored figure was read)."""
        return min((s.generation for s in self.served), default=None)

    @property
    def current(self) -> int | None:
        return max((s.current for s in self.served), default=None)

    def headers(self) -> dict[str, str]:
        """What the figures of an answer reflect: ``X-Facts-Generation`` (the newest import batch they include,
        at least), ``X-Facts-Current-Generation``, and ``X-Figures-Stale: 1`` while they are drawn up again."""
        if self.generation is None:
            return {}
        out = {"X-Facts-Generation": str(self.generation), "X-Facts-Current-Generation": str(self.current)}
        return out | ({"X-Figures-Stale": "1"} if self.stale else {})

    @property
    def other_rules(self) -> bool:
        """Whether a figure shown was computed under another rulebook than the one in force."""
        return any(s.other_rules for s in self.served)

    def newer_batches(self, db: Database) -> int:
        """How many import batches came in since the oldest stale set shown was computed."""
        behind = [s for s in self.served if s.generation < s.current]
        if not behind:
            return 0
        return kpi_store.batches_between(db, min(s.generation for s in behind), max(s.current for s in behind))


_READING: ContextVar[Reading | None] = ContextVar("perfrules_reading", default=None)


@contextmanager
def serving() -> Iterator[Reading]:
    """A page view or API answer: stale stored sets may be served (and are recorded in the reading)."""
    reading = Reading()
    token = _READING.set(reading)
    try:
        yield reading
    finally:
        _READING.reset(token)


@contextmanager
def nested() -> Iterator[Reading]:
    """A reading of its own inside the current one (which gets what it served); outside a page view its
    ``stale_ok`` is False, as there."""
    outer = _READING.get()
    inner = Reading(stale_ok=outer is not None and outer.stale_ok)
    token = _READING.set(inner)
    try:
        yield inner
    finally:
        _READING.reset(token)
        if outer is not None:
            outer.served.extend(inner.served)


def replay(served: tuple[Served, ...]) -> None:
    """Record in the current reading what a page's figures held in memory served when drawn up."""
    reading = _READING.get()
    if reading is not None:
        reading.served.extend(served)


_WAKE: dict[str, threading.Event] = {}
_WAKE_LOCK = threading.Lock()


def wake_event(db: Database) -> threading.Event:
    """The event the filler of ``db`` waits on between rounds (set: a round at once)."""
    with _WAKE_LOCK:
        return _WAKE.setdefault(db.url, threading.Event())


def wake(db: Database) -> None:
    """Ask the filler of ``db`` for a round now (a push or a stale view: figures to draw up again)."""
    wake_event(db).set()


def note(key: SetKey, generation: int) -> None:
    """Record in the current reading that the set ``key`` was served current, at ``generation``."""
    reading = _READING.get()
    if reading is not None:
        reading.served.append(Served(key, generation, generation, None))


def through_store(
    db: Database,
    key: SetKey,
    generation: int,
    compute: Callable[[], Any],
    dump: Callable[[Any], str],
    load: Callable[[str], Any],
    loaded: Callable[[int], Any | None],
) -> tuple[int | None, Any]:
    """The set ``key`` at facts generation ``generation``: (the generation it reflects, the set); the
    generation is None for a set of another rulebook, which the caller must not hold as this one.

    ``loaded(g)``: the set at generation ``g`` when the caller holds it in memory already (no JSON to read).
    A stale set is served only inside :func:`serving` — of an older facts generation, or when none is stored
    under the rules in force, the newest under earlier rules; otherwise, and when none is stored at all, it is
    computed and stored at ``generation`` (read before computing, so a push meanwhile leaves it stale, never
    wrong)."""
    found = kpi_store.newest(db, key)
    reading = _READING.get()
    if found is None and key.rulebook and reading is not None and reading.stale_ok:
        earlier = kpi_store.newest(db, key, any_rulebook=True)
        if earlier is not None:
            reading.served.append(Served(key, earlier.generation, generation, earlier.computed_at, other_rules=True))
            wake(db)
            return None, load(earlier.payload)
    if found is not None and (found.generation >= generation or (reading is not None and reading.stale_ok)):
        if reading is not None:
            reading.served.append(Served(key, found.generation, generation, found.computed_at))
        if found.generation < generation:
            wake(db)
        held = loaded(found.generation)
        return found.generation, held if held is not None else load(found.payload)
    out = compute()
    now = datetime.now(UTC)  # when the set was computed: a record, not a decision
    kpi_store.put(db, key, generation, dump(out), now)
    if reading is not None:
        reading.served.append(Served(key, generation, generation, now))
    return generation, out
