"""The CLI of the web side: users, tokens, render contract."""

from __future__ import annotations

from perfrules.engine.cli import cli
from perfrules.engine.web import credentials
from perfrules.storage import access

from tests.web.support import build_company


def test_users_add_and_list(runner, database_url, db):
    build_company(db)
    r = runner.invoke(
        cli,
        [
            "--database-url",
            database_url,
            "users",
            "add",
            "zhou",
            "--role",
            "staff",
            "--employee",
            "E4",
            "--password",
            "pw",
        ],
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["--database-url", database_url, "users", "list"])
    assert "zhou\tstaff\tE4" in r.output
    r = runner.invoke(cli, ["--database-url", database_url, "users", "add", "zhou", "--role", "hr", "--password", "pw"])
    assert r.exit_code == 1 and "already exists" in r.output


def test_tokens_create_prints_the_secret_once_and_revoke(runner, database_url, db):
    r = runner.invoke(cli, ["--database-url", database_url, "tokens", "create", "erp"])
    assert r.exit_code == 0, r.output
    secret = r.stdout.strip().splitlines()[0]
    assert secret.startswith("pr_")
    assert access.token_by_digest(db, credentials.digest(secret)).role == "system"
    r = runner.invoke(cli, ["--database-url", database_url, "tokens", "revoke", "erp"])
    assert r.exit_code == 0
    assert access.token_by_digest(db, credentials.digest(secret)) is None
    r = runner.invoke(cli, ["--database-url", database_url, "tokens", "revoke", "erp"])
    assert r.exit_code == 1 and "no active API token" in r.output
