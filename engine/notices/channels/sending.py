"""Delivering the chat rows of the outbox: per channel, within the bot's rate limit, with the outbox's
claim, lease and retry (:class:`~perfrules.engine.notices.delivery.DeliveryPolicy`).

The per-minute limit counts the channel's messages sent in the last minute in the outbox itself, so a
restart does not reset it; what is over the limit stays pending and goes in a later run (delayed, never
failed). The per-second limit (Feishu: 5/s) paces the sends of one run.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from perfrules.engine.notices.channels.transports import ChatMessage, ChatTransport, RateLimited
from perfrules.engine.notices.delivery import (
    DeliveryPolicy,
    DeliveryReport,
    attempt,
    log_context,
    settle_failure,
    settle_sent,
)
from perfrules.storage import Database
from perfrules.storage.outbox import OutboxEntry, claim, due_ids
from perfrules.storage.outbox_channels import defer, sent_since

log = logging.getLogger("perfrules.notices")
MINUTE = timedelta(minutes=1)


def deliver_chat(
    db: Database,
    transports: Mapping[str, ChatTransport],
    *,
    now: datetime,
    policy: DeliveryPolicy = DeliveryPolicy(),
    pause: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Attempt the due messages of every channel once, oldest first, at most the bot's limit a minute."""
    report = DeliveryReport()
    for name, transport in transports.items():
        try:
            _channel(db, name, transport, now, policy, pause, report)
        finally:
            transport.close()
    return report


def _channel(
    db: Database,
    name: str,
    transport: ChatTransport,
    now: datetime,
    policy: DeliveryPolicy,
    pause: Callable[[float], None],
    report: DeliveryReport,
) -> None:
    room = transport.channel.per_minute - sent_since(db, name, now - MINUTE)
    if room <= 0:
        return
    gap = 1.0 / transport.channel.per_second if transport.channel.per_second else 0.0
    for index, message_id in enumerate(
        due_ids(db, now=now, lease=policy.lease, limit=min(room, policy.batch_size), channel=name)
    ):
        token = uuid.uuid4().hex
        entry = claim(db, message_id, token, now=now, lease=policy.lease)
        if entry is None:
            continue
        if gap and index:
            pause(gap)
        if not _attempt(db, transport, entry, token, now, policy, report):
            return


def _attempt(
    db: Database,
    transport: ChatTransport,
    entry: OutboxEntry,
    token: str,
    now: datetime,
    policy: DeliveryPolicy,
    report: DeliveryReport,
) -> bool:
    """One attempt; False when this channel should wait for the next run (rate limited, unreachable)."""
    context = log_context(entry)
    message = ChatMessage(
        kind=entry.key.kind,
        subject=entry.subject,
        text=entry.text_body,
        recipient=entry.key.recipient_id,
        key=str(entry.key),
        locale=entry.locale,
    )
    failure = attempt(lambda: transport.send(message), entry)
    if isinstance(failure, RateLimited):
        defer(db, entry.id, token, error=failure.reason, retry_at=now + MINUTE)
        report.failed.append(entry.id)
        log.warning(
            "notice #%d rate limited, sent later: %s", entry.id, failure.reason, extra={**context, "status": "failed"}
        )
        return False
    if failure is not None:
        return settle_failure(db, entry, token, failure, now=now, policy=policy, report=report)
    settle_sent(db, entry, token, now=now, report=report)
    return True
