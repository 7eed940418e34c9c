"""Probes and metrics: /healthz, /readyz (database, schema, scheduler heartbeat), /metrics behind a token."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from perfrules.engine.web import credentials
from perfrules.engine.web.app import create_app
from perfrules.storage import connect
from perfrules.storage.outbox import OutboxMessage
from perfrules.storage.schedule import state_set
from prometheus_client.parser import text_string_to_metric_families

from tests.web.support import NOW, settings_for


def _token(db, role: str) -> dict[str, str]:
    secret = credentials.issue_token(db, name=f"t-{role}", role=role, employee_id=None, now=NOW, actor="test")
    return {"Authorization": f"Bearer {secret}"}


def test_healthz_answers_without_signing_in(app):
    r = TestClient(app).get("/healthz")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


def test_readyz_reports_the_schema_and_the_scheduler_heartbeat(app, company):
    client = TestClient(app)
    first = client.get("/readyz").json()
    assert first["status"] == "ready" and first["scheduler"] == {
        "leader": None,
        "heartbeat_age_seconds": None,
        "fresh": False,
    }
    state_set(company, "leader", value="host-a:123", at=NOW - timedelta(seconds=12))
    beat = client.get("/readyz").json()["scheduler"]
    assert beat == {"leader": "host-a:123", "heartbeat_age_seconds": 12.0, "fresh": True}
    state_set(company, "leader", value="host-a:123", at=NOW - timedelta(minutes=5))
    assert client.get("/readyz").json()["scheduler"]["fresh"] is False


def test_readyz_is_503_on_a_database_without_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    app = create_app(settings_for(url), db=connect(url), clock=lambda: NOW)
    r = TestClient(app).get("/readyz")
    assert r.status_code == 503
    assert r.json()["status"] == "unready" and "perfrules db upgrade" in r.json()["database"]


def test_metrics_need_a_system_or_hr_token(app, company):
    client = TestClient(app)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=_token(company, "payroll")).status_code == 403
    r = client.get("/metrics", headers=_token(company, "system"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")


def test_metrics_read_the_store_and_time_the_routes(app, company):
    client = TestClient(app)
    headers = _token(company, "system")
    client.get("/healthz")
    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics", headers=headers).text)}
    findings = {s.labels["kind"]: s.value for s in families["perfrules_findings"].samples}
    assert findings == {"breach": 4.0}  # the web test company: one breach per employee
    runs = {s.labels["status"]: s.value for s in families["perfrules_evaluations"].samples if s.name.endswith("_total")}
    assert runs == {"done": 1.0}
    assert families["perfrules_scheduler_heartbeat_age_seconds"].samples[0].value == -1.0
    latency = [
        s for s in families["perfrules_http_request_duration_seconds"].samples
        if s.name.endswith("_count") and s.labels["route"] == "/healthz"
    ]  # fmt: skip
    assert latency and latency[0].value == 1.0 and latency[0].labels["status"] == "2xx"


def test_outbox_metrics_are_per_channel(app, company):
    """Depth by channel and status, the oldest undelivered notice and the failures, for e-mail and each chat
    channel the outbox holds."""
    with company.session() as s:
        base = dict(
            rule_id="r", recipient_id="E2", period="2026-02", kind="reminder", local_day=NOW.date(), to_addr="x@y",
            locale="en", subject="s", text_body="t", html_body="h", context={}, next_attempt_at=NOW,
        )  # fmt: skip
        s.add(OutboxMessage(**base, message_id="<1@x>", created_at=NOW - timedelta(hours=2)))
        s.add(OutboxMessage(**base, message_id="<2@x>", channel="ops-wecom", status="dead", slot=1,
                            last_error="errcode 93000 invalid webhook url", created_at=NOW))  # fmt: skip
    client = TestClient(app)
    text = client.get("/metrics", headers=_token(company, "system")).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    depth = {(x.labels["channel"], x.labels["status"]): x.value for x in families["perfrules_outbox_messages"].samples}
    assert depth == {("email", "pending"): 1.0, ("ops-wecom", "dead"): 1.0}
    oldest = {x.labels["channel"]: x.value for x in families["perfrules_outbox_oldest_undelivered_seconds"].samples}
    assert oldest == {"email": 7200.0, "ops-wecom": 0.0}
    failed = {x.labels["channel"]: x.value for x in families["perfrules_delivery_failures"].samples}
    assert failed == {"email": 0.0, "ops-wecom": 1.0}
