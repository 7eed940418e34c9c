"""Running slots exactly once: work out which are due from the calendar and the slots table, claim, run.

Whatever wakes the runner (an APScheduler fire, the catch-up pass at start, the hourly safety net), it
does the same thing: list the calendar's slots between the catch-up horizon and ``now``, drop the ones
the database says are settled, claim each of the rest with insert-on-conflict and run it. So a restart
after downtime runs each missed slot once, a late or duplicate fire runs nothing twice, and a slot
whose run failed is retried (up to ``max_attempts``) by the next pass.

A reminder whose deadline has passed is stale: it is recorded as ``skipped``, never sent late.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from perfrules.engine.scheduler.calendar import DEADLINE_CHECK, REMINDER, Slot
from perfrules.storage import Database
from perfrules.storage.schedule import claim_slot, finish_slot, settled_keys, state_setdefault

log = logging.getLogger("perfrules.scheduler")

FIRST_START = "first_start"

# (window start, window end, kinds or None for all) -> the slots with run time in [start, end)
Planner = Callable[[datetime, datetime, Iterable[str] | None], list[Slot]]


class Actions(Protocol):
    """What a slot does. Returns a one-line summary for the slots table; raises to mark the run failed."""

    def run(self, slot: Slot, now: datetime) -> str: ...


@dataclass(frozen=True)
class Outcome:
    """How one slot run ended."""

    slot: Slot
    status: str  # done, failed, skipped
    detail: str
    caught_up: bool


@dataclass
class SlotRunner:
    """Claims and runs the due slots of a calendar; see the module docstring."""

    db: Database
    planner: Planner
    actions: Actions
    max_catch_up: timedelta = timedelta(days=92)
    late_after: timedelta = timedelta(minutes=5)
    stale_after: timedelta = timedelta(hours=2)
    max_attempts: int = 3

    def horizon(self, now: datetime) -> datetime:
        """The earliest slot time still run: the service's first start, at most ``max_catch_up`` ago."""
        first = state_setdefault(self.db, FIRST_START, at=now)
        return max(first, now - self.max_catch_up)

    def due(self, now: datetime, kinds: Iterable[str] | None = None) -> list[Slot]:
        """Slots up to ``now`` that still need a run."""
        horizon = self.horizon(now)
        settled = settled_keys(
            self.db,
            since=horizon - timedelta(days=1),
            stale_before=now - self.stale_after,
            max_attempts=self.max_attempts,
        )
        return [s for s in self.planner(horizon, now + timedelta(microseconds=1), kinds) if s.key not in settled]

    def run_due(self, now: datetime, kinds: Iterable[str] | None = None) -> list[Outcome]:
        """Run every due slot once, oldest first; logs what was caught up.

        Deadline checks of one instance (``due``, ``repeat-1`` …) that are due together — the service was
        down over several of them — run once: the latest runs (its notice says how late the deliverable is
        now), the earlier ones are settled as ``skipped`` (coalesced), so nobody gets the same overdue item
        once per missed tick. The repeats after ``now`` keep their cadence."""
        slots = self.due(now, kinds)
        latest: dict[tuple[str, str], Slot] = {}
        for slot in slots:
            if slot.kind == DEADLINE_CHECK:
                series = (slot.rule_id, slot.period)
                if series not in latest or slot.at > latest[series].at:
                    latest[series] = slot
        runs = []
        for slot in slots:
            last = latest.get((slot.rule_id, slot.period)) if slot.kind == DEADLINE_CHECK else None
            skip = None if last is None or last is slot else f"coalesced into {last.slot} (one notice for all)"
            runs.append(self.run_one(slot, now, skip=skip))
        outcomes = [o for o in runs if o is not None]
        late = [o for o in outcomes if o.caught_up and o.status != "skipped"]
        if late:
            log.warning(
                "caught up %d missed run%s: %s",
                len(late),
                "" if len(late) == 1 else "s",
                "; ".join(str(o.slot) for o in late),
            )
        stale = [o for o in outcomes if o.status == "skipped" and o.slot.kind == REMINDER]
        if stale:
            log.warning(
                "skipped %d stale reminder%s (deadline already passed): %s",
                len(stale),
                "" if len(stale) == 1 else "s",
                "; ".join(str(o.slot) for o in stale),
            )
        merged = [o for o in outcomes if o.status == "skipped" and o.slot.kind == DEADLINE_CHECK]
        if merged:
            log.warning(
                "coalesced %d missed deadline check%s into the latest of each deadline: %s",
                len(merged),
                "" if len(merged) == 1 else "s",
                "; ".join(str(o.slot) for o in merged),
            )
        return outcomes

    def run_one(self, slot: Slot, now: datetime, skip: str | None = None) -> Outcome | None:
        """Claim and run ``slot`` (settle it as ``skipped`` with the reason ``skip``, if given); None when
        another run has it or it is settled."""
        token = uuid.uuid4().hex
        caught_up = now - slot.at > self.late_after
        if not claim_slot(
            self.db,
            slot.key,
            scheduled_at=slot.at,
            token=token,
            now=now,
            stale_after=self.stale_after,
            max_attempts=self.max_attempts,
            caught_up=caught_up,
        ):
            return None
        if skip is not None:
            status, detail = "skipped", skip
        elif slot.kind == REMINDER and slot.deadline is not None and now >= slot.deadline:
            status, detail = "skipped", f"stale: deadline {slot.deadline.isoformat()} passed before it ran"
        else:
            try:
                status, detail = "done", self.actions.run(slot, now)
            except Exception as exc:  # one failing slot must not stop the others; retried next pass
                log.exception("slot %s failed", slot)
                status, detail = "failed", f"{type(exc).__name__}: {exc}"
        finish_slot(self.db, slot.key, token, status=status, detail=detail, now=now)
        log.info("slot %s: %s (%s)", slot, status, detail)
        return Outcome(slot, status, detail, caught_up)
