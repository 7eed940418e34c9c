"""Group commit of pushes: pushes queued together are imported together, each keeps its own answer."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from perfrules.engine.importing import ImportRejected, pushes
from perfrules.engine.importing.pushes import PushQueue
from perfrules.engine.importing.reading import Upload
from perfrules.storage import access
from sqlalchemy import text

from tests.conftest import SHANGHAI
from tests.importing.conftest import NOW

HEADER = "id,sku,kind,moved_at,quantity,unit_cost,ref\n"


def _movement(i: int, sku: str = "S1", quantity: int | str = 1) -> Upload:
    return Upload(f"m{i}.csv", f"{HEADER}M{i},{sku},receipt,2026-02-1{i % 9}T10:00:00,{quantity},12.50,po\n".encode())


class Gate:
    """Holds the first import inside its transaction until the other pushes are queued behind it."""

    def __init__(self, queue: PushQueue, waiting: int):
        self.queue, self.waiting, self.held = queue, waiting, False

    def __call__(self, conn, result) -> None:
        if not self.held:
            self.held = True
            deadline = time.monotonic() + 30
            while len(self.queue._pending) < self.waiting and time.monotonic() < deadline:
                time.sleep(0.005)


@pytest.fixture
def imports(monkeypatch):
    """The files of each import the queue runs, in order."""
    seen: list[list[str]] = []
    real = pushes.import_files

    def counted(db, kind, paths, **options):
        seen.append([p.name for p in paths])
        return real(db, kind, paths, **options)

    monkeypatch.setattr(pushes, "import_files", counted)
    return seen


def _push_all(queue: PushQueue, uploads: list[tuple[str, Upload]], gate: Gate):
    """The first push enters alone and is held; the rest queue behind it and are then pushed as a group."""

    def push(i: int):
        if i:  # arrival order = list order: each waits until the ones before it are queued
            deadline = time.monotonic() + 30
            while (not gate.held or len(queue._pending) < i - 1) and time.monotonic() < deadline:
                time.sleep(0.001)
        kind, upload = uploads[i]
        try:
            return queue.push(kind, upload, fmt="csv", user="token:erp", on_loaded=gate)
        except ImportRejected as exc:
            return exc

    with ThreadPoolExecutor(len(uploads)) as pool:
        return list(pool.map(push, range(len(uploads))))


def test_pushes_queued_together_are_one_import_with_an_answer_each(base, imports):
    queue = PushQueue(base, zone=SHANGHAI, clock=lambda: NOW)
    uploads = [("movements", _movement(i, sku=f"S{1 + i % 2}", quantity=i + 1)) for i in range(6)]
    results = _push_all(queue, uploads, Gate(queue, waiting=5))
    assert [(r.name, r.rows, r.inserted) for r in results] == [(f"m{i}.csv", 1, 1) for i in range(6)]
    assert imports == [["m0.csv"], [f"m{i}.csv" for i in range(1, 6)]]
    with base.engine.connect() as conn:
        batches = conn.execute(text("SELECT source FROM import_batches WHERE kind = 'movements'")).scalars().all()
        rolled = dict(
            tuple(r) for r in conn.execute(text("SELECT sku, closing_qty FROM sku_months WHERE month = '2026-02-01'"))
        )
    assert sorted(batches) == [f"m{i}.csv" for i in range(6)]
    assert rolled == {"S1": 1 + 3 + 5, "S2": 2 + 4 + 6}  # one rollup refresh took in every push of the group


def test_a_bad_push_is_refused_alone_and_the_others_of_its_group_land(base, imports):
    queue = PushQueue(base, zone=SHANGHAI, clock=lambda: NOW)
    uploads = [("movements", _movement(i)) for i in range(4)]
    uploads[2] = ("movements", _movement(2, quantity="many"))
    results = _push_all(queue, uploads, Gate(queue, waiting=3))
    refused = results[2]
    assert isinstance(refused, ImportRejected)
    assert refused.lines()[0] == "m2.csv:2: quantity: 'many' is not a whole number"
    assert [r.inserted for i, r in enumerate(results) if i != 2] == [1, 1, 1]
    # the group was tried as one, refused, then each of its pushes imported alone
    assert imports == [["m0.csv"], ["m1.csv", "m2.csv", "m3.csv"], ["m1.csv"], ["m2.csv"], ["m3.csv"]]
    with base.engine.connect() as conn:
        ids = conn.execute(text("SELECT id FROM movements ORDER BY id")).scalars().all()
    assert ids == ["M0", "M1", "M3"]


def test_two_pushes_of_one_key_apply_in_arrival_order(base):
    queue = PushQueue(base, zone=SHANGHAI, clock=lambda: NOW)
    first = Upload("a.csv", "code,name_en,name_zh\nops,Ops,运营\n".encode())
    second = Upload("b.csv", "code,name_en,name_zh\nops,Operations,运营\n".encode())
    results = _push_all(
        queue,
        [("departments", Upload("z.csv", "code,name_en,name_zh\nhr,HR,人事\n".encode())), ("departments", first),
         ("departments", second)],
        Gate(queue, waiting=2),
    )  # fmt: skip
    assert [(r.inserted, r.updated) for r in results] == [(1, 0), (1, 0), (0, 1)]
    assert {d.code: d.name_en for d in access.departments(base)}["ops"] == "Operations"


def test_pushes_of_other_kinds_wait_for_their_own_group_in_order(base, imports):
    queue = PushQueue(base, zone=SHANGHAI, clock=lambda: NOW)
    dept = Upload("d.csv", "code,name_en,name_zh\nops,Ops,运营\n".encode())
    uploads = [("movements", _movement(0)), ("movements", _movement(1)), ("departments", dept),
               ("movements", _movement(3))]  # fmt: skip
    results = _push_all(queue, uploads, Gate(queue, waiting=3))
    assert [r.inserted for r in results] == [1, 1, 1, 1]
    assert imports == [["m0.csv"], ["m1.csv", "m3.csv"], ["d.csv"]]


def test_what_a_push_writes_beside_its_file_commits_with_it(base):
    queue = PushQueue(base, zone=SHANGHAI, clock=lambda: NOW)

    def audit(conn, done):
        access.record_in(conn, now=NOW, actor="token:erp", action="facts.import", target="movements")
        if done.name == "m1.csv":
            raise RuntimeError("audit store down")

    with pytest.raises(RuntimeError, match="audit store down"):
        queue.push("movements", _movement(1), fmt="csv", user="token:erp", on_loaded=audit)
    assert queue.push("movements", _movement(2), fmt="csv", user="token:erp", on_loaded=audit).inserted == 1
    assert len(access.audit_entries(base, action="facts.import")) == 1
    with base.engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM movements")).scalars().all() == ["M2"]


def test_many_concurrent_pushes_all_land_once(base):
    queue = PushQueue(base, zone=SHANGHAI, clock=lambda: NOW)
    start = threading.Barrier(16)

    def push(i: int):
        start.wait()
        return queue.push("movements", _movement(i, sku=f"S{1 + i % 2}"), fmt="csv", user="token:erp")

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(push, range(16)))
    assert sorted(r.name for r in results) == sorted(f"m{i}.csv" for i in range(16))
    assert all(r.inserted == 1 for r in results)
    with base.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM movements")).scalar() == 16
        assert conn.execute(text("SELECT COUNT(*) FROM import_batches WHERE kind = 'movements'")).scalar() == 16
