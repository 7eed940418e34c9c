"""People over time: who held which department and role on a day, who was on leave, and pro-rated bases.

Rules (documented in docs/evaluation.md):

* an employee is employed from ``active_from`` to ``active_to`` inclusive (no ``active_to``: still employed);
* a deadline or a monthly KPI counts against whoever held the department/role on its *reference day* (the
  due date of a deliverable, the last day of the month of a KPI) and was employed and not on leave then;
* a bonus line applies to the employee's base pro-rated by the days of the quarter they were employed in the
  department the line is charged through: ``bonus_base × days ÷ days of the quarter``. Leave does not reduce
  the base (it only exempts deadlines due during it); days before hire or after leaving do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from perfrules.engine.periods import Period
from perfrules.storage import Database
from perfrules.storage import evaluation_store as store


@dataclass(frozen=True)
class Stint:
    """One assignment: department and role from ``start`` up to ``end`` (exclusive; None = open)."""

    department: str
    role: str
    start: date
    end: date | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class Person:
    """An employee with their employment window, assignment history and leave."""

    id: str
    name_en: str
    name_zh: str
    department: str
    role: str
    bonus_base: Decimal
    active_from: date
    active_to: date | None = None  # last day employed, inclusive
    stints: tuple[Stint, ...] = ()
    leaves: tuple[tuple[date, date], ...] = ()  # inclusive ranges
    manager_id: str | None = None

    def employed_on(self, day: date) -> bool:
        return self.active_from <= day and (self.active_to is None or day <= self.active_to)

    def on_leave(self, day: date) -> bool:
        return any(start <= day <= end for start, end in self.leaves)

    def history(self) -> tuple[Stint, ...]:
        """The assignment history; without recorded transfers, one stint from the employees table."""
        if self.stints:
            return self.stints
        return (Stint(self.department, self.role, self.active_from),)

    def stint_on(self, day: date) -> Stint | None:
        if not self.employed_on(day):
            return None
        return next((s for s in self.history() if s.covers(day)), None)

    def days_in(self, period: Period, department: str | None = None) -> int:
        """Days of ``period`` the person was employed (in ``department`` when given)."""
        employed_to = self.active_to + timedelta(days=1) if self.active_to else date.max
        total = 0
        for stint in self.history():
            if department is not None and stint.department != department:
                continue
            lo = max(period.start, stint.start, self.active_from)
            hi = min(period.end, stint.end or date.max, employed_to)
            total += max((hi - lo).days, 0)
        return total

    def base_for(self, quarter: Period, department: str | None = None) -> tuple[Decimal, int]:
        """(pro-rated base, days counted) for ``quarter``; unrounded — money is rounded on the amount."""
        days = self.days_in(quarter, department)
        return self.bonus_base * days / quarter.days, days


def holders(
    people: list[Person] | tuple[Person, ...], department: str, day: date, roles: frozenset[str] | None = None
) -> list[Person]:
    """Everyone who held a role in ``department`` on ``day`` and can be charged (employed, not on leave)."""
    found = []
    for person in people:
        stint = person.stint_on(day)
        if stint is None or stint.department != department or person.on_leave(day):
            continue
        if roles and stint.role not in roles:
            continue
        found.append(person)
    return sorted(found, key=lambda p: p.id)


def deadline_owers(people: Sequence[Person], department: str, role: str, due: datetime) -> list[str]:
    """Who owes a deadline instance due at ``due``: the holders of ``role`` in ``department`` on the due day
    (in the deadline's own zone), employed and not on leave. The core and the scheduler both ask this."""
    return [p.id for p in holders(list(people), department, due.date(), frozenset({role}))]


def load_people(db: Database) -> list[Person]:
    people = []
    for e in store.people(db):
        stints = tuple(Stint(d, r, start, end) for d, r, start, end in e["stints"])
        people.append(
            Person(
                e["id"],
                e["name_en"],
                e["name_zh"],
                e["department"],
                e["role"],
                e["bonus_base"],
                e["active_from"],
                e["active_to"],
                stints,
                tuple(e["leaves"]),
                e.get("manager_id"),
            )
        )
    return people
