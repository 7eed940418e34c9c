"""Writing notices into the outbox: render, key (with the repeat slot), insert once; fold digests.

The caller (evaluation, the scheduler) hands in a typed context, the rule id and the period, and for a
warning that repeats while a breach stays open, ``repeat_every`` from the rule file. The outbox decides
whether a notice is due: the key's ``slot`` is the number of whole ``repeat_every`` intervals since the
first notice of the series, so within one interval a second call is a no-op and the next interval
brings exactly one more notice. Without ``repeat_every`` a notice is written once, ever.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import jinja2
from perfrules.engine.notices.contexts import CONTEXTS, DIGESTIBLE, DigestContext, DigestItem, NoticeContext
from perfrules.engine.notices.message import message_id_for
from perfrules.engine.notices.templating import render_block, render_notice, template_name
from perfrules.storage import Database
from perfrules.storage.outbox import (
    NewMessage,
    OutboxEntry,
    OutboxKey,
    count_digests,
    first_created,
    id_of,
    insert_message,
    merge_into_digest,
    undigested,
)

DIGEST_RULE = "digest"


@dataclass(frozen=True)
class Queued:
    """The outcome of :func:`queue_notice`: the outbox row and whether this call wrote it."""

    id: int
    key: OutboxKey
    created: bool


def repeat_slot(anchor: datetime | None, now: datetime, repeat_every: timedelta | None) -> int:
    """Which repeat of a series ``now`` falls in: 0 for the first notice or when it never repeats."""
    if anchor is None or repeat_every is None:
        return 0
    if repeat_every <= timedelta(0):
        raise ValueError("repeat_every must be positive")
    return max(0, (now - anchor) // repeat_every)


def queue_notice(
    db: Database,
    env: jinja2.Environment,
    context: NoticeContext,
    *,
    rule_id: str,
    period: str,
    now: datetime,
    domain: str,
    repeat_every: timedelta | None = None,
    not_before: datetime | None = None,
) -> Queued:
    """Render ``context`` and write it to the outbox unless its key (incl. repeat slot) is there already.

    ``not_before`` holds the e-mail back until then (default: due at once); the notice's digest day is the
    recipient's local date of that moment.
    """
    kind, recipient = context.KIND, context.recipient
    anchor = first_created(db, rule_id, recipient.id, period, kind) if repeat_every else None
    key = OutboxKey(rule_id, recipient.id, period, kind, repeat_slot(anchor, now, repeat_every))
    existing = id_of(db, key)
    if existing is not None:  # the usual case on a re-run: no need to render what will not be written
        return Queued(existing, key, False)
    due = not_before or now
    rendered = render_notice(env, context)
    message = NewMessage(
        key=key,
        local_day=due.astimezone(ZoneInfo(recipient.zone)).date(),
        message_id=message_id_for(key, domain),
        to_addr=recipient.email,
        locale=recipient.locale,
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
        context=context.model_dump(mode="json"),
        not_before=due,
    )
    row_id, created = insert_message(db, message, now=now)
    return Queued(row_id, key, created)


def compose_digests(db: Database, env: jinja2.Environment, *, now: datetime, domain: str) -> list[int]:
    """Fold the due, never-attempted notices of one person and one day (two or more) into one digest.

    Returns the ids of the digests written. A notice already attempted is never folded, so an e-mail
    that may have gone out is not repeated inside a digest.
    """
    groups: dict[tuple[str, date], list[OutboxEntry]] = defaultdict(list)
    for entry in undigested(db, sorted(DIGESTIBLE), now=now):
        groups[entry.key.recipient_id, entry.local_day].append(entry)
    written = []
    for (recipient_id, day), entries in groups.items():
        if len(entries) < 2:
            continue
        digest = _digest_message(db, env, recipient_id, day, entries, domain)
        digest_id = merge_into_digest(db, [e.id for e in entries], digest, now=now)
        if digest_id is not None:
            written.append(digest_id)
    return written


def _digest_message(
    db: Database, env: jinja2.Environment, recipient_id: str, day: date, entries: list[OutboxEntry], domain: str
) -> NewMessage:
    items, recipient = [], None
    for entry in entries:
        context = CONTEXTS[entry.key.kind].model_validate(entry.context)
        recipient = context.recipient
        locale = recipient.locale
        items.append(
            DigestItem(
                kind=entry.key.kind,
                subject=entry.subject,
                text=render_block(env, template_name(entry.key.kind, locale, "txt"), "body", context).strip(),
                html=render_block(env, template_name(entry.key.kind, locale, "html"), "body", context).strip(),
            )
        )
    assert recipient is not None
    digest = DigestContext(recipient=recipient, day=day, items=tuple(items))
    rendered = render_notice(env, digest)
    key = OutboxKey(DIGEST_RULE, recipient_id, day.isoformat(), "digest", count_digests(db, recipient_id, day))
    return NewMessage(
        key=key,
        local_day=day,
        message_id=message_id_for(key, domain),
        to_addr=recipient.email,
        locale=recipient.locale,
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
        context=digest.model_dump(mode="json"),
        not_before=min(e.next_attempt_at for e in entries),
    )
