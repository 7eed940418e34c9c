"""Fan-out: copy each routed e-mail notice into the outbox once per chat channel, rendered for chat.

Notices are written to the outbox as e-mails (:func:`perfrules.engine.notices.queue.queue_notice`); before
each delivery run the routes copy the recent ones (written within ``window``) to their channels, under the
same natural key plus the channel, so a re-run writes nothing twice. A notice routed "instead of e-mail"
has its never-attempted e-mail cancelled, with the reason. A route added today reaches the notices of
the last ``window``, never the whole history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import jinja2
from perfrules.engine.notices.channels.routes import Routes
from perfrules.engine.notices.contexts import CONTEXTS
from perfrules.engine.notices.message import message_id_for
from perfrules.engine.notices.templating import render_template
from perfrules.storage import Database
from perfrules.storage.outbox import NewMessage, OutboxEntry, find_person, insert_message
from perfrules.storage.outbox_channels import hold_back_email, routable, routed_keys

log = logging.getLogger("perfrules.notices")
WINDOW = timedelta(days=1)


@dataclass
class FanOutReport:
    """What one fan-out did: chat rows written, e-mails held back (routed instead of e-mail)."""

    written: int = 0
    held_back: int = 0


def chat_template(kind: str, locale: str) -> str:
    return f"chat/{kind}.{locale}.md.j2"


def render_chat(env: jinja2.Environment, kind: str, context: dict) -> str:
    """The chat (markdown) text of a notice, from the context stored with its e-mail."""
    notice = CONTEXTS[kind].model_validate(context)
    return render_template(env, chat_template(kind, notice.recipient.locale), notice).strip()


def fan_out(
    db: Database, env: jinja2.Environment, routes: Routes, *, now: datetime, domain: str, window: timedelta = WINDOW
) -> FanOutReport:
    report = FanOutReport()
    if not routes.routes:
        return report
    since = now - window
    have = {channel: routed_keys(db, channel, since=since) for channel in routes.channels}
    for entry in routable(db, sorted(routes.kinds), since=since):
        person = find_person(db, entry.key.recipient_id)
        department = person.department if person else ""
        target = routes.target(entry.key.kind, entry.key.recipient_id, department)
        bare = (entry.key.rule_id, entry.key.recipient_id, entry.key.period, entry.key.kind, entry.key.slot)
        for channel in target.channels:
            if bare not in have[channel]:
                report.written += _copy(db, env, entry, channel, now=now, domain=domain)
                have[channel].add(bare)
        if target.channels and not target.email and entry.status == "pending" and entry.attempts == 0:
            reason = f"sent to {', '.join(target.channels)} instead of e-mail ({routes.file})"
            if hold_back_email(db, entry.id, reason=reason):
                report.held_back += 1
    return report


def _copy(
    db: Database, env: jinja2.Environment, entry: OutboxEntry, channel: str, *, now: datetime, domain: str
) -> int:
    key = replace(entry.key, channel=channel)
    message = NewMessage(
        key=key,
        local_day=entry.local_day,
        message_id=message_id_for(key, domain),
        to_addr=channel,
        locale=entry.locale,
        subject=entry.subject,
        text_body=render_chat(env, entry.key.kind, entry.context),
        html_body="",
        context=entry.context,
        not_before=max(entry.next_attempt_at, now) if entry.status == "pending" else now,
    )
    _, created = insert_message(db, message, now=now)
    if created:
        log.info("notice %s copied to %s", entry.key, channel, extra={"outbox_key": str(key)})
    return int(created)
