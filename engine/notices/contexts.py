"""Typed template contexts: one frozen model per notice kind, and the variables each one offers.

A template sees the fields of its kind's model as top-level variables (``recipient``, ``rule`` …), never
an ORM row. :func:`template_variables` lists them as dotted paths; ``check_templates`` holds every
template to them.
"""

from __future__ import annotations

import types
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator

Locale = Literal["zh-CN", "en"]
Unit = Literal["ratio", "days", "per_year", "money", "count"]
Comparison = Literal[">=", "<=", ">", "<"]
Status = Literal["met", "warning", "not_met"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Named(_Frozen):
    """Something with a code and a name in both languages (a KPI, deliverable, department, action)."""

    code: str
    name_zh: str
    name_en: str


class Person(_Frozen):
    """An employee mentioned in a notice (not necessarily its recipient)."""

    id: str
    name_zh: str
    name_en: str
    email: str
    department: Named


class Recipient(_Frozen):
    """Who receives the notice: the language and time zone every filter renders in."""

    id: str
    name_zh: str
    name_en: str
    email: str
    locale: Locale
    zone: str = "Asia/Shanghai"


class RuleRef(_Frozen):
    """The rule a notice comes from: id, the file it lives in and that file's version."""

    id: str
    file: str
    version: str


class Threshold(_Frozen):
    """A KPI target: ``actual <comparison> value`` passes."""

    comparison: Comparison
    value: Decimal
    unit: Unit


class FactSeen(_Frozen):
    """One fact value the rule looked at."""

    name: Named
    value: Decimal
    unit: Unit
    period: str | None = None  # the month (or week) the value belongs to, when several are listed


class MetricLine(_Frozen):
    """A KPI in a report: actual against target, with its status (met, warning, not met)."""

    kpi: Named
    actual: Decimal | None
    target: Threshold
    status: Status
    previous: Decimal | None = None


class OrderLine(_Frozen):
    """An emergency purchase order listed in the weekly report."""

    id: str
    sku: str
    day: date
    quantity: int
    supplier: str | None = None


class DeductionLine(_Frozen):
    """One bonus deduction listed in the monthly report."""

    employee: Person
    breach: Named
    amount: Decimal


class DigestItem(_Frozen):
    """One notice folded into a digest: its kind, subject and rendered bodies."""

    kind: str
    subject: str
    text: str
    html: str


class NoticeContext(_Frozen):
    """Base of every kind's context: each notice goes to exactly one recipient."""

    KIND: ClassVar[str] = ""
    recipient: Recipient


class ReminderContext(NoticeContext):
    """A deliverable falls due soon."""

    KIND: ClassVar[str] = "reminder"
    rule: RuleRef
    deliverable: Named
    period: str
    due_at: AwareDatetime
    days_left: int


class DeadlineMissedContext(NoticeContext):
    """A deliverable was not handed in by its deadline."""

    KIND: ClassVar[str] = "deadline_missed"
    rule: RuleRef
    deliverable: Named
    period: str
    due_at: AwareDatetime
    days_late: int
    consequence: Named | None = None


class KpiWarningContext(NoticeContext):
    """A KPI of the period misses its target (``kind`` breach), or still meets it but is inside the rule's
    warning band (``kind`` warning): between the target and the warning level, on the good side of the target.

    ``threshold`` is always the target; ``warning_level`` (a warning only) is the edge of the band, the value
    ``actual`` must reach (``actual <comparison> value``) to be clear of it. ``deducts``: missing the target
    costs a bonus deduction under this rule."""

    KIND: ClassVar[str] = "kpi_warning"
    rule: RuleRef
    kpi: Named
    period: str
    actual: Decimal
    threshold: Threshold
    kind: Literal["breach", "warning"] = "breach"
    warning_level: Threshold | None = None
    deducts: bool = False
    consecutive_periods: int = 1

    @model_validator(mode="after")
    def _band_has_its_level(self) -> KpiWarningContext:
        if (self.kind == "warning") != (self.warning_level is not None):
            raise ValueError("a warning-band notice gives its warning_level, a breach notice none")
        return self


class ConsequenceContext(NoticeContext):
    """A bonus deduction: what was deducted and why, and how the amount was computed."""

    KIND: ClassVar[str] = "consequence"
    rule: RuleRef
    breach: Named
    period: str
    quarter: str
    facts: tuple[FactSeen, ...]
    threshold: Threshold
    bonus_base: Decimal
    rate: Decimal
    amount: Decimal


class EscalationManagerContext(NoticeContext):
    """A repeated breach by someone on the manager's team; the action that follows."""

    KIND: ClassVar[str] = "escalation_manager"
    rule: RuleRef
    employee: Person
    breach: Named
    periods: tuple[str, ...]
    action: Named


class EscalationHrContext(NoticeContext):
    """A repeated breach escalated to HR, with the action HR is to take."""

    KIND: ClassVar[str] = "escalation_hr"
    rule: RuleRef
    employee: Person
    manager: Person | None = None
    breach: Named
    periods: tuple[str, ...]
    action: Named
    total_deducted: Decimal


class AppealContext(NoticeContext):
    """A step of an appeal against a bonus line or finding: lodged (to the manager and HR), decided or
    withdrawn (to the person and the manager)."""

    KIND: ClassVar[str] = "appeal"
    appeal_id: int
    event: Literal["lodged", "accepted", "rejected", "withdrawn"]
    employee: Person
    subject: Literal["line", "finding"]
    subject_id: int
    quarter: str
    reason: str
    decision: str = ""  # HR's reason (accepted, rejected)
    decided_by: str = ""
    correction: str = ""  # accepted: void, override or none


class WeeklyReportContext(NoticeContext):
    """Monday 08:00 to operations: turnover, fill rate and emergency orders of the week."""

    KIND: ClassVar[str] = "weekly_report"
    week: str
    start: date
    end: date
    turnover: MetricLine
    fill_rate: MetricLine
    emergency_order_rate: MetricLine
    emergency_orders: tuple[OrderLine, ...]
    generated_at: AwareDatetime


class MonthlyReportContext(NoticeContext):
    """The 5th of each month to management: every KPI of last month and the deductions."""

    KIND: ClassVar[str] = "monthly_report"
    month: str
    kpis: tuple[MetricLine, ...]
    deductions: tuple[DeductionLine, ...]
    total_deducted: Decimal
    generated_at: AwareDatetime


class DigestContext(NoticeContext):
    """Several notices to one person on one day, as one e-mail."""

    KIND: ClassVar[str] = "digest"
    day: date
    items: tuple[DigestItem, ...]


CONTEXTS: dict[str, type[NoticeContext]] = {
    c.KIND: c
    for c in (
        ReminderContext,
        DeadlineMissedContext,
        KpiWarningContext,
        ConsequenceContext,
        EscalationManagerContext,
        EscalationHrContext,
        AppealContext,
        WeeklyReportContext,
        MonthlyReportContext,
        DigestContext,
    )
}
KINDS: tuple[str, ...] = tuple(CONTEXTS)
# Kinds several of which, to one person on one day, go out as one digest. Reports stand alone.
DIGESTIBLE: frozenset[str] = frozenset(
    {"reminder", "deadline_missed", "kpi_warning", "consequence", "escalation_manager", "escalation_hr"}
)


def model_of(annotation: Any) -> type[BaseModel] | None:
    """The model class behind ``annotation`` (unwrapping ``X | None``), or None."""
    if get_origin(annotation) in (Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        return model_of(inner[0]) if len(inner) == 1 else None
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def element_of(annotation: Any) -> Any | None:
    """The element type of ``tuple[X, ...]`` / ``list[X]`` (unwrapping ``| None``), or None."""
    if get_origin(annotation) in (Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        return element_of(inner[0]) if len(inner) == 1 else None
    if get_origin(annotation) in (tuple, list):
        args = [a for a in get_args(annotation) if a is not Ellipsis]
        return args[0] if args else None
    return None


def template_variables(kind: str) -> tuple[str, ...]:
    """Every variable a template of ``kind`` may use, as dotted paths (``items[].subject`` for lists)."""
    return tuple(_paths(CONTEXTS[kind], ""))


def _paths(model: type[BaseModel], prefix: str) -> list[str]:
    out: list[str] = []
    for name, field in model.model_fields.items():
        path = prefix + name
        nested, element = model_of(field.annotation), element_of(field.annotation)
        if nested is not None:
            out.extend(_paths(nested, path + "."))
        elif element is not None and model_of(element) is not None:
            out.extend(_paths(model_of(element), path + "[]."))
        else:
            out.append(path)
    return out
