"""What-if: evaluate a proposed rulebook against past facts beside the current one, in memory.

Both rulebooks see the same facts (KPI values, submissions, people) for every month of the range; the
findings are priced per quarter exactly as a real run would (once per quarter, caps, pro-rating, floor)
and streaks are followed month by month. Nothing is written to the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from perfrules.engine.evaluation.consequences import price, settle
from perfrules.engine.evaluation.core import History, judge
from perfrules.engine.evaluation.people import Person, load_people
from perfrules.engine.evaluation.pricing import charges
from perfrules.engine.evaluation.run import KpiSource, load_submissions
from perfrules.engine.money import round_cny
from perfrules.engine.periods import Period, quarter_of
from perfrules.engine.rulebook.rulebook import Rulebook
from perfrules.storage import Database

ZERO = Decimal(0)


@dataclass
class Outcome:
    """One rulebook's result over the range: per employee the adjustment total, findings and escalations."""

    totals: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    findings: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    escalations: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    quarters: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # (employee, quarter) -> adjustment

    @property
    def total(self) -> Decimal:
        return sum(self.totals.values(), ZERO)


@dataclass(frozen=True)
class Comparison:
    people: tuple[Person, ...]
    current: Outcome
    proposed: Outcome


def months_between(first: Period, last: Period) -> list[Period]:
    out, m = [], first
    while m.start <= last.start:
        out.append(m)
        m = m.next()
    return out


def outcome(
    db: Database,
    rulebook: Rulebook,
    months: Sequence[Period],
    people: list[Person],
    kpis: KpiSource,
    now: datetime,
    on_month: Callable[[int], None] | None = None,
) -> Outcome:
    result = Outcome()
    by_id = {p.id: p for p in people}
    history = History()
    quarters: dict[str, list[dict]] = defaultdict(list)
    triggered: set[tuple[str, str, str, str]] = set()  # the escalations table's natural key

    for month in months:
        found = judge(
            rulebook, month, list(kpis(db, rulebook, month)), load_submissions(db, month), people, history, now
        )
        for row in found.rows:
            row.update(id=None, status="active")
            quarters[row["quarter"]].append(row)
            for target in row["charged_to"]:
                result.findings[target["employee"]] += 1
        for esc in found.escalations:
            key = (esc["rule_id"], esc["subject"], esc["kind"], esc["streak_start"])
            if key not in triggered:
                triggered.add(key)
                what = f"{esc['kind']} ({esc['rule_id']}, {esc['triggered_period']})"
                result.escalations[esc["subject"]].append(what)
        history = history.after(found.rows)
        if on_month is not None:
            on_month(1)
    for label, rows in sorted(quarters.items()):
        quarter = quarter_of(months[0].start)
        while quarter.label != label:
            quarter = quarter.next()
        per_employee: dict[str, list[Decimal]] = defaultdict(list)
        for line in price(charges(rows), by_id, quarter):
            per_employee[line.employee_id].append(line.amount)
        for employee_id, amounts in per_employee.items():
            base, _ = by_id[employee_id].base_for(quarter)
            extra = [amount for _, amount, _ in settle(base, amounts, rulebook.quarterly_cap)]
            amount = round_cny(sum(amounts + extra, ZERO))
            result.totals[employee_id] += amount
            result.quarters[(employee_id, label)] = amount
    return result


def simulate(
    db: Database,
    current: Rulebook,
    proposed: Rulebook,
    first: Period,
    last: Period,
    *,
    kpis_for: dict[int, KpiSource],
    now: datetime,
    on_month: Callable[[int], None] | None = None,
) -> Comparison:
    """Compare ``current`` and ``proposed`` over the months ``first``..``last``; ``kpis_for`` maps
    ``id(rulebook)`` to its KPI source (each rulebook may need different KPIs). ``on_month(1)`` is called
    after each month judged (twice the months in all: once per rulebook), for a progress bar."""
    people = load_people(db)
    months = months_between(first, last)
    return Comparison(
        tuple(people),
        outcome(db, current, months, people, kpis_for[id(current)], now, on_month),
        outcome(db, proposed, months, people, kpis_for[id(proposed)], now, on_month),
    )


def report(comparison: Comparison) -> list[str]:
    cur, new = comparison.current, comparison.proposed
    lines = [f"{'employee':<10} {'name':<16} {'current':>12} {'proposed':>12} {'change':>12}  escalations"]
    for p in sorted(comparison.people, key=lambda p: p.id):
        a, b = round_cny(cur.totals.get(p.id, ZERO)), round_cny(new.totals.get(p.id, ZERO))
        esc_a, esc_b = cur.escalations.get(p.id, []), new.escalations.get(p.id, [])
        if a == b and esc_a == esc_b and not a:
            continue
        esc = "" if esc_a == esc_b else f"{len(esc_a)} → {len(esc_b)}: {'; '.join(esc_b) or '-'}"
        lines.append(f"{p.id:<10} {p.name_en[:16]:<16} {a:>12} {b:>12} {b - a:>12}  {esc}")
    a, b = round_cny(cur.total), round_cny(new.total)
    lines.append(f"{'total':<27} {a:>12} {b:>12} {b - a:>12}")
    return lines
