"""perfrules.storage.access: users, tokens, teams and the audit log."""

from __future__ import annotations

import pytest
from perfrules.engine.web import credentials
from perfrules.storage import access

from tests.web.support import NOW


def test_team_follows_the_manager_chain(company):
    assert access.team_of(company, "E1") == {"E1", "E2", "E3"}
    assert access.team_of(company, "E2") == {"E2"}


def test_passwords_are_argon2_hashes(company):
    stored = access.password_hash_of(company, "hr")
    assert stored.startswith("$argon2")
    assert credentials.verify_password(stored, "correct horse battery staple")
    assert not credentials.verify_password(stored, "wrong")
    assert not credentials.verify_password(None, "anything")


def test_duplicate_user_and_unknown_role_are_refused(company):
    with pytest.raises(access.UserExists):
        access.add_user(
            company, username="hr", display_name="x", password_hash="h", role="hr", employee_id=None, now=NOW, actor="t"
        )
    with pytest.raises(access.UnknownRole):
        access.add_user(
            company,
            username="z",
            display_name="x",
            password_hash="h",
            role="boss",
            employee_id=None,
            now=NOW,
            actor="t",
        )
    with pytest.raises(access.NeedsEmployee):
        access.add_user(
            company,
            username="z",
            display_name="x",
            password_hash="h",
            role="staff",
            employee_id=None,
            now=NOW,
            actor="t",
        )


def test_every_change_is_audited_with_its_actor(company):
    access.record(company, now=NOW, actor="user:pay", action="payroll.export", target="2026Q1")
    entries = access.audit_entries(company)
    assert entries[0].action == "payroll.export" and entries[0].actor == "user:pay"
    assert {e.target for e in entries if e.action == "user.add"} >= {"hr", "wang", "boss"}


# --- the rule editor (/rules, /api/v1/rules): HR only ---------------------------------------------------------

RULE_ROUTE_VALUES = {"draft_id": "1", "file": "purchasing.yaml", "step": "submit"}


def _rule_routes() -> list[tuple[str, str]]:
    import re

    from perfrules.engine.web import rules, rules_api

    out = []
    for route in (*rules.router.routes, *rules_api.router.routes):
        url = re.sub(r"{(\w+)}", lambda m: RULE_ROUTE_VALUES[m.group(1)], route.path)
        out += [(method, url) for method in sorted(route.methods - {"HEAD"})]
    return out


@pytest.mark.parametrize("username", ["boss", "wang", "pay", "erp"])
def test_only_hr_reaches_the_rule_editor(app, sign_in, username):
    from tests.web.conftest import csrf_of

    client = sign_in(username)
    routes = _rule_routes()
    assert len(routes) >= 15, routes
    for method, url in routes:
        body, headers = {"file": "purchasing.yaml", "text": ""}, {"X-CSRF-Token": csrf_of(client)}
        r = client.request(method, url, params={"file": "purchasing.yaml"}, json=body, headers=headers)
        assert r.status_code == 403, f"{username} {method} {url}: {r.status_code}"
    assert 'href="/rules"' not in client.get("/").text


def test_the_rule_editor_needs_a_signed_in_hr_user(app):
    from fastapi.testclient import TestClient

    anonymous = TestClient(app)
    for method, url in _rule_routes():
        r = anonymous.request(method, url, follow_redirects=False)
        assert r.status_code in (401, 403, 303), f"{method} {url}: {r.status_code}"  # 403: no CSRF cookie yet
