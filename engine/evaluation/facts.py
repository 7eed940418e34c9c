"""The facts a decision is made from: frozen, engine-agnostic, built by the evaluation layer.

A :class:`Facts` bundle holds everything :func:`perfrules.engine.evaluation.decide.decide` needs for one period under
evaluation: KPI values (per scope and period; ``value=None`` means not measurable → the rule is not
applicable, never a breach), submissions of deliverables with their timestamps, the people with their
history (:class:`~engine.evaluation.people.Person`: stints, leave, manager, bonus base) and earlier
breaches and consequences (for streaks and once-per-quarter stacking). :class:`DeliverableState` is
derived, not given: the decision core works it out per rule from the rule's deadline, the submissions
and ``now`` (:func:`deliverable_states`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from perfrules.engine.evaluation.people import Person, Stint
from perfrules.engine.periods import Period, parse_period
from perfrules.engine.rulebook.calendar import covered_periods, due_at
from perfrules.engine.rulebook.model import Deadline


@dataclass(frozen=True)
class KpiValue:
    """A KPI's value for one scope and period. ``scope_id`` is e.g. 'purchasing', a category or an
    employee id; '' for the company. ``value`` None = could not be computed (no data)."""

    kpi: str
    period: str
    value: Decimal | None
    scope: str = "company"
    scope_id: str = ""


@dataclass(frozen=True)
class Submission:
    """A deliverable handed in: which one, for which covered period, by whom, when, how complete."""

    deliverable: str
    period: str
    employee_id: str
    submitted_at: datetime
    completeness: Decimal | None = None  # share of the system's own list covered (1 = all)


__all__ = [
    "DeliverableState",
    "Facts",
    "KpiValue",
    "PastBreach",
    "PastConsequence",
    "Person",
    "Stint",
    "Submission",
    "deliverable_states",
]


@dataclass(frozen=True)
class PastBreach:
    """A breach recorded by an earlier evaluation (for consecutive-breach streaks)."""

    rule_id: str
    subject: str
    period: str


@dataclass(frozen=True)
class PastConsequence:
    """A consequence applied by an earlier evaluation (for once-per-quarter stacking and caps)."""

    rule_id: str
    subject: str
    quarter: str
    share: Decimal


@dataclass(frozen=True)
class Facts:
    """Everything one decision looks at. ``period`` is the period under evaluation (e.g. '2026-09'):
    KPI values of periods inside it are judged, and deadline instances covering periods inside it."""

    period: str
    kpis: tuple[KpiValue, ...] = ()
    submissions: tuple[Submission, ...] = ()
    people: tuple[Person, ...] = ()
    breaches: tuple[PastBreach, ...] = ()
    consequences: tuple[PastConsequence, ...] = ()

    @property
    def window(self) -> Period:
        return parse_period(self.period)


@dataclass(frozen=True)
class DeliverableState:
    """One deliverable instance owed by one employee: due time, submission and its state at ``now``.

    ``state``: ``pending`` (not due yet, not handed in), ``on_time``, ``late`` (handed in after due +
    grace) or ``missing`` (not handed in and past due + grace). ``days_late`` counts calendar days in the
    deadline's zone (0 unless late or missing)."""

    rule_id: str
    deliverable: str
    period: str
    employee_id: str
    due_at: datetime
    submitted_at: datetime | None
    state: str
    days_late: int
    completeness: Decimal | None = None
    reminders: tuple[datetime, ...] = field(default=())


def deliverable_states(
    rule_id: str,
    deadline: Deadline,
    window: Period,
    owers: list[str],
    submissions: tuple[Submission, ...],
    now: datetime,
) -> list[DeliverableState]:
    """The instances of ``deadline`` covering periods in ``window``, for each employee in ``owers``."""
    out = []
    for covered in covered_periods(deadline, window):
        due = due_at(deadline, covered)
        assert due is not None
        limit = due + deadline.grace
        for employee in owers:
            handed = [
                s
                for s in submissions
                if s.deliverable == deadline.deliverable and s.employee_id == employee and s.period == covered.label
            ]
            first = min(handed, key=lambda s: s.submitted_at) if handed else None
            if first is not None:
                state = "on_time" if first.submitted_at <= limit else "late"
                end = first.submitted_at
            else:
                state = "pending" if now <= limit else "missing"
                end = now
            days = (end.astimezone(due.tzinfo).date() - due.date()).days if state in ("late", "missing") else 0
            # a list corrected (handed in again) by the deadline counts at its best; a late one as first handed in
            counted = [s.completeness for s in handed if s.completeness is not None and s.submitted_at <= limit]
            completeness = max(counted) if counted else (first.completeness if first else None)
            out.append(
                DeliverableState(
                    rule_id,
                    deadline.deliverable,
                    covered.label,
                    employee,
                    due,
                    first.submitted_at if first else None,
                    state,
                    max(days, 0),
                    completeness,
                    tuple(due - lead for lead in sorted(deadline.reminders, reverse=True)),
                )
            )
    return out
