"""What the operator's metrics read from the store at scrape time: one snapshot of the service's state,
whichever process (``serve``, ``web``, a CLI run) did the work. Read-only, a handful of aggregate queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from perfrules.storage.db import Database
from perfrules.storage.evaluation import EvaluationRun, Finding
from perfrules.storage.models import ImportBatch
from perfrules.storage.outbox import OutboxMessage
from perfrules.storage.schedule import SchedulerState, ScheduleSlot
from sqlalchemy import func, select

UNDELIVERED = ("pending", "sending", "failed")


@dataclass(frozen=True)
class Snapshot:
    evaluations: dict[str, int]  # by status (running, done, failed)
    evaluation_seconds: list[float]  # durations of the finished runs of the last day
    findings: dict[str, int]  # by kind
    outbox: dict[tuple[str, str], int]  # messages by (channel, status)
    oldest_undelivered_seconds: dict[str, float]  # per channel: age of the oldest pending/sending/failed message
    delivery_failures: dict[str, int]  # per channel: messages whose last attempt failed (failed or dead)
    imported_rows: dict[str, int]  # by kind, every import batch
    scheduler_lag_seconds: float | None  # worst start delay of the slots claimed in the last day
    heartbeat: tuple[str, datetime] | None  # leader identity and its last beat


def snapshot(db: Database, now: datetime) -> Snapshot:
    day_ago = now - timedelta(days=1)
    with db.session() as s:
        evaluations = dict(s.execute(select(EvaluationRun.status, func.count()).group_by(EvaluationRun.status)).all())
        finished = s.execute(
            select(EvaluationRun.started_at, EvaluationRun.finished_at).where(
                EvaluationRun.finished_at.is_not(None), EvaluationRun.finished_at >= day_ago
            )
        ).all()
        findings = dict(s.execute(select(Finding.kind, func.count()).group_by(Finding.kind)).all())
        channel = OutboxMessage.channel
        outbox = {
            (str(c), str(st)): int(n)
            for c, st, n in s.execute(
                select(channel, OutboxMessage.status, func.count()).group_by(channel, OutboxMessage.status)
            ).all()
        }
        oldest = dict(
            s.execute(
                select(channel, func.min(OutboxMessage.created_at))
                .where(OutboxMessage.status.in_(UNDELIVERED))
                .group_by(channel)
            ).all()
        )
        failures = dict(
            s.execute(
                select(channel, func.count())
                .where(OutboxMessage.last_error.is_not(None), OutboxMessage.status != "sent")
                .group_by(channel)
            ).all()
        )
        imported = dict(
            s.execute(select(ImportBatch.kind, func.sum(ImportBatch.rows)).group_by(ImportBatch.kind)).all()
        )
        claims = s.execute(
            select(ScheduleSlot.scheduled_at, ScheduleSlot.claimed_at).where(ScheduleSlot.claimed_at >= day_ago)
        ).all()
        beat = s.get(SchedulerState, "leader")
    return Snapshot(
        evaluations={str(k): int(v) for k, v in evaluations.items()},
        evaluation_seconds=[(end - start).total_seconds() for start, end in finished],
        findings={str(k): int(v) for k, v in findings.items()},
        outbox=outbox,
        oldest_undelivered_seconds={
            str(c): max(0.0, (now - _aware(at, now)).total_seconds()) for c, at in oldest.items() if at is not None
        },
        delivery_failures={str(c): int(n) for c, n in failures.items()},
        imported_rows={str(k): int(v or 0) for k, v in imported.items()},
        scheduler_lag_seconds=max(((c - s_).total_seconds() for s_, c in claims), default=None),
        heartbeat=None if beat is None else (beat.value, _aware(beat.at, now)),
    )


def _aware(moment: datetime, now: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=now.tzinfo)
