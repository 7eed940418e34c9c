"""Every route of the OpenAPI document and every page reachable by links, as each role: no 5xx, no
placeholder text. What a role may not use answers 401/403, a bad request 4xx — never a crash."""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urlsplit

import pytest
from fastapi.testclient import TestClient
from perfrules.engine.web import credentials

from tests.web.support import NOW

PLACEHOLDERS = re.compile(r"not available|not implemented|coming soon|TODO|Traceback|lorem ipsum", re.IGNORECASE)
# a value for each path parameter of the API (the small company of tests.web.support)
PATH_VALUES = {
    "kpi_id": "turnover", "kind": "movements", "employee_id": "E2", "code": "purchasing", "appeal_id": "1",
    "draft_id": "1", "file": "purchasing.yaml", "step": "submit",
}  # fmt: skip
QUERY = {"period": "2026-02", "quarter": "2026Q1"}
BODIES = {"/api/v1/evaluations": {"period": "2026-02"}}
HREF = re.compile(r'href="([^"]+)"')


def _token(db, role: str, employee: str | None = None) -> str:
    return credentials.issue_token(db, name=f"walk-{role}", role=role, employee_id=employee, now=NOW, actor="test")


def _api_calls(app) -> list[tuple[str, str, dict]]:
    doc = TestClient(app).get("/api/openapi.json").json()
    calls = []
    for path, ops in doc["paths"].items():
        url = re.sub(r"{(\w+)}", lambda m: PATH_VALUES[m.group(1)], path)
        for method, op in ops.items():
            query = {
                p["name"]: QUERY[p["name"]]
                for p in op.get("parameters", ())
                if p["in"] == "query" and p["name"] in QUERY
            }
            calls.append((method.upper(), url, query))
    return calls


SECTION = re.compile(r'<section id="([\w-]+)">(.*?)</section>', re.DOTALL)
EMPTY = "Nothing to show"
# an empty section that cannot be empty when its neighbour has rows: a bonus line is always explained by a finding
EXPLAINED_BY = {"adjustments": "findings"}


def _check(response, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
    if response.headers.get("content-type", "").startswith(("text/html", "application/json")):
        found = PLACEHOLDERS.search(response.text)
        assert found is None, f"{where}: placeholder text {found.group(0)!r}"
    if response.headers.get("content-type", "").startswith("text/html"):
        sections = dict(SECTION.findall(response.text))
        for full, explaining in EXPLAINED_BY.items():
            if full in sections and explaining in sections and EMPTY not in sections[full]:
                assert EMPTY not in sections[explaining], f"{where}: {explaining!r} says {EMPTY!r} beside {full}"


TOKEN_ROLES = ["token:hr", "token:manager", "token:staff", "token:payroll", "token:system"]


@pytest.mark.parametrize("role", ["hr", "boss", "wang", "li", "pay", *TOKEN_ROLES, "anonymous"])
def test_every_api_route_as_every_role(app, company, sign_in, role):
    if role == "anonymous":
        client, headers = TestClient(app), {}
    elif role.startswith("token:"):
        kind = role.split(":")[1]
        client = TestClient(app)
        employee = {"staff": "E2", "manager": "E1"}.get(kind)
        headers = {"Authorization": f"Bearer {_token(company, kind, employee)}"}
    else:
        client, headers = sign_in(role), {}
    calls = _api_calls(app)
    assert len(calls) >= 10
    for method, url, query in calls:
        if method == "GET":
            r = client.get(url, params=query, headers=headers)
        elif url.startswith("/api/v1/facts/"):
            r = client.post(url, content=b"", headers={**headers, "Content-Type": "text/csv"})
        else:
            r = client.request(method, url, params=query, json=BODIES.get(url, {}), headers=headers)
        _check(r, f"{role} {method} {url}")
        if role == "anonymous" and url.startswith("/api/v1/") and url != "/api/v1/health":
            assert r.status_code in (401, 403), f"{method} {url} answered {r.status_code} without credentials"


@pytest.mark.parametrize("role", ["hr", "boss", "wang", "li", "pay"])
def test_every_page_link_as_every_role(sign_in, role):
    client = sign_in(role)
    seen: set[str] = set()
    queue = ["/"]
    while queue and len(seen) < 150:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        r = client.get(url)
        _check(r, f"{role} GET {url}")
        assert r.status_code in (200, 303, 307, 400, 403, 404), f"{role} GET {url}: {r.status_code}"
        if not r.headers.get("content-type", "").startswith("text/html"):
            continue
        for href in HREF.findall(r.text):
            link = urldefrag(href.replace("&amp;", "&"))[0]
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not link.startswith("/") or link.startswith(("/static/", "/logout")):
                continue
            if link not in seen:
                queue.append(link)
    assert len(seen) > 3, seen
