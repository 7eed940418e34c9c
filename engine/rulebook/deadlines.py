"""Every deliverable instance of the rulebook, computed once: the one due-moment model.

:class:`RuleDeadlines` answers the KPI library's question (which instances of a deliverable fall due in a
window, and until when they count as on time) with the same :func:`~.calendar.due_at` that judges deadline
findings (:mod:`perfrules.engine.evaluation.judging`) and plans reminders and deadline checks
(:mod:`perfrules.engine.scheduler.calendar`): due day and time, ``business_days`` on the Chinese working
calendar with ``rules/calendar.yaml``, the schedule's time zone, plus ``grace``. The version of a rule that
counts is the one in force on the last day of the period the instance covers, as for findings.
"""

from __future__ import annotations

from datetime import date

from perfrules.engine.kpi.deadlines import Due
from perfrules.engine.periods import month_of
from perfrules.engine.rulebook.calendar import covered_periods, due_at
from perfrules.engine.rulebook.rulebook import Rulebook


class RuleDeadlines:
    """The deadlines of ``rulebook``'s rules (a :class:`perfrules.engine.kpi.deadlines.Deadlines`)."""

    def __init__(self, rulebook: Rulebook):
        self.rulebook = rulebook

    def due_in(self, deliverable: str, first: date, last: date) -> list[Due] | None:
        owners = [
            s for s in self.rulebook.rules if s.rule.deadline is not None and s.rule.deadline.deliverable == deliverable
        ]
        if not owners:
            return None
        found: dict[str, Due] = {}
        month = month_of(first).previous().previous()  # an instance is due at most a month after its period
        while month.start <= last:
            for sourced in owners:
                deadline = sourced.rule.deadline
                assert deadline is not None
                for covered in covered_periods(deadline, month):
                    if covered.label in found or not sourced.rule.in_force(covered.last_day):
                        continue
                    due = due_at(deadline, covered)
                    if due is not None and first <= due.date() <= last:
                        source = f"rule {sourced.rule.id} v{sourced.rule.version}"
                        found[covered.label] = Due(covered, due + deadline.grace, source)
            month = month.next()
        return sorted(found.values())
