"""The life of one ``perfrules serve`` process: lead or stand by, run the service while leading, check the
rulebook for edits, and step down cleanly on a stop signal or when the lock is lost."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from perfrules.engine.rulebook.watch import ReloadResult, watch
from perfrules.engine.scheduler.leadership import (
    HEARTBEAT_SECONDS,
    RETRY_SECONDS,
    Leadership,
    SchedulerLocked,
    identity,
)
from perfrules.engine.scheduler.service import Service
from perfrules.storage.schedule import state_set

log = logging.getLogger("perfrules.scheduler")

LEADER = "leader"


def serve(
    make_service: Callable[[], Service],
    leadership: Leadership,
    stop: threading.Event,
    *,
    retry_seconds: float = RETRY_SECONDS,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> None:
    """Run until ``stop`` is set. Standbys retry the lock every ``retry_seconds``; the leader checks the
    lock every ``heartbeat_seconds`` and follows the rule folder for edits."""
    waiting_logged = False
    while not stop.is_set():
        if not leadership.try_acquire():
            if not leadership.standby:
                holder = getattr(leadership, "holder", lambda: "")()
                raise SchedulerLocked(getattr(leadership, "lock_file"), holder)  # noqa: B009
            if not waiting_logged:
                log.info(
                    "standby: another instance holds the %s; retrying every %gs", leadership.describe(), retry_seconds
                )
                waiting_logged = True
            stop.wait(retry_seconds)
            continue
        waiting_logged = False
        log.info("leader: %s holds the %s", identity(), leadership.describe())
        service = make_service()
        try:
            _lead(service, leadership, stop, heartbeat_seconds)
        finally:
            service.stop()
            leadership.release()
            log.info("scheduler stopped; %s released", leadership.describe())


def _lead(service: Service, leadership: Leadership, stop: threading.Event, heartbeat_seconds: float) -> None:
    service.start(service.now())
    watching = threading.Event()
    watcher = _watch_rules(service, watching)
    try:
        while not stop.wait(heartbeat_seconds):
            if not leadership.still_held():
                log.error("lost the %s (database connection gone?): stepping down", leadership.describe())
                return
            _heartbeat(service, service.now())
    finally:
        watching.set()
        if watcher is not None:
            watcher.join(5)


def _watch_rules(service: Service, stop: threading.Event) -> threading.Thread | None:
    """Follow the rule folder: a valid edit re-derives the schedule at once; a broken one is logged and
    refused by the holder (the hourly ``replan`` job re-checks the folder as well)."""
    holder = getattr(service.rulebook, "holder", None)
    if holder is None:
        return None

    def on_reload(result: ReloadResult) -> None:
        if result.applied and service.scheduler.running:
            service.reconcile(service.now())
            log.info("schedule re-derived from rulebook %s", (result.digest or "")[:12])
        elif not result.applied:
            log.error("the schedule of rulebook %s keeps running", (result.digest or "")[:12])

    thread = threading.Thread(target=watch, args=(holder, stop, on_reload), name="rulebook-watch", daemon=True)
    thread.start()
    return thread


def _heartbeat(service: Service, now: datetime) -> None:
    try:
        state_set(service.db, LEADER, value=identity(), at=now)
    except Exception as exc:  # the lock connection is separate; a failed write is only a missed beat
        log.warning("heartbeat not recorded: %s", exc)
