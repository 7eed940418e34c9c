"""Large files are streamed in blocks and chunks: the same facts, rollup and errors as reading them whole."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from perfrules.engine.importing import ImportRejected, keys, streaming
from perfrules.storage import facts, rollup, sqlutil
from perfrules.storage.rollup import refresh
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tests.conftest import pg_upkeep
from tests.importing.conftest import run, write

MOVEMENTS = "id,sku,kind,moved_at,quantity,unit_cost,ref\n"
ROLLUP_COLUMNS = (
    "month, sku, receipt_qty, sale_qty, out_qty, opening_qty, closing_qty, cum_out_qty, cum_out_qty2, "
    "out_qty_12m, out_qty2_12m, first_day, last_sale_day, last_out_day, last_receipt_day"
)


def sample(rows: int) -> str:
    """Movements of two SKUs over fourteen months, every line distinct."""
    lines = []
    for i in range(rows):
        kind = ("receipt", "sale", "issue", "adjustment")[i % 4]
        quantity = (-1 if kind == "adjustment" else 1) * (i % 9 + 1)
        month, day = 1 + i % 14, 1 + i % 28
        year = 2025 + (month > 12)
        moved_at = f"{year}-{(month - 1) % 12 + 1:02d}-{day:02d}T{8 + i % 12:02d}:{i % 60:02d}:00"
        lines.append(f"M{i:05d},S{i % 2 + 1},{kind},{moved_at},{quantity},{1 + i % 5}.25,R{i}\n")
    return MOVEMENTS + "".join(lines)


def snapshot(db) -> tuple[list, list]:
    with db.engine.connect() as conn:
        facts = conn.execute(text("SELECT id, sku, kind, day, quantity, unit_cost, ref FROM movements ORDER BY id"))
        rollup = conn.execute(text(f"SELECT {ROLLUP_COLUMNS} FROM sku_months ORDER BY month, sku"))
        return [tuple(r) for r in facts], [tuple(r) for r in rollup]


def rebuilt(db) -> tuple[list, list]:
    """The facts and the rollup after a rebuild of the whole rollup from every movement."""
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM sku_months"))
        refresh(conn)
    return snapshot(db)


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Blocks of a few bytes and keys moved to the database after a handful: every boundary gets crossed."""
    monkeypatch.setattr(streaming, "BLOCK_BYTES", 7)
    monkeypatch.setattr(keys, "KEYS_IN_MEMORY", 5)


def test_streamed_import_gives_the_same_facts_and_a_rollup_equal_to_a_full_rebuild(base, tiny_blocks):
    content = sample(600)
    [result] = run(base, "movements", write("m.csv", content), chunk_rows=37)
    assert (result.rows, result.inserted) == (600, 600)
    facts, rollup = snapshot(base)
    assert [f[0] for f in facts] == sorted(line.split(",")[0] for line in content.splitlines()[1:])
    assert sum(f[4] for f in facts) == sum(
        int(q) * (-1 if k in ("sale", "issue") else 1)
        for _id, _sku, k, _at, q, *_ in (line.split(",") for line in content.splitlines()[1:])
    )
    assert rebuilt(base) == (facts, rollup)  # the import's incremental refresh equals a rebuild
    assert len(rollup) == 14 + 13  # dense: S1 from the first month, S2 from the second


def test_a_rollup_rebuilt_in_batches_of_one_row_gives_the_same_rows(base, monkeypatch):
    """Flows, kept rows and the look-back twelve months earlier are read (and rows written) in batches: one row
    each gives the rows of one batch per month, whether every SKU or some are rebuilt, from any month."""
    run(base, "movements", write("m.csv", sample(600)))
    expected = snapshot(base)
    rows = [dict(zip(ROLLUP_COLUMNS.split(", "), r, strict=True)) for r in expected[1]]
    for r in rows:  # the trailing twelve months: this month's out_qty and that of the eleven before it
        months = [m for m in rows if m["sku"] == r["sku"] and m["month"] <= r["month"]][-12:]
        assert r["out_qty_12m"] == sum(m["out_qty"] for m in months), r
    assert any(r["out_qty_12m"] != r["cum_out_qty"] for r in rows)  # the look-back reaches a month past 12
    monkeypatch.setattr(rollup, "WRITE_ROWS", 1)
    for skus, since in ((None, None), (None, date(2026, 1, 15)), ({"S2"}, date(2025, 3, 1))):
        with base.engine.begin() as conn:
            refresh(conn, skus=skus, since=since)
        assert snapshot(base) == expected, (skus, since)


def test_a_bad_row_far_past_the_first_chunk_rejects_the_whole_file(base, tiny_blocks):
    lines = sample(1000).splitlines(keepends=True)
    lines[777] = lines[777].replace(",sale,", ",sold,").replace(",issue,", ",sold,").replace(",receipt,", ",sold,")
    lines[777] = lines[777].replace(",adjustment,", ",sold,")
    before = snapshot(base)
    with pytest.raises(ImportRejected) as caught:
        run(base, "movements", write("big.csv", "".join(lines)), chunk_rows=50)
    [error] = caught.value.errors
    assert str(error).startswith("big.csv:778: kind: 'sold' is not one of")
    assert snapshot(base) == before  # nothing of the 777 good rows before it, nor of the rollup


def test_duplicates_past_the_keys_kept_in_memory_name_their_first_place(base, tiny_blocks):
    content = sample(40)
    repeat = content.splitlines(keepends=True)[3]  # M00002, first at line 4
    write("a.csv", content)
    write("b.csv", MOVEMENTS + sample(60).splitlines(keepends=True)[45] + repeat)
    with pytest.raises(ImportRejected) as caught:
        run(base, "movements", "a.csv", "b.csv", chunk_rows=7)
    assert [str(e) for e in caught.value.errors] == ["b.csv:3: id: duplicate key 'M00002' (first at a.csv:4)"]


def test_line_ends_quotes_and_characters_cut_between_blocks(base, tiny_blocks):
    content = (
        "id,sku,kind,moved_at,quantity,unit_cost,ref\r\n"
        "M1,S1,receipt,2026-09-01T08:30:00,10,12.50,采购单一\r\n"
        'M2,S1,sale,2026-09-02T10:00:00,1,12.50,"two\nlines, 仓"\r\n'
        "M3,S1,sale,2026-09-03T10:00:00,2,12.50,\r\n"
    )
    run(base, "movements", write("m.csv", content.encode("utf-8")))
    with base.engine.connect() as conn:
        refs = dict(conn.execute(text("SELECT id, ref FROM movements")).all())
    assert refs == {"M1": "采购单一", "M2": "two\nlines, 仓", "M3": None}


def test_an_undecodable_byte_in_a_later_block_is_reported_at_its_line(base, tiny_blocks):
    good = [f"M{i},S1,receipt,2026-09-01T08:30:00,10,12.50,仓\n".encode() for i in range(6)]
    data = MOVEMENTS.encode() + b"".join(good[:5]) + b"M9,S1,receipt,2026-09-01T08:30:00,10,12.50,\xb2\n" + good[5]
    with pytest.raises(ImportRejected) as caught:
        run(base, "movements", write("m.csv", data))
    assert [str(e) for e in caught.value.errors] == [
        "m.csv:7: not valid utf-8 (byte 0xb2); files saved by Excel in China need --encoding gb18030"
    ]


def _indexes(db, table: str = "movements") -> list[str]:
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"
        else:
            sql = "SELECT indexname FROM pg_indexes WHERE tablename = :t AND indexname LIKE 'ix_%'"
        return sorted(r[0] for r in conn.execute(text(sql), {"t": table}))


def _readable(db, table: str = "movements") -> bool:
    """Whether another connection can read ``table`` now (PostgreSQL: without waiting for a lock)."""
    with db.engine.connect() as conn:
        conn.execute(text("SET lock_timeout = '200ms'"))
        try:
            conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
        except OperationalError:
            return False
        return True


@pytest.fixture
def finishing(monkeypatch) -> SimpleNamespace:
    """What a load sees at its finish, before it builds the indexes it dropped again: ``seen``, what the test's
    ``probe`` returned then (if it set one); ``rebuilt``, the CREATE INDEX statements it runs."""
    finish = SimpleNamespace(probe=None, seen=[], rebuilt=[])
    restore = facts.FactLoad._restore_indexes

    def probed(load):
        if finish.probe is not None:
            finish.seen.append(finish.probe())
        finish.rebuilt.extend(load._dropped)
        restore(load)

    monkeypatch.setattr(facts.FactLoad, "_restore_indexes", probed)
    return finish


def test_a_bulk_load_rebuilds_the_indexes_it_dropped_and_gives_the_same_facts_and_rollup(base, monkeypatch, finishing):
    monkeypatch.setattr(facts, "BULK_ROWS", 50)  # past 50 rows (and half the table) the indexes are dropped
    indexes = _indexes(base)
    assert indexes == ["ix_movements_day_sku", "ix_movements_sku_day"]
    rollup_indexes = _indexes(base, "sku_months")
    assert len(rollup_indexes) == 2
    [result] = run(base, "movements", write("m.csv", sample(600)), chunk_rows=37)
    assert result.inserted == 600
    assert len(finishing.rebuilt) == 2
    assert _indexes(base) == indexes
    assert _indexes(base, "sku_months") == rollup_indexes
    assert snapshot(base) == rebuilt(base)
    with base.engine.connect() as conn:  # the rebuilt index serves the rollup's month reads
        assert conn.execute(text("SELECT COUNT(*) FROM movements WHERE day >= '2026-01-01'")).scalar() > 0


def test_a_first_bulk_load_into_postgresql_takes_the_table_until_it_commits(base, monkeypatch, finishing):
    if base.dialect != "postgresql":
        pytest.skip("SQLite's readers keep reading the last committed table during any load")
    monkeypatch.setattr(facts, "BULK_ROWS", 50)
    finishing.probe = lambda: _readable(base)
    [result] = run(base, "movements", write("m.csv", sample(600)), chunk_rows=37)
    assert result.inserted == 600
    assert finishing.seen == [False]  # readers waited: DROP INDEX holds the table
    assert len(finishing.rebuilt) == 2
    assert _readable(base)
    with base.engine.connect() as conn:  # the load left no setting behind on its connection
        assert conn.execute(text("SHOW lock_timeout")).scalar_one() == "0"


def test_a_bulk_load_into_a_postgresql_table_that_holds_rows_keeps_its_readers_and_indexes(
    base, monkeypatch, finishing
):
    if base.dialect != "postgresql":
        pytest.skip("SQLite drops the indexes up to twice the rows it loads; its readers never wait")
    monkeypatch.setattr(facts, "BULK_ROWS", 50)
    run(base, "movements", write("m0.csv", MOVEMENTS + "X1,S1,receipt,2025-01-02T08:00:00,5,1.25,\n"))
    finishing.probe = lambda: _readable(base)
    [result] = run(base, "movements", write("m.csv", sample(600)), chunk_rows=37)
    assert (result.inserted, finishing.rebuilt, finishing.seen) == (600, [], [True])


def test_a_first_bulk_load_into_postgresql_does_not_wait_long_for_a_reader(base, monkeypatch, finishing):
    if base.dialect != "postgresql":
        pytest.skip("SQLite's loads take no lock from readers")
    monkeypatch.setattr(facts, "BULK_ROWS", 50)
    monkeypatch.setattr(sqlutil, "BULK_LOCK_TIMEOUT", "300ms")
    with base.engine.connect() as reader:  # a long report holds the table open
        reader.execute(text("SELECT COUNT(*) FROM movements")).scalar_one()
        [result] = run(base, "movements", write("m.csv", sample(600)), chunk_rows=37)
        reader.rollback()
    assert (result.inserted, finishing.rebuilt) == (600, [])  # loaded with its indexes in place
    assert snapshot(base) == rebuilt(base)


@pytest.mark.parametrize("held", [False, True], ids=["first rollup", "rollup with rows"])
def test_a_whole_rollup_on_postgresql_builds_its_indexes_after_its_rows_only_into_an_empty_table(base, held):
    if base.dialect != "postgresql":
        pytest.skip("SQLite rebuilds every whole rollup into a new table; its readers never wait")
    run(base, "movements", write("m.csv", sample(200)))
    loaded = snapshot(base)
    indexes = _indexes(base, "sku_months")
    if not held:
        with base.engine.begin() as conn:
            conn.execute(text("DELETE FROM sku_months"))
    with base.engine.begin() as conn:
        refresh(conn)
        assert _readable(base, "sku_months") is held  # taken (its indexes dropped) only when it held no rows
        assert _readable(base)  # the movements it reads stay readable
    assert _indexes(base, "sku_months") == indexes
    assert snapshot(base) == loaded


def test_a_bulk_load_into_postgresql_leaves_fresh_planner_statistics_and_a_visibility_map(base, monkeypatch):
    if base.dialect != "postgresql":
        pytest.skip("SQLite plans without statistics and has no visibility map: its KPI queries name their indexes")
    monkeypatch.setattr(facts, "BULK_ROWS", 50)
    tables = ("movements", "sku_months")
    with base.engine.connect() as conn:
        started = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
    run(base, "movements", write("m.csv", sample(40)))  # below the bulk size: left to autovacuum
    assert all(vacuumed is None or vacuumed < started for _a, vacuumed, _v in pg_upkeep(base, *tables).values())
    run(base, "movements", write("m2.csv", sample(600)), chunk_rows=37)
    after = pg_upkeep(base, *tables)
    assert set(after) == {"movements", "sku_months"}
    for analysed, vacuumed, all_visible in after.values():
        assert analysed is not None and analysed >= started, after
        assert vacuumed is not None and vacuumed >= started and all_visible, after


def test_a_bulk_load_that_fails_leaves_the_table_and_its_indexes_as_they_were(base, monkeypatch):
    monkeypatch.setattr(facts, "BULK_ROWS", 50)
    content = sample(600) + "M99999,S1,sale,2026-13-01T08:00:00,1,1,\n"  # bad on the last line
    with pytest.raises(ImportRejected):
        run(base, "movements", write("m.csv", content), chunk_rows=37)
    assert _indexes(base) == ["ix_movements_day_sku", "ix_movements_sku_day"]
    assert snapshot(base) == ([], [])
