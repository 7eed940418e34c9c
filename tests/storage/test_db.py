from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from perfrules.engine.errors import DatabaseNotReady
from perfrules.storage import connect
from perfrules.storage import db as db_module
from perfrules.storage.models import Department, Employee, Movement, Sku
from sqlmodel import select


def test_schema_is_at_head(db):
    current, head = db.revisions()
    assert current == head == "0003"
    db.require_current()


def test_the_migrations_build_exactly_the_models(db):
    """A model changed without its numbered migration (``make migration NAME=…``) fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from perfrules.storage.schema import metadata

    def ours(name, kind, parent):  # APScheduler creates and owns its job table in the same database
        table = name if kind == "table" else parent.get("table_name")
        return not (table or "").startswith("apscheduler_")

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": ours})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_empty_database_is_not_ready(tmp_path):
    db = connect(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(DatabaseNotReady, match="run 'perfrules db upgrade'"):
        db.require_current()


def test_sqlite_runs_wal_with_foreign_keys_and_flushes_each_commit(tmp_path):
    db = connect(f"sqlite:///{tmp_path / 'x.db'}", upgrade=True)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL: a commit is on disk when it returns


BULK_ROWS_SQL = (
    "INSERT INTO bulk WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000) "
    "SELECT hex(randomblob(500)) FROM n"
)


def test_sqlite_cuts_its_write_ahead_log_back_after_a_large_transaction(tmp_path, monkeypatch):
    monkeypatch.setattr(db_module, "SQLITE_WAL_MIB", 1)
    database = connect(f"sqlite:///{tmp_path / 'wal.db'}", upgrade=True)
    wal = tmp_path / "wal.db-wal"
    with database.engine.begin() as conn:  # about 6 MB of pages in one transaction: all in the log first
        conn.exec_driver_sql("CREATE TABLE bulk (x TEXT)")
        conn.exec_driver_sql(BULK_ROWS_SQL)
    grown = wal.stat().st_size
    with database.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    with database.engine.begin() as conn:  # the next write after the checkpoint starts the log over
        conn.exec_driver_sql("INSERT INTO bulk VALUES ('x')")
    assert grown > 4 << 20 and wal.stat().st_size <= 1 << 20
    database.dispose()


def test_times_round_trip_as_aware_utc_and_money_as_decimal(db):
    shanghai = timezone(timedelta(hours=8))
    with db.session() as s:
        s.add(Department(code="purchasing", name_en="Purchasing", name_zh="采购"))
        s.add(
            Employee(
                id="E1",
                name_en="Li Na",
                name_zh="李娜",
                department="purchasing",
                role="purchaser",
                email="li@example.com",
                bonus_base=Decimal("12000.50"),
                active_from=date(2026, 1, 1),
            )
        )
        s.add(Sku(sku="S1", name="Bowl", category="ceramic", unit_cost=Decimal("12.3456"), price=Decimal("30")))
        s.flush()  # no ORM relationships: parents go first explicitly
        s.add(
            Movement(
                id="M1",
                sku="S1",
                kind="receipt",
                moved_at=datetime(2026, 9, 1, 8, 0, tzinfo=shanghai),
                day=date(2026, 9, 1),
                quantity=10,
                unit_cost=Decimal("12.3456"),
            )
        )
    with db.session() as s:
        m = s.exec(select(Movement)).one()
        assert m.moved_at == datetime(2026, 9, 1, 0, 0, tzinfo=UTC)
        assert m.moved_at.tzinfo is not None
        assert m.unit_cost == Decimal("12.3456")
        assert s.get(Employee, "E1").bonus_base == Decimal("12000.50")


def test_naive_datetimes_are_refused(db):
    with db.session() as s:
        s.add(Sku(sku="S1", name="Bowl", category="c", unit_cost=Decimal(1), price=Decimal(2)))
    with pytest.raises(Exception, match="naive datetime"), db.session() as s:
        s.add(
            Movement(
                id="M1",
                sku="S1",
                kind="receipt",
                moved_at=datetime(2026, 9, 1),
                day=date(2026, 9, 1),
                quantity=1,
                unit_cost=Decimal(1),
            )
        )


def test_foreign_keys_are_enforced(db):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db.session() as s:
        s.add(
            Movement(
                id="M1",
                sku="nope",
                kind="receipt",
                moved_at=datetime(2026, 9, 1, tzinfo=UTC),
                day=date(2026, 9, 1),
                quantity=1,
                unit_cost=Decimal(1),
            )
        )
