"""Delivering the outbox: claim, send over SMTP (or write an .eml file), mark sent; retry with backoff.

The guarantee. Each message is claimed (``sending``, a claim token and the time) in its own committed
transaction before the SMTP transaction, and marked ``sent`` after the server accepted it. Two workers
never send the same claimed message. If the process dies between the server's acceptance and the
``sent`` mark, the message stays ``sending``; once its claim is older than the lease, the next run
sends it again, with the SAME Message-ID and Date, so the receiving mail system / archive can drop the
duplicate. That crash window is the only way a message goes out twice; no message is ever lost.

The .eml fallback (no ``smtp_host``) has the same semantics and no duplicate at all: the file name is
the natural key, the file is written under a temporary name and hard-linked into place, and a file that
is already there counts as delivered.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

import jinja2
from perfrules.engine.errors import PerfRulesError
from perfrules.engine.notices.message import build_email, mail_domain
from perfrules.engine.notices.queue import compose_digests
from perfrules.storage import Database
from perfrules.storage.outbox import OutboxEntry, claim, due_ids, mark_failed, mark_sent

log = logging.getLogger("perfrules.notices")


class DeliveryError(PerfRulesError):
    """Raised by a transport when one message could not be delivered; it is retried with backoff."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class PermanentDeliveryError(DeliveryError):
    """Raised by a transport when the server refused a message for good (5xx): it goes ``dead`` at once."""


class TransportUnavailable(DeliveryError):
    """Raised by a transport when the server cannot be reached: the run stops and retries later."""


@dataclass(frozen=True)
class DeliveryPolicy:
    """Retry and lease parameters, the same for the service and ``perfrules outbox send``. The n-th failed
    attempt waits ``first_delay × 2^(n−1)``, capped at ``max_delay``: 24 attempts span about four days."""

    max_attempts: int = 24
    first_delay: timedelta = timedelta(minutes=1)
    max_delay: timedelta = timedelta(hours=6)
    lease: timedelta = timedelta(minutes=15)
    batch_size: int = 500

    def retry_delay(self, attempts: int) -> timedelta:
        return min(self.first_delay * (2 ** max(0, attempts - 1)), self.max_delay)


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    digests: int = 0
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    dead: list[int] = field(default_factory=list)
    stopped: str | None = None  # why the run stopped early (server unreachable)


class Transport(Protocol):
    """Hands one e-mail over. Raises :class:`DeliveryError` (or a subclass) when it cannot."""

    def send(self, message: EmailMessage, entry: OutboxEntry) -> None: ...

    def close(self) -> None: ...


class SmtpTransport:
    """SMTP over one connection per delivery run (plain, STARTTLS or implicit TLS)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "starttls",
        username: str = "",
        password: str = "",
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ):
        self.host, self.port, self.security = host, port, security
        self.username, self._password, self.timeout = username, password, timeout
        self.ssl_context = ssl_context or ssl.create_default_context()
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=self.ssl_context
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.security == "starttls":
                    smtp.starttls(context=self.ssl_context)
            if self.username:
                smtp.login(self.username, self._password)
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportUnavailable(f"cannot reach SMTP server {self.host}:{self.port}: {exc}") from None
        return smtp

    def send(self, message: EmailMessage, entry: OutboxEntry) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message, to_addrs=[entry.to_addr])
        except smtplib.SMTPRecipientsRefused as exc:
            answers = list(exc.recipients.values())
            error = PermanentDeliveryError if all(code >= 500 for code, _ in answers) else DeliveryError
            raise error("recipient refused: " + "; ".join(_answer(*a) for a in answers)) from None
        except smtplib.SMTPSenderRefused as exc:
            # The server refuses our own sender (mail_from): a setting to fix, not this message's fault.
            self.close()
            raise TransportUnavailable(f"sender refused: {_answer(exc.smtp_code, exc.smtp_error)}") from None
        except smtplib.SMTPResponseException as exc:
            self._reset()
            error = PermanentDeliveryError if exc.smtp_code >= 500 else DeliveryError
            raise error(f"server answered {_answer(exc.smtp_code, exc.smtp_error)}") from None
        except smtplib.SMTPNotSupportedError as exc:
            # An address in non-ASCII characters needs SMTPUTF8, which this server does not offer.
            raise PermanentDeliveryError(f"the server cannot take this address: {exc}") from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TransportUnavailable(f"SMTP connection lost: {exc}") from None

    def _reset(self) -> None:
        """Abort a half-done transaction so the connection can carry the next message."""
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None


def _answer(code: int, text: bytes | str) -> str:
    """A server's answer as the log and ``outbox list`` show it: the code and its text, never the address."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


class EmlTransport:
    """Writes each e-mail as ``<natural key>.eml`` into a folder; never writes a file twice."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def path_for(self, entry: OutboxEntry) -> Path:
        k = entry.key
        parts = [k.rule_id, k.recipient_id, k.period, k.kind, str(k.slot)]
        return self.folder / ("__".join(re.sub(r"[^A-Za-z0-9._-]", "_", p) for p in parts) + ".eml")

    def send(self, message: EmailMessage, entry: OutboxEntry) -> None:
        final = self.path_for(entry)
        if final.exists():  # written before a crash that came before the 'sent' mark
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
            with open(temp, "wb") as out:
                out.write(message.as_bytes())
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(temp, final)  # atomic, and fails rather than overwrite
            except FileExistsError:
                pass
            finally:
                temp.unlink()
        except OSError as exc:
            raise TransportUnavailable(f"cannot write {final}: {exc}") from None

    def close(self) -> None:
        pass


def transport_from_settings(settings: Any) -> SmtpTransport | EmlTransport:
    """SMTP when ``smtp_host`` is set, otherwise .eml files in ``outbox_dir``."""
    if not settings.smtp_host:
        return EmlTransport(settings.outbox_dir)
    return SmtpTransport(
        settings.smtp_host,
        settings.smtp_port,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password,
    )


def deliver(
    db: Database,
    env: jinja2.Environment,
    transport: Transport,
    *,
    now: datetime,
    mail_from: str,
    policy: DeliveryPolicy = DeliveryPolicy(),
) -> DeliveryReport:
    """Fold digests, then attempt every due message once (oldest first)."""
    report = DeliveryReport()
    try:
        report.digests = len(compose_digests(db, env, now=now, domain=mail_domain(mail_from)))
    except Exception:  # a digest that cannot be built must not hold back the notices it would fold
        log.exception("daily digests could not be composed; the notices go out one by one")
    try:
        for message_id in due_ids(db, now=now, lease=policy.lease, limit=policy.batch_size):
            token = uuid.uuid4().hex
            entry = claim(db, message_id, token, now=now, lease=policy.lease)
            if entry is None:  # another worker claimed it first
                continue
            if not _attempt(db, transport, entry, token, now, mail_from, policy, report):
                break
    finally:
        transport.close()
    return report


def _attempt(
    db: Database,
    transport: Transport,
    entry: OutboxEntry,
    token: str,
    now: datetime,
    mail_from: str,
    policy: DeliveryPolicy,
    report: DeliveryReport,
) -> bool:
    """One attempt at one claimed message; False when the run should stop (server unreachable). A message
    that cannot even be built (an address or header no mail system accepts) goes ``dead`` with the reason,
    and the run goes on with the others."""
    try:
        message = build_email(entry, mail_from)
    except ValueError as exc:
        failure: DeliveryError | None = PermanentDeliveryError(f"cannot build the e-mail: {exc}")
    else:
        failure = attempt(lambda: transport.send(message, entry), entry)
    if failure is not None:
        return settle_failure(db, entry, token, failure, now=now, policy=policy, report=report)
    settle_sent(db, entry, token, now=now, report=report)
    return True


def attempt(send: Callable[[], None], entry: OutboxEntry) -> DeliveryError | None:
    """Run one send of any channel; its failure as a :class:`DeliveryError`. An error no transport
    foresaw (a bug, a library surprise) is logged with its traceback and retried like any failure, so
    the message never stays claimed and the rest of the run goes on."""
    try:
        send()
    except DeliveryError as exc:
        return exc
    except Exception as exc:
        log.exception("notice #%d: unexpected error while sending", entry.id, extra=log_context(entry))
        return DeliveryError(f"unexpected error: {type(exc).__name__}: {exc}")
    return None


def log_context(entry: OutboxEntry) -> dict[str, str]:
    """The fields every delivery log line carries."""
    return {"outbox_key": str(entry.key), "employee_id": entry.key.recipient_id, "rule_id": entry.key.rule_id}


def settle_failure(
    db: Database,
    entry: OutboxEntry,
    token: str,
    exc: DeliveryError,
    *,
    now: datetime,
    policy: DeliveryPolicy,
    report: DeliveryReport,
) -> bool:
    """Record a failed attempt of any channel — retried with backoff, or ``dead`` when refused for good or
    out of attempts — and log it. Returns whether the run goes on (False: the transport is unreachable)."""
    dead = isinstance(exc, PermanentDeliveryError) or entry.attempts >= policy.max_attempts
    mark_failed(db, entry.id, token, error=exc.reason, retry_at=now + policy.retry_delay(entry.attempts), dead=dead)
    (report.dead if dead else report.failed).append(entry.id)
    log.warning(
        "notice #%d %s after attempt %d: %s",
        entry.id,
        "given up" if dead else "not delivered, will retry",
        entry.attempts,
        exc.reason,
        extra={**log_context(entry), "status": "dead" if dead else "failed"},
    )
    if isinstance(exc, TransportUnavailable):
        report.stopped = exc.reason
        return False
    return True


def settle_sent(db: Database, entry: OutboxEntry, token: str, *, now: datetime, report: DeliveryReport) -> None:
    """Record a delivered message (of any channel) and log it."""
    mark_sent(db, entry.id, token, now=now)
    report.sent.append(entry.id)
    log.info("notice #%d sent via %s", entry.id, entry.key.channel, extra={**log_context(entry), "status": "sent"})
