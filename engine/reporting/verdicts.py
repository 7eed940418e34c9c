"""The one status of a KPI value: the verdict of the rule in force that judges it, else the generic band.

A rule's ``threshold`` judges a KPI at one scope kind (a named member, the rule's department, or every
member) and one period kind; the version in force on the period's last day is the one evaluation uses.
Where such a rule exists, the ``kpi`` command, the dashboard, the API and the reports show its verdict
(met / its warning band / breach) and name it (``judged_by``: ``rule@version``); the catalogue's target
and generic warning band apply only where no rule judges the value, and say so.
"""

from __future__ import annotations

from collections.abc import Iterable

from perfrules.engine.errors import InvalidPeriod
from perfrules.engine.kpi.status import KpiStatus, Status, by_rule, evaluate
from perfrules.engine.kpi.values import KpiValue
from perfrules.engine.periods import parse_period
from perfrules.engine.rulebook.compiler import target_of
from perfrules.engine.rulebook.rulebook import Rulebook, SourcedRule

_SEVERITY = {Status.NOT_MET: 0, Status.WARNING: 1, Status.MET: 2, Status.NOT_APPLICABLE: 3}


def judging_rules(rulebook: Rulebook, value: KpiValue, department: str | None = None) -> list[SourcedRule]:
    """The rules in force at the end of ``value``'s period whose threshold judges it. ``department``: the
    department of an employee scope's person (an employee threshold without ``scope_id`` covers the people
    of the rule's department)."""
    try:
        period = parse_period(value.period)
    except InvalidPeriod:  # ttm and other rolling windows: no rule judges them
        return []
    kind, key = value.scope.kind.value, value.scope.key
    found = []
    for sourced in rulebook.in_force(period.last_day):
        rule, t = sourced.rule, sourced.rule.threshold
        if t is None or t.kpi != value.kpi or t.scope != kind or t.period != period.kind.value:
            continue
        if t.scope_id is not None:
            covers = t.scope_id == key
        elif kind == "department":
            covers = rule.department == key
        elif kind == "employee":
            covers = department is not None and rule.department == department
        else:  # company, or every category / class / segment
            covers = True
        if covers:
            found.append(sourced)
    return sorted(found, key=lambda s: s.rule.id)


def judge(value: KpiValue, rulebook: Rulebook, department: str | None = None) -> KpiStatus:
    """``value``'s one status: the worst verdict of the rules judging it, or the generic band when none does."""
    verdicts = []
    for sourced in judging_rules(rulebook, value, department):
        threshold = sourced.rule.threshold
        assert threshold is not None
        target, direction = target_of(threshold)
        verdicts.append(
            by_rule(
                value,
                target=target,
                direction=direction,
                warning=threshold.warning,
                judged_by=f"{sourced.rule.id}@{sourced.ref.version}",
            )
        )
    if not verdicts:
        return evaluate(value)
    return min(verdicts, key=lambda s: _SEVERITY[s.status])


def judge_all(values: Iterable[KpiValue], rulebook: Rulebook, department: str | None = None) -> list[KpiStatus]:
    return [judge(v, rulebook, department) for v in values]
