"""What each slot kind does when it runs: the glue from the calendar to notices and evaluation.

* ``reminder`` – for each employee who owes the deliverable and has not handed it in, a reminder e-mail to
  each recipient of the rule's ``notify.reminder``;
* ``deadline_check`` (``due`` and each ``repeat-N``) – for each employee who owed it and had not handed it
  in by the check, a deadline-missed e-mail to each recipient of ``notify.deadline_missed``; repeats have
  slot keys of their own, so a re-run writes nothing twice;
* ``kpi_refresh``, ``threshold_check``, ``quarter_evaluation``, ``weekly_report``, ``monthly_report`` –
  handed to the evaluation and report builders registered in :attr:`ServiceActions.handlers`.

Who owes and who is told is decided exactly as the decision core's notice intents decide it
(:func:`perfrules.engine.evaluation.intents.deadline_owers`, :func:`~engine.evaluation.intents.recipients` on
:func:`~engine.evaluation.intents.notice_day`, over the people history: transfers, leave, who held the role
on the due day), so the reminders and deadline notices HR proves with ``perfrules test`` are the ones the
outbox writes. Every notice goes through :func:`perfrules.engine.notices.queue.queue_notice`, whose natural key makes
a second run of the same slot a no-op.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from perfrules.engine.contracts import DELIVERABLES
from perfrules.engine.evaluation import intents
from perfrules.engine.evaluation.people import Person, load_people
from perfrules.engine.notices.contexts import DeadlineMissedContext, Named, ReminderContext, RuleRef
from perfrules.engine.notices.message import mail_domain
from perfrules.engine.notices.queue import queue_notice
from perfrules.engine.notices.templating import NoticeSandbox
from perfrules.engine.periods import local_date
from perfrules.engine.reporting.people import recipient_of
from perfrules.engine.rulebook.model import Rule
from perfrules.engine.scheduler.calendar import DEADLINE_CHECK, REMINDER, Slot
from perfrules.storage import Database
from perfrules.storage.access import facts_generation
from perfrules.storage.outbox import PersonRecord, find_person, remembered_people
from perfrules.storage.schedule import submitters

# (slot, now) -> one-line summary; raise to mark the slot failed
Handler = Callable[[Slot, datetime], str]
RuleLookup = Callable[[str, datetime], tuple[Rule, RuleRef] | None]


@dataclass
class PeopleMemo:
    """The people history and person records, read once per facts generation: an import (of employees,
    transfers, leave) starts a new generation and so a fresh read. :meth:`refresh` is called once per slot."""

    db: Database
    _generation: int | None = None
    _people: list[Person] = field(default_factory=list)
    _records: dict[str, PersonRecord | None] = field(default_factory=dict)

    def refresh(self) -> None:
        generation = facts_generation(self.db)
        if generation != self._generation:
            self._generation, self._people, self._records = generation, load_people(self.db), {}

    @property
    def people(self) -> list[Person]:
        return self._people

    def record(self, employee_id: str) -> PersonRecord | None:
        if employee_id not in self._records:
            self._records[employee_id] = find_person(self.db, employee_id)
        return self._records[employee_id]


@dataclass
class _Instance:
    """One deadline instance at one slot: the rule, who owes it, who handed it in by now."""

    rule: Rule
    ref: RuleRef
    owers: list[str]
    handed_in: set[str]

    @property
    def open(self) -> list[str]:
        return [e for e in self.owers if e not in self.handed_in]


@dataclass
class ServiceActions:
    """The real actions of ``perfrules serve``; kinds without a handler are recorded as not configured."""

    db: Database
    env: NoticeSandbox
    rule_lookup: RuleLookup
    mail_from: str
    zone: ZoneInfo
    handlers: dict[str, Handler] = field(default_factory=dict)
    people: PeopleMemo | None = None

    def __post_init__(self) -> None:
        if self.people is None:
            self.people = PeopleMemo(self.db)

    def run(self, slot: Slot, now: datetime) -> str:
        with remembered_people():  # evaluation, alerts and notices of one slot read each person once
            return self._run(slot, now)

    def _run(self, slot: Slot, now: datetime) -> str:
        if slot.kind == REMINDER:
            return self.remind(slot, now)
        if slot.kind == DEADLINE_CHECK:
            return self.check_deadline(slot, now)
        handler = self.handlers.get(slot.kind)
        if handler is None:
            return f"no {slot.kind} handler configured"
        return handler(slot, now)

    def _instance(self, slot: Slot, now: datetime) -> _Instance:
        """The rule, who owed the deliverable on the due day and who of everyone has handed it in by now."""
        assert slot.deadline is not None and self.people is not None
        found = self.rule_lookup(slot.rule_id, slot.deadline)
        if found is None:
            raise LookupError(f"rule {slot.rule_id} is not in force on {slot.deadline.date()}")
        rule, ref = found
        assert rule.deadline is not None
        self.people.refresh()
        owers = intents.deadline_owers(self.people.people, rule, slot.deadline)
        return _Instance(rule, ref, owers, submitters(self.db, rule.deadline.deliverable, slot.period, before=now))

    def told(self, rule: Rule, words: Sequence[str], employee: str, period: str) -> list[PersonRecord]:
        """Everyone ``words`` name about ``employee``'s instance for ``period``, as the notice intents name them."""
        assert self.people is not None
        day = intents.notice_day(period)
        found = [
            self.people.record(to)
            for _, to in intents.recipients(self.people.people, rule, words, employee, day)
            if to is not None
        ]
        return [p for p in found if p is not None]

    def remind(self, slot: Slot, now: datetime) -> str:
        due = self._instance(slot, now)
        rule = due.rule
        assert slot.deadline is not None
        written = 0
        for employee in due.open:
            for person in self.told(rule, rule.notify.reminder, employee, slot.period):
                context = ReminderContext(
                    recipient=recipient_of(person, self.zone),
                    rule=due.ref,
                    deliverable=_deliverable(rule),
                    period=slot.period,
                    due_at=slot.deadline,
                    days_left=(local_date(slot.deadline, self.zone) - local_date(now, self.zone)).days,
                )
                # the employee's own reminder keeps the plain slot key; others are told once per employee
                kind_slot = slot.slot if person.id == employee else f"{employee}:{slot.slot}"
                written += self._queue(context, rule, slot, now, kind_slot=kind_slot)
        return f"{written} reminder(s) queued, {len(due.owers)} holder(s), {len(due.handed_in)} handed in"

    def check_deadline(self, slot: Slot, now: datetime) -> str:
        due = self._instance(slot, now)
        rule = due.rule
        assert slot.deadline is not None
        late = due.open
        written = 0
        for employee in late:
            for person in self.told(rule, rule.notify.deadline_missed, employee, slot.period):
                context = DeadlineMissedContext(
                    recipient=recipient_of(person, self.zone),
                    rule=due.ref,
                    deliverable=_deliverable(rule),
                    period=slot.period,
                    due_at=slot.deadline,
                    days_late=max(0, (local_date(now, self.zone) - local_date(slot.deadline, self.zone)).days),
                )
                written += self._queue(context, rule, slot, now, kind_slot=f"{employee}:{slot.slot}")
        return f"{len(late)} of {len(due.owers)} late; {written} notice(s) queued"

    def _queue(self, context, rule: Rule, slot: Slot, now: datetime, *, kind_slot: str) -> int:
        # the outbox key is (rule, recipient, period, kind, n): one rule id per reminder lead / repeat
        rule_id = f"{rule.id}#{kind_slot}"
        queued = queue_notice(
            self.db, self.env, context, rule_id=rule_id, period=slot.period, now=now, domain=mail_domain(self.mail_from)
        )
        return int(queued.created)


def _deliverable(rule: Rule) -> Named:
    assert rule.deadline is not None
    code = rule.deadline.deliverable
    zh, en = DELIVERABLES.get(code, (code, code))
    return Named(code=code, name_zh=zh, name_en=en)
