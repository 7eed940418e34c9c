"""The responsibility matrix (seed 004): which department and role answers for which KPI, with what weight.

Read from the rules in force, never kept apart from them: a rule whose consequence is proportional names
its KPI (``threshold.kpi``), its department and role, and the KPI's weight in the matrix
(``consequence.proportional.weight``) — turnover → purchasing 25 %, fill rate → planning 30 %, … Editing a
weight in a rule file changes the matrix the dashboard shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from perfrules.engine.rulebook.rulebook import Rulebook


@dataclass(frozen=True)
class Responsibility:
    """One cell of the matrix: ``department``/``role`` answers for ``kpi`` with ``weight`` of the KPI share
    (``kpi_share``) of the quarterly bonus, by rule ``rule_id`` version ``version``."""

    kpi: str
    department: str
    role: str
    weight: Decimal
    kpi_share: Decimal
    rule_id: str
    version: int


def responsibility_matrix(rulebook: Rulebook, day: date) -> tuple[Responsibility, ...]:
    """The weighted responsibilities of the rules in force on ``day``, by department, heaviest first."""
    cells = []
    for sourced in rulebook.in_force(day):
        rule = sourced.rule
        proportional = rule.consequence.proportional if rule.consequence else None
        if rule.threshold is None or proportional is None:
            continue
        cells.append(
            Responsibility(
                rule.threshold.kpi,
                rule.department,
                rule.role,
                proportional.weight,
                proportional.kpi_share,
                rule.id,
                rule.version,
            )
        )
    return tuple(sorted(cells, key=lambda c: (c.department, -c.weight, c.kpi)))
