from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from perfrules.engine.web.app import create_app
from perfrules.engine.web.security import CSRF_COOKIE

from tests.web.support import NOW, PASSWORD, build_company, settings_for


@pytest.fixture
def company(db):
    build_company(db)
    return db


@pytest.fixture
def app(company, database_url):
    return create_app(settings_for(database_url), db=company, clock=lambda: NOW)


def csrf_of(client: TestClient) -> str:
    """The CSRF token a page gave this client (its cookie; forms repeat it in the ``csrf`` field)."""
    return client.cookies[CSRF_COOKIE]


@pytest.fixture
def sign_in(app):
    """A TestClient signed in as ``username`` (through the real sign-in form)."""

    def make(username: str) -> TestClient:
        client = TestClient(app)
        client.get("/login")  # the sign-in form sets the CSRF cookie its form field repeats
        r = client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "next": "/", "csrf": csrf_of(client)},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        return client

    return make


@pytest.fixture(autouse=True)
def _fresh_figures():
    """The dashboard keeps figures per database URL and facts generation; on PostgreSQL every test's fresh
    database has the same URL and starts again at generation 1, so no figure may outlive its test."""
    from perfrules.engine.web import board

    board._CACHE.clear()
    yield
    board._CACHE.clear()
