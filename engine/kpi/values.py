"""A computed KPI value that keeps its inputs, so every figure can be explained and drilled into."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any

from perfrules.engine.kpi import catalog
from perfrules.engine.kpi.parameters import DEFAULT, KpiParameters
from perfrules.engine.kpi.scope import Scope

PLACES = Decimal("0.0001")


def quantize(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class KpiValue:
    """One KPI for one scope and period as of a day.

    ``value`` is None when the KPI is not applicable (e.g. a fill rate without demand); ``reason`` says why.
    ``numerator`` / ``denominator`` are the figures the value was divided from (before annualisation,
    which ``inputs["annualise"]`` records), ``rows`` the facts counted, ``inputs`` every other figure used.
    """

    kpi: str
    scope: Scope
    period: str
    start: date  # first day of the window
    end: date  # last day of the window (the period's last day, or the as-of day if earlier)
    value: Decimal | None
    reason: str | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    rows: int = 0
    inputs: Mapping[str, Any] = field(default_factory=dict)
    parameters: KpiParameters = DEFAULT

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", MappingProxyType(dict(self.inputs)))

    @property
    def definition(self) -> catalog.KpiDef:
        return catalog.get(self.kpi)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kpi": self.kpi,
            "scope": self.scope.label,
            "period": self.period,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "value": _plain(self.value),
            "reason": self.reason,
            "numerator": _plain(self.numerator),
            "denominator": _plain(self.denominator),
            "rows": self.rows,
            "inputs": {k: _plain(v) for k, v in self.inputs.items()},
        }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
