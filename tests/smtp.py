"""The SMTP server of the tests: a real aiosmtpd server on 127.0.0.1 that records what it receives.

It can be stopped and started again on the same port (an outage), refuse chosen recipients for good (550)
or for now (450), and refuse the sender. It records
every envelope (``envelopes``) and, for convenience, one ``Received`` per recipient (``received``). The
``smtp`` fixture gives a started server; build ``SmtpServer()`` yourself for one that never runs."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from perfrules.engine.notices.delivery import SmtpTransport


@dataclass
class Envelope:
    """One SMTP transaction: who sent it, the accepted recipients, the message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Received:
    """What one recipient got (an envelope to two recipients is two of these, same message)."""

    to: str
    message: EmailMessage
    at: datetime | None = None  # free for a test to note when it saw the message (e.g. a frozen clock)


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that records every message; can go down and come back."""

    def __init__(self, *, smtputf8: bool = True) -> None:
        self.smtputf8 = smtputf8  # whether it offers SMTPUTF8 (addresses in non-ASCII characters)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.envelopes: list[Envelope] = []
        self.received: list[Received] = []
        self.refuse: set[str] = set()  # recipients answered with 550
        self.busy: set[str] = set()  # recipients answered with 450 (mailbox busy: try again later)
        self.refuse_sender = False  # MAIL FROM answered with 553
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=self.smtputf8)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def transport(self) -> SmtpTransport:
        """Our real transport, pointed at this server."""
        return SmtpTransport("127.0.0.1", self.port, security="none", timeout=5)

    # aiosmtpd handler hooks

    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:
        if self.refuse_sender:
            return "553 5.7.1 sender address not allowed"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        if address in self.busy:
            return "450 4.2.1 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.envelopes.append(Envelope(envelope.mail_from, list(envelope.rcpt_tos), message))
        self.received.extend(Received(rcpt, message) for rcpt in envelope.rcpt_tos)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A started recording SMTP server, stopped after the test."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
