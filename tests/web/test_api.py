"""The HTTP API: bearer tokens, the OpenAPI document, the audit log of changes and exports."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from freezegun import freeze_time
from perfrules.engine.cli import cli
from perfrules.engine.web import credentials
from perfrules.engine.web.app import create_app
from perfrules.storage import access
from perfrules.storage import evaluation_store as store

from tests.web.conftest import csrf_of
from tests.web.support import NOW, settings_for


def _token(db, name: str, role: str, employee: str | None = None) -> str:
    return credentials.issue_token(db, name=name, role=role, employee_id=employee, now=NOW, actor="test")


def test_bearer_token_identifies_the_system_and_is_stored_hashed(app, company):
    secret = _token(company, "erp", "system")
    client = TestClient(app)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()
    assert me == {"name": "erp", "kind": "token", "role": "system", "employee_id": None}
    assert all(secret not in repr(t) for t in access.list_tokens(company))
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer pr_wrong"}).status_code == 401


def test_revoked_token_is_refused(app, company):
    secret = _token(company, "erp", "system")
    access.revoke_token(company, name="erp", now=NOW, actor="test")
    assert TestClient(app).get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert [e.action for e in access.audit_entries(company, limit=2)] == ["token.revoke", "token.create"]


def test_staff_token_sees_only_its_employee(app, company):
    secret = _token(company, "kiosk", "staff", "E2")
    rows = (
        TestClient(app)
        .get("/api/v1/adjustments", params={"quarter": "2026Q1"}, headers={"Authorization": f"Bearer {secret}"})
        .json()
    )
    assert [r["employee_id"] for r in rows] == ["E2"]


def test_openapi_document_lists_the_api(app):
    doc = TestClient(app).get("/api/openapi.json").json()
    for path in (
        "/api/v1/facts/{kind}",
        "/api/v1/kpis",
        "/api/v1/kpis/{kpi_id}/rows",
        "/api/v1/findings",
        "/api/v1/adjustments",
        "/api/v1/deadlines",
        "/api/v1/evaluations",
        "/api/v1/payroll-export",
    ):
        assert path in doc["paths"], path
    assert not any(p.startswith(("/dashboard", "/employees")) for p in doc["paths"])


def test_kpis_are_read_with_status_for_each_catalog_kpi(app, company):
    secret = _token(company, "bi", "hr")
    rows = (
        TestClient(app)
        .get("/api/v1/kpis", params={"period": "2026-02"}, headers={"Authorization": f"Bearer {secret}"})
        .json()
    )
    assert {r["kpi"] for r in rows} >= {"fill_rate", "turnover", "capital_occupation"}
    assert all(r["status"] in ("met", "warning", "not_met", "no_data") for r in rows)


def test_fact_push_needs_the_push_role(app, company):
    staff = _token(company, "kiosk", "staff", "E2")
    r = TestClient(app).post(
        "/api/v1/facts/departments",
        content=b"code,name_en,name_zh\nx,X,X\n",
        headers={"Authorization": f"Bearer {staff}", "Content-Type": "text/csv"},
    )
    assert r.status_code == 403


def test_bad_period_is_a_400_not_a_traceback(sign_in):
    r = sign_in("hr").get("/api/v1/kpis", params={"period": "last month"})
    assert r.status_code == 400 and "not a period" in r.json()["detail"]


def test_sign_in_is_recorded_and_wrong_password_refused(app, company):
    client = TestClient(app)
    client.get("/login")
    form = {"next": "/", "csrf": csrf_of(client)}
    r = client.post("/login", data={"username": "hr", "password": "nope", **form}, follow_redirects=False)
    assert r.status_code == 401 and "Wrong user name or password" in r.text
    r = client.post("/login", data={"username": "ghost", "password": "nope", **form}, follow_redirects=False)
    assert r.status_code == 401
    assert not [e for e in access.audit_entries(company) if e.action == "sign_in"]


def test_sign_in_redirects_only_to_local_paths(app):
    from tests.web.support import PASSWORD

    client = TestClient(app)
    client.get("/login")
    r = client.post(
        "/login",
        data={"username": "hr", "password": PASSWORD, "next": "//evil.example/", "csrf": csrf_of(client)},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_sign_out_ends_the_session(sign_in):
    hr = sign_in("hr")
    assert hr.get("/people").status_code == 200
    hr.post("/logout", data={"csrf": csrf_of(hr)})
    assert hr.get("/people", follow_redirects=False).status_code == 303


def test_fact_push_imports_all_or_nothing_and_is_audited(app, company):
    erp = _token(company, "erp", "system")
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {erp}", "Content-Type": "text/csv"}
    good = "code,name_en,name_zh\nwarehouse,Warehouse,仓储\nplanning,Planning,计划\n".encode()
    r = client.post("/api/v1/facts/departments", content=good, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["inserted"] == 2
    bad = "code,name_en,name_zh\nops,Operations,运营\nhr,,人事\n".encode()
    r = client.post("/api/v1/facts/departments", content=bad, headers=headers)
    assert r.status_code == 422
    assert any("name_en" in line for line in r.json()["detail"]["errors"])
    codes = {d.code for d in access.departments(company)}
    assert "warehouse" in codes and "ops" not in codes  # the bad file changed nothing
    assert [e.actor for e in access.audit_entries(company, action="facts.import")] == ["token:erp"]
    assert client.post("/api/v1/facts/nonsense", content=good, headers=headers).status_code == 404


def test_an_evaluation_is_triggered_through_the_api_and_a_rerun_changes_nothing(app, company):
    hr = {"Authorization": f"Bearer {_token(company, 'ops', 'hr')}"}
    client = TestClient(app)
    first = client.post("/api/v1/evaluations", json={"period": "2026-02"}, headers=hr)
    assert first.status_code == 200, first.text
    [month] = first.json()["months"]
    # nobody handed in January's slow-mover list (due 5 February): the bundled rulebook finds it missing
    assert (month["month"], month["repeat"]) == ("2026-02", False) and month["findings"] > 0
    assert month["run_id"] in {r["id"] for r in store.runs(company, "2026-02")}
    again = client.post("/api/v1/evaluations", json={"period": "2026-02"}, headers=hr).json()["months"][0]
    assert (again["run_id"], again["repeat"], again["findings"]) == (month["run_id"], True, month["findings"])
    quarter = client.post("/api/v1/evaluations", json={"period": "2026Q1"}, headers=hr).json()
    assert [m["month"] for m in quarter["months"]] == ["2026-01", "2026-02", "2026-03"]
    assert client.post("/api/v1/evaluations", json={"period": "2026"}, headers=hr).status_code == 400
    staff = {"Authorization": f"Bearer {_token(company, 'kiosk', 'staff', 'E2')}"}
    assert client.post("/api/v1/evaluations", json={"period": "2026-02"}, headers=staff).status_code == 403
    runs = [e for e in access.audit_entries(company) if e.action == "evaluation.run"]
    assert [e.target for e in reversed(runs)] == ["2026-02", "2026-02", "2026Q1"]
    assert {e.actor for e in runs} == {"token:ops"}


def test_a_token_created_with_an_expiry_stops_working_then(app, company, runner, database_url):
    """``perfrules tokens create NAME --expires-in 90d``: accepted until then, 401 after; listed as EXPIRED."""
    with freeze_time(NOW):
        out = runner.invoke(cli, ["--database-url", database_url, "tokens", "create", "erp", "--expires-in", "90d"])
    assert out.exit_code == 0, out.output
    secret = out.stdout.strip().splitlines()[0]
    assert "valid until 2026-06-08" in out.output
    headers = {"Authorization": f"Bearer {secret}"}
    assert TestClient(app).get("/api/v1/me", headers=headers).status_code == 200
    later = create_app(settings_for(database_url), db=company, clock=lambda: NOW + timedelta(days=90, seconds=1))
    assert TestClient(later).get("/api/v1/me", headers=headers).status_code == 401
    with freeze_time(NOW + timedelta(days=91)):
        listed = runner.invoke(cli, ["--database-url", database_url, "tokens", "list"]).output
    assert "erp" in listed and "expires 2026-06-08" in listed and "EXPIRED" in listed
    bad = runner.invoke(cli, ["--database-url", database_url, "tokens", "create", "x", "--expires-in", "soon"])
    assert bad.exit_code == 2 and "--expires-in" in bad.output
