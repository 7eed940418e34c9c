"""Probes and metrics for the people who run the service.

``GET /healthz``: the process answers (no database touched; for liveness probes). ``GET /readyz``: the
database answers and its schema is current (503 otherwise, for load balancers), with the scheduler's leader
and the age of its heartbeat in the body (a stale heartbeat does not make the dashboard unready: alert on
``perfrules_scheduler_heartbeat_age_seconds``). ``GET /metrics``: Prometheus text format, behind a bearer
token of role ``system`` or ``hr`` (figures about people's findings are not for the open network).

Metrics come from two places: what the store holds, read at scrape time (so they are right whichever
process did the work: ``serve``, ``web`` or a CLI run), and the HTTP latency of this process per route.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from perfrules.engine.errors import DatabaseNotReady, PerfRulesError
from perfrules.engine.web.auth import Principal, require
from perfrules.storage import Database
from perfrules.storage.metrics import snapshot
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

router = APIRouter(tags=["operations"])

HEARTBEAT_FRESH_SECONDS = 60.0  # the leader beats every 5 s; a minute of silence means it is gone
DURATION_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


class StoreCollector(Collector):
    """The store's figures as Prometheus metric families, read on each scrape."""

    def __init__(self, db: Database, clock: Callable[[], datetime]):
        self.db, self.clock = db, clock

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily | HistogramMetricFamily]:
        now = self.clock()
        snap = snapshot(self.db, now)
        runs = CounterMetricFamily("perfrules_evaluations", "Evaluation runs by status.", labels=["status"])
        for state, count in sorted(snap.evaluations.items()):
            runs.add_metric([state], count)
        yield runs
        yield _histogram(
            "perfrules_evaluation_duration_seconds",
            "Duration of the evaluations of the last day.",
            snap.evaluation_seconds,
        )
        findings = GaugeMetricFamily("perfrules_findings", "Findings stored, by kind.", labels=["kind"])
        for kind, count in sorted(snap.findings.items()):
            findings.add_metric([kind], count)
        yield findings
        depth = GaugeMetricFamily(
            "perfrules_outbox_messages", "Outbox messages by channel and status.", labels=["channel", "status"]
        )
        channels = sorted({"email", *(c for c, _ in snap.outbox)})
        for (channel, state), count in sorted(snap.outbox.items()):
            depth.add_metric([channel, state], count)
        yield depth
        oldest = GaugeMetricFamily(
            "perfrules_outbox_oldest_undelivered_seconds",
            "Age of the oldest notice not delivered yet (0 when none), by channel.",
            labels=["channel"],
        )
        for channel in channels:
            oldest.add_metric([channel], snap.oldest_undelivered_seconds.get(channel, 0.0))
        yield oldest
        failures = GaugeMetricFamily(
            "perfrules_delivery_failures", "Notices whose last delivery attempt failed, by channel.", labels=["channel"]
        )
        for channel in channels:
            failures.add_metric([channel], snap.delivery_failures.get(channel, 0))
        yield failures
        rows = CounterMetricFamily("perfrules_imported_rows", "Rows imported, by kind of fact.", labels=["kind"])
        for kind, count in sorted(snap.imported_rows.items()):
            rows.add_metric([kind], count)
        yield rows
        lag = GaugeMetricFamily(
            "perfrules_scheduler_lag_seconds", "Worst delay between a slot's time and its run, over the last day."
        )
        lag.add_metric([], snap.scheduler_lag_seconds or 0.0)
        yield lag
        age = GaugeMetricFamily(
            "perfrules_scheduler_heartbeat_age_seconds", "Seconds since the scheduler's leader last beat (-1: never)."
        )
        age.add_metric([], -1.0 if snap.heartbeat is None else (now - snap.heartbeat[1]).total_seconds())
        yield age


def _histogram(name: str, documentation: str, values: list[float]) -> HistogramMetricFamily:
    buckets = [(str(b), sum(1 for v in values if v <= b)) for b in DURATION_BUCKETS]
    buckets.append(("+Inf", len(values)))
    return HistogramMetricFamily(name, documentation, buckets=buckets, sum_value=sum(values))


def install(app) -> None:
    """Give ``app`` its own metrics registry (store collector + HTTP latency) and the timing middleware."""
    registry = CollectorRegistry()
    registry.register(StoreCollector(app.state.db, app.state.clock))
    latency = Histogram(
        "perfrules_http_request_duration_seconds",
        "HTTP request latency of this process, by route template and status class.",
        ["method", "route", "status"],
        registry=registry,
    )
    app.state.metrics = registry
    app.add_middleware(Timed, latency=latency)


class Timed:
    """Observes each HTTP request's latency by route template and status class (plain ASGI middleware)."""

    def __init__(self, app: ASGIApp, latency: Histogram):
        self.app, self.latency = app, latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # an app that raises before it answers

        async def send_timed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_timed)
        finally:
            template = getattr(scope.get("route"), "path", "unmatched")
            self.latency.labels(scope["method"], template, f"{status // 100}xx").observe(time.perf_counter() - start)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up (touches nothing else)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Ready to serve: the database answers and its schema is current (else 503). Reports the scheduler's
    leader and heartbeat age, which do not decide readiness."""
    db: Database = request.app.state.db
    now = request.app.state.clock()
    body: dict = {"database": "ok"}
    try:
        db.require_current()
        snap = snapshot(db, now)
    except DatabaseNotReady as exc:
        return JSONResponse({"status": "unready", "database": str(exc)}, status_code=503)
    except PerfRulesError as exc:
        return JSONResponse({"status": "unready", "database": str(exc)}, status_code=503)
    except Exception as exc:  # a database that does not answer: the probe says so instead of a 500
        return JSONResponse({"status": "unready", "database": f"unreachable: {type(exc).__name__}"}, status_code=503)
    if snap.heartbeat is None:
        body["scheduler"] = {"leader": None, "heartbeat_age_seconds": None, "fresh": False}
    else:
        leader, at = snap.heartbeat
        age = (now - at).total_seconds()
        body["scheduler"] = {
            "leader": leader,
            "heartbeat_age_seconds": round(age, 1),
            "fresh": age <= HEARTBEAT_FRESH_SECONDS,
        }
    return JSONResponse({"status": "ready", **body})


@router.get("/metrics")
def metrics(request: Request, who: Principal = Depends(require("metrics"))) -> Response:
    """Prometheus text format (bearer token of role system or hr)."""
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)
