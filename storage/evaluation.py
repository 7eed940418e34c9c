"""Evaluation tables: runs, findings, bonus adjustments, HR actions on them, escalations, quarter closes,
the payroll export log, and the people history (assignments, leave) that decides who is charged.

Every side effect has a natural key and a unique constraint, so a re-run, a crash and restart or two
overlapping runs update in place instead of duplicating:

* run: (period, rulebook_version, facts_hash) — claimed with insert-on-conflict;
* finding: (rule_id, subject, period, kind);
* adjustment: (rule_id, employee_id, period, kind, quarter) — ``quarter`` is the payroll quarter the line is
  paid in (a correction of a closed quarter is paid in a later one);
* escalation: (rule_id, subject, kind, streak_start) — a continuing streak never triggers twice.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from perfrules.storage.types import MONEY, RATIO, UTCDateTime
from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def _utc(nullable: bool = False, **kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, nullable=nullable, **kw)


class EvaluationRun(SQLModel, table=True):
    """One evaluation of one month with one rulebook version over one set of facts."""

    __tablename__ = "evaluation_runs"
    __table_args__ = (UniqueConstraint("period", "rulebook_version", "facts_hash"),)
    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=16, index=True)
    rulebook_version: str = Field(max_length=64)
    rule_files: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # file -> sha256
    facts_hash: str = Field(max_length=64)
    as_of: datetime = _utc()
    started_at: datetime = _utc()
    finished_at: datetime | None = _utc(nullable=True, default=None)
    status: str = Field(default="running", max_length=16)  # running, done, failed
    findings: int = 0
    adjustments: int = 0
    escalations: int = 0


class Finding(SQLModel, table=True):
    """A rule that fired for a subject in a month, with everything needed to explain and price it."""

    __tablename__ = "evaluation_findings"
    __table_args__ = (UniqueConstraint("rule_id", "subject", "period", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    rule_id: str = Field(max_length=128, index=True)
    subject: str = Field(max_length=64)  # employee id or department code
    subject_kind: str = Field(max_length=16)  # company, or the scope kind: employee, department, category, …
    period: str = Field(max_length=16, index=True)  # the month the breach belongs to
    quarter: str = Field(max_length=8, index=True)
    kind: str = Field(max_length=32)  # breach, late, missing, ...
    status: str = Field(default="active", max_length=16)  # active, withdrawn (a later run no longer sees it)
    rule_file: str = Field(max_length=500)
    rule_line: int = 0
    rule_version: str = Field(max_length=64)
    kpi: str | None = Field(default=None, max_length=64)
    value: str | None = Field(default=None, max_length=64)
    threshold: str | None = Field(default=None, max_length=64)
    comparison: str | None = Field(default=None, max_length=8)
    facts: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # the month the finding counts in for streaks (a late list and the timeliness breach it causes: the
    # month the list covers; '' = the finding's own month); engine.evaluation.streaks.counts_in
    counts_in: str = Field(default="", max_length=16)
    streak: list[str] = Field(sa_column=Column(JSON, nullable=False))  # consecutive months, oldest first
    # who answers for it (escalations), attribution or not: [{"employee", "department", "streak"}]
    answerable: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    message: str = Field(default="", sa_column=Column(Text, nullable=False))
    # the consequence as the rule states it; priced per quarter by engine.evaluation.consequences
    share: Decimal | None = Field(default=None, sa_type=RATIO, nullable=True)  # signed share of the bonus
    stacks: bool = False
    share_cap: Decimal | None = Field(default=None, sa_type=RATIO, nullable=True)
    reason_code: str = Field(default="", max_length=64)
    # who pays for it: [{"employee", "weight", …}] (the subject, or the role holders a company or department
    # finding falls to, or those attribution moves it to)
    charged_to: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    attribution: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    first_run_id: int = Field(foreign_key="evaluation_runs.id")
    last_run_id: int = Field(foreign_key="evaluation_runs.id")


class Adjustment(SQLModel, table=True):
    """A bonus line of one employee in one payroll quarter: deduction, proportional award, cap or correction."""

    __tablename__ = "bonus_adjustments"
    __table_args__ = (UniqueConstraint("rule_id", "employee_id", "period", "kind", "quarter"),)
    id: int | None = Field(default=None, primary_key=True)
    rule_id: str = Field(max_length=128)
    employee_id: str = Field(foreign_key="employees.id", max_length=32, index=True)
    period: str = Field(max_length=16)  # the period the consequence belongs to (month, or quarter if once)
    kind: str = Field(max_length=48)  # deduction, proportional, cap, floor, correction:<kind>
    quarter: str = Field(max_length=8, index=True)  # payroll quarter that pays it
    status: str = Field(default="active", max_length=16)  # active, void, overridden, withdrawn
    share: Decimal = Field(sa_type=RATIO)  # signed share of the base (computed)
    base: Decimal = Field(sa_type=MONEY)  # the (pro-rated) bonus base the share applies to
    amount: Decimal = Field(sa_type=MONEY)  # signed CNY, rounded with round_cny
    override_amount: Decimal | None = Field(default=None, sa_type=MONEY, nullable=True)
    # what the line paid when its quarter was closed (the closed quarter's export reads these)
    frozen_amount: Decimal | None = Field(default=None, sa_type=MONEY, nullable=True)
    frozen_share: Decimal | None = Field(default=None, sa_type=RATIO, nullable=True)
    frozen_status: str | None = Field(default=None, max_length=16)
    reason_code: str = Field(max_length=64)
    rule_file: str = Field(default="", max_length=500)
    rule_line: int = 0
    rule_version: str = Field(default="", max_length=64)
    finding_ids: list[int] = Field(sa_column=Column(JSON, nullable=False))
    computation: str = Field(sa_column=Column(Text, nullable=False))
    corrects_quarter: str | None = Field(default=None, max_length=8)
    updated_run_id: int | None = Field(default=None, foreign_key="evaluation_runs.id")


class AdjustmentAction(SQLModel, table=True):
    """An HR correction of an adjustment: void or override, with reason, who and when."""

    __tablename__ = "adjustment_actions"
    id: int | None = Field(default=None, primary_key=True)
    adjustment_id: int = Field(foreign_key="bonus_adjustments.id", index=True)
    action: str = Field(max_length=16)  # void, override
    amount: Decimal | None = Field(default=None, sa_type=MONEY, nullable=True)
    share: Decimal | None = Field(default=None, sa_type=RATIO, nullable=True)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    by: str = Field(max_length=200)
    at: datetime = _utc()


class Escalation(SQLModel, table=True):
    """An escalation after N consecutive breaches; survives restarts, never re-triggered by a re-run."""

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("rule_id", "subject", "kind", "streak_start"),)
    id: int | None = Field(default=None, primary_key=True)
    rule_id: str = Field(max_length=128)
    subject: str = Field(max_length=64)  # employee id
    kind: str = Field(max_length=32)  # no_promotion, improvement_plan, reassignment_review
    streak_start: str = Field(max_length=16)
    triggered_period: str = Field(max_length=16)
    streak: list[str] = Field(sa_column=Column(JSON, nullable=False))
    valid_from: date
    valid_to: date | None = None  # no_promotion: end of the year; others open until resolved
    due: date | None = None  # improvement_plan: the plan's own deadline
    handed_to: str | None = Field(default=None, max_length=64)  # e.g. hr
    rule_file: str = Field(default="", max_length=500)
    rule_line: int = 0
    rule_version: str = Field(default="", max_length=64)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_run_id: int = Field(foreign_key="evaluation_runs.id")
    created_at: datetime = _utc()
    # withdrawn: a later run no longer sees a breach of its streak (late facts, a rule change); kept for the record
    status: str = Field(default="active", max_length=16)
    withdrawn_run_id: int | None = Field(default=None, foreign_key="evaluation_runs.id")


class QuarterCloseEvent(SQLModel, table=True):
    """A close or reopen of a payroll quarter; the newest event of a quarter is its state."""

    __tablename__ = "quarter_close_events"
    id: int | None = Field(default=None, primary_key=True)
    quarter: str = Field(max_length=8, index=True)
    action: str = Field(max_length=8)  # close, reopen
    at: datetime = _utc()
    by: str = Field(max_length=200)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))


class PayrollExport(SQLModel, table=True):
    """One payroll export written: which quarter, format, file and content hash."""

    __tablename__ = "payroll_exports"
    id: int | None = Field(default=None, primary_key=True)
    export_id: str = Field(max_length=64, index=True)
    quarter: str = Field(max_length=8)
    format: str = Field(max_length=8)
    output: str = Field(max_length=1000)
    sha256: str = Field(max_length=64)
    employees: int
    lines: int
    total: Decimal = Field(sa_type=MONEY)
    exported_at: datetime = _utc()
    exported_by: str = Field(max_length=200)


class Assignment(SQLModel, table=True):
    """Who held which department and role from when (transfers); absent rows fall back to ``employees``."""

    __tablename__ = "employee_assignments"
    __table_args__ = (UniqueConstraint("employee_id", "valid_from"),)
    id: int | None = Field(default=None, primary_key=True)
    employee_id: str = Field(foreign_key="employees.id", max_length=32, index=True)
    department: str = Field(foreign_key="departments.code", max_length=32)
    role: str = Field(max_length=64)
    valid_from: date
    valid_to: date | None = None  # exclusive; None = still holds it


class Leave(SQLModel, table=True):
    """A leave period [start, end] (inclusive days): deadlines due on those days are not charged."""

    __tablename__ = "employee_leaves"
    __table_args__ = (UniqueConstraint("employee_id", "start"),)
    id: int | None = Field(default=None, primary_key=True)
    employee_id: str = Field(foreign_key="employees.id", max_length=32, index=True)
    start: date
    end: date
    kind: str = Field(default="leave", max_length=32)
