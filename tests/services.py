"""The real scheduler service for tests: a ManualScheduler (the test drives the clock), the loopback SMTP
server, .eml copies in ``tmp_path``."""

from __future__ import annotations

from pathlib import Path

from perfrules.engine.scheduler.build import build_service
from perfrules.engine.scheduler.service import ManualScheduler, Service
from perfrules.engine.settings import load_settings
from perfrules.storage import Database

from tests.smtp import SmtpServer

MAIL_FROM = "perfrules@shop.example"


def make_service(db: Database, smtp: SmtpServer, tmp_path: Path, rules: Path, *, evaluation: bool = False) -> Service:
    """The service on ``rules``; the evaluation engine only where a test is about it (speed)."""
    settings = load_settings(
        {"database_url": db.url, "rules_dir": str(rules), "timezone": "Asia/Shanghai"},
        environ={
            "PERFRULES_MAIL_FROM": MAIL_FROM,
            "PERFRULES_SMTP_HOST": "127.0.0.1",
            "PERFRULES_OUTBOX_DIR": str(tmp_path / "eml"),
        },
    )
    return build_service(
        settings, db, scheduler=ManualScheduler(), transport_factory=smtp.transport, evaluation=evaluation
    )
