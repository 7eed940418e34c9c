"""What an evaluation's stored results tell people: KPI warnings, bonus deductions and escalations.

Run after each evaluation the scheduler starts (daily KPI refresh, dated threshold checks, quarter end),
from what the evaluation stored — findings, bonus lines, escalations — so the notices say exactly what
was decided and why. Every notice has a natural outbox key:

* ``kpi_warning`` — ``<rule>#kpi_warning:<subject>``, the month, each owner the rule's ``notify.kpi_warning``
  names; repeated every :func:`warning_interval` while the breach stays on record, and only while the
  month is being judged (until the end of the month after it);
* ``consequence`` — ``<rule>#consequence:<line kind>:<quarter>``, the line's period, the employee charged:
  once per bonus line, ever;
* ``escalation_manager`` / ``escalation_hr`` — ``<rule>#escalation:<action>:<employee>``, the first month
  of the streak, each recipient of the escalation's ``notify``: once per streak, ever.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from engine.kpi import catalog
from engine.notices.contexts import (
    ConsequenceContext,
    EscalationHrContext,
    EscalationManagerContext,
    FactSeen,
    KpiWarningContext,
    Named,
    NoticeContext,
    RuleRef,
    Threshold,
)
from engine.notices.message import mail_domain
from engine.notices.queue import queue_notice
from engine.periods import Period, local_date, parse_period, quarter_of
from engine.reporting.lines import kpi_named, passing, rule_named, unit_of
from engine.reporting.people import by_word, person_of, recipient_of
from engine.rulebook.model import Rule
from engine.rulebook.rulebook import Rulebook, SourcedRule
from storage import Database
from storage import evaluation_store as store
from storage.outbox import PersonRecord, find_person
from storage.schedule import role_holders

KPI_WARNING_REPEAT = timedelta(days=7)  # while a breach stays open; the rule-file format has no field for it yet
ESCALATION_TEMPLATES = {"manager": EscalationManagerContext, "hr": EscalationHrContext,
                        "general_manager": EscalationHrContext}
ACTIONS = {  # escalation actions (domain.md section 4), when the rule gives no wording of its own
    "no_promotion": ("取消年度晋升资格", "no promotion this year"),
    "improvement_plan": ("书面改进计划", "written improvement plan"),
    "reassignment_review": ("调整岗位评估", "job reassignment review"),
    "training": ("数据统计培训", "training in data statistics"),
    "clarify_definition": ("明确滞销品定义", "clarify the definition"),
}
DEDUCTION_KINDS = ("deduction", "proportional")
DAYS_LATE = Named(code="days_late", name_zh="逾期天数", name_en="days late")
HANDED_IN = Named(code="handed_in", name_zh="已提交", name_en="handed in")
COMPLETENESS = Named(code="completeness", name_zh="完整度", name_en="completeness")
ZERO = Decimal(0)


def warning_interval(rule: Rule | None) -> timedelta:
    """How often a KPI warning repeats while its breach stays open (a rule's own ``repeat`` when it has one)."""
    own = getattr(rule.threshold, "repeat", None) if rule is not None and rule.threshold is not None else None
    return own or KPI_WARNING_REPEAT


@dataclass
class Alerts:
    """Turns stored evaluation results into queued notices; :meth:`after_evaluation` is the scheduler hook."""

    db: Database
    env: jinja2.Environment
    rulebook: Callable[[], Rulebook]
    mail_from: str
    zone: ZoneInfo

    def after_evaluation(self, months: Iterable[Period], now: datetime) -> str:
        """Notices for the evaluated ``months``; a no-op for everything already in the outbox."""
        months = list(months)
        book = self.rulebook()
        warned = sum(self.kpi_warnings(book, month, now) for month in months)
        quarters = sorted({quarter_of(m.start).label for m in months})
        charged = sum(self.consequences(book, quarter, now) for quarter in quarters)
        escalated = self.escalations(book, {m.label for m in months}, now)
        return f"alerts: {warned} KPI warning(s), {charged} deduction notice(s), {escalated} escalation notice(s)"

    # --- KPI warnings -------------------------------------------------------------------------------

    def kpi_warnings(self, book: Rulebook, month: Period, now: datetime) -> int:
        today = local_date(now, self.zone)
        if today >= month.next().end:  # an old month re-judged (quarter end) is not news any more
            return 0
        written = 0
        for finding in store.findings(self.db, months=[month.label]):
            if finding["kind"] != "breach" or not finding["kpi"] or finding["value"] is None:
                continue
            sourced = _version(book, finding["rule_id"], finding["rule_version"])
            rule = sourced.rule if sourced else None
            words = rule.notify.kpi_warning if rule else ["employee"]
            context = self._warning_fields(finding)
            for person in self._recipients(finding, rule, words, today):
                notice = KpiWarningContext(recipient=recipient_of(person, self.zone), **context)
                written += self._queue(notice, f"{finding['rule_id']}#kpi_warning:{finding['subject']}",
                                       month.label, now, repeat_every=warning_interval(rule))
        return written

    def _warning_fields(self, finding: dict[str, Any]) -> dict[str, Any]:
        kpi = finding["kpi"]
        return {"rule": _ref(finding), "kpi": kpi_named(kpi), "period": finding["period"],
                "actual": Decimal(finding["value"]),
                "threshold": Threshold(comparison=_passing(finding), value=Decimal(finding["threshold"]),
                                       unit=unit_of(kpi)),
                "consecutive_periods": max(1, len(finding["streak"]))}

    def _recipients(self, finding: dict[str, Any], rule: Rule | None, words: list[str],
                    today) -> list[PersonRecord]:
        """The owners of a finding (the employee it names, or the rule's role holders today) and the others
        the rule's words name."""
        if finding["subject_kind"] == "employee":
            named = find_person(self.db, finding["subject"])
            responsible = [named] if named is not None else []
        elif rule is not None:
            responsible = role_holders(self.db, rule.department, rule.role, today)
        else:
            responsible = [p for p in (find_person(self.db, t["employee"]) for t in finding["charged_to"]) if p]
        department = rule.department if rule else ""
        found: dict[str, PersonRecord] = {}
        for word in words:
            for person in by_word(self.db, word, responsible, department, today):
                found.setdefault(person.id, person)
        return list(found.values())

    # --- consequences -------------------------------------------------------------------------------

    def consequences(self, book: Rulebook, quarter: str, now: datetime) -> int:
        """One notice per active deduction line of ``quarter`` to the employee it is charged to."""
        findings = {f["id"]: f for f in store.findings(self.db, quarter=quarter, active_only=False)}
        written = 0
        for line in store.adjustments(self.db, quarter=quarter):
            if line["kind"] not in DEDUCTION_KINDS or line["status"] != "active" or line["amount"] >= 0:
                continue
            sourced = _version(book, line["rule_id"], line["rule_version"])
            if sourced is not None and "employee" not in sourced.rule.notify.consequence:
                continue
            person = find_person(self.db, line["employee_id"])
            seen = [findings[i] for i in line["finding_ids"] if i in findings]
            if person is None or not seen:
                continue
            notice = consequence_context(line, seen, rule_named(book, line["rule_id"]),
                                         recipient_of(person, self.zone))
            written += self._queue(notice, f"{line['rule_id']}#consequence:{line['kind']}:{line['quarter']}",
                                   line["period"], now)
        return written

    # --- escalations --------------------------------------------------------------------------------

    def escalations(self, book: Rulebook, months: set[str], now: datetime) -> int:
        written = 0
        for row in store.escalations(self.db):
            if row["triggered_period"] not in months:
                continue
            employee = find_person(self.db, row["subject"])
            if employee is None:
                continue
            sourced = _version(book, row["rule_id"], row["rule_version"])
            spec = next((e for e in sourced.rule.escalations if e.action == row["kind"]), None) if sourced else None
            words = spec.notify if spec is not None else ["manager", "hr"]
            fields = {"rule": _ref(row), "employee": person_of(employee), "breach": rule_named(book, row["rule_id"]),
                      "periods": tuple(row["streak"]), "action": _action(row["kind"], spec)}
            day = local_date(now, self.zone)
            for word in words:
                kind = ESCALATION_TEMPLATES.get(word)
                if kind is None:  # no escalation e-mail speaks to the employee or the whole department
                    continue
                extra = self._hr_fields(row, employee) if kind is EscalationHrContext else {}
                for person in by_word(self.db, word, [employee], employee.department, day):
                    notice = kind(recipient=recipient_of(person, self.zone), **fields, **extra)
                    written += self._queue(notice, f"{row['rule_id']}#escalation:{row['kind']}:{row['subject']}",
                                           row["streak_start"], now)
        return written

    def _hr_fields(self, row: dict[str, Any], employee: PersonRecord) -> dict[str, Any]:
        manager = find_person(self.db, employee.manager_id) if employee.manager_id else None
        quarters = sorted({quarter_of(parse_period(m).start).label for m in row["streak"]})
        total = sum((-store.effective(a) for q in quarters
                     for a in store.adjustments(self.db, quarter=q, employee_id=employee.id)
                     if a["rule_id"] == row["rule_id"] and a["kind"] in DEDUCTION_KINDS and store.effective(a) < 0),
                    ZERO)
        return {"manager": person_of(manager) if manager else None, "total_deducted": total}

    def _queue(self, notice: NoticeContext, rule_id: str, period: str, now: datetime,
               repeat_every: timedelta | None = None) -> int:
        queued = queue_notice(self.db, self.env, notice, rule_id=rule_id, period=period, now=now,
                              domain=mail_domain(self.mail_from), repeat_every=repeat_every)
        return int(queued.created)


def consequence_context(line: dict[str, Any], findings: list[dict[str, Any]], breach: Named,
                        recipient: Any) -> ConsequenceContext:
    """The deduction notice of one bonus line: the rule and version, the facts and the threshold of the
    finding(s) behind it, and base × rate = amount as the line was priced."""
    first = findings[0]
    facts, threshold = explain(first)
    for other in findings[1:]:
        facts += explain(other)[0]
    periods = ", ".join(sorted({f["period"] for f in findings}))
    return ConsequenceContext(
        recipient=recipient, rule=_ref(line), breach=breach, period=periods, quarter=line["quarter"],
        facts=facts, threshold=threshold, bonus_base=line["base"], rate=abs(line["share"]),
        amount=-line["amount"])


def explain(finding: dict[str, Any]) -> tuple[tuple[FactSeen, ...], Threshold]:
    """The values a finding saw and the threshold they failed, in the notices' vocabulary."""
    kpi = finding["kpi"]
    if kpi:
        value, target = Decimal(finding["value"]), Decimal(finding["threshold"])
        return (FactSeen(name=kpi_named(kpi), value=value, unit=unit_of(kpi)),), Threshold(
            comparison=_passing(finding), value=target, unit=unit_of(kpi))
    facts = finding["facts"]
    if finding["kind"] == "incomplete":
        target = Decimal(str(finding["threshold"] or "1"))
        seen = Decimal(str(facts.get("completeness") or 0))
        return (FactSeen(name=COMPLETENESS, value=seen, unit="ratio"),), Threshold(
            comparison=">=", value=target, unit="ratio")
    if facts.get("state") == "missing":
        return (FactSeen(name=HANDED_IN, value=ZERO, unit="count"),), Threshold(
            comparison=">=", value=Decimal(1), unit="count")
    late = Decimal(facts.get("days_late") or 0)
    return (FactSeen(name=DAYS_LATE, value=late, unit="days"),), Threshold(comparison="<=", value=ZERO, unit="days")


def _passing(finding: dict[str, Any]) -> str:
    # the stored comparison is the breach test (value < threshold when higher is better)
    if finding["comparison"] in ("<", ">"):
        return ">=" if finding["comparison"] == "<" else "<="
    return passing(catalog.get(finding["kpi"]).direction)


def _ref(row: dict[str, Any]) -> RuleRef:
    return RuleRef(id=row["rule_id"], file=row["rule_file"], version=f"v{row['rule_version']}")


def _version(book: Rulebook, rule_id: str, version: Any) -> SourcedRule | None:
    """The rule version a result came from (the newest one when that version has left the rulebook)."""
    versions = sorted(book.by_id(rule_id), key=lambda s: s.ref.version)
    exact = [s for s in versions if str(s.ref.version) == str(version)]
    return (exact or versions or [None])[-1]


def _action(kind: str, spec: Any) -> Named:
    if spec is not None and spec.text is not None:
        return Named(code=kind, name_zh=spec.text.zh_cn, name_en=spec.text.en)
    zh, en = ACTIONS.get(kind, (kind, kind))
    return Named(code=kind, name_zh=zh, name_en=en)

