"""The KPI value store's filler: it computes and stores the figure sets the pages show by default — the
company dashboard, every KPI page, every department page and every employee page of the last month, with
their twelve-month trends — so a first view reads them instead of computing them.

``perfrules serve`` and ``perfrules web`` run it in a background thread (:func:`start_filler`): a round
whenever the facts generations or the rules in force changed, looked for every ``dashboard_warm_seconds``
and at once when a push or a stale page view wakes it (:func:`perfrules.engine.web.stored.wake`). A set
still current is only read, so a round after a push computes the sets of the months the push concerns.
``perfrules kpi-store refresh`` runs the same fill once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from perfrules.engine.kpi import catalog
from perfrules.engine.kpi.catalog import ScopeKind
from perfrules.engine.periods import Period
from perfrules.engine.settings import Settings
from perfrules.engine.web import board, figures, stored
from perfrules.storage import Database, access

_log = logging.getLogger("perfrules.web")

PAGES = ("company", "kpi", "department", "employee")  # the order a round fills them in


@dataclass(frozen=True)
class Job:
    """One page's figures to draw up: which page, and the call that draws them (and stores what is missing)."""

    page: str
    scope: str
    run: Callable[[], object]


def jobs(
    db: Database,
    settings: Settings,
    period: Period,
    today: date,
    generations: access.FactGenerations,
    pages: tuple[str, ...] = PAGES,
) -> Iterator[Job]:
    """The pages' figure sets of ``period``, most viewed first: the company dashboard, the company KPI pages,
    the department pages, the employee pages."""
    if "company" in pages:
        yield Job("company", "company", lambda: board.dashboard_figures(db, settings, period, today, generations))
    if "kpi" in pages:
        for kpi in catalog.CATALOG:
            if ScopeKind.COMPANY in kpi.scopes:
                yield Job(
                    "kpi",
                    kpi.id,
                    lambda kpi=kpi: figures.kpi_figures(
                        db, settings, kpi, "company", "company", period, today, generations
                    ),
                )
    if "department" in pages:
        for dept in access.departments(db):
            yield Job(
                "department",
                dept.code,
                lambda code=dept.code: figures.department_figures(db, settings, code, period, today, generations),
            )
    if "employee" in pages:
        for person in access.employees_of(db):
            yield Job(
                "employee",
                person.id,
                lambda p=person: figures.employee_figures(db, settings, p.id, p.department, period, today, generations),
            )


def fill(
    db: Database,
    settings: Settings,
    period: Period,
    today: date,
    *,
    pages: tuple[str, ...] = PAGES,
    changed: Callable[[], bool] = lambda: False,
    progress: Callable[[Job, float], None] | None = None,
) -> bool:
    """Draw up and store every page's figures of ``period`` (see :func:`jobs`); stops early, returning False,
    as soon as ``changed()`` says the facts moved on (the next round starts again from the company)."""
    generations = access.fact_generations(db)
    for job in jobs(db, settings, period, today, generations, pages):
        if changed():
            return False
        started = time.monotonic()
        job.run()
        if progress is not None:
            progress(job, time.monotonic() - started)
    return True


class StoreFiller:
    """Rounds of :func:`fill` for the last month whenever the facts generations or the rules in force
    changed since the last complete round."""

    def __init__(self, db: Database, settings: Settings, clock: Callable[[], datetime]):
        self.db, self.settings, self.clock = db, settings, clock
        self._seen: tuple[object, ...] | None = None

    def _state(self) -> tuple[object, ...]:
        now = self.clock()
        return access.fact_generations(self.db), board.rulebook_of(self.settings).digest, board.last_month(now)

    def tick(self) -> bool:
        """One round: fill the store if facts or rules changed since the last complete round; True if it did."""
        state = self._state()  # read first: a push meanwhile means another round
        if state == self._seen:
            return False
        generations, _, period = state
        done = fill(
            self.db,
            self.settings,
            period,
            self.clock().date(),
            changed=lambda: access.fact_generations(self.db) != generations,
        )
        if done:
            self._seen = state
        else:
            stored.wake(self.db)  # facts moved on mid-round: the next round at once, company first
        return True

    def run(self, stop: threading.Event, every: float) -> None:
        """A round at once, then one every ``every`` seconds or when woken, until ``stop`` is set; a failing
        round is logged, not fatal (pages compute what is missing themselves)."""
        wake = stored.wake_event(self.db)
        while not stop.is_set():
            wake.clear()
            try:
                started = time.monotonic()
                if self.tick():
                    _log.info("KPI value store filled in %.1f s", time.monotonic() - started)
            except Exception:
                _log.exception("could not fill the KPI value store in the background")
            wake.wait(every)


def start_filler(db: Database, settings: Settings, clock: Callable[[], datetime]) -> Callable[[], None]:
    """Run :class:`StoreFiller` rounds (every ``dashboard_warm_seconds``, 0: none) in a daemon thread;
    returns the function that stops them."""
    stop = threading.Event()
    if settings.dashboard_warm_seconds:
        threading.Thread(
            target=StoreFiller(db, settings, clock).run,
            args=(stop, settings.dashboard_warm_seconds),
            name="perfrules-fill",
            daemon=True,
        ).start()

    def halt() -> None:
        stop.set()
        stored.wake(db)  # out of its wait at once

    return halt
