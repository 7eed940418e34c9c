"""Importing good files: stored values, encodings, JSON Lines, re-import, change records, all or nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from perfrules.engine.importing import ImportRejected
from perfrules.storage.models import Employee, FactChange, ImportBatch, KitComponent, Movement, Sku, Submission
from sqlmodel import select

from tests.importing.conftest import EMPLOYEES, NOW, run, write

MOVEMENTS = "id,sku,kind,moved_at,quantity,unit_cost,ref\n"
ROWS = (
    "M1,S1,receipt,2026-09-01T08:30:00,100,12.50,PO1\n"
    "M2,S1,sale,2026-09-02T01:30:00,3,12.50,\n"
    "M3,S2,adjustment,2026-09-30T23:30:00+00:00,-2,6.80,CC1\n"
)


def movements(db) -> dict[str, Movement]:
    with db.session() as s:
        return {m.id: m for m in s.exec(select(Movement))}


def test_movements_are_stored_signed_in_utc_with_the_local_day(base):
    [result] = run(base, "movements", write("m.csv", MOVEMENTS + ROWS))
    assert result.summary() == "m.csv: 3 rows: 3 inserted, 0 updated, 0 unchanged"
    m = movements(base)
    assert m["M1"].moved_at == datetime(2026, 9, 1, 0, 30, tzinfo=UTC)
    assert (m["M1"].day, m["M1"].quantity, m["M1"].unit_cost, m["M1"].ref) == (
        date(2026, 9, 1),
        100,
        Decimal("12.5"),
        "PO1",
    )
    assert m["M2"].moved_at == datetime(2026, 9, 1, 17, 30, tzinfo=UTC)  # 01:30 in Shanghai is the day before in UTC
    assert (m["M2"].day, m["M2"].quantity, m["M2"].ref) == (date(2026, 9, 2), -3, None)
    assert (m["M3"].day, m["M3"].quantity) == (date(2026, 10, 1), -2)  # 23:30 UTC is 07:30 next day in Shanghai


def test_reimport_changes_nothing(base):
    write("m.csv", MOVEMENTS + ROWS)
    run(base, "movements", "m.csv")
    [again] = run(base, "movements", "m.csv")
    assert again.summary() == "m.csv: 3 rows: 0 inserted, 0 updated, 3 unchanged"
    with base.session() as s:
        assert s.exec(select(FactChange)).all() == []
        batches = s.exec(select(ImportBatch).where(ImportBatch.kind == "movements")).all()
    assert [(b.rows, b.inserted, b.unchanged, b.imported_by) for b in batches] == [
        (3, 3, 0, "tester"),
        (3, 0, 3, "tester"),
    ]
    assert batches[0].sha256 == batches[1].sha256 and len(batches[0].sha256) == 64
    assert batches[1].imported_at == NOW


def test_a_changed_fact_is_updated_and_the_change_recorded(base):
    run(base, "movements", write("m.csv", MOVEMENTS + ROWS))
    changed = ROWS.replace("M2,S1,sale,2026-09-02T01:30:00,3,12.50,", "M2,S1,sale,2026-09-02T01:30:00,5,12.50,SO9")
    [result] = run(base, "movements", write("m2.csv", MOVEMENTS + changed + "M4,S2,sale,2026-10-01T10:00:00,1,6.8,\n"))
    assert result.summary() == "m2.csv: 4 rows: 1 inserted, 1 updated, 2 unchanged"
    assert (movements(base)["M2"].quantity, movements(base)["M2"].ref) == (-5, "SO9")
    with base.session() as s:
        [change] = s.exec(select(FactChange)).all()
        batch = s.get(ImportBatch, change.batch_id)
    assert (change.kind, change.fact_key, change.old, change.new) == (
        "movements",
        "M2",
        {"quantity": -3, "ref": None},
        {"quantity": -5, "ref": "SO9"},
    )
    assert (batch.source, batch.inserted, batch.updated, batch.unchanged) == ("m2.csv", 1, 1, 2)


def test_kit_components_and_their_changes(base):
    header = "sku,name,category,unit_cost,price,kit_components\n"
    run(base, "skus", write("k.csv", header + "K1,Kit,gift,40,90,S2*4|S1*1\n"))
    with base.session() as s:
        assert s.get(Sku, "K1").is_kit
        parts = {(k.component_sku, k.quantity) for k in s.exec(select(KitComponent))}
    assert parts == {("S1", 1), ("S2", 4)}
    [result] = run(base, "skus", write("k2.csv", header + "K1,Kit,gift,40,90,S1*2\n"))
    assert (result.updated, result.unchanged) == (1, 0)
    with base.session() as s:
        [change] = s.exec(select(FactChange)).all()
        assert {(k.component_sku, k.quantity) for k in s.exec(select(KitComponent))} == {("S1", 2)}
    assert change.old == {"kit_components": "S1*1|S2*4"} and change.new == {"kit_components": "S1*2"}
    # a file that gives the kit no components drops its bill (only kits are remembered while a file is read)
    run(base, "skus", write("k3.csv", header + "K1,Kit,gift,40,90,\nK2,Kit 2,gift,10,20,S1*3\n"))
    with base.session() as s:
        assert not s.get(Sku, "K1").is_kit and s.get(Sku, "K2").is_kit
        assert {(k.kit_sku, k.component_sku) for k in s.exec(select(KitComponent))} == {("K2", "S1")}
        changes = [(c.old, c.new) for c in s.exec(select(FactChange)) if c.old.get("kit_components") == "S1*2"]
    assert changes == [({"is_kit": True, "kit_components": "S1*2"}, {"is_kit": False, "kit_components": None})]


def test_a_bad_second_file_leaves_the_first_unimported(base):
    write("a.csv", MOVEMENTS + ROWS)
    write("b.csv", MOVEMENTS + "M9,S1,sale,2026-09-02T01:30:00,many,12.50,\n")
    with pytest.raises(ImportRejected, match=r"b.csv:2: quantity: 'many' is not a whole number"):
        run(base, "movements", "a.csv", "b.csv")
    assert movements(base) == {}


def test_managers_may_come_later_in_the_same_import(db):
    run(db, "departments", write("d.csv", "code,name_en,name_zh\npurchasing,Purchasing,采购\n"))
    [result] = run(db, "employees", write("e.csv", EMPLOYEES))  # E1's manager E2 is on the next line
    assert result.inserted == 2
    with db.session() as s:
        e1 = s.get(Employee, "E1")
    assert (e1.manager_id, e1.locale, e1.bonus_base) == ("E2", "zh-CN", Decimal("12000"))


@pytest.mark.parametrize(
    ("encoding", "option"), [("utf-8", None), ("utf-8-sig", None), ("gb18030", "gb18030"), ("gbk", "gbk")]
)
def test_encodings(db, encoding, option):
    run(
        db,
        "departments",
        write("d.csv", "code,name_en,name_zh\npurchasing,Purchasing,采购\n".encode(encoding)),
        encoding=option,
    )
    employees = EMPLOYEES.replace("李娜", "欧阳娜娜")
    run(db, "employees", write("e.csv", employees.encode(encoding)), encoding=option)
    with db.session() as s:
        assert s.get(Employee, "E1").name_zh == "欧阳娜娜"
        assert s.get(Employee, "E2").name_zh == "王伟"


def test_json_lines(base):
    lines = (
        '{"id": "M1", "sku": "S1", "kind": "sale", "moved_at": "2026-10-01T09:15:00", "quantity": 2, '
        '"unit_cost": 12.5, "ref": null}\n\n'
        '{"id": "M2", "sku": "S2", "kind": "receipt", "moved_at": "2026-10-02T11:00:00+08:00", "quantity": 5.0, '
        '"unit_cost": "6.80"}\n'
    )
    [result] = run(base, "movements", write("m.ndjson", lines))
    assert result.inserted == 2
    m = movements(base)
    assert (m["M1"].quantity, m["M1"].unit_cost, m["M2"].quantity) == (-2, Decimal("12.5"), 5)
    assert m["M2"].moved_at == datetime(2026, 10, 2, 3, 0, tzinfo=UTC)


def test_submission_payloads_in_csv_and_jsonl(base):
    csv_text = (
        "id,deliverable,period,employee_id,submitted_at,note,payload\n"
        "U1,slow_mover_list,2026-Q3,E1,2026-09-04T17:00:00,迟交原因: 系统故障,"
        '"{""items"": [{""sku"": ""S1"", ""class"": ""structural""}]}"\n'
        "U2,improvement_plan,2026-09,E1,2026-09-05T17:00:00,,\n"
    )
    run(base, "submissions", write("s.csv", csv_text))
    run(
        base,
        "submissions",
        write(
            "s.jsonl",
            '{"id": "U3", "deliverable": "capital_report", "period": "2026-08", '
            '"employee_id": "E2", "submitted_at": "2026-09-09T10:00:00", '
            '"payload": {"impairment_accounted": false}}\n',
        ),
    )
    with base.session() as s:
        u = {x.id: x for x in s.exec(select(Submission))}
    assert u["U1"].payload == {"items": [{"sku": "S1", "class": "structural"}]}
    assert (u["U1"].period, u["U1"].note) == ("2026Q3", "迟交原因: 系统故障")
    assert u["U2"].payload == {}
    assert u["U3"].payload == {"impairment_accounted": False}


def test_a_payload_larger_than_the_csv_modules_default_cell_limit(base):
    items = [{"sku": f"S{i:06d}", "class": "seasonal"} for i in range(8000)]  # ~300 KiB of JSON in one cell
    cell = json.dumps({"items": items}).replace('"', '""')
    run(
        base,
        "submissions",
        write(
            "big.csv",
            "id,deliverable,period,employee_id,submitted_at,payload\n"
            f'U9,slow_mover_list,2026-09,E1,2026-10-04T17:00:00,"{cell}"\n',
        ),
    )
    with base.session() as s:
        assert len(s.get(Submission, "U9").payload["items"]) == 8000


def test_chunk_boundaries_change_nothing(base):
    rows = "".join(f"M{i},S{i % 2 + 1},receipt,2026-09-01T08:{i:02d}:00,{i + 1},1.5,\n" for i in range(7))
    [result] = run(base, "movements", write("m.csv", MOVEMENTS + rows), chunk_rows=3)
    assert result.inserted == 7
    # a re-import with one new row goes through the staging table, chunk by chunk
    rows += "M7,S1,sale,2026-09-02T08:00:00,1,1.5,\n"
    [result] = run(base, "movements", write("m.csv", MOVEMENTS + rows), chunk_rows=3)
    assert (result.rows, result.inserted, result.updated, result.unchanged) == (8, 1, 0, 7)
    assert sum(m.quantity for m in movements(base).values()) == sum(range(1, 8)) - 1


def test_the_rollup_is_refreshed_in_the_import(base):
    from sqlalchemy import text

    run(base, "movements", write("m.csv", MOVEMENTS + ROWS))
    with base.engine.connect() as conn:
        skus = {r[0] for r in conn.execute(text("SELECT DISTINCT sku FROM sku_months"))}
    assert skus == {"S1", "S2"}


def test_every_example_file_imports_cleanly(db):
    examples = Path(__file__).resolve().parents[2] / "examples"
    order = [
        "departments",
        "employees",
        "skus",
        "movements",
        "demand",
        "purchase-orders",
        "cycle-counts",
        "work-orders",
        "forecasts",
        "finance",
        "submissions",
        "disposals",
    ]
    files = {p.name for p in examples.iterdir()}
    for kind in order:
        [result] = run(db, kind, examples / f"{kind}.csv")
        assert result.inserted == result.rows > 0
        files.discard(f"{kind}.csv")
    [result] = run(db, "movements", examples / "movements.jsonl")
    assert result.inserted == result.rows > 0
    files.discard("movements.jsonl")
    assert files == set(), "an example file no test imports"
