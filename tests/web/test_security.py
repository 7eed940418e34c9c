"""Sign-in throttling and locks, CSRF on state-changing requests, security headers, Secure cookies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from perfrules.engine.cli import cli
from perfrules.engine.settings import load_settings
from perfrules.engine.web.app import create_app
from perfrules.storage import access

from tests.web.conftest import csrf_of
from tests.web.support import NOW, PASSWORD


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def clocked(company, database_url, clock):
    settings = load_settings({"database_url": database_url}, environ={"PERFRULES_DEFAULT_LOCALE": "en"})
    return create_app(settings, db=company, clock=clock)


def _attempt(client: TestClient, username: str, password: str):
    client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "next": "/", "csrf": csrf_of(client)},
        follow_redirects=False,
    )


def test_failures_bring_a_growing_delay_then_a_lock_that_hr_lifts(clocked, company, clock, runner, database_url):
    client = TestClient(clocked)
    for _ in range(5):
        assert _attempt(client, "hr", "wrong").status_code == 401
        clock.now += timedelta(milliseconds=10)
    held = _attempt(client, "hr", PASSWORD)  # the right password during the delay does not sign in
    assert held.status_code == 429 and held.headers["retry-after"] == "1" and "try again in 1 s" in held.text
    delays = []
    for _ in range(5):  # failures 6..10: each waits out the previous delay first
        clock.now += timedelta(seconds=2 ** len(delays))
        assert _attempt(client, "hr", "wrong").status_code == 401
        delays.append(int(_attempt(client, "hr", "wrong").headers["retry-after"]))
    assert delays[:4] == [2, 4, 8, 16] and delays[4] == 15 * 60  # the tenth failure locks for 15 minutes
    clock.now += timedelta(minutes=5)
    locked = _attempt(client, "hr", PASSWORD)
    assert locked.status_code == 429 and "ask HR to unlock" in locked.text
    actions = [e.action for e in access.audit_entries(company, limit=100) if e.target == "hr"]
    assert actions.count("sign_in.failure") == 10 and actions.count("sign_in.lock") == 1
    assert "sign_in.refused" in actions and "sign_in" not in actions
    assert all(e.actor == "ip:testclient" for e in access.audit_entries(company, action="sign_in.failure"))

    result = runner.invoke(cli, ["--database-url", database_url, "users", "unlock", "hr"])
    assert result.exit_code == 0, result.output
    assert _attempt(client, "hr", PASSWORD).status_code == 303
    assert access.audit_entries(company, limit=1, action="sign_in")[0].target == "hr"


def test_one_account_being_attacked_does_not_lock_another(clocked, clock):
    client = TestClient(clocked)
    for _ in range(5):
        _attempt(client, "wang", "wrong")
    assert _attempt(client, "li", PASSWORD).status_code == 303


def test_state_changing_requests_need_the_csrf_token(sign_in, app):
    hr = sign_in("hr")
    assert hr.post("/logout").status_code == 403  # cookie-authenticated, no token
    assert hr.post("/logout", data={"csrf": "forged"}).status_code == 403
    assert hr.get("/people").status_code == 200  # still signed in
    assert hr.post("/logout", data={"csrf": csrf_of(hr)}, follow_redirects=False).status_code == 303
    fresh = TestClient(app)
    assert fresh.post("/login", data={"username": "hr", "password": PASSWORD}).status_code == 403
    api = sign_in("hr").post("/api/v1/evaluations", json={"period": "2026-02"})
    assert api.status_code == 403  # a browser session calling the API sends X-CSRF-Token


def test_an_api_call_without_token_or_session_is_told_to_sign_in_not_about_csrf(app, company):
    fresh = TestClient(app)
    push = fresh.post("/api/v1/facts/departments", content=b"code,name_en,name_zh\nops,Ops,x\n")
    evaluation = fresh.post("/api/v1/evaluations", json={"period": "2026-02"})
    assert (push.status_code, evaluation.status_code) == (401, 401)
    assert "CSRF" not in push.text and "CSRF" not in evaluation.text
    assert "ops" not in {d.code for d in access.departments(company)}
    assert fresh.post("/logout").status_code == 403  # a page still needs the token, signed in or not


def test_an_authorization_header_of_another_scheme_does_not_spare_a_session_the_csrf_check(sign_in):
    hr = sign_in("hr")
    r = hr.post("/api/v1/evaluations", json={"period": "2026-02"}, headers={"Authorization": "Basic aHI6ZGVtbw=="})
    assert r.status_code == 403 and "CSRF" in r.text


def test_a_form_sent_as_multipart_is_checked_and_reaches_its_page_whole(app):
    """The middleware reads the body to find the token; the page still gets every field of it."""
    client = TestClient(app)
    client.get("/login")
    fields = {"username": "hr", "password": PASSWORD, "next": "/people"}
    parts = {name: (None, value) for name, value in fields.items()}
    assert client.post("/login", files=parts | {"csrf": (None, "forged")}).status_code == 403
    signed_in = client.post("/login", files=parts | {"csrf": (None, csrf_of(client))}, follow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/people"
    assert client.get("/people").status_code == 200


def test_every_page_carries_the_security_headers(sign_in):
    for path in ("/login", "/dashboard", "/api/v1/findings?period=2026-02", "/static/style.css"):
        headers = sign_in("hr").get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize(
    ("settings", "secure"),
    [({}, False), ({"public_url": "https://perfrules.example.com"}, True), ({"secure_cookies": "always"}, True)],
)
def test_cookies_are_secure_behind_tls(company, database_url, settings, secure):
    """Plain http between the TLS proxy and perfrules: public_url or the setting decide the flag."""
    app = create_app(
        load_settings({"database_url": database_url, **settings}, environ={}), db=company, clock=lambda: NOW
    )
    first = TestClient(app).get("/login").headers.get_list("set-cookie")
    csrf = next(c for c in first if c.startswith("perfrules_csrf="))
    assert ("Secure" in csrf) is secure and "HttpOnly" in csrf and "SameSite=strict" in csrf


def test_the_session_cookie_is_secure_over_https(company, database_url):
    app = create_app(load_settings({"database_url": database_url}, environ={}), db=company, clock=lambda: NOW)
    client = TestClient(app, base_url="https://testserver")
    client.get("/login")
    r = client.post(
        "/login",
        data={"username": "hr", "password": PASSWORD, "next": "/", "csrf": csrf_of(client)},
        follow_redirects=False,
    )
    session = next(c for c in r.headers.get_list("set-cookie") if c.startswith("perfrules_session="))
    assert "Secure" in session and "HttpOnly" in session and "SameSite=strict" in session


def test_many_failures_from_one_address_slow_every_account_there(clocked, clock):
    client = TestClient(clocked)
    for n in range(20):
        clock.now += timedelta(seconds=1)
        _attempt(client, f"ghost{n}", "wrong")  # one failure per account: no account is held
    held = _attempt(client, "li", PASSWORD)
    assert held.status_code == 429
