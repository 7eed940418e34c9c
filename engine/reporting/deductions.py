"""A quarter's bonus deductions per department: the stored bonus lines in force, summed as Decimal.

Each line counts in the department of the employee it pays (attribution already moved a line to the person
who carries it); only the lines of the people the viewer may see are summed, so a manager's totals are
their team's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from perfrules.storage import Database, access

ZERO = Decimal(0)


@dataclass(frozen=True)
class DepartmentDeductions:
    """What a department's people lose (``deducted``, ≤ 0) and gain (``awarded``, ≥ 0) in one quarter, and
    how many of them have a deduction."""

    department: str
    deducted: Decimal
    awarded: Decimal
    people: int


def by_department(lines: Iterable[tuple[str, str, Decimal]]) -> list[DepartmentDeductions]:
    """Sum ``(department, employee, amount)`` lines per department, the largest deduction first."""
    deducted: dict[str, Decimal] = {}
    awarded: dict[str, Decimal] = {}
    losers: dict[str, set[str]] = {}
    for department, employee, amount in lines:
        deducted.setdefault(department, ZERO)
        awarded.setdefault(department, ZERO)
        if amount < 0:
            deducted[department] += amount
            losers.setdefault(department, set()).add(employee)
        else:
            awarded[department] += amount
    out = [DepartmentDeductions(d, deducted[d], awarded[d], len(losers.get(d, ()))) for d in deducted]
    return sorted(out, key=lambda d: (d.deducted, d.department))


def quarter_deductions(db: Database, quarter: str, visible: frozenset[str] | None) -> list[DepartmentDeductions]:
    """``quarter``'s deductions per department over the people in ``visible`` (None = everyone)."""
    return by_department(access.quarter_amounts(db, quarter=quarter, visible=visible))
