"""The deliverables falling due around now: who owes what, by when, and whether it is in.

The same model as deadline findings (:func:`.facts.deliverable_states` over the rulebook's
:func:`~perfrules.engine.rulebook.calendar.due_at`: due day and time, working-day shift on the holiday
calendar, the rule's zone, grace), for the dashboard, the employee pages and ``GET /api/v1/deadlines``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from perfrules.engine.evaluation.facts import Submission, deliverable_states
from perfrules.engine.evaluation.people import deadline_owers, load_people
from perfrules.engine.periods import month_of
from perfrules.engine.rulebook.calendar import CalendarOutOfRange, covered_periods, due_at, nominal_due_day
from perfrules.engine.rulebook.rulebook import Rulebook
from perfrules.storage import Database
from perfrules.storage import evaluation_store as store

AHEAD = timedelta(days=31)  # instances due this far ahead are shown
BEHIND = timedelta(days=31)  # overdue instances still missing are shown this long
RECENT = timedelta(days=7)  # instances handed in are shown this long after their due time
# labels of the states :func:`deliverable_states` gives, as this view names them
STATES = {"pending": "open", "missing": "overdue", "on_time": "on_time", "late": "late"}


@dataclass(frozen=True)
class DueItem:
    """One deliverable instance one person owes: the rule (and version) that asks for it, the period it
    covers, when it is due and until when it counts as on time (due + grace), and its state now."""

    rule_id: str
    rule_version: int
    deliverable: str
    period: str
    employee_id: str
    due_at: datetime
    until: datetime
    submitted_at: datetime | None
    state: str  # open, overdue, on_time, late

    def time_left(self, now: datetime) -> timedelta:
        """Until the instance stops counting as on time (negative: overdue by that much)."""
        return self.until - now


def upcoming(db: Database, rulebook: Rulebook, *, now: datetime) -> list[DueItem]:
    """Each person's next open instance of each rule due within :data:`AHEAD` of ``now``, the instances
    overdue and still missing for up to :data:`BEHIND`, and those handed in within :data:`RECENT` of their
    due time — soonest first."""
    first, last = now - BEHIND - timedelta(days=40), now + AHEAD  # an instance is due ≤ ~40 days after its period
    months, month = [], month_of(first.date())
    while month.start <= last.date():
        months.append(month)
        month = month.next()
    people = load_people(db)
    items: list[DueItem] = []
    labels: set[str] = set()
    instances = []
    for sourced in rulebook.rules:
        rule, deadline = sourced.rule, sourced.rule.deadline
        if deadline is None:
            continue
        for month in months:
            for covered in covered_periods(deadline, month):
                nominal = nominal_due_day(deadline, covered)
                if not rule.in_force(covered.last_day) or nominal is None:
                    continue
                if not (now - BEHIND).date() - timedelta(days=20) <= nominal <= last.date() + timedelta(days=20):
                    continue
                try:
                    due = due_at(deadline, covered)
                except CalendarOutOfRange:
                    continue  # a year without holiday data: `perfrules check` names it; evaluation reports it
                assert due is not None
                until = due + deadline.grace
                if now - BEHIND <= until <= now + AHEAD:
                    instances.append((sourced, covered, due))
                    labels.add(covered.label)
    submissions = tuple(
        Submission(r["deliverable"], r["period"], r["employee_id"], r["submitted_at"])
        for r in store.submissions(db, sorted(labels))
    )
    seen: set[tuple[str, str, str]] = set()
    for sourced, covered, due in instances:
        rule = sourced.rule
        assert rule.deadline is not None
        owers = deadline_owers(people, rule.department, rule.role, due)
        for state in deliverable_states(rule.id, rule.deadline, covered, owers, submissions, now):
            key = (rule.id, state.period, state.employee_id)
            until = state.due_at + rule.deadline.grace
            handed_in_long_ago = state.submitted_at is not None and now - until > RECENT
            if key in seen or handed_in_long_ago:
                continue
            seen.add(key)
            items.append(
                DueItem(
                    rule.id,
                    rule.version,
                    state.deliverable,
                    state.period,
                    state.employee_id,
                    state.due_at,
                    until,
                    state.submitted_at,
                    STATES[state.state],
                )
            )
    items.sort(key=lambda i: (i.until, i.deliverable, i.employee_id))
    nearest: set[tuple[str, str]] = set()  # of the open instances, each person's next one per rule
    shown = []
    for item in items:
        if item.state == "open":
            if (item.rule_id, item.employee_id) in nearest:
                continue
            nearest.add((item.rule_id, item.employee_id))
        shown.append(item)
    return shown
