"""Sample contexts for every notice kind: what ``perfrules preview`` fills in around real employee data,
and what the golden-file tests render. The figures echo the seeds' worked examples."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from perfrules.engine.money import round_cny
from perfrules.engine.notices.contexts import (
    CONTEXTS,
    AppealContext,
    ConsequenceContext,
    DeadlineMissedContext,
    DeductionLine,
    DigestContext,
    DigestItem,
    EscalationHrContext,
    EscalationManagerContext,
    FactSeen,
    KpiWarningContext,
    MetricLine,
    MonthlyReportContext,
    Named,
    NoticeContext,
    OrderLine,
    Person,
    Recipient,
    ReminderContext,
    RuleRef,
    Threshold,
    WeeklyReportContext,
)

PURCHASING = Named(code="purchasing", name_zh="采购部", name_en="Purchasing")
SLOW_MOVER_LIST = Named(code="slow_mover_list", name_zh="滞销品清单", name_en="slow-mover list")
LIST_TIMELINESS = Named(
    code="slow_mover_list_timeliness", name_zh="滞销品统计分析及时率", name_en="slow-mover list timeliness"
)
RULE = RuleRef(id="purchasing.slow_mover_list_timeliness", file="rules/purchasing.yaml", version="2024.1")
CAPITAL = Named(code="inventory_capital_occupation", name_zh="库存资金占用率", name_en="inventory capital occupation")
NO_PROMOTION = Named(code="no_promotion", name_zh="取消年度晋升资格", name_en="no promotion this year")
IMPROVEMENT_PLAN = Named(code="improvement_plan", name_zh="书面改进计划", name_en="written improvement plan")

SAMPLE_RECIPIENTS = {
    "zh-CN": Recipient(id="E1001", name_zh="王芳", name_en="Wang Fang", email="wang.fang@example.com", locale="zh-CN"),
    "en": Recipient(id="E1002", name_zh="李明", name_en="Li Ming", email="li.ming@example.com", locale="en"),
}
SAMPLE_EMPLOYEE = Person(
    id="E1001", name_zh="王芳", name_en="Wang Fang", email="wang.fang@example.com", department=PURCHASING
)
SAMPLE_MANAGER = Person(
    id="E1000", name_zh="张伟", name_en="Zhang Wei", email="zhang.wei@example.com", department=PURCHASING
)
SAMPLE_NOW = datetime(2024, 3, 6, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _metric(
    code: str, zh: str, en: str, actual: str, op: str, target: str, unit: str, status: str, previous: str | None = None
) -> MetricLine:
    return MetricLine(
        kpi=Named(code=code, name_zh=zh, name_en=en),
        actual=Decimal(actual),
        target=Threshold(comparison=op, value=Decimal(target), unit=unit),
        status=status,
        previous=None if previous is None else Decimal(previous),
    )


def sample_context(
    kind: str,
    recipient: Recipient,
    *,
    employee: Person = SAMPLE_EMPLOYEE,
    manager: Person | None = SAMPLE_MANAGER,
    bonus_base: Decimal = Decimal("12000"),
    now: datetime = SAMPLE_NOW,
    warning_band: bool = False,
) -> NoticeContext:
    """A complete, plausible context of ``kind`` addressed to ``recipient`` (``warning_band``: a kpi_warning
    about a value inside the rule's warning band instead of a missed target)."""
    due = datetime(2024, 3, 5, 23, 59, tzinfo=ZoneInfo("Asia/Shanghai"))
    if kind == "reminder":
        return ReminderContext(
            recipient=recipient, rule=RULE, deliverable=SLOW_MOVER_LIST, period="2024-02", due_at=due, days_left=3
        )
    if kind == "deadline_missed":
        return DeadlineMissedContext(
            recipient=recipient, rule=RULE, deliverable=SLOW_MOVER_LIST, period="2024-02", due_at=due, days_late=1
        )
    if kind == "kpi_warning" and warning_band:
        return KpiWarningContext(
            recipient=recipient,
            rule=RULE,
            kpi=LIST_TIMELINESS,
            period="2024-02",
            actual=Decimal("0.92"),
            kind="warning",
            deducts=True,
            threshold=Threshold(comparison=">=", value=Decimal("0.90"), unit="ratio"),
            warning_level=Threshold(comparison=">=", value=Decimal("0.95"), unit="ratio"),
        )
    if kind == "kpi_warning":
        return KpiWarningContext(
            recipient=recipient,
            rule=RULE,
            kpi=LIST_TIMELINESS,
            period="2024-02",
            actual=Decimal("0.85"),
            threshold=Threshold(comparison=">=", value=Decimal("0.90"), unit="ratio"),
            consecutive_periods=2,
        )
    if kind == "consequence":
        rate = Decimal("0.10")
        return ConsequenceContext(
            recipient=recipient,
            rule=RULE,
            breach=LIST_TIMELINESS,
            period="2024-02",
            quarter="2024-Q1",
            facts=(
                FactSeen(name=LIST_TIMELINESS, value=Decimal("0.85"), unit="ratio"),
                FactSeen(
                    name=Named(code="days_late", name_zh="逾期天数", name_en="days late"), value=Decimal(3), unit="days"
                ),
            ),
            threshold=Threshold(comparison=">=", value=Decimal("0.90"), unit="ratio"),
            bonus_base=bonus_base,
            rate=rate,
            amount=round_cny(bonus_base * rate),
        )
    if kind == "escalation_manager":
        return EscalationManagerContext(
            recipient=recipient,
            rule=RULE,
            employee=employee,
            breach=LIST_TIMELINESS,
            periods=("2023-12", "2024-01", "2024-02"),
            action=NO_PROMOTION,
        )
    if kind == "appeal":
        return AppealContext(
            recipient=recipient,
            appeal_id=3,
            event="accepted",
            employee=employee,
            subject="line",
            subject_id=17,
            quarter="2024Q1",
            reason="The ERP was down from 5 to 7 March; the list was ready on the 4th.",
            decision="IT confirms the outage.",
            decided_by="hr.wang",
            correction="void",
        )
    if kind == "escalation_hr":
        return EscalationHrContext(
            recipient=recipient,
            rule=RULE,
            employee=employee,
            manager=manager,
            breach=CAPITAL,
            periods=("2024-01", "2024-02"),
            action=IMPROVEMENT_PLAN,
            total_deducted=round_cny(bonus_base * Decimal("0.30")),
        )
    if kind == "weekly_report":
        return WeeklyReportContext(
            recipient=recipient,
            week="2024-W10",
            start=date(2024, 3, 4),
            end=date(2024, 3, 10),
            turnover=_metric(
                "turnover", "库存周转率", "inventory turnover", "4.8", ">=", "6", "per_year", "not_met", "4.6"
            ),
            fill_rate=_metric("fill_rate", "备件满足率", "fill rate", "0.94", ">=", "0.95", "ratio", "warning", "0.95"),
            emergency_order_rate=_metric(
                "emergency_order_rate", "紧急订单率", "emergency order rate", "0.08", "<", "0.10", "ratio", "met"
            ),
            emergency_orders=(
                OrderLine(
                    id="PO-2024-0311", sku="SKU-1042", day=date(2024, 3, 5), quantity=120, supplier="华东供应链有限公司"
                ),
                OrderLine(id="PO-2024-0317", sku="SKU-2210", day=date(2024, 3, 7), quantity=40),
            ),
            generated_at=now,
        )
    if kind == "monthly_report":
        return MonthlyReportContext(
            recipient=recipient,
            month="2024-02",
            kpis=(
                _metric("turnover", "库存周转率", "inventory turnover", "4.8", ">=", "6", "per_year", "not_met"),
                _metric("dio", "库存周转天数", "days inventory outstanding", "76", "<=", "60", "days", "not_met"),
                _metric("fill_rate", "备件满足率", "fill rate", "0.94", ">=", "0.95", "ratio", "warning"),
                _metric(
                    "obsolete_ratio", "呆滞库存率", "obsolete stock ratio", "0.128", "<", "0.05", "ratio", "not_met"
                ),
                _metric("accuracy", "库存准确率", "inventory accuracy", "0.97", ">=", "0.98", "ratio", "warning"),
                _metric(
                    "investment_ratio",
                    "库存资金占用率",
                    "inventory investment ratio",
                    "0.313",
                    "<",
                    "0.30",
                    "ratio",
                    "not_met",
                ),
            ),
            deductions=(
                DeductionLine(
                    employee=employee, breach=LIST_TIMELINESS, amount=round_cny(bonus_base * Decimal("0.10"))
                ),
            ),
            total_deducted=round_cny(bonus_base * Decimal("0.10")),
            generated_at=now,
        )
    if kind == "digest":
        zh = recipient.locale == "zh-CN"
        items = (
            (
                "reminder",
                "【截止提醒】滞销品清单（2024-03）将于2024年4月5日截止"
                if zh
                else "Reminder: slow-mover list for 2024-03 is due on 5 Apr 2024",
                "您负责的「滞销品清单」将于 2024年4月5日 截止。"
                if zh
                else "Your slow-mover list is due on 5 Apr 2024.",
            ),
            (
                "kpi_warning",
                "【指标未达标】滞销品统计分析及时率（2024-02）为 85.0%"
                if zh
                else "KPI target missed: slow-mover list timeliness for 2024-02 is 85.0%",
                "指标「滞销品统计分析及时率」为 85.0%，未达到目标（≥ 90.0%）。"
                if zh
                else "slow-mover list timeliness stands at 85.0% and misses its target (≥ 90.0%).",
            ),
        )
        return DigestContext(
            recipient=recipient,
            day=now.astimezone(ZoneInfo(recipient.zone)).date(),
            items=tuple(
                DigestItem(kind=k, subject=subject, text=text, html=f"<p>{text}</p>") for k, subject, text in items
            ),
        )
    raise KeyError(kind)


def all_samples(locale: str) -> dict[str, NoticeContext]:
    """One sample of every kind for the sample recipient of ``locale``."""
    return {kind: sample_context(kind, SAMPLE_RECIPIENTS[locale]) for kind in CONTEXTS}


__all__ = ["SAMPLE_NOW", "SAMPLE_RECIPIENTS", "all_samples", "sample_context"]
