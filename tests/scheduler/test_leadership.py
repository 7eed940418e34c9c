"""Exactly one scheduler per database: advisory lock on PostgreSQL (standby takes over), lock file on SQLite."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from perfrules.engine.scheduler.build import build_service
from perfrules.engine.scheduler.leadership import FileLeadership, SchedulerLocked, leadership_for
from perfrules.engine.scheduler.loop import serve
from perfrules.engine.settings import load_settings
from perfrules.storage import Database, connect
from perfrules.storage.schedule import state_get

from tests.scheduler.support import RULES


@pytest.fixture
def second(database_url: str) -> Iterator[Database]:
    """A second connection pool to the same database: another process, as far as the database can tell."""
    other = connect(database_url)
    yield other
    other.dispose()


def test_one_leader_and_the_standby_takes_over(db: Database, second: Database) -> None:
    first_lead, second_lead = leadership_for(db), leadership_for(second)
    assert first_lead.try_acquire()
    if db.dialect == "sqlite":
        assert isinstance(second_lead, FileLeadership) and not second_lead.standby
        assert not second_lead.try_acquire()
        assert str(Path(db.url.removeprefix("sqlite:///")).name) in str(second_lead.lock_file)
    else:
        assert second_lead.standby
        assert not second_lead.try_acquire()
        assert first_lead.still_held() and not second_lead.still_held()
    first_lead.release()
    assert second_lead.try_acquire()
    assert not first_lead.try_acquire()
    second_lead.release()


def test_a_second_serve_on_sqlite_refuses_with_a_clear_message(db: Database, second: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL instances stand by instead")
    holder = leadership_for(db)
    assert holder.try_acquire()
    with pytest.raises(SchedulerLocked, match="only one 'perfrules serve' may run on a SQLite database"):
        serve(lambda: pytest.fail("must not build a service"), leadership_for(second), threading.Event())
    holder.release()


def _service(db: Database, tmp_path: Path):
    settings = load_settings(
        {"database_url": db.url, "rules_dir": str(RULES)}, environ={"PERFRULES_OUTBOX_DIR": str(tmp_path / "eml")}
    )
    return build_service(settings, db)


def test_two_serving_instances_on_postgresql(db: Database, second: Database, tmp_path: Path) -> None:
    if db.dialect != "postgresql":
        pytest.skip("standby needs PostgreSQL")
    leaders: list[str] = []
    stop_a, stop_b = threading.Event(), threading.Event()

    def run(name: str, database: Database, stop: threading.Event) -> None:
        def make():
            leaders.append(name)
            return _service(database, tmp_path)

        serve(make, leadership_for(database), stop, retry_seconds=0.05, heartbeat_seconds=0.05)

    a = threading.Thread(target=run, args=("a", db, stop_a))
    a.start()
    _wait(lambda: leaders == ["a"] and state_get(db, "leader") is not None)
    b = threading.Thread(target=run, args=("b", second, stop_b))
    b.start()
    assert not _eventually(lambda: "b" in leaders, polls=20)  # b stands by while a leads
    stop_a.set()
    a.join(30)
    _wait(lambda: leaders == ["a", "b"])
    stop_b.set()
    b.join(30)
    assert not a.is_alive() and not b.is_alive()


def _eventually(check, polls: int = 600) -> bool:
    event = threading.Event()
    for _ in range(polls):
        if check():
            return True
        event.wait(0.05)
    return False


def _wait(check) -> None:
    assert _eventually(check), "condition not reached within 30 s"
