"""What the rulebook decided for one month, in the shape the evaluation stores: one :class:`Observation`
per finding, with its provenance, the values it saw and its consequence as the rule states it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Carry:
    """Cross-department attribution: ``department``/``role`` carries ``share`` of the consequence."""

    department: str
    role: str
    share: Decimal
    because: str  # the linked condition, in words


@dataclass(frozen=True)
class EscalationSpec:
    """An escalation the rule declares: after ``after`` consecutive breaches do ``action``."""

    after: int
    action: str
    plan_due_days: int | None = None
    handed_to: str | None = None
    plan_deliverable: str | None = None


@dataclass(frozen=True)
class Observation:
    """One finding of one rule for one subject in one month."""

    rule_id: str
    rule_version: str
    rule_file: str
    rule_line: int
    department: str  # the rule's department
    role: str  # the rule's responsible role
    subject: str  # employee id or department code
    subject_kind: str  # company, or the scope kind of the subject: employee, department, category, abc_class, …
    period: str  # month label
    kind: str  # breach, late, missing, incomplete
    reference_day: date  # due date (deliverable) or last day of the month (KPI): who held the role then
    kpi: str | None = None
    value: Decimal | None = None
    threshold: Decimal | None = None
    comparison: str | None = None  # "<" or ">": the breach test value <comparison> threshold
    facts: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    share: Decimal | None = None  # signed share of the quarterly bonus (deduction < 0)
    stacks: bool = False
    share_cap: Decimal | None = None
    reason_code: str = ""
    proportional: bool = False
    carry: Carry | None = None
    escalations: tuple[EscalationSpec, ...] = ()

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.rule_id, self.subject, self.period, self.kind)


@dataclass(frozen=True)
class Unjudged:
    """A rule that could not be judged for a subject this month, and why (no KPI value; not due yet)."""

    rule_id: str
    subject: str
    subject_kind: str
    period: str
    reason: str


@dataclass(frozen=True)
class Judgement:
    """Everything the rule engine said about one month: findings (stored), and what only notices use —
    warnings (inside a rule's warning band), deliverables still pending, rules that could not be judged."""

    observations: tuple[Observation, ...] = ()
    warnings: tuple[Observation, ...] = ()
    pending: tuple[Any, ...] = ()  # engine.facts.DeliverableState, not due yet and not handed in
    unjudged: tuple[Unjudged, ...] = ()
