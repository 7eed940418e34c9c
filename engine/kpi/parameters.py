"""The KPI library's parameters: every choice the seeds leave open, with the practitioners' default."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from decimal import Decimal
from typing import Any, Literal

_D = Decimal
_PEAK_SHARE, _ZERO, _BAND = Decimal("0.6"), Decimal("0"), Decimal("0.05")


@dataclass(frozen=True)
class KpiParameters:
    """Definitions the seeds leave open. Frozen; derive variants with :meth:`with_`.

    See ``docs/kpis.md`` for why each default was chosen.
    """

    days_per_year: int = 365  # annualisation: turnover, DIO and the annual cost rates
    obsolete_months: int = 12  # 呆滞: on hand with no outbound for this many months (seed: 6–12; its example: 12)
    active_months: int = 3  # turnover segment "active": outbound within this many months
    dead_months: int = 12  # turnover segment "dead": no outbound for this many months
    abc_cutoffs: tuple[Decimal, Decimal] = (_D("0.80"), _D("0.95"))  # cumulative consumption-value share A | B
    xyz_cutoffs: tuple[Decimal, Decimal] = (_D("0.5"), _D("1.0"))  # coefficient of variation of monthly demand
    class_months: int = 12  # ABC/XYZ look-back (calendar months ending with the as-of month)
    slow_mover_days: int = 90  # 库存超过90天未销售
    seasonal_months: int = 24  # sales history looked at for a seasonal pattern
    seasonal_peak_share: Decimal = _PEAK_SHARE  # seasonal: the 3 busiest calendar months hold ≥ this share of sales
    seasonal_min_units: int = 12  # … and at least this many units were sold in the look-back
    fill_rate_basis: Literal["quantity", "lines"] = "quantity"
    accuracy_tolerance: Decimal = _ZERO  # a count matches when |counted − book| ≤ tolerance × |book|
    forecast_method: Literal["wmape", "mape"] = "wmape"  # 1 − Σ|a−f|/Σa, or the mean of per-line accuracies
    list_due_day: int = 5  # the slow-mover list for month M is due by the end of day N of month M+1
    list_timeliness_method: Literal["on_time", "coverage"] = "on_time"
    tracking_grace_days: int = 0  # a week's disposal-tracking update is on time until Sunday + N days
    digestion_weight: Literal["value", "units", "skus"] = "value"
    digestion_due_day: int | None = 20  # disposals count up to this day of the month (None: the whole period)
    annualise_impairment: bool = False  # impairment loss rate per period (False) or scaled to a year
    warning_band: Decimal = _BAND  # warning when the achievement rate is within this of 100%

    def with_(self, **changes: Any) -> KpiParameters:
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


DEFAULT = KpiParameters()
