"""Status of a KPI value against its target: achievement rate, met / warning / not met, grading band.

Two ways of judging, one per value: :func:`by_rule` gives a rule's verdict (breach when worse than its
target, warning inside its warning band on the good side, else met) wherever a rule in force judges the
KPI; :func:`evaluate` gives the generic band (warning = not met, but within ``warning_band`` of 100%)
only where none does (:data:`GENERIC_BAND`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from perfrules.engine.kpi import catalog
from perfrules.engine.kpi.catalog import Direction, Unit
from perfrules.engine.kpi.values import KpiValue, quantize

GENERIC_BAND = "generic band"


class Status(StrEnum):
    MET = "met"  # ✅
    WARNING = "warning"  # ⚠️ not met, but the achievement rate is within the warning band of 100%
    NOT_MET = "not_met"  # ❌
    NOT_APPLICABLE = "not_applicable"

    @property
    def symbol(self) -> str:
        return {"met": "✅", "warning": "⚠️", "not_met": "❌", "not_applicable": "–"}[self.value]


@dataclass(frozen=True)
class KpiStatus:
    """A value judged against a target."""

    value: KpiValue
    target: Decimal
    achievement: Decimal | None  # actual ÷ target (lower-is-better: target ÷ actual); None when undefined
    status: Status
    band: catalog.Band | None
    judged_by: str = GENERIC_BAND  # the rule that judged the value ("id@version"), or the generic band


def achievement_rate(kpi: catalog.KpiDef, actual: Decimal, target: Decimal) -> Decimal | None:
    """actual ÷ target, or target ÷ actual when lower is better.

    Changes (``Unit.CHANGE``, e.g. −10% year on year) compare levels against the baseline, (1 + actual) ÷
    (1 + target), so a negative target still gives a meaningful rate.
    """
    if kpi.unit is Unit.CHANGE:
        actual, target = 1 + actual, 1 + target
    top, bottom = (actual, target) if kpi.direction is Direction.HIGHER else (target, actual)
    if bottom <= 0 or top < 0:
        return None
    return quantize(top / bottom)


def meets(kpi: catalog.KpiDef, actual: Decimal, target: Decimal) -> bool:
    return actual >= target if kpi.direction is Direction.HIGHER else actual <= target


def band_of(kpi: catalog.KpiDef, actual: Decimal) -> catalog.Band | None:
    """The grading band the value falls in (bands are best first; higher-is-better: from ``lower`` up;
    lower-is-better: up to and including ``lower``)."""
    for band in kpi.bands:
        if (kpi.direction is Direction.HIGHER and actual >= band.lower) or (
            kpi.direction is Direction.LOWER and actual <= band.lower
        ):
            return band
    return kpi.bands[-1] if kpi.bands else None


def evaluate(value: KpiValue, target: Decimal | None = None, warning_band: Decimal | None = None) -> KpiStatus:
    """Judge ``value`` against ``target`` (default: the catalogue's, or the class target for class scopes)."""
    kpi = value.definition
    if target is None:
        target = catalog.target_for(kpi.id, value.scope.kind.value, value.scope.key)
    band_width = value.parameters.warning_band if warning_band is None else warning_band
    if value.value is None:
        return KpiStatus(value, target, None, Status.NOT_APPLICABLE, None)
    rate = achievement_rate(kpi, value.value, target)
    if meets(kpi, value.value, target):
        status = Status.MET
    elif rate is not None and rate >= 1 - band_width:
        status = Status.WARNING
    else:
        status = Status.NOT_MET
    return KpiStatus(value, target, rate, status, band_of(kpi, value.value))


def by_rule(value: KpiValue, *, target: Decimal, direction: str, warning: Decimal | None, judged_by: str) -> KpiStatus:
    """The verdict of the rule ``judged_by`` on ``value``, exactly as the rule compiler decides it: a
    breach (``not_met``) when the value is worse than ``target``, ``warning`` when it is not but is worse
    than the ``warning`` edge, else ``met``."""
    kpi = value.definition
    if value.value is None:
        return KpiStatus(value, target, None, Status.NOT_APPLICABLE, None, judged_by)
    actual = value.value

    def worse(edge: Decimal) -> bool:
        return actual < edge if direction == Direction.HIGHER.value else actual > edge

    if worse(target):
        status = Status.NOT_MET
    elif warning is not None and worse(warning):
        status = Status.WARNING
    else:
        status = Status.MET
    return KpiStatus(value, target, achievement_rate(kpi, actual, target), status, band_of(kpi, actual), judged_by)
