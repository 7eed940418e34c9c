"""Builds the RFC 5322 multipart/alternative e-mail of one outbox entry, with its stable Message-ID."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import format_datetime

from perfrules.storage.outbox import OutboxEntry, OutboxKey


def message_id_for(key: OutboxKey, domain: str) -> str:
    """The Message-ID of ``key``: the same key always gives the same id, so a re-send can be deduplicated."""
    digest = hashlib.sha256(str(key).encode("utf-8")).hexdigest()[:32]
    return f"<{digest}.{key.slot}@{domain}>"


def mail_domain(mail_from: str) -> str:
    return mail_from.rpartition("@")[2] or "perfrules.invalid"


def build_email(entry: OutboxEntry, mail_from: str) -> EmailMessage:
    """Text and HTML alternatives; the Date is the time the notice was written, so a re-send is identical."""
    msg = EmailMessage()
    msg["Subject"] = entry.subject
    msg["From"] = mail_from
    msg["To"] = entry.to_addr
    msg["Date"] = format_datetime(entry.created_at)
    msg["Message-ID"] = entry.message_id
    msg["X-Perfrules-Key"] = str(entry.key)
    msg.set_content(entry.text_body)
    msg.add_alternative(entry.html_body, subtype="html")
    msg["Content-Language"] = entry.locale  # after the body: set_content drops Content-* headers
    return msg
