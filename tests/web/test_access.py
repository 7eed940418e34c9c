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
