"""The top of the dashboard, a manager's morning view: per department how many of its KPIs are met, in
warning or not met this month, with its weights in the responsibility matrix; the people at risk; the
quarter's deductions per department. Gathered from the engine (nothing is computed here), filtered by what
the viewer may see."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from perfrules.engine.evaluation.at_risk import AtRisk, EscalationRisk, at_risk
from perfrules.engine.evaluation.upcoming import DueItem
from perfrules.engine.kpi import catalog
from perfrules.engine.kpi.catalog import KpiDef
from perfrules.engine.periods import Period
from perfrules.engine.reporting.deductions import DepartmentDeductions, quarter_deductions
from perfrules.engine.rulebook.matrix import Responsibility, responsibility_matrix
from perfrules.engine.settings import Settings
from perfrules.engine.web.board import KpiCell, rulebook_of
from perfrules.storage import Database, access

# the statuses a department's KPIs are counted in (a rule's breach is a "not met" too)
COUNTED = ("met", "warning", "not_met", "no_data")


@dataclass(frozen=True)
class DepartmentStatus:
    """One department's line: its KPIs (the catalogue's owner) by status this month, and its weights."""

    department: access.DepartmentRef
    counts: dict[str, int]
    weights: tuple[tuple[KpiDef, Responsibility], ...]  # the KPI and its cell of the matrix


@dataclass(frozen=True)
class PersonAtRisk:
    """One person of the at-risk list with every reason: escalations one breach away, deadlines close."""

    employee_id: str
    person: access.EmployeeRef | None
    escalations: tuple[EscalationRisk, ...]
    deadlines: tuple[DueItem, ...]


def people_at_risk(risk: AtRisk, people: dict[str, access.EmployeeRef]) -> list[PersonAtRisk]:
    """``risk`` per person: those one breach away from an escalation first, then by the nearest due time."""
    out = [
        PersonAtRisk(
            e,
            people.get(e),
            tuple(r for r in risk.escalations if r.employee_id == e),
            tuple(d for d in risk.deadlines if d.employee_id == e),
        )
        for e in risk.people
    ]
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(
        out, key=lambda p: (not p.escalations, min((d.until for d in p.deadlines), default=far), p.employee_id)
    )


@dataclass(frozen=True)
class Morning:
    """Everything above the KPI table."""

    departments: list[DepartmentStatus]
    risk: AtRisk
    at_risk: list[PersonAtRisk]
    deductions: list[DepartmentDeductions]
    names: dict[str, access.DepartmentRef]  # department code → names
    titles: dict[str, tuple[str, str]]  # rule id → its title (en, zh-CN), for the at-risk list


def department_status(
    cells: Sequence[KpiCell], departments: Sequence[access.DepartmentRef], matrix: Sequence[Responsibility]
) -> list[DepartmentStatus]:
    """The company KPI ``cells`` counted per owning department (departments that own a KPI or a weight)."""
    out = []
    for dept in departments:
        owned = [c for c in cells if c.kpi.department == dept.code]
        weights = tuple((catalog.BY_ID[r.kpi], r) for r in matrix if r.department == dept.code)
        if not owned and not weights:
            continue
        counts = {s: sum(1 for c in owned if c.status == s) for s in COUNTED}
        out.append(DepartmentStatus(dept, counts, weights))
    return out


def morning(
    db: Database,
    settings: Settings,
    *,
    period: Period,
    quarter: str,
    cells: Sequence[KpiCell],
    now: datetime,
    visible: frozenset[str] | None,
    items: Sequence[DueItem],
) -> Morning:
    """The morning view of ``period`` (its KPI ``cells`` already judged) at ``now``; ``items``: the
    upcoming deadlines at ``now``."""
    rulebook = rulebook_of(settings)
    departments = access.departments(db)
    risk = at_risk(db, rulebook, now=now, zone=settings.zone, visible=visible, items=items)
    named = access.employees_of(db, sorted(risk.people)) if risk.people else []
    return Morning(
        department_status(cells, departments, responsibility_matrix(rulebook, period.last_day)),
        risk,
        people_at_risk(risk, {e.id: e for e in named}),
        quarter_deductions(db, quarter, visible),
        {d.code: d for d in departments},
        {s.rule.id: (s.rule.title.en, s.rule.title.zh_cn) for s in rulebook.rules},
    )
