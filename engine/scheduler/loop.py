"""The life of one ``perfrules serve`` process: lead or stand by, run the service while leading, check the
rulebook for edits, and step down cleanly on a stop signal or when the lock is lost."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from engine.scheduler.leadership import HEARTBEAT_SECONDS, RETRY_SECONDS, Leadership, SchedulerLocked, identity
from engine.scheduler.service import Service
from storage.schedule import state_set

log = logging.getLogger("perfrules.scheduler")

LEADER = "leader"


def serve(make_service: Callable[[], Service], leadership: Leadership, stop: threading.Event, *,
          retry_seconds: float = RETRY_SECONDS, heartbeat_seconds: float = HEARTBEAT_SECONDS,
          reload_every: int = 6) -> None:
    """Run until ``stop`` is set. Standbys retry the lock every ``retry_seconds``; the leader checks the
    lock every ``heartbeat_seconds`` and the rule folder every ``reload_every`` heartbeats."""
    waiting_logged = False
    while not stop.is_set():
        if not leadership.try_acquire():
            if not leadership.standby:
                holder = getattr(leadership, "holder", lambda: "")()
                raise SchedulerLocked(getattr(leadership, "lock_file"), holder)  # noqa: B009
            if not waiting_logged:
                log.info("standby: another instance holds the %s; retrying every %gs",
                         leadership.describe(), retry_seconds)
                waiting_logged = True
            stop.wait(retry_seconds)
            continue
        waiting_logged = False
        log.info("leader: %s holds the %s", identity(), leadership.describe())
        service = make_service()
        try:
            _lead(service, leadership, stop, heartbeat_seconds, reload_every)
        finally:
            service.stop()
            leadership.release()
            log.info("scheduler stopped; %s released", leadership.describe())


def _lead(service: Service, leadership: Leadership, stop: threading.Event, heartbeat_seconds: float,
          reload_every: int) -> None:
    service.start(service.now())
    beats = 0
    while not stop.wait(heartbeat_seconds):
        if not leadership.still_held():
            log.error("lost the %s (database connection gone?): stepping down", leadership.describe())
            return
        now = service.now()
        _heartbeat(service, now)
        beats += 1
        if beats % reload_every == 0:
            service.check_rulebook(now)


def _heartbeat(service: Service, now: datetime) -> None:
    try:
        state_set(service.db, LEADER, value=identity(), at=now)
    except Exception as exc:  # the lock connection is separate; a failed write is only a missed beat
        log.warning("heartbeat not recorded: %s", exc)
