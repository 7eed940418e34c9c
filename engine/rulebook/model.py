"""The rule-file format as pydantic models: what HR may write in ``rules/*.yaml``, and nothing else.

Every model forbids unknown keys (a typo is an error, never ignored). Shares and thresholds accept
``90%`` or ``0.9``; durations ``3d``, ``12h``, ``30m``, ``1w``; times ``"18:00"``. The JSON Schema
published in ``schema/perfrules-rules.schema.json`` is generated from these models
(:func:`perfrules.engine.rulebook.schema.rules_schema`).
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from perfrules.engine.kpi.catalog import BY_ID
from perfrules.engine.vocabulary import DELIVERABLES, DEPARTMENTS, ROLES
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

RECIPIENTS = ("employee", "manager", "hr", "department", "general_manager")
NOTICE_KINDS = ("reminder", "deadline_missed", "kpi_warning", "consequence", "escalation")
# who the notices production can send may go to, where not everyone (the checker enforces it): a deduction
# notice speaks to the employee charged ("your bonus"); escalation e-mails exist for managers and HR only
NOTICE_RECIPIENTS = {"consequence": ("employee",), "escalation": ("manager", "hr", "general_manager")}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

Department = Literal[DEPARTMENTS]  # type: ignore[valid-type]
Role = Literal[ROLES]  # type: ignore[valid-type]
Deliverable = Literal[DELIVERABLES]  # type: ignore[valid-type]
Recipient = Literal[RECIPIENTS]  # type: ignore[valid-type]
NoticeKind = Literal[NOTICE_KINDS]  # type: ignore[valid-type]
Weekday = Literal[WEEKDAYS]  # type: ignore[valid-type]
KpiId = Literal[tuple(BY_ID)]  # type: ignore[valid-type]
ScopeName = Literal["company", "department", "category", "abc_class", "xyz_class", "segment", "sku", "employee"]
Covers = Literal["previous_month", "current_month", "previous_week", "current_week"]

_PERCENT = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*%\s*$")
_DURATION = re.compile(r"^\s*(\d+)\s*([wdhm])\s*$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


def parse_number(value: Any) -> Any:
    """``90%`` → Decimal('0.9'); numbers → exact Decimal. Anything else is left for pydantic to reject."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if match:
            return Decimal(match[1]) / 100
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number or percentage (write 90% or 0.9)") from None
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, int):
        result = Decimal(value)
    else:
        return value
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return result


def parse_duration(value: Any) -> Any:
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a duration (write e.g. 3d, 12h, 30m or 1w)")
        return timedelta(**{_UNITS[match[2]]: int(match[1])})
    if isinstance(value, int) and not isinstance(value, bool) and value == 0:
        return timedelta(0)
    raise ValueError("is not a duration (write e.g. 3d, 12h, 30m or 1w)")


def parse_time(value: Any) -> Any:
    if isinstance(value, str) and _TIME.match(value):
        hour, minute = value.split(":")
        return time(int(hour), int(minute))
    if isinstance(value, time):
        return value
    raise ValueError(f'{value!r} is not a time of day (write it quoted, e.g. "18:00")')


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (write an IANA name such as Asia/Shanghai)") from None
    return value


_NUMBER_SCHEMA = {
    "anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^[+-]?\d+(\.\d+)?%$"}],
    "description": "a number, or a percentage such as 90%",
}
Number = Annotated[Decimal, BeforeValidator(parse_number), WithJsonSchema(_NUMBER_SCHEMA)]


def unitless_above_one(written: Any) -> str | None:
    """The did-you-mean for a share written without % and above 1 (``12`` → 1200%), else None."""
    if isinstance(written, bool) or not isinstance(written, int | float | str):
        return None
    if isinstance(written, str) and _PERCENT.match(written):
        return None
    try:
        value = parse_number(written)
    except ValueError:
        return None
    if not isinstance(value, Decimal) or value <= 1:
        return None
    text = format(value.normalize(), "f")
    return f"{text} would mean {format((value * 100).normalize(), 'f')}%; did you mean {text}%?"


def parse_share(value: Any) -> Any:
    """A share of something (a bonus, a consequence, a list): 0% to 100%, a plain number only up to 1."""
    hint = unitless_above_one(value)
    if hint:
        raise ValueError(hint)
    result = parse_number(value)
    if isinstance(result, Decimal) and not 0 <= result <= 1:
        raise ValueError(f"{value} is not a share: a share lies between 0% and 100%")
    return result


_SHARE_SCHEMA = {
    "anyOf": [{"type": "number", "minimum": 0, "maximum": 1}, {"type": "string", "pattern": r"^\d+(\.\d+)?%$"}],
    "description": "a share from 0% to 100%, such as 10% (a plain number is a fraction: 0.1)",
}
Share = Annotated[Decimal, BeforeValidator(parse_share), WithJsonSchema(_SHARE_SCHEMA)]
Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    WithJsonSchema({"type": "string", "pattern": r"^\d+[wdhm]$", "description": "a duration: 3d, 12h, 30m, 1w"}),
]
TimeOfDay = Annotated[
    time,
    BeforeValidator(parse_time),
    WithJsonSchema(
        {"type": "string", "pattern": r"^([01]?\d|2[0-3]):[0-5]\d$", "description": 'time of day, quoted: "18:00"'}
    ),
]


def _day(value: Any) -> Any:
    if value == "last" or (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 31):
        return value
    raise ValueError(f"{value!r} is not a day of the month (1–31, or 'last')")


DayOfMonth = Annotated[
    int | str,
    BeforeValidator(_day),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer", "minimum": 1, "maximum": 31}, {"const": "last"}],
            "description": "day of the month 1–31, or 'last'",
        }
    ),
]
Zone = Annotated[str, BeforeValidator(lambda v: _zone(v) if isinstance(v, str) else v)]


class Strict(BaseModel):
    """Base of every rule-file model: immutable, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


class Text(Strict):
    """Text in both languages the product speaks."""

    zh_cn: str = Field(alias="zh-CN", min_length=1)
    en: str = Field(min_length=1)


class Due(Strict):
    """When something is due: a day of the month (``day``) or of the week (``weekday``), at ``time``."""

    day: DayOfMonth | None = None
    weekday: Weekday | None = None
    time: TimeOfDay = Field(default=time(23, 59), description="local time of day, quoted")
    if_missing: Literal["last_day", "skip"] | None = Field(
        None, description="for day 29–31: use the month's last day, or skip months without that day"
    )

    @model_validator(mode="after")
    def _one_of(self) -> Due:
        if (self.day is None) == (self.weekday is None):
            raise ValueError("give exactly one of 'day' (monthly) or 'weekday' (weekly)")
        return self


class Schedule(Strict):
    """A recurring due date: which period an instance covers and when it is due."""

    covers: Covers = "previous_month"
    due: Due
    timezone: Zone = "Asia/Shanghai"
    business_days: Literal["next", "previous", "none"] = Field(
        "next", description="move a due date on a weekend/public holiday to the next or previous working day"
    )
    calendar: Literal["cn", "cn_provisional", "weekends"] = Field(
        "cn_provisional",
        description="cn_provisional (default): Chinese public holidays and make-up working days (调休); a year "
        "without official data (package or rules/calendar.yaml) uses weekends and the statutory days off "
        "(1 Jan, Spring Festival 除夕 to 初三, Qingming, 1–2 May, Dragon Boat, Mid-Autumn, 1–3 Oct), no 调休; "
        "cn: the same, but such a year cannot be judged (the rule is reported as not judged); "
        "weekends: Sat/Sun only",
    )
    # the rulebook's rules/calendar.yaml (engine.rulebook.calendar.WorkCalendar), attached by the checker;
    # private, so not part of the file format, the schema or rule diffs
    _work_calendar: Any = PrivateAttr(default=None)

    @property
    def work_calendar(self) -> Any:
        return self._work_calendar


class Deadline(Schedule):
    """A recurring deliverable the responsible role must submit."""

    deliverable: Deliverable
    reminders: list[Duration] = Field(default_factory=list, description="lead times before the due time")
    grace: Duration = timedelta(0)
    repeat: Duration | None = Field(None, description="repeat the deadline-missed notice this often")
    completeness: Share | None = Field(None, description="minimum completeness of a submission (e.g. 100%)")


class Threshold(Strict):
    """A KPI target: a breach when the KPI is worse than ``target``; a warning inside the ``warning`` band."""

    kpi: KpiId
    scope: ScopeName = "department"
    scope_id: str | None = Field(None, description="e.g. purchasing; default: the rule's department")
    period: Literal["week", "month", "quarter", "year"] = "month"
    target: Number | None = Field(None, description="default: the KPI catalogue's target")
    warning: Number | None = Field(None, description="edge of the warning band on the good side of the target")
    direction: Literal["higher", "lower"] | None = Field(None, description="default: the KPI catalogue's")
    by: Schedule | None = Field(None, description="quantitative deadline: the KPI is judged at this due date")
    repeat: Duration | None = Field(
        None, description="repeat the KPI warning this often while the breach stays open (default 7d)"
    )


class Proportional(Strict):
    """Seed 004's scheme: +x% per point above target, −y% per point below, on the KPI share of the bonus."""

    per_point_above: Share = Decimal(0)
    per_point_below: Share = Decimal(0)
    kpi_share: Share = Field(description="part of the quarterly bonus that KPIs make up (30%–40%)")
    weight: Share = Field(description="this KPI's weight in the responsibility matrix")
    point: Number | None = Field(
        None, description="size of one point; default 1 percentage point (1 unit for days / turns)"
    )


class Consequence(Strict):
    """What a breach costs (or earns), as shares of the quarterly bonus."""

    deduction: Share | None = Field(None, description="fixed deduction, e.g. 10% of the quarterly bonus")
    proportional: Proportional | None = None
    cap: Share | None = Field(None, description="most this rule can move per quarter, as a bonus share")
    stacks: bool = Field(False, description="apply on every breach, not once per quarter")

    @model_validator(mode="after")
    def _one_of(self) -> Consequence:
        if (self.deduction is None) == (self.proportional is None):
            raise ValueError("give exactly one of 'deduction' or 'proportional'")
        return self


class Plan(Strict):
    """The tracked deliverable an escalation creates (a written improvement plan)."""

    deliverable: Deliverable = "improvement_plan"
    due_in: Duration = timedelta(days=14)


class Escalation(Strict):
    """What happens after ``after`` consecutive breaches."""

    after: int = Field(ge=2, description="number of consecutive breaching periods")
    action: Literal["no_promotion", "improvement_plan", "reassignment_review", "training", "clarify_definition"]
    plan: Plan | None = None
    notify: list[Recipient] = Field(default_factory=lambda: ["manager", "hr"])
    text: Text | None = None


class Condition(Strict):
    """A condition on another department: a KPI worse than a level, or a deliverable late/missing."""

    kpi: KpiId | None = None
    scope: ScopeName = "department"
    scope_id: str | None = None
    below: Number | None = None
    above: Number | None = None
    deliverable: Deliverable | None = None
    state: Literal["late", "missing", "late_or_missing"] = "late_or_missing"

    @model_validator(mode="after")
    def _one_of(self) -> Condition:
        if (self.kpi is None) == (self.deliverable is None):
            raise ValueError("give exactly one of 'kpi' or 'deliverable'")
        return self


class Carrier(Strict):
    department: Department
    role: Role


class Attribution(Strict):
    """Cross-department attribution: when ``when`` holds too, ``carried_by`` carries ``share`` of the consequence."""

    when: Condition
    carried_by: Carrier
    share: Share = Decimal(1)


class Notify(Strict):
    """Who is told of what, and with which template (default ``emails/<kind>``)."""

    reminder: list[Recipient] = Field(default_factory=lambda: ["employee"])
    deadline_missed: list[Recipient] = Field(default_factory=lambda: ["employee", "manager"])
    kpi_warning: list[Recipient] = Field(default_factory=lambda: ["employee"])
    consequence: list[Recipient] = Field(
        default_factory=lambda: ["employee"], description="only 'employee': the deduction notice is addressed to them"
    )
    escalation: list[Recipient] = Field(default_factory=lambda: ["manager", "hr"])
    templates: dict[NoticeKind, str] = Field(default_factory=dict)


class Wording(Strict):
    """Duty and penalty clauses in both languages, as contract clauses render them."""

    duty: Text
    penalty: Text | None = None


class Rule(Strict):
    """One HR rule, identified by ``id`` and ``version``, in force from ``effective_from``."""

    id: str = Field(
        pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$", description="department.name, e.g. purchasing.slow_mover_list"
    )
    version: int = Field(1, ge=1)
    effective_from: date
    effective_to: date | None = Field(None, description="last day in force (inclusive)")
    title: Text
    department: Department
    role: Role
    deadline: Deadline | None = None
    threshold: Threshold | None = None
    consequence: Consequence | None = None
    escalations: list[Escalation] = Field(default_factory=list)
    attribution: list[Attribution] = Field(default_factory=list)
    notify: Notify = Field(default_factory=Notify)
    wording: Wording | None = None

    @model_validator(mode="after")
    def _shape(self) -> Rule:
        if self.deadline is None and self.threshold is None:
            raise ValueError("a rule needs a 'deadline', a 'threshold' or both")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


class BonusPolicy(Strict):
    """Company-wide limits on bonus adjustments; set in at most one rule file of a rulebook."""

    quarterly_cap: Share = Field(
        description="the most that deductions may take off one person's quarterly bonus, "
        "as a share of the base (e.g. 40%); beyond it a cap line gives the "
        "rest back"
    )

    @field_validator("quarterly_cap")
    @classmethod
    def _cap(cls, value: Decimal) -> Decimal:
        if not Decimal(0) < value <= Decimal(1):
            raise ValueError("must be more than 0% and at most 100%")
        return value


class RuleFile(Strict):
    """One rule file: a list of rules (by convention one file per department), and optionally the bonus policy."""

    bonus: BonusPolicy | None = None
    rules: list[Rule] = Field(min_length=1)
