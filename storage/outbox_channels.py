"""The outbox queries of chat channels: what to fan out, how many a bot sent lately, deferring a message.

A chat message is an outbox row like an e-mail (same natural key plus its ``channel``), so it shares the
claim, lease and retry of :mod:`perfrules.storage.outbox`. What is particular to chat lives here: the
per-bot rate limit counts the ``sent_at`` of the channel's rows (so a restart does not reset it), and a
platform's "too many requests" puts a message back without counting the attempt.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from perfrules.storage.db import Database
from perfrules.storage.outbox import OutboxEntry, OutboxMessage, _entry, finish
from sqlalchemy import func, select, update

EMAIL = "email"


def sent_since(db: Database, channel: str, since: datetime) -> int:
    """How many messages of ``channel`` were delivered after ``since``."""
    with db.session() as session:
        return session.execute(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.channel == channel, OutboxMessage.sent_at > since)
        ).scalar_one()


def routable(db: Database, kinds: Sequence[str], *, since: datetime) -> list[OutboxEntry]:
    """E-mail notices of ``kinds`` written at or after ``since`` that still stand (not cancelled): the
    notices a chat route may copy to its channels."""
    with db.session() as session:
        rows = session.execute(
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == EMAIL,
                OutboxMessage.kind.in_(list(kinds)),
                OutboxMessage.created_at >= since,
                OutboxMessage.status != "cancelled",
            )
            .order_by(OutboxMessage.id)
        ).scalars()
        return [_entry(r) for r in rows]


def routed_keys(db: Database, channel: str, *, since: datetime) -> set[tuple[str, str, str, str, int]]:
    """(rule_id, recipient_id, period, kind, slot) of the rows ``channel`` has, written at or after ``since``."""
    with db.session() as session:
        rows = session.execute(
            select(
                OutboxMessage.rule_id,
                OutboxMessage.recipient_id,
                OutboxMessage.period,
                OutboxMessage.kind,
                OutboxMessage.slot,
            ).where(OutboxMessage.channel == channel, OutboxMessage.created_at >= since)
        )
        return {tuple(r) for r in rows}  # type: ignore[misc]


def hold_back_email(db: Database, message_id: int, *, reason: str) -> bool:
    """Cancel an e-mail that a route sends to chat instead, if it was never attempted; False otherwise."""
    with db.session() as session:
        return bool(
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending", OutboxMessage.attempts == 0)
                .values(status="cancelled", last_error=reason)
            ).rowcount
        )


def defer(db: Database, message_id: int, token: str, *, error: str, retry_at: datetime) -> bool:
    """Put a claimed message back as ``failed`` until ``retry_at`` without counting the attempt (the
    platform said "too many requests"; the message itself is fine)."""
    return finish(
        db,
        message_id,
        token,
        status="failed",
        attempts=OutboxMessage.attempts - 1,
        next_attempt_at=retry_at,
        last_error=error[:2000],
    )
