"""The one decision core: one month of in-memory facts → findings, who carries them, streaks, escalations,
and how the quarter's bonus lines change. No database, no clock.

``perfrules evaluate`` (:mod:`perfrules.engine.evaluation.run`) loads the inputs from the database, calls
:func:`judge` and stores the result, then re-prices the quarter from the stored findings with the same
:func:`perfrules.engine.evaluation.consequences.price`. ``perfrules test``
(:mod:`perfrules.engine.evaluation.decide`) builds the same
inputs from an HR test file and calls the same functions, so a rule HR proves is the rule payroll runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from perfrules.engine.evaluation.charging import owners, targets
from perfrules.engine.evaluation.consequences import Line, price
from perfrules.engine.evaluation.facts import KpiValue, Submission
from perfrules.engine.evaluation.judging import Matcher, durable_matcher, judge_month
from perfrules.engine.evaluation.observations import Judgement
from perfrules.engine.evaluation.people import Person
from perfrules.engine.evaluation.pricing import charges
from perfrules.engine.evaluation.streaks import (
    BREACH_KINDS,
    answerable,
    counts_in,
    employee_history,
    escalation_rows,
    once_each,
    streak,
    subject_history,
)
from perfrules.engine.periods import Period, parse_period, quarter_of

ZERO = Decimal(0)


@dataclass(frozen=True)
class History:
    """What earlier months left: event months per (rule id, subject) — the streak shown when nobody
    answers — and per (rule id, employee who answered for the breach) — escalation streaks
    (:mod:`perfrules.engine.evaluation.streaks`)."""

    subjects: Mapping[tuple[str, str], Sequence[str]] = field(default_factory=dict)
    employees: Mapping[tuple[str, str], Sequence[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Iterable[Mapping[str, Any]]) -> History:
        """The history stored finding ``rows`` (earlier months) leave."""
        return cls(subject_history(rows), employee_history(rows))

    def after(self, rows: Iterable[Mapping[str, Any]]) -> History:
        """This history with the breaches of stored-shape finding ``rows`` added (the next month's input)."""
        subjects = {k: list(v) for k, v in self.subjects.items()}
        employees = {k: list(v) for k, v in self.employees.items()}
        rows = list(rows)
        for key, months in subject_history(rows).items():
            subjects.setdefault(key, []).extend(months)
        for key, months in employee_history(rows).items():
            employees.setdefault(key, []).extend(months)
        return History(subjects, employees)


@dataclass(frozen=True)
class MonthResult:
    """One month judged: the engine's judgement, ``charged`` (finding key → who carries it), the finding
    rows in the shape the store keeps, and the escalation rows due (``created_run_id`` unset)."""

    month: Period
    judgement: Judgement
    charged: dict[tuple, list[dict[str, Any]]]
    rows: list[dict[str, Any]]
    escalations: list[dict[str, Any]]


def finding_row(
    obs: Any,
    charged: list[dict[str, Any]],
    run_streak: Sequence[str],
    *,
    event_month: str | None = None,
    answers: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A finding as the store keeps it (also the input of pricing). ``answers``: who answers for it, each
    with the streak that decides their escalations; ``run_streak``: the finding's streak (the longest of
    those, or the subject's own when nobody answers); ``event_month``: the month it counts in (default its
    own)."""
    from perfrules.engine.evaluation.charging import attribution_text

    return {
        "rule_id": obs.rule_id,
        "subject": obs.subject,
        "subject_kind": obs.subject_kind,
        "period": obs.period,
        "quarter": quarter_of(parse_period(obs.period).start).label,
        "kind": obs.kind,
        "rule_file": obs.rule_file,
        "rule_line": obs.rule_line,
        "rule_version": obs.rule_version,
        "kpi": obs.kpi,
        "value": None if obs.value is None else str(obs.value),
        "threshold": None if obs.threshold is None else str(obs.threshold),
        "comparison": obs.comparison,
        "facts": obs.facts,
        "counts_in": event_month or obs.period,
        "streak": list(run_streak),
        "answerable": list(answers),
        "message": obs.message,
        "share": obs.share,
        "stacks": obs.stacks,
        "share_cap": obs.share_cap,
        "reason_code": obs.reason_code,
        "charged_to": charged,
        "attribution": attribution_text(obs, charged),
    }


def judge(
    rulebook: Any,
    month: Period,
    kpis: Sequence[KpiValue],
    submissions: tuple[Submission, ...],
    people: Sequence[Person],
    history: History,
    now: datetime,
    matcher: Matcher = durable_matcher,
) -> MonthResult:
    """Judge ``month`` as of ``now``: findings, who carries each, streaks and the escalations they trigger."""
    judgement = judge_month(rulebook, month, kpis, submissions, people, now, matcher)
    by_id = {p.id: p for p in people}
    rules = {s.rule.id: s.rule for s in rulebook.in_force(month.last_day)}
    observations = judgement.observations
    charged = {o.key: targets(o, people, by_id) for o in observations}
    events = {o.key: counts_in(rules.get(o.rule_id), o.period, o.kind) for o in observations}
    who = {o.key: owners(o, people, by_id) for o in observations}
    this_month: dict[tuple[str, str], list[str]] = {}
    for o in observations:
        if o.kind in BREACH_KINDS:
            for owner in who[o.key]:
                this_month.setdefault((o.rule_id, owner["employee"]), []).append(events[o.key])
    rows = []
    for o in observations:
        answers = answerable(o, who[o.key], events[o.key], history.employees, this_month)
        shown = max((a["streak"] for a in answers), key=len, default=None) or streak(
            history.subjects.get((o.rule_id, o.subject), ()), events[o.key]
        )
        rows.append(finding_row(o, charged[o.key], shown, event_month=events[o.key], answers=answers))
    escalations = once_each(
        e for o, row in zip(observations, rows, strict=True) for e in escalation_rows(o, row, None, now)
    )
    return MonthResult(month, judgement, charged, rows, escalations)


@dataclass(frozen=True)
class LineChange:
    """How one bonus line of the quarter changed with this month's findings (``before`` None: new line)."""

    after: Line
    before: Line | None

    @property
    def share(self) -> Decimal:
        return self.after.share - (self.before.share if self.before else ZERO)

    @property
    def amount(self) -> Decimal:
        return self.after.amount - (self.before.amount if self.before else ZERO)


def _key(line: Line) -> tuple[str, str, str, str]:
    return (line.rule_id, line.employee_id, line.period, line.kind)


def quarter_changes(
    quarter: Period,
    people: Mapping[str, Person],
    earlier: Sequence[Mapping[str, Any]],
    new: Sequence[Mapping[str, Any]],
) -> list[LineChange]:
    """Price the quarter from its ``earlier`` findings, then with the ``new`` ones too (rows with an ``id``
    and ``status``), and return the lines the new findings took part in — once per quarter, stacking and caps
    exactly as the stored quarter is priced."""
    before = {_key(line): line for line in price(charges(earlier), people, quarter)}
    new_ids = {row["id"] for row in new}
    return [
        LineChange(line, before.get(_key(line)))
        for line in price(charges([*earlier, *new]), people, quarter)
        if new_ids & set(line.finding_ids)
    ]
