"""The service: an APScheduler 3.x scheduler whose jobs are derived from the rulebook's calendar.

Jobs (all in the database's job store, table ``apscheduler_jobs``):

* ``outbox`` – every minute: deliver due e-mails;
* one CronTrigger job per system job (:data:`~engine.scheduler.calendar.SYSTEM_JOBS`, day names);
* ``slot|kind|rule|period|slot`` – a DateTrigger job at each reminder / check of the next
  :attr:`Service.planning_window`, re-derived when the rulebook changes and hourly (``replan``).

A job fire is only a wake-up: :class:`~engine.scheduler.runner.SlotRunner` works out from the database
which slots are due and runs each once. At start the runner first catches up what was missed while no
scheduler ran; then jobs are added only if missing (``replace_existing`` before ``start`` would recompute
their next run from now and lose a missed one).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.executors.debug import DebugExecutor
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from perfrules.engine.rulebook.model import Rule
from perfrules.engine.scheduler import jobs
from perfrules.engine.scheduler.calendar import RULE_KINDS, SYSTEM_JOBS, Slot, occurrences, slots_between
from perfrules.engine.scheduler.runner import Actions, SlotRunner
from perfrules.storage import Database

log = logging.getLogger("perfrules.scheduler")

JOB_MODULE = "perfrules.engine.scheduler.jobs"
SLOT_PREFIX = "slot|"


class RulebookSource(Protocol):
    """Where the service gets the rules: the version in force, and a reload that may refuse an edit."""

    def rules(self) -> tuple[Rule, ...]: ...

    def version(self) -> str: ...

    def reload(self) -> tuple[bool, list[str]]:
        """Re-read the rule folder: (whether anything changed, problems). On problems the old rules stay."""
        ...


class ManualScheduler(BaseScheduler):
    """A scheduler that never wakes up by itself: tests and replays move the clock and call :meth:`run_pending`."""

    def wakeup(self) -> None:
        pass

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def run_pending(self) -> None:
        """Run every job due at the (possibly frozen) current time, as the scheduler thread would."""
        self._process_jobs()

    def _create_default_executor(self) -> DebugExecutor:
        return DebugExecutor()


def slot_job_id(slot: Slot) -> str:
    return SLOT_PREFIX + "|".join((slot.kind, slot.rule_id, slot.period, slot.slot))


@dataclass
class Service:
    """One scheduler process's work: the runner, the APScheduler jobs, the rulebook, the outbox."""

    db: Database
    rulebook: RulebookSource
    actions: Actions
    deliver: Callable[[datetime], Any]
    zone: ZoneInfo
    scheduler: BaseScheduler = field(default_factory=BackgroundScheduler)
    planning_window: timedelta = timedelta(days=35)
    misfire_grace: timedelta = timedelta(days=1)
    outbox_every: timedelta = timedelta(minutes=1)
    runner: SlotRunner = field(init=False)

    def __post_init__(self) -> None:
        self.runner = SlotRunner(self.db, self.plan, self.actions)

    def now(self) -> datetime:
        return datetime.now(self.zone)

    def plan(self, start: datetime, end: datetime, kinds: Iterable[str] | None = None) -> list[Slot]:
        """The calendar's slots in ``[start, end)`` under the current rulebook."""
        return slots_between(self.rulebook.rules(), occurrences, start, end, self.zone, kinds=kinds)

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self, now: datetime) -> None:
        """Catch up what was missed, then start the scheduler with its jobs (added only if missing)."""
        jobs.activate(self)
        executor = DebugExecutor() if isinstance(self.scheduler, ManualScheduler) else ThreadPoolExecutor(max_workers=4)
        self.scheduler.configure(
            jobstores={"default": SQLAlchemyJobStore(engine=self.db.engine)},
            executors={"default": executor},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(self.misfire_grace.total_seconds()),
            },
            timezone=self.zone,
        )
        log.info("rulebook %s: %d rules", self.rulebook.version()[:12], len(self.rulebook.rules()))
        self.runner.run_due(now)
        self.scheduler.start(paused=True)
        self.reconcile(now)
        self.scheduler.resume()
        log.info("scheduler started; next runs: %s", "; ".join(self.describe_next(now, 3)) or "none")

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        jobs.deactivate(self)

    # -- jobs ----------------------------------------------------------------------------------------

    def reconcile(self, now: datetime) -> None:
        """Make the job store match the calendar: fixed jobs if missing, slot jobs of the planning window."""
        self._ensure(
            "outbox",
            f"{JOB_MODULE}:deliver_outbox",
            IntervalTrigger(seconds=int(self.outbox_every.total_seconds()), timezone=self.zone),
            (),
            "outbox delivery",
        )
        self._ensure(
            "replan",
            f"{JOB_MODULE}:replan",
            IntervalTrigger(hours=1, timezone=self.zone),
            (),
            "rulebook check, catch-up and retries",
        )
        for job in SYSTEM_JOBS:
            self._ensure(job.kind, f"{JOB_MODULE}:run_slots", job.trigger(self.zone), (job.kind,), job.description)
        wanted = {slot_job_id(s): s for s in self.plan(now, now + self.planning_window, RULE_KINDS)}
        existing = {job.id: job for job in self.scheduler.get_jobs() if job.id.startswith(SLOT_PREFIX)}
        for job_id, job in existing.items():
            slot = wanted.get(job_id)
            if slot is None or job.next_run_time != slot.at:  # past, or moved by a rulebook edit
                self.scheduler.remove_job(job_id)
        current = {job.id for job in self.scheduler.get_jobs()}
        for job_id, slot in wanted.items():
            if job_id not in current:
                self.scheduler.add_job(
                    f"{JOB_MODULE}:run_slots",
                    DateTrigger(slot.at, timezone=self.zone),
                    args=(slot.kind,),
                    id=job_id,
                    name=str(slot),
                )

    def _ensure(self, job_id: str, func: str, trigger: Any, args: tuple, name: str) -> None:
        job = self.scheduler.get_job(job_id)
        if job is None:
            self.scheduler.add_job(func, trigger, args=args, id=job_id, name=name)
        elif str(job.trigger) != str(trigger):  # e.g. the company zone changed; catch-up already ran
            self.scheduler.reschedule_job(job_id, trigger=trigger)

    def check_rulebook(self, now: datetime) -> bool:
        """Reload the rule folder; on a clean change re-derive the slot jobs. False when the edit is rejected."""
        before = self.rulebook.version()
        changed, problems = self.rulebook.reload()
        if problems:
            log.error(
                "rulebook reload rejected (%d problem%s); the schedule of version %s keeps running:\n  %s",
                len(problems),
                "" if len(problems) == 1 else "s",
                before[:12],
                "\n  ".join(problems),
            )
            return False
        if changed:
            log.info("rulebook changed %s -> %s: rescheduling", before[:12], self.rulebook.version()[:12])
        if self.scheduler.running:
            self.reconcile(now)
        return True

    def describe_next(self, now: datetime, limit: int) -> list[str]:
        upcoming = sorted(
            (j for j in self.scheduler.get_jobs() if j.next_run_time is not None), key=lambda j: j.next_run_time
        )
        return [f"{j.name} at {j.next_run_time.isoformat(timespec='minutes')}" for j in upcoming[:limit]]
