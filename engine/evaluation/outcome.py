"""What a decision contains: findings, consequences, escalations and notice intents, each traceable.

Every item carries the :class:`~engine.rulebook.rulebook.RuleRef` (rule id, version, ``file:line``,
file sha256) it came from, and a natural ``key`` (rule, subject, period, kind …) that the evaluation
layer stores as unique so re-runs never deduct twice or send a second e-mail. ``as_dict`` gives the
flat, plain-value view HR tests and exports compare against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from perfrules.engine.rulebook.rulebook import RuleRef


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"{int(value.total_seconds() // 3600)}h" if value.total_seconds() % 86400 else f"{value.days}d"
    return value


class _Item:
    ref: RuleRef

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.ref.id, "version": self.ref.version}
        for name, value in self.__dict__.items():
            if name != "ref" and value is not None and value != ():
                out[name] = _plain(value)
        return out


@dataclass(frozen=True)
class Finding(_Item):
    """What a rule found. ``kind``: kpi_breach, kpi_warning, kpi_met (proportional rules only),
    deadline_missed (``state`` late or missing) or incomplete. ``subject`` is ``department:purchasing``,
    ``company``, ``category:X`` or ``employee:E1``. ``target`` is the threshold compared against."""

    ref: RuleRef
    kind: str
    subject: str
    period: str
    kpi: str | None = None
    value: Decimal | None = None
    target: Decimal | None = None
    direction: str | None = None
    deliverable: str | None = None
    employee: str | None = None
    state: str | None = None
    due_at: datetime | None = None
    submitted_at: datetime | None = None
    days_late: int | None = None
    completeness: Decimal | None = None
    streak: int = 1

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.ref.id, self.subject, self.period, self.kind)


@dataclass(frozen=True)
class Consequence(_Item):
    """How a finding changed one employee's bonus line of the quarter: ``share`` of the quarterly bonus
    (negative = deduction) and CNY ``amount`` by which the line moved, ``basis`` the line's computation.
    ``status`` applied or suppressed (``reason`` says why: once per quarter, cap reached).
    ``attributed_from`` names the department whose breach this was when attribution moved it."""

    ref: RuleRef
    subject: str
    period: str
    quarter: str
    share: Decimal
    department: str
    role: str
    basis: str
    employee: str | None = None
    amount: Decimal | None = None
    status: str = "applied"
    reason: str | None = None
    attributed_from: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.ref.id, self.employee or self.department, self.period, "consequence")


@dataclass(frozen=True)
class PlanItem:
    """A tracked deliverable an escalation creates (e.g. a written improvement plan) with its due day
    (the breach's reference day + the rule's ``due_in``)."""

    deliverable: str
    due_at: date


@dataclass(frozen=True)
class Escalation(_Item):
    """An escalation after ``streak`` consecutive breaches charged to ``employee``: no_promotion,
    improvement_plan (with ``plan``), reassignment_review (handed to HR), training or clarify_definition."""

    ref: RuleRef
    subject: str
    period: str
    action: str
    after: int
    streak: int
    plan: PlanItem | None = None
    employee: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = super().as_dict()
        if self.plan is not None:
            out["plan"] = {"deliverable": self.plan.deliverable, "due_at": self.plan.due_at.isoformat()}
        return out

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.ref.id, self.subject, self.period, f"escalation:{self.action}")


@dataclass(frozen=True)
class NoticeIntent(_Item):
    """Who is told what: ``kind`` reminder, deadline_missed, kpi_warning, consequence or escalation;
    ``recipient`` the role word (employee, manager, hr, department, general_manager) and ``to`` the
    resolved employee id when the facts named people. ``about`` is the employee or subject concerned.
    Send at ``send_at``; repeat every ``repeat_every`` until the cause is gone (None: once)."""

    ref: RuleRef
    kind: str
    recipient: str
    template: str
    subject: str
    period: str
    send_at: datetime
    to: str | None = None
    about: str | None = None
    repeat_every: timedelta | None = None
    detail: str | None = None

    @property
    def key(self) -> tuple[str, ...]:
        return (self.ref.id, self.subject, self.period, self.kind, self.recipient, self.to or "", self.detail or "")


@dataclass(frozen=True)
class NotApplicable(_Item):
    """A rule that could not be judged, and why (no KPI value, quantitative deadline not yet due)."""

    ref: RuleRef
    subject: str
    period: str
    reason: str


@dataclass(frozen=True)
class Decision:
    """The outcome of :func:`perfrules.engine.evaluation.decide.decide` for one rulebook, facts bundle and ``now``."""

    now: datetime
    period: str
    findings: tuple[Finding, ...] = ()
    consequences: tuple[Consequence, ...] = ()
    escalations: tuple[Escalation, ...] = ()
    notices: tuple[NoticeIntent, ...] = ()
    not_applicable: tuple[NotApplicable, ...] = field(default=())
