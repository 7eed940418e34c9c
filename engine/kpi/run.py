"""One computation run: the connection, the period's window, the parameters, and cached stock windows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from perfrules.engine.kpi import catalog
from perfrules.engine.kpi.catalog import ScopeKind
from perfrules.engine.kpi.deadlines import Deadlines, ParameterDeadlines, first_of
from perfrules.engine.kpi.parameters import KpiParameters
from perfrules.engine.kpi.scope import InvalidScope, Scope
from perfrules.engine.kpi.values import KpiValue, quantize
from perfrules.engine.periods import Period, add_months
from perfrules.storage.db import Connection
from perfrules.storage.kpi.common import Classing, Selection
from perfrules.storage.kpi.stock import EMPTY, Profile, StockWindow, stock_profile, stock_window

_SELECTION = {
    ScopeKind.COMPANY: "all",
    ScopeKind.CATEGORY: "category",
    ScopeKind.ABC_CLASS: "abc",
    ScopeKind.XYZ_CLASS: "xyz",
    ScopeKind.SEGMENT: "segment",
    ScopeKind.SKU: "sku",
    ScopeKind.EMPLOYEE: "employee",
    ScopeKind.DEPARTMENT: "department",
}


# selection kinds answered from the run's stock profile -> the Profile field they filter on
_PROFILED = {"all": None, "department": None, "category": "category", "abc": "abc", "xyz": "xyz", "segment": "segment"}


def classing(params: KpiParameters) -> Classing:
    return Classing(
        abc_a=params.abc_cutoffs[0],
        abc_b=params.abc_cutoffs[1],
        xyz_x=params.xyz_cutoffs[0],
        xyz_y=params.xyz_cutoffs[1],
        months=params.class_months,
        active_months=params.active_months,
        dead_months=params.dead_months,
    )


class Run:
    """Computes KPIs for one period as of one day on one connection; caches what several KPIs share."""

    def __init__(
        self,
        conn: Connection,
        period: Period,
        as_of: date,
        params: KpiParameters,
        zone: ZoneInfo,
        deadlines: Deadlines | None = None,
    ):
        self.conn = conn
        # the rulebook's due moments first; the library's documented parameters only for what no rule owns
        self.deadlines = first_of(deadlines, ParameterDeadlines(params, zone))
        self.period = period
        self.as_of = as_of
        self.params = params
        self.zone = zone
        self.start = period.start
        self.end = min(period.last_day, as_of)
        self.classing = classing(params)
        self._stock: dict[tuple[Any, ...], StockWindow] = {}
        self._cache: dict[tuple[Any, ...], Any] = {}

    def cached(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """``compute()`` once per run for ``key`` (facts several KPIs share: demand, purchase orders)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    @property
    def started(self) -> bool:
        return self.as_of >= self.start

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @cached_property
    def annualise(self) -> Decimal:
        return Decimal(self.params.days_per_year) / Decimal(self.days)

    @property
    def year_ago(self) -> tuple[date, date]:
        return self.period.year_ago().start, add_months(self.end, -12)

    def months(self) -> list[str]:
        """Labels (YYYY-MM) of the calendar months the window overlaps."""
        return [m.label for m in self.period.months() if m.start <= self.end]

    def obsolete_before(self, end: date) -> date:
        return add_months(end, -self.params.obsolete_months)

    def selection(self, kpi_id: str, scope: Scope) -> Selection:
        kpi = catalog.get(kpi_id)
        if scope.kind not in kpi.scopes:
            allowed = ", ".join(sorted(k.value for k in kpi.scopes))
            raise InvalidScope(scope.label, f"{kpi_id} is computed for {allowed}")
        return Selection(_SELECTION[scope.kind], scope.key)

    def profile(self, *, year_ago: bool = False, with_classes: bool = False) -> dict[Profile, StockWindow]:
        """The grouped stock windows of the period (or a year earlier), read once per run (a profile with
        classes also answers for one without)."""
        start, end = self.year_ago if year_ago else (self.start, self.end)
        richer = self._cache.get(("profile", start, end, True))
        if richer is not None:
            return richer
        return self.cached(
            ("profile", start, end, with_classes),
            lambda: stock_profile(
                self.conn,
                start,
                end,
                obsolete_before=self.obsolete_before(end),
                classing=self.classing,
                with_classes=with_classes,
            ),
        )

    def stock(self, kpi_id: str, scope: Scope, *, purchased: bool = False, year_ago: bool = False) -> StockWindow:
        """The stock window of a scope: summed from the run's profile for company, category, class and segment
        scopes; its own query for a SKU or a buyer."""
        selection = self.selection(kpi_id, scope)
        if selection.kind in _PROFILED:
            field = _PROFILED[selection.kind]
            profile = self.profile(year_ago=year_ago, with_classes=selection.kind in ("abc", "xyz"))
            total = EMPTY
            for group, window in profile.items():
                if (field is None or getattr(group, field) == selection.key) and (group.purchased or not purchased):
                    total = total + window
            return total
        start, end = self.year_ago if year_ago else (self.start, self.end)
        key = (selection, purchased, start, end)
        if key not in self._stock:
            self._stock[key] = stock_window(
                self.conn,
                start,
                end,
                obsolete_before=self.obsolete_before(end),
                classing=self.classing,
                selection=selection,
                purchased_only=purchased,
            )
        return self._stock[key]

    def value(
        self,
        kpi_id: str,
        scope: Scope,
        value: Decimal | None,
        *,
        reason: str | None = None,
        numerator: Decimal | int | None = None,
        denominator: Decimal | int | None = None,
        rows: int = 0,
        start: date | None = None,
        **inputs: Any,
    ) -> KpiValue:
        return KpiValue(
            kpi_id,
            scope,
            self.period.label,
            start or self.start,
            self.end,
            None if value is None else quantize(value),
            reason if value is None else None,
            None if numerator is None else Decimal(numerator),
            None if denominator is None else Decimal(denominator),
            rows,
            inputs,
            self.params,
        )

    def ratio(
        self,
        kpi_id: str,
        scope: Scope,
        numerator: Decimal | int,
        denominator: Decimal | int,
        reason: str,
        *,
        rows: int = 0,
        **inputs: Any,
    ) -> KpiValue:
        """numerator ÷ denominator, or not applicable (``reason``) when the denominator is zero."""
        if not denominator:
            return self.value(
                kpi_id, scope, None, reason=reason, numerator=numerator, denominator=denominator, rows=rows, **inputs
            )
        return self.value(
            kpi_id,
            scope,
            Decimal(numerator) / Decimal(denominator),
            numerator=numerator,
            denominator=denominator,
            rows=rows,
            **inputs,
        )
