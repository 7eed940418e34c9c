"""Pricing: turn the consequences of a quarter's findings into signed CNY bonus lines per employee.

Pure functions; the run (``perfrules.engine.evaluation.run``) feeds them stored findings and people and stores the
lines. The rules (domain.md section 4, seed 004):

* a fixed share of the quarterly bonus is applied once per quarter per rule and employee, unless the rule
  says it ``stacks`` (then once per month it fired), optionally capped at ``share_cap`` per quarter;
* the proportional scheme gives ``kpi_share × weight × (+5% per point above target, −3% per point below)``;
* each line's base is the employee's quarterly base pro-rated to the days they were in the department the
  line is charged through (``Person.base_for``); the amount is ``round_cny(base × share)``;
* after the lines, :func:`settle` adds a ``cap`` line when deductions exceed the rulebook's total cap and a
  ``floor`` line so that the final bonus never goes below zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from perfrules.engine.evaluation.people import Person
from perfrules.engine.money import round_cny
from perfrules.engine.periods import Period

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Charge:
    """One consequence of one finding for one employee, as the rule states it (share not yet priced)."""

    finding_id: int | None
    rule_id: str
    rule_file: str
    rule_line: int
    rule_version: str
    employee_id: str
    department: str  # the department the line is charged through (pro-rating)
    period: str  # month of the finding
    share: Decimal  # signed: -0.10 = −10% of the quarterly bonus
    stacks: bool = False
    share_cap: Decimal | None = None
    reason_code: str = ""
    kind: str = ""  # "" = deduction/award by sign; "proportional" for the seed-004 scheme


@dataclass(frozen=True)
class Line:
    """A priced bonus line, keyed (rule_id, employee_id, period, kind, quarter)."""

    rule_id: str
    employee_id: str
    period: str
    kind: str
    quarter: str
    share: Decimal
    base: Decimal
    amount: Decimal
    reason_code: str
    computation: str
    rule_file: str = ""
    rule_line: int = 0
    rule_version: str = ""
    finding_ids: tuple[int, ...] = ()


def pct(share: Decimal) -> str:
    """``-0.1`` → ``-10%`` (for explanations; never used for money)."""
    text = f"{(share * HUNDRED).normalize():f}"
    return f"{'+' if share > 0 else ''}{text}%"


def _unsigned(share: Decimal) -> str:
    return pct(share).lstrip("+")


def proportional_share(
    value: Decimal,
    target: Decimal,
    higher_is_better: bool,
    kpi_share: Decimal,
    weight: Decimal,
    up: Decimal = Decimal("0.05"),
    down: Decimal = Decimal("0.03"),
) -> tuple[Decimal, str]:
    """Seed 004: +``up`` per percentage point above target, −``down`` per point below, on the KPI share of the
    bonus weighted by the responsibility matrix. Ratios are fractions, so one point is 0.01."""
    points = (value - target) * HUNDRED * (1 if higher_is_better else -1)
    rate = up if points >= 0 else down
    share = kpi_share * weight * points * rate
    how = (
        f"{abs(points).normalize():f} points {'above' if points >= 0 else 'below'} target × "
        f"{'+' if points >= 0 else '-'}{_unsigned(rate)} per point × weight {_unsigned(weight)} × KPI share "
        f"{_unsigned(kpi_share)} = {pct(share)}"
    )
    return share, how


def _base(person: Person, quarter: Period, department: str) -> tuple[Decimal, str]:
    base, days = person.base_for(quarter, department)
    if days == quarter.days:
        return base, f"base {round_cny(person.bonus_base)}"
    return base, f"base {round_cny(person.bonus_base)} × {days}/{quarter.days} days in {department}"


def _line(charges: list[Charge], person: Person, quarter: Period, period: str, share: Decimal, note: str) -> Line:
    first = charges[0]
    base, base_text = _base(person, quarter, first.department)
    amount = round_cny(base * share)
    kind = first.kind or ("deduction" if share < 0 else "award")
    computation = f"{base_text} × {pct(share)} = {amount}{note}"
    return Line(
        first.rule_id,
        person.id,
        period,
        kind,
        quarter.label,
        share,
        round_cny(base),
        amount,
        first.reason_code,
        computation,
        first.rule_file,
        first.rule_line,
        first.rule_version,
        tuple(sorted({c.finding_id for c in charges if c.finding_id is not None})),
    )


def price(charges: Iterable[Charge], people: Mapping[str, Person], quarter: Period) -> list[Line]:
    """Price a quarter's charges: once per quarter per rule unless it stacks; per-rule caps applied."""
    groups: dict[tuple[str, str, str], list[Charge]] = defaultdict(list)
    for charge in charges:
        groups[(charge.employee_id, charge.rule_id, charge.kind)].append(charge)
    lines: list[Line] = []
    for (employee_id, _rule, _kind), group in sorted(groups.items()):
        person = people[employee_id]
        group.sort(key=lambda c: (c.period, c.finding_id or 0))
        if not group[0].stacks:
            worst = max(group, key=lambda c: abs(c.share))
            months = ", ".join(sorted({c.period for c in group}))
            lines.append(
                _line(group, person, quarter, quarter.label, worst.share, f" (once per quarter; fired in {months})")
            )
            continue
        used = ZERO
        for month, month_charges in _by_month(group):
            share = max((c.share for c in month_charges), key=abs)
            note = ""
            cap = month_charges[0].share_cap
            if cap is not None and used + abs(share) > cap:
                remaining = max(cap - used, ZERO)
                share = remaining.copy_sign(share) if remaining else ZERO
                note = f" (capped at {pct(cap).lstrip('+')} per quarter)"
            used += abs(share)
            lines.append(_line(month_charges, person, quarter, month, share, note))
    return lines


def _by_month(group: list[Charge]) -> list[tuple[str, list[Charge]]]:
    months: dict[str, list[Charge]] = defaultdict(list)
    for charge in group:
        months[charge.period].append(charge)
    return sorted(months.items())


def settle(
    base_total: Decimal, amounts: Iterable[Decimal], total_cap: Decimal | None
) -> list[tuple[str, Decimal, str]]:
    """Cap and floor lines for one employee and quarter from the effective amounts of their other lines.

    Returns ``(kind, amount, computation)`` for a ``cap`` line (deductions beyond ``total_cap`` of the base
    are given back) and a ``floor`` line (the final bonus never goes below zero), each only when needed."""
    amounts = list(amounts)
    base = round_cny(base_total)
    result: list[tuple[str, Decimal, str]] = []
    deductions = sum((a for a in amounts if a < 0), ZERO)
    if total_cap is not None:
        limit = round_cny(base * total_cap)
        if -deductions > limit:
            back = -deductions - limit
            result.append(
                (
                    "cap",
                    back,
                    f"deductions {deductions} exceed the quarterly cap {_unsigned(total_cap)} "
                    f"of {base} = -{limit}: {back} given back",
                )
            )
            amounts.append(back)
    final = base + sum(amounts, ZERO)
    if final < 0:
        result.append(("floor", -final, f"bonus would be {final}; a bonus never goes below zero: {-final} back"))
    return result
