"""When deliverables are due, as the KPI library sees it.

The due moments of the deliverables a rule owns (the slow-mover list, disposal tracking, the capital
report) come from the rulebook — :class:`perfrules.engine.rulebook.deadlines.RuleDeadlines` computes them
with the same ``due_at`` (due day and time, working-day shift on the Chinese calendar, time zone, grace) that
judges deadline findings and schedules reminders — and are handed to the library as a :class:`Deadlines`.
Only where no rule in force owns a deliverable (``perfrules kpi`` on a rulebook without it) does the library
fall back to :class:`ParameterDeadlines`: its documented parameters (``list_due_day`` end of day,
``tracking_grace_days`` after Sunday, ``digestion_due_day``), with no working-day shift. The day by which
disposals count for the digestion rate is asked for under the KPI's id: a rule's ``threshold.by`` owns it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from perfrules.engine.kpi.parameters import KpiParameters
from perfrules.engine.periods import Period, month_of, week_of


@dataclass(frozen=True, order=True)
class Due:
    """One instance of a deliverable: the period it covers and the last moment it counts as on time
    (the due time plus any grace; a submission at exactly this moment is on time)."""

    covered: Period
    until: datetime
    source: str  # "rule purchasing.slow_mover_list v1", or "parameter list_due_day"


class Deadlines(Protocol):
    def due_in(self, deliverable: str, first: date, last: date) -> list[Due] | None:
        """The instances of ``deliverable`` due on a day in ``[first, last]`` (local), oldest first; None when
        this source does not define the deliverable."""


@dataclass(frozen=True)
class ParameterDeadlines:
    """The library's own deadlines, for deliverables no rule in force owns (documented in docs/kpis.md)."""

    params: KpiParameters
    zone: ZoneInfo

    def due_in(self, deliverable: str, first: date, last: date) -> list[Due] | None:
        if deliverable == "slow_mover_list":
            out, month = [], month_of(first).previous()
            while month.start <= last:
                day = month.next().start.replace(day=min(self.params.list_due_day, 28))
                if first <= day <= last:
                    out.append(Due(month, self._end_of(day), "parameter list_due_day"))
                month = month.next()
            return out
        if deliverable == "disposal_tracking":
            out, week = [], week_of(first - timedelta(days=self.params.tracking_grace_days))
            grace = timedelta(days=self.params.tracking_grace_days)
            while week.start <= last:
                day = week.last_day + grace
                if first <= week.last_day <= last:
                    out.append(Due(week, self._end_of(day), "parameter tracking_grace_days"))
                week = week.next()
            return out
        if deliverable == "slow_mover_digestion_rate":  # disposals count up to the due day of the period's months
            if self.params.digestion_due_day is None:
                return []
            out, month = [], month_of(first)
            while month.start <= last:
                day = month.start.replace(day=min(self.params.digestion_due_day, 28))
                if first <= day <= last:
                    out.append(Due(month.previous(), self._end_of(day), "parameter digestion_due_day"))
                month = month.next()
            return out
        return None

    def _end_of(self, day: date) -> datetime:
        return datetime.combine(day + timedelta(days=1), time(), self.zone) - timedelta(microseconds=1)


def first_of(*sources: Deadlines | None) -> Deadlines:
    """A :class:`Deadlines` asking each source in turn (the rulebook first, the parameters last)."""
    chain = [s for s in sources if s is not None]

    class _Chain:
        def due_in(self, deliverable: str, first: date, last: date) -> list[Due] | None:
            for source in chain:
                found = source.due_in(deliverable, first, last)
                if found is not None:
                    return found
            return None

    return _Chain()
