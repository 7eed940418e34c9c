"""The KPI catalogue: every KPI perfrules knows, with its unit, direction, valid range and default target.

This is the vocabulary shared by the KPI library (which computes them) and the rulebook (whose rule files
name them, and whose checker rejects unknown KPIs and thresholds outside a KPI's range). Ratios are
fractions (0.95 means 95%); rule files may write ``95%``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Unit(StrEnum):
    RATIO = "ratio"  # a fraction: 0.95 = 95%
    CHANGE = "change"  # relative change against a baseline: 0.12 = +12%, -0.10 = -10%
    PER_YEAR = "per_year"  # turns per year
    DAYS = "days"


# How a value of each unit is written after its number, per page language (ratios and changes are shown as
# percentages, without a suffix): the one place the dashboard, its charts and its sparklines take them from.
UNIT_SUFFIX: dict[str, dict[Unit, str]] = {
    "en": {Unit.DAYS: " d", Unit.PER_YEAR: " /yr"},
    "zh-CN": {Unit.DAYS: " 天", Unit.PER_YEAR: " 次/年"},
}
PERCENT_UNITS = frozenset({Unit.RATIO, Unit.CHANGE})  # fractions: 0.95 is shown as 95%


class Direction(StrEnum):
    HIGHER = "higher"  # higher is better
    LOWER = "lower"  # lower is better


class ScopeKind(StrEnum):
    COMPANY = "company"
    DEPARTMENT = "department"
    CATEGORY = "category"
    ABC_CLASS = "abc_class"  # A, B, C by value share
    XYZ_CLASS = "xyz_class"  # X, Y, Z by demand variability
    SEGMENT = "segment"  # active, dead (turnover split so a blended figure cannot hide dead stock)
    SKU = "sku"
    EMPLOYEE = "employee"


@dataclass(frozen=True)
class Band:
    """A grading band: values from ``lower`` (inclusive) up to the next band's lower bound."""

    lower: Decimal
    label_en: str
    label_zh: str


@dataclass(frozen=True)
class KpiDef:
    """One KPI: identity, meaning, unit, direction, valid range, default target and where it applies."""

    id: str
    name_en: str
    name_zh: str
    department: str  # the department that owns it (domain.md sections 3 and 4)
    unit: Unit
    direction: Direction
    minimum: Decimal | None  # smallest value the KPI can take (None: unbounded)
    maximum: Decimal | None
    target: Decimal  # default target (rule files may set their own)
    scopes: frozenset[ScopeKind]
    formula: str
    source: str  # which seed defines it
    bands: tuple[Band, ...] = ()  # grading bands, best first (higher-is-better) where the seed gives them

    def in_range(self, value: Decimal) -> bool:
        return (self.minimum is None or value >= self.minimum) and (self.maximum is None or value <= self.maximum)


_ZERO, _ONE = Decimal(0), Decimal(1)
_STOCK = frozenset(
    {ScopeKind.COMPANY, ScopeKind.CATEGORY, ScopeKind.ABC_CLASS, ScopeKind.XYZ_CLASS, ScopeKind.SEGMENT, ScopeKind.SKU}
)
_SALES = frozenset({ScopeKind.COMPANY, ScopeKind.CATEGORY, ScopeKind.ABC_CLASS, ScopeKind.XYZ_CLASS, ScopeKind.SKU})
_COMPANY = frozenset({ScopeKind.COMPANY})
_PEOPLE = frozenset({ScopeKind.COMPANY, ScopeKind.DEPARTMENT, ScopeKind.EMPLOYEE})
_BUYING = frozenset({ScopeKind.COMPANY, ScopeKind.CATEGORY, ScopeKind.EMPLOYEE, ScopeKind.SKU})


def _d(text: str) -> Decimal:
    return Decimal(text)


def _kpi(id, name_en, name_zh, department, unit, direction, lo, hi, target, scopes, formula, source, bands=()):
    return KpiDef(
        id, name_en, name_zh, department, unit, direction, lo, hi, _d(target), scopes, formula, source, tuple(bands)
    )


_R, _C, _Y, _D = Unit.RATIO, Unit.CHANGE, Unit.PER_YEAR, Unit.DAYS
_HI, _LO = Direction.HIGHER, Direction.LOWER

CATALOG: tuple[KpiDef, ...] = (
    # --- seed 004: the 12 inventory KPIs -------------------------------------------------------------
    _kpi(
        "turnover",
        "Inventory turnover",
        "库存周转率",
        "purchasing",
        _Y,
        _HI,
        _ZERO,
        None,
        "6",
        _STOCK,
        "outbound cost of the period, annualised ÷ average inventory cost ((opening + closing) ÷ 2)",
        "004",
    ),
    _kpi(
        "dio",
        "Days inventory outstanding",
        "库存周转天数",
        "purchasing",
        _D,
        _LO,
        _ZERO,
        None,
        "60",
        _STOCK,
        "365 ÷ turnover",
        "004",
    ),
    _kpi(
        "fill_rate",
        "Fill rate",
        "备件满足率",
        "planning",
        _R,
        _HI,
        _ZERO,
        _ONE,
        "0.95",
        _SALES,
        "demand served at once ÷ total demand",
        "004",
        (
            Band(_d("0.98"), "world-leading", "世界领先"),
            Band(_d("0.95"), "excellent", "优秀"),
            Band(_d("0.90"), "average", "一般"),
            Band(_ZERO, "needs improvement", "需改进"),
        ),
    ),
    _kpi(
        "avg_stockout_days",
        "Average stockout duration",
        "平均缺货时间",
        "planning",
        _D,
        _LO,
        _ZERO,
        None,
        "2",
        _SALES,
        "total stockout time ÷ number of stockouts",
        "004",
    ),
    _kpi(
        "emergency_order_rate",
        "Emergency order rate",
        "紧急订单率",
        "planning",
        _R,
        _LO,
        _ZERO,
        _ONE,
        "0.10",
        _BUYING,
        "emergency purchase orders ÷ all purchase orders",
        "004",
    ),
    _kpi(
        "obsolete_ratio",
        "Obsolete stock ratio",
        "呆滞库存率",
        "warehouse",
        _R,
        _LO,
        _ZERO,
        _ONE,
        "0.05",
        _STOCK,
        "value of stock with no outbound for the obsolete window (12 months) ÷ total stock value",
        "004",
    ),
    _kpi(
        "inventory_accuracy",
        "Inventory accuracy",
        "库存准确率",
        "warehouse",
        _R,
        _HI,
        _ZERO,
        _ONE,
        "0.98",
        frozenset({ScopeKind.COMPANY, ScopeKind.CATEGORY, ScopeKind.EMPLOYEE}),
        "SKUs whose count matches the books ÷ SKUs counted",
        "004",
    ),
    _kpi(
        "kit_completeness",
        "Kit completeness",
        "库存齐套率",
        "planning",
        _R,
        _HI,
        _ZERO,
        _ONE,
        "0.95",
        _COMPANY,
        "work orders with every component in stock ÷ all work orders",
        "004",
    ),
    _kpi(
        "investment_ratio",
        "Inventory investment ratio",
        "库存资金占用率(营收)",
        "finance",
        _R,
        _LO,
        _ZERO,
        None,
        "0.30",
        _COMPANY,
        "stock value ÷ annual revenue",
        "004",
    ),
    _kpi(
        "holding_cost_rate",
        "Holding cost rate",
        "单位库存持有成本率",
        "finance",
        _R,
        _LO,
        _ZERO,
        None,
        "0.30",
        _COMPANY,
        "(capital + storage + handling + risk cost), annualised ÷ stock value",
        "004",
    ),
    _kpi(
        "cash_to_cash_days",
        "Cash-to-cash cycle",
        "现金周期",
        "finance",
        _D,
        _LO,
        None,
        None,
        "60",
        _COMPANY,
        "DIO + DSO − DPO",
        "004",
    ),
    # --- seed 000: purchasing -------------------------------------------------------------------------
    _kpi(
        "purchase_on_time_rate",
        "Purchase on-time rate",
        "采购及时率",
        "purchasing",
        _R,
        _HI,
        _ZERO,
        _ONE,
        "0.95",
        _BUYING,
        "purchase orders received by the promised day ÷ purchase orders due in the period",
        "000",
    ),
    _kpi(
        "purchase_cost_reduction",
        "Purchase cost reduction",
        "采购成本降低率",
        "purchasing",
        _C,
        _HI,
        None,
        _ONE,
        "0.03",
        _BUYING,
        "1 − (this period's purchase cost ÷ the same quantities at last year's unit costs)",
        "000",
    ),
    _kpi(
        "quality_pass_rate",
        "Quality pass rate",
        "质量合格率",
        "purchasing",
        _R,
        _HI,
        _ZERO,
        _ONE,
        "0.98",
        _BUYING,
        "quantity passed ÷ quantity inspected",
        "000",
    ),
    _kpi(
        "purchasing_dio",
        "Inventory days (purchasing side)",
        "库存周转天数(采购端)",
        "purchasing",
        _D,
        _LO,
        _ZERO,
        None,
        "54",
        _BUYING,
        "DIO of the stock purchasing bought (365 ÷ turnover of purchased SKUs)",
        "000",
    ),
    _kpi(
        "purchasing_dio_yoy",
        "Inventory days, year-on-year change",
        "库存周转天数同比",
        "purchasing",
        _C,
        _LO,
        None,
        None,
        "-0.10",
        _BUYING,
        "purchasing DIO ÷ purchasing DIO a year earlier − 1",
        "000",
    ),
    _kpi(
        "slow_mover_list_timeliness",
        "Slow-mover list timeliness",
        "滞销品统计分析及时率",
        "purchasing",
        _R,
        _HI,
        _ZERO,
        _ONE,
        "0.90",
        _PEOPLE,
        "slow-mover lists submitted by the due time (the 5th) ÷ lists due in the period (parameter: or the share "
        "of the system's list named on time)",
        "000",
    ),
    _kpi(
        "disposal_tracking_rate",
        "Disposal tracking rate",
        "滞销品处理进度跟踪率",
        "purchasing",
        _R,
        _HI,
        _ZERO,
        _ONE,
        "1",
        _PEOPLE,
        "weeks with a disposal tracking update submitted on time ÷ weeks due",
        "000",
    ),
    # --- seed 000: finance ----------------------------------------------------------------------------
    _kpi(
        "capital_occupation",
        "Inventory capital occupation",
        "库存资金占用率",
        "finance",
        _R,
        _LO,
        _ZERO,
        None,
        "0.30",
        _COMPANY,
        "inventory value ÷ current assets, at period end",
        "000",
    ),
    _kpi(
        "capital_turnover",
        "Capital turnover",
        "资金周转率",
        "finance",
        _Y,
        _HI,
        _ZERO,
        None,
        "4.6",
        _COMPANY,
        "revenue, annualised ÷ average inventory value",
        "000",
    ),
    _kpi(
        "capital_turnover_yoy",
        "Capital turnover, year-on-year change",
        "资金周转率同比",
        "finance",
        _C,
        _HI,
        None,
        None,
        "0.15",
        _COMPANY,
        "capital turnover ÷ capital turnover a year earlier − 1",
        "000",
    ),
    _kpi(
        "impairment_loss_rate",
        "Slow-mover impairment loss rate",
        "滞销品减值损失率",
        "finance",
        _R,
        _LO,
        _ZERO,
        None,
        "0.02",
        _COMPANY,
        "impairment losses booked in the period ÷ average inventory value",
        "000",
    ),
    # --- seed 000: operations -------------------------------------------------------------------------
    _kpi(
        "slow_mover_digestion_rate",
        "Slow-mover digestion rate",
        "滞销品消化率",
        "operations",
        _R,
        _HI,
        _ZERO,
        _ONE,
        "0.80",
        frozenset({ScopeKind.COMPANY, ScopeKind.CATEGORY, ScopeKind.EMPLOYEE}),
        "value (at cost) of the slow-mover list at the period's start disposed of by the 20th ÷ its value at list time",
        "000",
    ),
    _kpi(
        "turnover_improvement",
        "Turnover improvement",
        "库存周转提升率",
        "operations",
        _C,
        _HI,
        None,
        None,
        "0.12",
        _STOCK,
        "turnover ÷ turnover a year earlier − 1",
        "000",
    ),
    _kpi(
        "forecast_accuracy",
        "Sales forecast accuracy",
        "销售预测准确率",
        "operations",
        _R,
        _HI,
        _ZERO,
        _ONE,
        "0.85",
        frozenset({ScopeKind.COMPANY, ScopeKind.CATEGORY, ScopeKind.EMPLOYEE, ScopeKind.SKU}),
        "1 − Σ|actual − forecast| ÷ Σ actual (weighted MAPE), floored at 0",
        "000",
    ),
)

BY_ID: dict[str, KpiDef] = {k.id: k for k in CATALOG}


def get(kpi_id: str) -> KpiDef:
    """The definition of ``kpi_id``; raises ``KeyError`` for an unknown id (callers add suggestions)."""
    return BY_ID[kpi_id]


# Turnover targets per class (seed 004: A 10–15, B 6–10, C 3–6; X 8–12, Y 5–8, Z 2–4 turns a year): the lower
# end of each range, used when a turnover value is for an ABC or XYZ class scope.
CLASS_TARGETS: dict[tuple[str, str, str], Decimal] = {
    ("turnover", ScopeKind.ABC_CLASS.value, "A"): _d("10"),
    ("turnover", ScopeKind.ABC_CLASS.value, "B"): _d("6"),
    ("turnover", ScopeKind.ABC_CLASS.value, "C"): _d("3"),
    ("turnover", ScopeKind.XYZ_CLASS.value, "X"): _d("8"),
    ("turnover", ScopeKind.XYZ_CLASS.value, "Y"): _d("5"),
    ("turnover", ScopeKind.XYZ_CLASS.value, "Z"): _d("2"),
}


def target_for(kpi_id: str, scope_kind: str = ScopeKind.COMPANY.value, key: str | None = None) -> Decimal:
    """The default target of ``kpi_id`` for a scope: the class target where the seed gives one."""
    return CLASS_TARGETS.get((kpi_id, scope_kind, key or ""), get(kpi_id).target)


# Whose facts a person- or department-scoped KPI counts: the departments whose people buy (purchase orders'
# buyer), hand in the slow-mover list and its weekly tracking, file disposals, forecast, or count stock. For
# anyone else the KPI does not apply (it would read 0 % for facts they never produce).
PRODUCED_BY: dict[str, frozenset[str]] = {
    "emergency_order_rate": frozenset({"purchasing"}),
    "purchase_on_time_rate": frozenset({"purchasing"}),
    "purchase_cost_reduction": frozenset({"purchasing"}),
    "quality_pass_rate": frozenset({"purchasing"}),
    "purchasing_dio": frozenset({"purchasing"}),
    "purchasing_dio_yoy": frozenset({"purchasing"}),
    "slow_mover_list_timeliness": frozenset({"purchasing"}),
    "disposal_tracking_rate": frozenset({"purchasing"}),
    "slow_mover_digestion_rate": frozenset({"operations"}),
    "forecast_accuracy": frozenset({"operations", "planning"}),
    "inventory_accuracy": frozenset({"warehouse"}),
}


def applies_to(kpi_id: str, department: str) -> bool:
    """Whether ``kpi_id`` at a department or employee scope means anything for ``department``'s people."""
    return department in PRODUCED_BY.get(kpi_id, frozenset({get(kpi_id).department}))
