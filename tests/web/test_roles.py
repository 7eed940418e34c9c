"""Who sees what: every page and endpoint, walked for every role; staff never see a colleague's bonus."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route

from tests.web.support import amount_texts

PARAMS = {
    "employee_id": "E3",
    "kpi_id": "fill_rate",
    "code": "purchasing",
    "kind": "movements",
    "draft_id": "1",
    "file": "purchasing.yaml",
}
QUERY = {"period": "2026-02", "quarter": "2026Q1", "scope_kind": "employee", "scope": "E3"}


def _routes(routes, prefix: str = ""):
    for route in routes:
        if isinstance(route, (APIRoute, Route)):
            yield prefix, route
        elif hasattr(route, "original_router"):  # FastAPI >= 0.16x wraps included routers
            inner = route.original_router
            yield from _routes(inner.routes, prefix + getattr(route, "prefix", ""))


def _get_paths(app) -> list[str]:
    """Every GET route of the app with its path parameters filled in with someone else's ids."""
    paths = []
    for prefix, route in _routes(app.routes):
        if "GET" in (route.methods or ()):
            path = route.path if route.path.startswith(prefix) else prefix + route.path
            paths.append(re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)], path))
    return paths


def _query_variants(path: str) -> list[dict[str, str]]:
    return [QUERY, {**QUERY, "scope_kind": "company", "scope": "company"}, {"period": "2026-02"}, {}]


def test_staff_never_sees_a_colleagues_bonus_on_any_route(app, sign_in):
    wang = sign_in("wang")  # staff E2; colleague E3 has the same manager
    paths = _get_paths(app)
    assert "/employees/E3" in paths and "/api/v1/adjustments" in paths
    for path in paths:
        for query in _query_variants(path):
            r = wang.get(path, params=query)
            for other in ("E1", "E3", "E4"):
                for text in amount_texts(other):
                    assert text not in r.text, f"{path}?{query} shows {other}'s bonus to staff E2"
    own = wang.get("/employees/E2")
    assert own.status_code == 200
    assert any(t in own.text for t in amount_texts("E2"))  # the check above can fail: own amount is shown


def test_staff_is_refused_a_colleagues_pages(sign_in):
    wang = sign_in("wang")
    assert wang.get("/employees/E3").status_code == 403
    assert wang.get("/kpis/fill_rate", params={"scope_kind": "employee", "scope": "E3"}).status_code == 403
    assert wang.get("/dashboard").status_code == 403
    adj = wang.get("/api/v1/adjustments", params={"quarter": "2026Q1"}).json()
    assert {a["employee_id"] for a in adj} == {"E2"}


def test_manager_sees_team_not_outsiders(sign_in):
    boss = sign_in("boss")  # manager E1 of E2 and E3
    ids = {a["employee_id"] for a in boss.get("/api/v1/adjustments", params={"quarter": "2026Q1"}).json()}
    assert ids == {"E1", "E2", "E3"}
    assert boss.get("/employees/E3").status_code == 200
    assert boss.get("/employees/E4").status_code == 403
    dashboard = boss.get("/dashboard", params={"period": "2026-02"})
    assert dashboard.status_code == 200
    assert not any(t in dashboard.text for t in amount_texts("E4"))
    assert any(t in dashboard.text for t in amount_texts("E3"))


def test_hr_sees_everyone(sign_in):
    hr = sign_in("hr")
    ids = {a["employee_id"] for a in hr.get("/api/v1/adjustments", params={"quarter": "2026Q1"}).json()}
    assert ids == {"E1", "E2", "E3", "E4"}
    for path in (
        "/dashboard",
        "/people",
        "/employees/E4",
        "/departments/finance",
        "/audit",
        "/exports",
        "/kpis/fill_rate",
    ):
        assert hr.get(path).status_code == 200, path


@pytest.mark.parametrize("username", ["pay", "erp"])
def test_payroll_and_system_see_no_people(sign_in, username):
    client = sign_in(username)
    for path in (
        "/dashboard",
        "/people",
        "/employees/E2",
        "/api/v1/adjustments?quarter=2026Q1",
        "/api/v1/findings",
        "/audit",
    ):
        assert client.get(path).status_code == 403, path


def test_unauthenticated_requests_are_refused(app):
    client = TestClient(app)
    for path in _get_paths(app):
        if path.startswith(("/login", "/static", "/api/openapi", "/api/docs", "/healthz", "/readyz")):  # public
            continue
        r = client.get(path, params=QUERY, follow_redirects=False)
        assert r.status_code in (401, 303), path
        for text in amount_texts("E2"):
            assert text not in r.text


def test_staff_never_see_a_colleagues_appeal_or_acknowledgement(company, app, sign_in):
    """With a colleague's appeal and acknowledgement on file, no GET route shows them to staff, and no form
    lets staff act on them; managers see their team's appeals, not outsiders'."""
    from perfrules.engine import acknowledgements
    from perfrules.engine.evaluation.appeals import lodge
    from perfrules.engine.web.board import rulebook_of
    from perfrules.storage import evaluation_store

    from tests.web.conftest import csrf_of
    from tests.web.support import NOW

    secret = {}
    for emp in ("E3", "E4"):
        (line,) = evaluation_store.adjustments(company, quarter="2026Q1", employee_id=emp)
        secret[emp] = lodge(company, emp, "line", line["id"], reason=f"secret reason of {emp}", by="t", now=NOW)
    acknowledgements.acknowledge(company, rulebook_of(app.state.settings), "E3", by="user:li", now=NOW, day=NOW.date())
    wang = sign_in("wang")
    for path in _get_paths(app):
        for query in _query_variants(path):
            text = wang.get(path, params=query).text
            assert "secret reason of" not in text, f"{path}?{query} shows a colleague's appeal to staff E2"
            assert "user:li" not in text, f"{path}?{query} shows a colleague's acknowledgement to staff E2"
    token = {"csrf": csrf_of(wang)}
    assert wang.post(f"/me/appeals/{secret['E3'].id}/withdraw", data=token).status_code == 404
    assert wang.post(f"/appeals/{secret['E3'].id}/decision", data={**token, "decision": "reject"}).status_code == 403
    boss = sign_in("boss").get("/appeals").text
    assert "secret reason of E3" in boss and "secret reason of E4" not in boss
    assert "secret reason of E4" in sign_in("hr").get("/appeals").text
