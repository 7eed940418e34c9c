"""Who is at risk now: one breach away from an escalation, or owing a deliverable due within the next three
working days with nothing handed in.

Both come from the machinery that decides the real thing, never from a second definition:

* **one breach away** — the streaks of :mod:`~perfrules.engine.evaluation.streaks` over the stored
  findings (the event months each person answered for, :func:`~.streaks.employee_history`). The latest
  *judged* month is the latest month whose evaluation ran after the month had ended; a rule has judged it
  whole up to :func:`judged_through` (a timeliness breach counts in the month the list covers, a KPI judged
  at a due date or a deliverable not yet due is not judged yet). A person whose streak for a rule with
  escalations reaches that month, and is one month short of an escalation's ``after``, is at risk: one
  more breaching month triggers it.
* **a deadline close** — :func:`~perfrules.engine.evaluation.upcoming.upcoming` (the rulebook's due
  moments, holiday calendar and grace, the same as deadline findings): an instance still ``open`` — nothing
  handed in — whose due day is no later than the third working day after today on the rule's own
  calendar (:func:`~perfrules.engine.rulebook.calendar.workdays_ahead`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from perfrules.engine.evaluation.streaks import counts_in, employee_history, streak
from perfrules.engine.evaluation.upcoming import DueItem, upcoming
from perfrules.engine.periods import Period, local_date, parse_period
from perfrules.engine.rulebook.calendar import CalendarOutOfRange, covered_periods, due_at, workdays_ahead
from perfrules.engine.rulebook.model import Rule
from perfrules.engine.rulebook.rulebook import Rulebook
from perfrules.storage import Database
from perfrules.storage import evaluation_store as store

WORKDAYS_AHEAD = 3  # "due in the next three working days"


@dataclass(frozen=True)
class EscalationRisk:
    """``employee_id`` breached ``rule_id`` in each month of ``streak``; a breach in ``next_month`` too
    makes ``after`` in a row and triggers ``action``."""

    employee_id: str
    rule_id: str
    rule_version: int
    streak: tuple[str, ...]
    after: int
    action: str
    next_month: str


@dataclass(frozen=True)
class AtRisk:
    """The people at risk: escalations one breach away (as of ``judged_month``) and open deadlines close."""

    judged_month: str | None
    escalations: tuple[EscalationRisk, ...]
    deadlines: tuple[DueItem, ...]

    @property
    def people(self) -> frozenset[str]:
        return frozenset(r.employee_id for r in self.escalations) | {d.employee_id for d in self.deadlines}


def at_risk(
    db: Database,
    rulebook: Rulebook,
    *,
    now: datetime,
    zone: ZoneInfo,
    visible: frozenset[str] | None,
    items: Sequence[DueItem] | None = None,
) -> AtRisk:
    """Everyone in ``visible`` (None: everyone) at risk at ``now``; ``items``: :func:`upcoming` at ``now``,
    when the caller has it already."""
    judged = judged_month(store.latest_runs(db), zone)
    escalations: list[EscalationRisk] = []
    if judged is not None:
        month, as_of = judged
        rules = [s.rule for s in rulebook.in_force(month.last_day) if s.rule.escalations]
        rows = store.breach_rows(db, _window(month, rules), [r.id for r in rules]) if rules else []
        escalations = escalation_risks(rows, rules, month, as_of)
    due = deadline_risks(upcoming(db, rulebook, now=now) if items is None else items, rulebook, now)
    return AtRisk(
        None if judged is None else judged[0].label,
        tuple(r for r in escalations if visible is None or r.employee_id in visible),
        tuple(d for d in due if visible is None or d.employee_id in visible),
    )


def judged_month(runs: Iterable[dict[str, Any]], zone: ZoneInfo) -> tuple[Period, datetime] | None:
    """Of ``runs`` (newest month first, with the ``as_of`` of its latest finished run), the latest month
    evaluated after it had ended, with that moment."""
    for run in runs:
        month = parse_period(run["period"])
        if local_date(run["as_of"], zone) > month.last_day:
            return month, run["as_of"]
    return None


def judged_through(rule: Rule, month: Period, as_of: datetime) -> Period:
    """The latest event month of ``rule`` that the evaluation of ``month`` at ``as_of`` judged whole: the
    month a breach of ``month`` counts in, one earlier while a due moment that decides it is still ahead."""
    ends = []
    threshold, deadline = rule.threshold, rule.deadline
    if threshold is not None:
        event = parse_period(counts_in(rule, month.label, "breach"))
        ends.append(event if threshold.by is None or _all_due([(threshold.by, month)], as_of) else event.previous())
    if deadline is not None:
        instances = [(deadline, covered) for covered in covered_periods(deadline, month)]
        ends.append(month if _all_due(instances, as_of, deadline.grace) else month.previous())
    return min(ends, key=lambda p: p.start)


def _all_due(instances: Iterable[tuple[Any, Period]], as_of: datetime, grace: timedelta = timedelta(0)) -> bool:
    for schedule, covered in instances:
        try:
            due = due_at(schedule, covered)
        except CalendarOutOfRange:
            return False  # not datable: not judged either
        if due is not None and due + grace > as_of:
            return False
    return True


def _window(month: Period, rules: Sequence[Rule]) -> list[str]:
    """The months whose findings can make a streak one short of the longest escalation, and the next."""
    longest = max(spec.after for rule in rules for spec in rule.escalations)
    return [month.shift(n).label for n in range(-longest - 1, 2)]


def escalation_risks(
    rows: Iterable[dict[str, Any]], rules: Sequence[Rule], month: Period, as_of: datetime
) -> list[EscalationRisk]:
    """Per rule with escalations and person who answered for its breaches (``rows``: stored breaching
    findings), the escalation one more breaching month would trigger — when the streak reaches the month
    the rule has judged through (a clean month since ends it)."""
    history = employee_history(rows)
    by_rule: dict[str, list[tuple[str, list[str]]]] = {}
    for (rule_id, employee), months in history.items():
        by_rule.setdefault(rule_id, []).append((employee, months))
    out = []
    for rule in rules:
        through = judged_through(rule, month, as_of).label
        for employee, months in sorted(by_rule.get(rule.id, ())):
            if months[-1] < through:
                continue
            run = streak(months, months[-1])
            out.extend(
                EscalationRisk(
                    employee, rule.id, rule.version, run, spec.after, spec.action, parse_period(run[-1]).next().label
                )
                for spec in rule.escalations
                if spec.after == len(run) + 1
            )
    return out


def deadline_risks(items: Iterable[DueItem], rulebook: Rulebook, now: datetime) -> list[DueItem]:
    """The ``open`` instances (nothing handed in) due by the end of the third working day after today, on
    the calendar and in the zone of the rule that sets the deadline; soonest first."""
    out = []
    for item in items:
        if item.state != "open":
            continue
        deadline = next(
            (s.rule.deadline for s in rulebook.by_id(item.rule_id) if s.rule.version == item.rule_version), None
        )
        if deadline is None:
            continue
        zone = ZoneInfo(deadline.timezone)
        last = workdays_ahead(local_date(now, zone), WORKDAYS_AHEAD, deadline)
        if local_date(item.due_at, zone) <= last:
            out.append(item)
    return sorted(out, key=lambda i: (i.until, i.employee_id))
