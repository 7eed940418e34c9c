"""Every deliverable instance of the rulebook, computed once: the one due-moment model (and the ``by`` of
quantitative deadlines, keyed by their KPI: the 20th by which digestion counts).

:class:`RuleDeadlines` answers the KPI library's question (which instances of a deliverable fall due in a
window, and until when they count as on time) with the same :func:`~.calendar.due_at` that judges deadline
findings (:mod:`perfrules.engine.evaluation.judging`) and plans reminders and deadline checks
(:mod:`perfrules.engine.scheduler.calendar`): due day and time, ``business_days`` on the Chinese working
calendar with ``rules/calendar.yaml``, the schedule's time zone, plus ``grace``. The version of a rule that
counts is the one in force on the last day of the period the instance covers, as for findings.
"""

from __future__ import annotations

from datetime import date, timedelta

from perfrules.engine.kpi.deadlines import Due
from perfrules.engine.periods import month_of
from perfrules.engine.rulebook.calendar import covered_periods, due_at, nominal_due_day
from perfrules.engine.rulebook.model import Deadline, Schedule
from perfrules.engine.rulebook.rulebook import Rulebook, SourcedRule

SHIFT_REACH = timedelta(days=20)  # farther than any working-day shift moves a due day (Spring Festival: ~9 days)


class RuleDeadlines:
    """The deadlines of ``rulebook``'s rules (a :class:`perfrules.engine.kpi.deadlines.Deadlines`)."""

    def __init__(self, rulebook: Rulebook):
        self.rulebook = rulebook

    def _schedules(self, deliverable: str) -> list[tuple[SourcedRule, Schedule]]:
        """The schedules owning ``deliverable``: rules' ``deadline`` of that deliverable, and the ``by`` of
        thresholds on that KPI (a quantitative deadline, e.g. digestion by the 20th)."""
        out: list[tuple[SourcedRule, Schedule]] = []
        for sourced in self.rulebook.rules:
            rule = sourced.rule
            if rule.deadline is not None and rule.deadline.deliverable == deliverable:
                out.append((sourced, rule.deadline))
            elif rule.threshold is not None and rule.threshold.kpi == deliverable and rule.threshold.by is not None:
                out.append((sourced, rule.threshold.by))
        return out

    def owes(self, deliverable: str, department: str, role: str, day: date) -> bool | None:
        """Whether ``role`` in ``department`` owes ``deliverable`` under the rules in force on ``day`` (a
        rule's deadline is owed by its ``role`` in its ``department``); None when no rule in force has a
        deadline for it (the KPI library's parameters decide then)."""
        owners = [
            s.rule
            for s in self.rulebook.in_force(day)
            if s.rule.deadline is not None and s.rule.deadline.deliverable == deliverable
        ]
        if not owners:
            return None
        return any(rule.department == department and rule.role == role for rule in owners)

    def due_in(self, deliverable: str, first: date, last: date) -> list[Due] | None:
        owners = self._schedules(deliverable)
        if not owners:
            return None
        found: dict[str, Due] = {}
        month = month_of(first).previous().previous()  # an instance is due at most a month after its period
        while month.start <= last:
            for sourced, deadline in owners:
                for covered in covered_periods(deadline, month):
                    if covered.label in found or not sourced.rule.in_force(covered.last_day):
                        continue
                    nominal = nominal_due_day(deadline, covered)
                    if nominal is None or not first - SHIFT_REACH <= nominal <= last + SHIFT_REACH:
                        continue  # cannot be due in the window: its calendar year need not be known
                    due = due_at(deadline, covered)
                    if due is not None and first <= due.date() <= last:
                        source = f"rule {sourced.rule.id} v{sourced.rule.version}"
                        grace = deadline.grace if isinstance(deadline, Deadline) else timedelta(0)
                        found[covered.label] = Due(covered, due + grace, source)
            month = month.next()
        return sorted(found.values())
