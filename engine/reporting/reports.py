"""The weekly and monthly reports: contexts built from the KPI library, one notice per recipient and period.

* ``weekly_report`` (Monday 08:00, the previous ISO week) to the operations team: turnover, fill rate and
  the emergency order rate with last week's figures, and the emergency purchase orders of the week;
* ``monthly_report`` (the 5th, 08:00, the previous month) to management (general managers and the
  department managers): every KPI of the catalogue at company level with its status against the target
  in force, and the bonus deductions the month's breaches caused.

The outbox key is (``weekly_report``/``monthly_report``, recipient, period, kind): a re-run of a slot, a
catch-up or a replay never sends a report twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from perfrules.engine.kpi.library import compute_all, drill_down
from perfrules.engine.kpi.scope import COMPANY
from perfrules.engine.kpi.values import KpiValue
from perfrules.engine.notices.contexts import (
    DeductionLine,
    MonthlyReportContext,
    NoticeContext,
    OrderLine,
    WeeklyReportContext,
)
from perfrules.engine.notices.message import mail_domain
from perfrules.engine.notices.queue import queue_notice
from perfrules.engine.notices.templating import NoticeSandbox
from perfrules.engine.periods import Period, local_date, parse_period, quarter_of
from perfrules.engine.reporting.lines import metric_line, rule_named
from perfrules.engine.reporting.people import MANAGEMENT, OPERATIONS_TEAM, holders, person_of, recipient_of
from perfrules.engine.rulebook.deadlines import RuleDeadlines
from perfrules.engine.rulebook.rulebook import Rulebook
from perfrules.storage import Database
from perfrules.storage import evaluation_store as store
from perfrules.storage.outbox import find_person

WEEKLY_KPIS = ("turnover", "fill_rate", "emergency_order_rate")
DEDUCTION_KINDS = ("deduction", "proportional")
ZERO = Decimal(0)


@dataclass
class Reports:
    """The report builders of ``perfrules serve``; :meth:`weekly` and :meth:`monthly` are slot handlers."""

    db: Database
    env: NoticeSandbox
    rulebook: Callable[[], Rulebook]
    mail_from: str
    zone: ZoneInfo

    def weekly(self, slot: Any, now: datetime) -> str:
        week = parse_period(slot.period)
        people = holders(self.db, OPERATIONS_TEAM, local_date(now, self.zone))
        fields = weekly_fields(self.db, week, self.rulebook(), self.zone, now)
        sent = self._send(WeeklyReportContext, fields, people, week)
        return f"{sent} weekly report(s) queued for {week.label}, {len(people)} in the operations team"

    def monthly(self, slot: Any, now: datetime) -> str:
        month = parse_period(slot.period)
        people = holders(self.db, MANAGEMENT, local_date(now, self.zone))
        fields = monthly_fields(self.db, month, self.rulebook(), self.zone, now)
        sent = self._send(MonthlyReportContext, fields, people, month)
        return f"{sent} monthly report(s) queued for {month.label}, {len(people)} in management"

    def _send(self, kind: type[NoticeContext], fields: dict[str, Any], people: list, period: Period) -> int:
        written = 0
        for person in people:
            context = kind(recipient=recipient_of(person, self.zone), **fields)
            queued = queue_notice(
                self.db,
                self.env,
                context,
                rule_id=kind.KIND,
                period=period.label,
                now=fields["generated_at"],
                domain=mail_domain(self.mail_from),
            )
            written += queued.created
        return written


def _values(
    db: Database, period: Period, kpis: list[str] | None, zone: ZoneInfo, rulebook: Rulebook
) -> dict[str, KpiValue]:
    values = compute_all(
        db, period, as_of=period.last_day, zone=zone, kpis=kpis, breakdown=False, deadlines=RuleDeadlines(rulebook)
    )
    return {v.kpi: v for v in values}


def weekly_fields(db: Database, week: Period, rulebook: Rulebook, zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    """Everything of the weekly report but its recipient."""
    current = _values(db, week, list(WEEKLY_KPIS), zone, rulebook)
    previous = _values(db, week.previous(), list(WEEKLY_KPIS), zone, rulebook)
    lines = {k: metric_line(current[k], previous.get(k), rulebook) for k in WEEKLY_KPIS}
    return {
        "week": week.label,
        "start": week.start,
        "end": week.last_day,
        **lines,
        "emergency_orders": emergency_orders(db, week, zone),
        "generated_at": now,
    }


def emergency_orders(db: Database, week: Period, zone: ZoneInfo) -> tuple[OrderLine, ...]:
    rows = drill_down(db, "emergency_order_rate", COMPANY, week, zone=zone, limit=10_000)
    return tuple(
        OrderLine(
            id=str(r["id"]),
            sku=str(r["sku"]),
            day=_day(r["ordered_day"]),
            quantity=int(r["quantity"]),
            supplier=r.get("supplier"),
        )
        for r in rows
        if r.get("emergency")
    )


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def monthly_fields(db: Database, month: Period, rulebook: Rulebook, zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    """Everything of the monthly report but its recipient."""
    current = _values(db, month, None, zone, rulebook)
    previous = _values(db, month.previous(), None, zone, rulebook)
    kpis = tuple(metric_line(v, previous.get(k), rulebook) for k, v in current.items())
    deductions = month_deductions(db, month, rulebook)
    return {
        "month": month.label,
        "kpis": kpis,
        "deductions": deductions,
        "total_deducted": sum((d.amount for d in deductions), ZERO),
        "generated_at": now,
    }


def month_deductions(db: Database, month: Period, rulebook: Rulebook) -> tuple[DeductionLine, ...]:
    """Active deduction lines of the month's quarter that one of the month's findings caused (amounts > 0)."""
    quarter = quarter_of(month.start).label
    of_month = {f["id"] for f in store.findings(db, quarter=quarter) if f["period"] == month.label}
    out = []
    for line in store.adjustments(db, quarter=quarter):
        amount = store.effective(line)
        if line["kind"] not in DEDUCTION_KINDS or amount >= 0 or not of_month & set(line["finding_ids"]):
            continue
        person = find_person(db, line["employee_id"])
        if person is not None:
            out.append(
                DeductionLine(employee=person_of(person), breach=rule_named(rulebook, line["rule_id"]), amount=-amount)
            )
    return tuple(out)
