"""What an evaluation's results tell people: KPI warnings, bonus deductions and escalations.

Run after each evaluation the scheduler starts (daily KPI refresh, dated threshold checks, quarter end),
from what the evaluation stored — findings, bonus lines, escalations — and the warning-band values it
found (handed over, never stored), so the notices say exactly what was decided and why. Who is told is
decided exactly as the notice intents of the decision core decide it (:mod:`perfrules.engine.evaluation.intents`:
:func:`~engine.evaluation.intents.warns`, :func:`~engine.evaluation.intents.recipients` over the people
history on the month's last day), so the recipients HR proves with ``perfrules test`` are the recipients
production writes to. Every notice has a natural outbox key:

* ``kpi_warning`` — ``<rule>#kpi_warning:<subject>``, the month, each recipient of the rule's
  ``notify.kpi_warning``, for a breach of a rule without a consequence; ``<rule>#kpi_warning:<subject>:band``
  for a value inside the rule's warning band (it meets the target but has crossed the warning level), which
  is not stored: the evaluation hands it over (:meth:`Alerts.after_evaluation` ``warnings``). Each repeats
  every :func:`~engine.evaluation.intents.warning_interval` (the threshold's ``repeat``, default 7 days)
  while the evaluation keeps finding it, and only while the month is being judged (until the end of the
  month after it);
* ``consequence`` — ``<rule>#consequence:<line kind>:<quarter>``, the line's period, each recipient of the
  rule's ``notify.consequence`` (the employee charged): once per bonus line, ever;
* ``escalation_manager`` / ``escalation_hr`` — ``<rule>#escalation:<action>:<employee>``, the first month
  of the streak, each recipient of the escalation's ``notify``: once per streak, ever.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from perfrules.engine.evaluation import intents
from perfrules.engine.evaluation.intents import KPI_WARNING_REPEAT, warning_interval
from perfrules.engine.evaluation.people import Person, load_people
from perfrules.engine.kpi import catalog
from perfrules.engine.notices.contexts import (
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
from perfrules.engine.notices.message import mail_domain
from perfrules.engine.notices.queue import queue_notice
from perfrules.engine.notices.templating import NoticeSandbox
from perfrules.engine.periods import Period, local_date, parse_period, quarter_of
from perfrules.engine.reporting.lines import kpi_named, passing, rule_named, unit_of
from perfrules.engine.reporting.people import person_of, recipient_of
from perfrules.engine.rulebook.compiler import target_of
from perfrules.engine.rulebook.model import Rule
from perfrules.engine.rulebook.rulebook import Rulebook, SourcedRule
from perfrules.storage import Database
from perfrules.storage import evaluation_store as store
from perfrules.storage.outbox import PersonRecord, cancel, find_person

ESCALATION_CONTEXTS = {
    "emails/escalation_manager": EscalationManagerContext,
    "emails/escalation_hr": EscalationHrContext,
}
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
__all__ = ["KPI_WARNING_REPEAT", "Alerts", "consequence_context", "explain", "warning_interval"]


@dataclass
class Alerts:
    """Turns stored evaluation results into queued notices; :meth:`after_evaluation` is the scheduler hook."""

    db: Database
    env: NoticeSandbox
    rulebook: Callable[[], Rulebook]
    mail_from: str
    zone: ZoneInfo

    def after_evaluation(self, months: Iterable[Period], now: datetime, warnings: Iterable[Mapping[str, Any]]) -> str:
        """Notices for the evaluated ``months``; a no-op for everything already in the outbox. ``warnings``:
        the warning-band observations of this evaluation of those months, as finding rows
        (:func:`perfrules.engine.evaluation.core.finding_row`) — told, never stored, priced or streaked."""
        months, band = list(months), list(warnings)
        book, people = self.rulebook(), load_people(self.db)
        warned = sum(
            self.kpi_warnings(book, month, now, people, [w for w in band if w["period"] == month.label])
            for month in months
        )
        quarters = sorted({quarter_of(m.start).label for m in months})
        charged = sum(self.consequences(book, quarter, now, people) for quarter in quarters)
        escalated = self.escalations(book, {m.label for m in months}, now, people)
        return f"alerts: {warned} KPI warning(s), {charged} deduction notice(s), {escalated} escalation notice(s)"

    # --- KPI warnings -------------------------------------------------------------------------------

    def kpi_warnings(
        self, book: Rulebook, month: Period, now: datetime, people: list[Person], band: Iterable[Mapping[str, Any]] = ()
    ) -> int:
        """KPI warnings of ``month``: its stored breaches that :func:`~engine.evaluation.intents.warns`, and the
        ``band`` rows (warning-band values of this evaluation, which are not stored)."""
        today = local_date(now, self.zone)
        if today >= month.next().end:  # an old month re-judged (quarter end) is not news any more
            return 0
        written = 0
        for finding in [*store.findings(self.db, months=[month.label]), *band]:
            if not finding["kpi"] or finding["value"] is None:
                continue
            sourced = _version(book, finding["rule_id"], finding["rule_version"])
            if sourced is None or not intents.warns(sourced.rule, finding["kind"]):
                continue
            rule, context = sourced.rule, self._warning_fields(finding, sourced.rule)
            about = intents.owner(finding["subject"], finding["subject_kind"])
            series = f"{finding['rule_id']}#kpi_warning:{finding['subject']}"
            if finding["kind"] == "warning":  # its own series: a warning never holds back a breach's notice
                series += ":band"
            for _, person in self._told(people, rule, rule.notify.kpi_warning, about, month.last_day):
                notice = KpiWarningContext(recipient=recipient_of(person, self.zone), **context)
                written += self._queue(notice, series, month.label, now, repeat_every=warning_interval(rule))
        return written

    def _warning_fields(self, finding: Mapping[str, Any], rule: Rule) -> dict[str, Any]:
        kpi, passes = finding["kpi"], _passing(finding)
        seen = Threshold(comparison=passes, value=Decimal(finding["threshold"]), unit=unit_of(kpi))
        fields = {
            "rule": _ref(finding),
            "kpi": kpi_named(kpi),
            "period": finding["period"],
            "actual": Decimal(finding["value"]),
            "threshold": seen,
            "deducts": _deducts(rule),
            "consecutive_periods": max(1, len(finding["streak"])),
        }
        if finding["kind"] == "warning":  # the row's threshold is the warning level; the target is the rule's
            assert rule.threshold is not None
            target = Threshold(comparison=passes, value=target_of(rule.threshold)[0], unit=unit_of(kpi))
            fields.update(kind="warning", threshold=target, warning_level=seen, consecutive_periods=1)
        return fields

    def _told(
        self,
        people: list[Person],
        rule: Rule,
        words: list[str],
        about: str | None,
        day: date,
        department: str | None = None,
    ) -> list[tuple[str, PersonRecord]]:
        """(recipient word, person) for everyone ``words`` name, resolved by
        :func:`perfrules.engine.evaluation.intents.recipients`: the same people the notice intents name. A person named
        twice is queued twice under one outbox key, which writes once."""
        told = [
            (word, find_person(self.db, to))
            for word, to in intents.recipients(people, rule, words, about, day, department)
            if to is not None
        ]
        return [(word, person) for word, person in told if person is not None]

    # --- consequences -------------------------------------------------------------------------------

    def consequences(self, book: Rulebook, quarter: str, now: datetime, people: list[Person]) -> int:
        """One notice per active deduction line of ``quarter`` to each recipient of the rule's
        ``notify.consequence`` (the employee charged)."""
        findings = {f["id"]: f for f in store.findings(self.db, quarter=quarter, active_only=False)}
        written = 0
        for line in store.adjustments(self.db, quarter=quarter):
            if line["kind"] not in DEDUCTION_KINDS or line["status"] != "active" or line["amount"] >= 0:
                continue
            sourced = _version(book, line["rule_id"], line["rule_version"])
            seen = [findings[i] for i in line["finding_ids"] if i in findings]
            if sourced is None or not seen:
                continue
            employee, day = line["employee_id"], parse_period(line["period"]).last_day
            told = self._told(
                people,
                sourced.rule,
                sourced.rule.notify.consequence,
                employee,
                day,
                intents.department_on(people, employee, day),
            )
            for _, person in told:
                notice = consequence_context(
                    line, seen, rule_named(book, line["rule_id"]), recipient_of(person, self.zone)
                )
                written += self._queue(
                    notice, f"{line['rule_id']}#consequence:{line['kind']}:{line['quarter']}", line["period"], now
                )
        return written

    # --- escalations --------------------------------------------------------------------------------

    def escalations(self, book: Rulebook, months: set[str], now: datetime, people: list[Person]) -> int:
        """One notice per escalation triggered in ``months`` to each recipient of the escalation's ``notify``,
        in the wording :data:`perfrules.engine.evaluation.intents.ESCALATION_TEMPLATES` gives that recipient."""
        written = 0
        for row in store.escalations(self.db):
            key = f"{row['rule_id']}#escalation:{row['kind']}:{row['subject']}"
            if row["status"] == "withdrawn":  # its breaches are gone: what is not sent yet never will be
                cancel(
                    self.db,
                    rule_id=key,
                    period=row["streak_start"],
                    now=now,
                    reason="the escalation was withdrawn (its streak no longer holds)",
                )
                continue
            if row["triggered_period"] not in months:
                continue
            employee = find_person(self.db, row["subject"])
            sourced = _version(book, row["rule_id"], row["rule_version"])
            spec = next((e for e in sourced.rule.escalations if e.action == row["kind"]), None) if sourced else None
            if employee is None or spec is None:
                continue
            fields = {
                "rule": _ref(row),
                "employee": person_of(employee),
                "breach": rule_named(book, row["rule_id"]),
                "periods": tuple(row["streak"]),
                "action": _action(row["kind"], spec),
            }
            day = parse_period(row["triggered_period"]).last_day
            for word, person in self._told(people, sourced.rule, spec.notify, row["subject"], day):
                kind = ESCALATION_CONTEXTS.get(intents.ESCALATION_TEMPLATES.get(word, ""))
                if kind is None:  # the checker admits no other word (NOTICE_RECIPIENTS)
                    continue
                extra = self._hr_fields(row, employee) if kind is EscalationHrContext else {}
                notice = kind(recipient=recipient_of(person, self.zone), **fields, **extra)
                written += self._queue(notice, key, row["streak_start"], now)
        return written

    def _hr_fields(self, row: dict[str, Any], employee: PersonRecord) -> dict[str, Any]:
        manager = find_person(self.db, employee.manager_id) if employee.manager_id else None
        quarters = sorted({quarter_of(parse_period(m).start).label for m in row["streak"]})
        total = sum(
            (
                -store.effective(a)
                for q in quarters
                for a in store.adjustments(self.db, quarter=q, employee_id=employee.id)
                if a["rule_id"] == row["rule_id"] and a["kind"] in DEDUCTION_KINDS and store.effective(a) < 0
            ),
            ZERO,
        )
        return {"manager": person_of(manager) if manager else None, "total_deducted": total}

    def _queue(
        self, notice: NoticeContext, rule_id: str, period: str, now: datetime, repeat_every: timedelta | None = None
    ) -> int:
        queued = queue_notice(
            self.db,
            self.env,
            notice,
            rule_id=rule_id,
            period=period,
            now=now,
            domain=mail_domain(self.mail_from),
            repeat_every=repeat_every,
        )
        return int(queued.created)


def consequence_context(
    line: dict[str, Any], findings: list[dict[str, Any]], breach: Named, recipient: Any
) -> ConsequenceContext:
    """The deduction notice of one bonus line: the rule and version, the facts and the threshold of the
    finding(s) behind it, and base × rate = amount as the line was priced."""
    first = findings[0]
    _, threshold = explain(first)
    several = len(findings) > 1  # then each value says which month it belongs to
    facts = tuple(
        fact.model_copy(update={"period": f["period"] if several else None}) for f in findings for fact in explain(f)[0]
    )
    periods = ", ".join(sorted({f["period"] for f in findings}))
    return ConsequenceContext(
        recipient=recipient,
        rule=_ref(line),
        breach=breach,
        period=periods,
        quarter=line["quarter"],
        facts=facts,
        threshold=threshold,
        bonus_base=line["base"],
        rate=abs(line["share"]),
        amount=-line["amount"],
    )


def explain(finding: dict[str, Any]) -> tuple[tuple[FactSeen, ...], Threshold]:
    """The values a finding saw and the threshold they failed, in the notices' vocabulary."""
    kpi = finding["kpi"]
    if kpi:
        value, target = Decimal(finding["value"]), Decimal(finding["threshold"])
        return (FactSeen(name=kpi_named(kpi), value=value, unit=unit_of(kpi)),), Threshold(
            comparison=_passing(finding), value=target, unit=unit_of(kpi)
        )
    facts = finding["facts"]
    if finding["kind"] == "incomplete":
        target = Decimal(str(finding["threshold"] or "1"))
        seen = Decimal(str(facts.get("completeness") or 0))
        return (FactSeen(name=COMPLETENESS, value=seen, unit="ratio"),), Threshold(
            comparison=">=", value=target, unit="ratio"
        )
    if facts.get("state") == "missing":
        return (FactSeen(name=HANDED_IN, value=ZERO, unit="count"),), Threshold(
            comparison=">=", value=Decimal(1), unit="count"
        )
    late = Decimal(facts.get("days_late") or 0)
    return (FactSeen(name=DAYS_LATE, value=late, unit="days"),), Threshold(comparison="<=", value=ZERO, unit="days")


def _deducts(rule: Rule) -> bool:
    """Whether missing the rule's target costs a bonus deduction."""
    c = rule.consequence
    if c is None:
        return False
    return (
        c.deduction > 0
        if c.deduction is not None
        else c.proportional is not None and c.proportional.per_point_below > 0
    )


def _passing(finding: Mapping[str, Any]) -> str:
    # the stored comparison is the breach test (value < threshold when higher is better)
    if finding["comparison"] in ("<", ">"):
        return ">=" if finding["comparison"] == "<" else "<="
    return passing(catalog.get(finding["kpi"]).direction)


def _ref(row: Mapping[str, Any]) -> RuleRef:
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
