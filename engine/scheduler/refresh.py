"""Remembered work of the scheduler: KPI values and calendar plans, reused while their inputs stay the same.

The daily KPI refresh re-judges last month every day. Deadline states change with the clock, so the
judgement is made again each time, but the KPI values of a past month depend only on the facts, the
rules in force (which KPIs they need) and the as-of day the library uses (``min(month end, today)``).
:class:`KpiMemo` keys them on exactly that: (facts generation of the month = the newest import batch that
changed facts of a month up to its end, or master data; rulebook digest; month; as-of day). A late import
that concerns the month, or a rulebook edit, changes the key, so the next run computes afresh.

:class:`PlanMemo` expands the calendar of a fixed window once per rulebook version; the replay asks
for the due slots of that window about 200 times.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from perfrules.engine.evaluation.facts import KpiValue
from perfrules.engine.evaluation.kpis import library_kpis
from perfrules.engine.periods import Period
from perfrules.engine.rulebook.rulebook import Rulebook
from perfrules.storage import Database
from perfrules.storage.access import facts_generation


class KpiMemo:
    """KPI sources (``perfrules.engine.evaluation.run.KpiSource``) that compute a month's KPI values once per key."""

    def __init__(self, zone: ZoneInfo, size: int = 16):
        self.zone = zone
        self.size = size
        self.computed = 0  # how many times the library was asked (tests, logs)
        self._values: OrderedDict[tuple, tuple[KpiValue, ...]] = OrderedDict()

    def source(self, as_of: date) -> Callable[[Database, Rulebook, Period], tuple[KpiValue, ...]]:
        def source(db: Database, rulebook: Rulebook, month: Period) -> tuple[KpiValue, ...]:
            day = min(month.last_day, as_of)  # the as-of day the library uses for the month (and its quarter/year)
            key = (db.url, facts_generation(db, month.last_day), rulebook.digest, month.label, day)  # read first
            values = self._values.get(key)
            if values is None:
                values = tuple(library_kpis(self.zone, day)(db, rulebook, month))
                self.computed += 1
                self._values[key] = values
                while len(self._values) > self.size:
                    self._values.popitem(last=False)
            self._values.move_to_end(key)
            return values

        return source


Planner = Callable[[datetime, datetime, Iterable[str] | None], list]


class PlanMemo:
    """A planner for windows inside ``[start, end)`` that expands that window once per rulebook version."""

    def __init__(self, plan: Planner, version: Callable[[], str], start: datetime, end: datetime):
        self.plan, self.version, self.start, self.end = plan, version, start, end
        self._slots: tuple[str, list] | None = None

    def __call__(self, start: datetime, end: datetime, kinds: Iterable[str] | None = None) -> list:
        if start < self.start or end > self.end:
            return self.plan(start, end, kinds)
        version = self.version()
        if self._slots is None or self._slots[0] != version:
            self._slots = (version, self.plan(self.start, self.end, None))
        wanted = None if kinds is None else set(kinds)
        return [s for s in self._slots[1] if start <= s.at < end and (wanted is None or s.kind in wanted)]
