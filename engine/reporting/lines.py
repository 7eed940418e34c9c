"""KPI values in the notices' vocabulary: units, the passing comparison, targets and report lines."""

from __future__ import annotations

from decimal import Decimal

from perfrules.engine.kpi import catalog
from perfrules.engine.kpi.catalog import Direction, ScopeKind, Unit
from perfrules.engine.kpi.status import Status, evaluate
from perfrules.engine.kpi.values import KpiValue
from perfrules.engine.notices.contexts import MetricLine, Named, Threshold
from perfrules.engine.reporting.verdicts import judge, judging_rules
from perfrules.engine.rulebook.rulebook import Rulebook

_UNITS = {Unit.RATIO: "ratio", Unit.CHANGE: "ratio", Unit.PER_YEAR: "per_year", Unit.DAYS: "days"}
# "not applicable" (no data) has no status of its own in a report line: someone should look why, so warning
_STATUS = {Status.MET: "met", Status.WARNING: "warning", Status.NOT_MET: "not_met", Status.NOT_APPLICABLE: "warning"}


def kpi_named(kpi_id: str) -> Named:
    kpi = catalog.get(kpi_id)
    return Named(code=kpi.id, name_zh=kpi.name_zh, name_en=kpi.name_en)


def unit_of(kpi_id: str) -> str:
    return _UNITS[catalog.get(kpi_id).unit]


def passing(direction: str | Direction) -> str:
    """The comparison a value must pass: ``>=`` when higher is better, else ``<=``."""
    return ">=" if Direction(direction) is Direction.HIGHER else "<="


def threshold_of(kpi_id: str, target: Decimal) -> Threshold:
    return Threshold(comparison=passing(catalog.get(kpi_id).direction), value=target, unit=unit_of(kpi_id))


def company_targets(rulebook: Rulebook, day) -> dict[str, Decimal]:
    """Targets HR set for company-wide KPIs in the rules in force on ``day`` (the catalogue's otherwise)."""
    targets: dict[str, Decimal] = {}
    for sourced in rulebook.in_force(day):
        t = sourced.rule.threshold
        if t is not None and t.scope == "company" and t.target is not None:
            targets.setdefault(t.kpi, t.target)
    return targets


def metric_line(value: KpiValue, previous: KpiValue | None, rulebook: Rulebook) -> MetricLine:
    """One report line: actual against target, with status and last period's value. Where a rule in force
    judges the value, its target and verdict; else HR's company target for the KPI (the catalogue's when
    no rule sets one) under the generic band."""
    if judging_rules(rulebook, value):
        judged = judge(value, rulebook)
    else:
        target = company_targets(rulebook, value.end).get(
            value.kpi, catalog.target_for(value.kpi, ScopeKind.COMPANY.value)
        )
        judged = evaluate(value, target)
    return MetricLine(
        kpi=kpi_named(value.kpi),
        actual=value.value,
        target=threshold_of(value.kpi, judged.target),
        status=_STATUS[judged.status],
        previous=previous.value if previous is not None else None,
    )


def rule_named(rulebook: Rulebook, rule_id: str) -> Named:
    """A rule as a named thing (its title, newest version); the bare id once it has left the rulebook."""
    versions = sorted(rulebook.by_id(rule_id), key=lambda s: s.ref.version)
    if not versions:
        return Named(code=rule_id, name_zh=rule_id, name_en=rule_id)
    title = versions[-1].rule.title
    return Named(code=rule_id, name_zh=title.zh_cn, name_en=title.en)
