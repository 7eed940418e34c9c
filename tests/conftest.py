"""Shared fixtures: a fresh database per test (SQLite file, and PostgreSQL when
``PERFRULES_TEST_DATABASE_URL`` is set), a CLI runner, and the company time zone."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from perfrules.storage import Database, connect
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("PERFRULES_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
SHANGHAI = ZoneInfo("Asia/Shanghai")

pytest_plugins = ("tests.smtp",)  # the recording SMTP server and its `smtp` fixture


def pg_upkeep(db: Database, *tables: str) -> dict[str, tuple]:
    """PostgreSQL's upkeep of ``tables``: name → (last ANALYZE, last VACUUM, every page of it all-visible)."""
    sql = """SELECT s.relname, s.last_analyze, s.last_vacuum, c.relallvisible = c.relpages AND c.relpages > 0
             FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = ANY(:tables)"""
    with db.engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        return {name: tuple(rest) for name, *rest in conn.execute(text(sql), {"tables": list(tables)}).all()}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="Rewrite golden files from current output.")


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str | bytes, Path], None]:
    """``golden(actual, path)``: compare output with its golden file byte for byte; ``--update-golden``
    rewrites the file instead (review the diff before committing it)."""
    update = bool(request.config.getoption("--update-golden"))
    how = f"if the change is intended run: pytest {request.path} --update-golden"

    def check(actual: str | bytes, path: Path) -> None:
        data = actual.encode("utf-8") if isinstance(actual, str) else actual
        if update:
            path.write_bytes(data)
        assert path.exists(), f"missing golden file {path}: {how}"
        assert data == path.read_bytes(), f"the output differs from {path}; {how}"

    return check


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = connect(f"sqlite:///{path}", upgrade=True)
    db.dispose()
    return path


def _pg_admin_url() -> str:
    return make_url(PG_URL).set(database="postgres").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[str]:
    """One migrated PostgreSQL database per test session; each test starts from emptied tables."""
    name = f"perfrules_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    db = connect(url, upgrade=True)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_pg_tables(url: str) -> None:
    """Empty every table but Alembic's (tables made outside our models included, e.g. APScheduler's).

    DELETE with triggers off is much faster than TRUNCATE on the small tables of a test."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        tables = (
            conn.execute(
                text(
                    "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        for table in tables:
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(
            text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = 'public'"
            )
        )
    engine.dispose()


def fresh_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        path = tmp_path / "perfrules.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("_pg_database")
    _empty_pg_tables(url)
    yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, migrated, empty database: SQLite, and PostgreSQL when configured."""
    yield from fresh_database_url(request.param, request, tmp_path)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = connect(database_url)
    yield database
    database.dispose()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def zone() -> ZoneInfo:
    return SHANGHAI


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's PERFRULES_* variables or a perfrules.toml in the working folder."""
    for name in list(os.environ):
        if name.startswith("PERFRULES_") and name != "PERFRULES_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
