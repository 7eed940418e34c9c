"""What each slot kind does when it runs: the glue from the calendar to notices and evaluation.

* ``reminder`` – a reminder e-mail to each holder of the rule's role who has not handed the deliverable in;
* ``deadline_check`` (``due`` and each ``repeat-N``) – a deadline-missed e-mail to each holder (and the
  recipients of ``notify.deadline_missed``) who had not handed it in by the due time; repeats go through
  the outbox's repeat slots, so a re-run writes nothing twice;
* ``kpi_refresh``, ``threshold_check``, ``quarter_evaluation``, ``weekly_report``, ``monthly_report`` –
  handed to the evaluation and report builders registered in :attr:`ServiceActions.handlers`.

Every notice goes through :func:`engine.notices.queue.queue_notice`, whose natural key makes a second
run of the same slot a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import jinja2

from engine.contracts import DELIVERABLES
from engine.notices.contexts import DeadlineMissedContext, Named, Recipient, ReminderContext, RuleRef
from engine.notices.message import mail_domain
from engine.notices.queue import queue_notice
from engine.periods import local_date
from engine.rulebook.model import Rule
from engine.scheduler.calendar import DEADLINE_CHECK, REMINDER, Slot
from storage import Database
from storage.outbox import PersonRecord, find_person
from storage.schedule import role_holders, submitters

# (slot, now) -> one-line summary; raise to mark the slot failed
Handler = Callable[[Slot, datetime], str]
RuleLookup = Callable[[str, datetime], tuple[Rule, RuleRef] | None]


def recipient_of(person: PersonRecord, zone: ZoneInfo) -> Recipient:
    return Recipient(id=person.id, name_zh=person.name_zh, name_en=person.name_en, email=person.email,
                     locale=person.locale if person.locale in ("zh-CN", "en") else "zh-CN", zone=zone.key)


@dataclass
class ServiceActions:
    """The real actions of ``perfrules serve``; kinds without a handler are recorded as not configured."""

    db: Database
    env: jinja2.Environment
    rule_lookup: RuleLookup
    mail_from: str
    zone: ZoneInfo
    handlers: dict[str, Handler] = field(default_factory=dict)

    def run(self, slot: Slot, now: datetime) -> str:
        if slot.kind == REMINDER:
            return self.remind(slot, now)
        if slot.kind == DEADLINE_CHECK:
            return self.check_deadline(slot, now)
        handler = self.handlers.get(slot.kind)
        if handler is None:
            return f"no {slot.kind} handler configured"
        return handler(slot, now)

    def _deadline(self, slot: Slot, now: datetime) -> tuple[Rule, RuleRef, list[PersonRecord], set[str]]:
        """The rule, its role holders on the due day and who of them has handed the deliverable in by now."""
        assert slot.deadline is not None
        found = self.rule_lookup(slot.rule_id, slot.deadline)
        if found is None:
            raise LookupError(f"rule {slot.rule_id} is not in force on {slot.deadline.date()}")
        rule, ref = found
        assert rule.deadline is not None
        holders = role_holders(self.db, rule.department, rule.role, local_date(slot.deadline, self.zone))
        handed_in = submitters(self.db, rule.deadline.deliverable, slot.period, before=now)
        return rule, ref, holders, handed_in

    def remind(self, slot: Slot, now: datetime) -> str:
        rule, ref, holders, handed_in = self._deadline(slot, now)
        assert rule.deadline is not None and slot.deadline is not None
        written = 0
        for person in holders:
            if person.id in handed_in or "employee" not in rule.notify.reminder:
                continue
            context = ReminderContext(
                recipient=recipient_of(person, self.zone), rule=ref, deliverable=_deliverable(rule),
                period=slot.period, due_at=slot.deadline,
                days_left=(local_date(slot.deadline, self.zone) - local_date(now, self.zone)).days)
            written += self._queue(context, rule, slot, now, kind_slot=slot.slot)
        return f"{written} reminder(s) queued, {len(holders)} holder(s), {len(handed_in)} handed in"

    def check_deadline(self, slot: Slot, now: datetime) -> str:
        rule, ref, holders, handed_in = self._deadline(slot, now)
        assert rule.deadline is not None and slot.deadline is not None
        late = [p for p in holders if p.id not in handed_in]
        written = 0
        for person in late:
            for recipient in self._missed_recipients(rule, person):
                context = DeadlineMissedContext(
                    recipient=recipient_of(recipient, self.zone), rule=ref, deliverable=_deliverable(rule),
                    period=slot.period, due_at=slot.deadline,
                    days_late=max(0, (local_date(now, self.zone) - local_date(slot.deadline, self.zone)).days))
                written += self._queue(context, rule, slot, now, kind_slot=f"{person.id}:{slot.slot}")
        return f"{len(late)} of {len(holders)} late; {written} notice(s) queued"

    def _missed_recipients(self, rule: Rule, person: PersonRecord) -> list[PersonRecord]:
        out = []
        if "employee" in rule.notify.deadline_missed:
            out.append(person)
        if "manager" in rule.notify.deadline_missed and person.manager_id:
            manager = find_person(self.db, person.manager_id)
            if manager is not None:
                out.append(manager)
        return out

    def _queue(self, context, rule: Rule, slot: Slot, now: datetime, *, kind_slot: str) -> int:
        # the outbox key is (rule, recipient, period, kind, n): one rule id per reminder lead / repeat
        rule_id = f"{rule.id}#{kind_slot}"
        queued = queue_notice(self.db, self.env, context, rule_id=rule_id, period=slot.period, now=now,
                              domain=mail_domain(self.mail_from))
        return int(queued.created)


def _deliverable(rule: Rule) -> Named:
    assert rule.deadline is not None
    code = rule.deadline.deliverable
    zh, en = DELIVERABLES.get(code, (code, code))
    return Named(code=code, name_zh=zh, name_en=en)
