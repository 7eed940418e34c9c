"""The functions APScheduler calls. They are stored in the job store by name (``perfrules.engine.scheduler.jobs:…``)
with plain arguments, so they find the running :class:`~engine.scheduler.service.Service` here.

Only these functions (and the CLI) read the clock: each takes ``now`` from the service.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol


class Service(Protocol):
    """What the job functions need of :class:`~engine.scheduler.service.Service` (which activates itself)."""

    runner: Any

    def now(self) -> datetime: ...
    def deliver(self, now: datetime) -> None: ...
    def check_rulebook(self, now: datetime) -> bool: ...


log = logging.getLogger("perfrules.scheduler")

_active: Service | None = None


def activate(service: Service) -> None:
    """Make ``service`` the one the job functions of this process act for (one scheduler per process)."""
    global _active
    _active = service


def deactivate(service: Service) -> None:
    global _active
    if _active is service:
        _active = None


def _service() -> Service:
    if _active is None:
        raise RuntimeError("no perfrules scheduler service is active in this process")
    return _active


def run_slots(kind: str) -> None:
    """Run the due slots of ``kind`` (an APScheduler fire is only a wake-up; the database decides)."""
    service = _service()
    service.runner.run_due(service.now(), kinds=[kind])


def deliver_outbox() -> None:
    """Deliver the due outbox messages (every minute)."""
    service = _service()
    service.deliver(service.now())


def replan() -> None:
    """Hourly: pick up a changed rulebook, extend the slot jobs, and retry failed or missed slots."""
    service = _service()
    now = service.now()
    service.check_rulebook(now)
    service.runner.run_due(now)
