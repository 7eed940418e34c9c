"""The service's calendar: every slot (one run of one job kind for one rule and period) in a time window.

Two sources make up the calendar:

* the rulebook: for each deadline, a reminder ``lead`` before the due time (one slot per lead time in the
  rule file) and the check at the due time plus ``grace``; for each threshold judged ``by`` a due date,
  the threshold check. Due times come from the rulebook's own calendar (company zone, business-day
  adjustment with Chinese holidays and make-up working days), never recomputed here;
* the fixed system jobs (:data:`SYSTEM_JOBS`): daily KPI refresh, the weekly report (Monday 08:00),
  the monthly report (the 5th, 08:00) and the quarter-end evaluation. Their times come from APScheduler
  ``CronTrigger`` arithmetic with day *names*, the same triggers the service schedules.

Pure functions of (rulebook, window, zone): the service, ``perfrules schedule list``, the catch-up pass
and the tests all see the same slots.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from perfrules.engine.periods import Period, PeriodKind, local_date, month_of, quarter_of, week_of
from perfrules.engine.rulebook.calendar import CalendarOutOfRange, covered_periods, due_at, nominal_due_day
from perfrules.engine.rulebook.model import Deadline, Rule, Schedule
from perfrules.storage.schedule import SlotKey

log = logging.getLogger("perfrules.scheduler")

REMINDER = "reminder"
DEADLINE_CHECK = "deadline_check"
THRESHOLD_CHECK = "threshold_check"
KPI_REFRESH = "kpi_refresh"
WEEKLY_REPORT = "weekly_report"
MONTHLY_REPORT = "monthly_report"
QUARTER_EVALUATION = "quarter_evaluation"
RULE_KINDS = (REMINDER, DEADLINE_CHECK, THRESHOLD_CHECK)
MAX_REPEATS = 20  # repeat-N slots per missed deadline, at most
ADJUST_REACH = timedelta(days=15)  # business-day adjustment moves a due date by less (Golden Week: 8 days)


@dataclass(frozen=True, order=True)
class Slot:
    """One run the calendar asks for: when, what kind, for which rule and period.

    ``deadline`` is the (business-day adjusted) due time a reminder or check belongs to; a reminder run
    after it is stale.
    """

    at: datetime
    kind: str
    rule_id: str
    period: str
    slot: str
    deadline: datetime | None = field(default=None, compare=False)

    @property
    def key(self) -> SlotKey:
        return SlotKey(self.kind, self.rule_id, self.period, self.slot)

    def __str__(self) -> str:
        return f"{self.key} at {self.at.isoformat(timespec='minutes')}"


@dataclass(frozen=True)
class SystemJob:
    """A fixed job: its cron fields (day names, never weekday numbers) and the period each run covers."""

    kind: str
    description: str
    cron: dict[str, str | int]
    period_of: Callable[[datetime], str]
    slot_of: Callable[[datetime], str] = lambda at: "run"

    def trigger(self, zone: ZoneInfo) -> CronTrigger:
        return CronTrigger(timezone=zone, **self.cron)


SYSTEM_JOBS: tuple[SystemJob, ...] = (
    SystemJob(
        KPI_REFRESH,
        "KPI refresh and threshold alerts (daily)",
        {"hour": 7, "minute": 0},
        period_of=lambda at: month_of(at.date()).label,
        slot_of=lambda at: at.date().isoformat(),
    ),
    SystemJob(
        WEEKLY_REPORT,
        "weekly report to the operations team (Monday 08:00)",
        {"day_of_week": "mon", "hour": 8, "minute": 0},
        period_of=lambda at: week_of(at.date()).previous().label,
    ),
    SystemJob(
        MONTHLY_REPORT,
        "monthly report to management (the 5th, 08:00)",
        {"day": 5, "hour": 8, "minute": 0},
        period_of=lambda at: month_of(at.date()).previous().label,
    ),
    SystemJob(
        QUARTER_EVALUATION,
        "quarter-end evaluation (first day of the next quarter, 06:00)",
        {"month": "jan,apr,jul,oct", "day": 1, "hour": 6, "minute": 0},
        period_of=lambda at: quarter_of(at.date()).previous().label,
    ),
)


@dataclass(frozen=True)
class Occurrence:
    """One instance of a recurring rule schedule: the period it covers and its adjusted due time."""

    period: str
    due: datetime


# (schedule of a rule, window start, window end) -> the occurrences due in [start, end)
OccurrenceFn = Callable[[Schedule, datetime, datetime], Iterable[Occurrence]]


def occurrences(schedule: Schedule, start: datetime, end: datetime) -> Iterator[Occurrence]:
    """The instances of ``schedule`` due in ``[start, end)``, by the rulebook's calendar.

    A due date in a year the holiday calendar has no data for is logged and left out (the rule check
    reports it too), so one unknown year cannot stop the rest of the schedule.
    """
    zone = ZoneInfo(schedule.timezone)
    # an instance covers an earlier period than the one it is due in, and adjustment moves it by days
    first = month_of(start.astimezone(zone).date()).shift(-2)
    last = month_of(end.astimezone(zone).date()).shift(1)
    near = (start.astimezone(zone).date() - ADJUST_REACH, end.astimezone(zone).date() + ADJUST_REACH)
    for covered in covered_periods(schedule, Period(first.start, last.end, PeriodKind.MONTH)):
        nominal = nominal_due_day(schedule, covered)
        if nominal is None or not near[0] <= nominal <= near[1]:
            continue
        try:
            due = due_at(schedule, covered)
        except CalendarOutOfRange as exc:
            log.error("no due time for %s: %s", covered.label, exc)
            continue
        if due is not None and start <= due < end:
            yield Occurrence(covered.label, due)


def repeat_span(deadline: Deadline) -> timedelta:
    """How long the deadline-missed notice repeats: until the next instance is due (a week or 4 weeks)."""
    return timedelta(weeks=1 if deadline.due.weekday is not None else 4)


def lead_label(lead: timedelta) -> str:
    """``remind-3d``, ``remind-12h``, ``remind-90m``: the slot name of a reminder lead time."""
    seconds = int(lead.total_seconds())
    if seconds % 86400 == 0:
        return f"remind-{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"remind-{seconds // 3600}h"
    return f"remind-{seconds // 60}m"


def rule_slots(
    rules: Iterable[Rule], occurrences: OccurrenceFn, start: datetime, end: datetime, zone: ZoneInfo
) -> Iterator[Slot]:
    """Reminders and checks of every deadline / dated threshold whose run time falls in ``[start, end)``."""
    for rule in rules:
        deadline = rule.deadline
        if deadline is not None:
            reach = max([*deadline.reminders, timedelta(0)])
            repeats = repeat_span(deadline) if deadline.repeat else timedelta(0)
            # an occurrence due up to ``reach`` after the window still has a reminder in it, and one due
            # up to ``grace`` (plus the repeat span) before it still has a check in it
            for occ in occurrences(deadline, start - deadline.grace - repeats, end + reach):
                if not rule.in_force(local_date(occ.due, zone)):
                    continue
                for lead in deadline.reminders:
                    yield Slot(occ.due - lead, REMINDER, rule.id, occ.period, lead_label(lead), occ.due)
                check = occ.due + deadline.grace
                yield Slot(check, DEADLINE_CHECK, rule.id, occ.period, "due", occ.due)
                n = 1
                while deadline.repeat and n <= MAX_REPEATS and n * deadline.repeat < repeats:
                    yield Slot(check + n * deadline.repeat, DEADLINE_CHECK, rule.id, occ.period, f"repeat-{n}", occ.due)
                    n += 1
        threshold = rule.threshold
        if threshold is not None and threshold.by is not None:
            for occ in occurrences(threshold.by, start, end):
                if rule.in_force(local_date(occ.due, zone)):
                    yield Slot(occ.due, THRESHOLD_CHECK, rule.id, occ.period, "due", occ.due)


def system_slots(job: SystemJob, start: datetime, end: datetime, zone: ZoneInfo) -> Iterator[Slot]:
    """The runs of ``job`` in ``[start, end)``, by the same CronTrigger the service schedules."""
    trigger = job.trigger(zone)
    at = trigger.get_next_fire_time(None, start.astimezone(zone))
    while at is not None and at < end:
        yield Slot(at, job.kind, "", job.period_of(at), job.slot_of(at))
        at = trigger.get_next_fire_time(at, at + timedelta(seconds=1))


def slots_between(
    rules: Iterable[Rule],
    occurrences: OccurrenceFn,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    *,
    kinds: Iterable[str] | None = None,
) -> list[Slot]:
    """Every slot whose run time is in ``[start, end)``, in time order (optionally only ``kinds``)."""
    wanted = None if kinds is None else set(kinds)
    found = [s for s in rule_slots(rules, occurrences, start, end, zone) if start <= s.at < end]
    for job in SYSTEM_JOBS:
        if wanted is None or job.kind in wanted:
            found.extend(system_slots(job, start, end, zone))
    return sorted(s for s in found if wanted is None or s.kind in wanted)
