"""Bad files: every case must give exactly these errors, write nothing, and never raise anything else."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from perfrules.engine.importing import KINDS as KINDS_BY_NAME
from perfrules.engine.importing import ImportRejected
from perfrules.engine.importing import run as run_module
from sqlalchemy import text

from tests.importing.conftest import run, write

MOVEMENTS = "id,sku,kind,moved_at,quantity,unit_cost,ref\n"
M1 = "M1,S1,receipt,2026-09-01T08:30:00,10,12.50,\n"
PO = (
    "id,sku,supplier,buyer_id,ordered_day,promised_day,received_day,quantity,unit_cost,emergency,qty_inspected,"
    "qty_passed\n"
)
EMP = "id,name_en,name_zh,department,role,manager_id,email,locale,bonus_base,active_from,active_to\n"
SUB = "id,deliverable,period,employee_id,submitted_at,note,payload\n"
KINDS = "receipt, sale, issue, customer_return, supplier_return, adjustment"

WORKBOOK = (
    "{name}:1: a spreadsheet workbook, not a CSV or JSON Lines file: save the sheet as CSV UTF-8 "
    "(Excel: File → Save As → CSV UTF-8) and import that"
)
CASES = [
    # a workbook, by its name or by its bytes (an .xlsx renamed .csv; an old .xls)
    ("employees", "staff.xlsx", MOVEMENTS, [WORKBOOK.format(name="staff.xlsx")]),
    ("employees", "staff.csv", b"PK\x03\x04\x14\x00\x06\x00", [WORKBOOK.format(name="staff.csv")]),
    ("movements", "m.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", [WORKBOOK.format(name="m.csv")]),
    (
        "movements",
        "m.csv",
        MOVEMENTS + M1 + "M2,S1,sale,2026-09-02T10:00:00,abc,12.50,\n",
        ["m.csv:3: quantity: 'abc' is not a whole number"],
    ),
    # a NUL byte in a text cell (PostgreSQL cannot store one): refused at its cell, on every database
    (
        "movements",
        "m.csv",
        MOVEMENTS + M1 + "M2,S\x001,sale,2026-09-02T10:00:00,1,12.50,\n",
        ["m.csv:3: sku: 'S\\x001' holds a NUL character (byte 0): a broken export? remove it"],
    ),
    # a file exported with another separator: one error that names it, not one per column
    (
        "movements",
        "m.csv",
        MOVEMENTS.replace(",", ";") + M1.replace(",", ";"),
        ["m.csv:1: the header is separated by semicolons, not commas: save it as CSV"],
    ),
    (
        "movements",
        "m.csv",
        MOVEMENTS.replace(",", "\t") + M1.replace(",", "\t"),
        ["m.csv:1: the header is separated by tabs, not commas: save it as CSV"],
    ),
    (
        "movements",
        "m.csv",
        "id,sku,kind,moved_at,qty,unit_cost,ref\n" + M1,
        ["m.csv:1: qty: unknown column (did you mean 'quantity'?)", "m.csv:1: quantity: required column is missing"],
    ),
    (
        "movements",
        "m.csv",
        MOVEMENTS + "M1,S1,sold,2026-09-01T08:30:00,10,12.50,\n",
        [f"m.csv:2: kind: 'sold' is not one of {KINDS} (did you mean 'sale'?)"],
    ),
    (
        "movements",
        "m.csv",
        MOVEMENTS + M1 + "M2,S1,sale,2026-09-02T10:00:00,-5,12.50,\n",
        ["m.csv:3: quantity: -5 must be positive for kind 'sale' (only adjustment is signed)"],
    ),
    (
        "movements",
        "m.csv",
        MOVEMENTS + M1 + "M2,S1,sale,2026-09-02T10:00:00,1,12.50,\n" + M1,
        ["m.csv:4: id: duplicate key 'M1' (first at line 2)"],
    ),
    (
        "movements",
        "m.csv",
        MOVEMENTS + "M1,S9,receipt,2026-09-01T08:30:00,10,12.50,\n",
        ["m.csv:2: sku: unknown SKU 'S9' (not in the store)"],
    ),
    (
        "movements",
        "m.csv",
        MOVEMENTS + "M1,S1,receipt,yesterday,10,12.50,\n",
        ["m.csv:2: moved_at: 'yesterday' is not a timestamp (expected ISO 8601 such as 2026-09-01T08:30:00)"],
    ),
    (
        "movements",
        "m.csv",
        MOVEMENTS + M1 + "M2,S1,sale,2026-09-02T10:00:00,1,12.50,,extra\n",
        ["m.csv:3: 8 cells, but the header has 7 columns"],
    ),
    (
        "movements",
        "m.csv",
        MOVEMENTS + "M1,,receipt,2026-09-01T08:30:00,10,-1,\n",
        ["m.csv:2: sku: required value is missing", "m.csv:2: unit_cost: '-1' must not be negative"],
    ),
    (
        "movements",
        "m.csv",
        MOVEMENTS + 'M1,S1,receipt,2026-09-01T08:30:00,10,12.50,"PO ""7"", line\n2"\n'
        "M2,S1,sale,2026-09-02T10:00:00,x,12.50,\n",
        ["m.csv:4: quantity: 'x' is not a whole number"],
    ),
    (
        "movements",
        "m.jsonl",
        '{"id": "M1", "sku": "S1", "kind": "receipt"\n["M2"]\nnull\n'
        '{"id": "M3", "sku": "S1", "kind": "receipt", "moved_at": "2026-09-01T08:30:00", "quantity": 2.5, '
        '"unit_cost": 1, "qty": 1}\n',
        [
            "m.jsonl:1: not valid JSON: Expecting ',' delimiter (character 44)",
            "m.jsonl:2: expected a JSON object, got array",
            "m.jsonl:3: expected a JSON object, got null",
            "m.jsonl:4: qty: unknown field (did you mean 'quantity'?)",
            "m.jsonl:4: quantity: '2.5' is not a whole number",
        ],
    ),
    (
        "movements",
        "m.csv",
        (MOVEMENTS + "M1,S1,receipt,2026-09-01T08:30:00,10,12.50,仓库\n").encode("gb18030"),
        ["m.csv:2: not valid utf-8 (byte 0xb2); files saved by Excel in China need --encoding gb18030"],
    ),
    ("movements", "m.csv", "", ["m.csv:1: the file is empty (expected a header row)"]),
    (
        "employees",
        "e.csv",
        EMP + "E3,Zhao Lei,赵磊,purchase,buyer,E77,zhao.example.com,fr,8000,2024-13-01,\n",
        [
            "e.csv:2: department: unknown department 'purchase' (did you mean 'purchasing'?)",
            "e.csv:2: role: 'buyer' is not one of purchaser, purchasing_manager, finance_analyst, finance_manager, "
            "operations_specialist, operations_manager, planner, planning_manager, "
            "warehouse_keeper, warehouse_manager, "
            "hr_specialist, hr_manager, general_manager",
            "e.csv:2: manager_id: no employee with id 'E77' (not on file or in this import)",
            "e.csv:2: email: 'zhao.example.com' is not an e-mail address notices can go to: "
            "An email address must have an @-sign.",
            "e.csv:2: locale: 'fr' is not one of zh-CN, en",
            "e.csv:2: active_from: '2024-13-01' is not a date (expected YYYY-MM-DD)",
        ],
    ),
    (
        "skus",
        "s.csv",
        "sku,name,category,unit_cost,price,kit_components\n"
        'K1,Kit,gift,"12,3x",30,S1*2|S404*1\nK2,Kit 2,gift,1,2,K2*1\nK3,Kit 3,gift,1,2,S1x2\n',
        [
            "s.csv:2: unit_cost: '12,3x' is not an amount (expected decimal text such as 1,234.50)",
            "s.csv:2: kit_components: unknown SKU 'S404' (not in the store or this import)",
            "s.csv:3: kit_components: kit 'K2' cannot contain itself",
            "s.csv:4: kit_components: 'S1x2' is not a component (expected SKU*QTY, e.g. S1*2|S2*1)",
        ],
    ),
    (
        "purchase-orders",
        "po.csv",
        PO + "P1,S1,,E1,2026-02-01,2026-02-30,,10,5,maybe,5,6\n",
        [
            "po.csv:2: promised_day: '2026-02-30' is not a date (expected YYYY-MM-DD)",
            "po.csv:2: emergency: 'maybe' is not a boolean (expected true/false, 1/0, yes/no, 是/否)",
            "po.csv:2: qty_passed: 6 is more than qty_inspected 5",
        ],
    ),
    (
        "forecasts",
        "f.csv",
        "sku,month,forecast_qty\nS1,2026-09,10\nS1,2026-9,10\nS1,2026-09,12\n",
        [
            "f.csv:3: month: '2026-9' is not a month (expected YYYY-MM)",
            "f.csv:4: sku+month: duplicate key 'S1/2026-09' (first at line 2)",
        ],
    ),
    (
        "submissions",
        "sub.csv",
        SUB + "U1,slow_mover_list,2026-08,E1,2026-09-04T17:00:00,,"
        '"{""items"": [{""sku"": ""S1"", ""class"": ""seasnal""}]}"\nU2,capital_report,2026-13,E9,2026-09-04,,[1]\n',
        [
            "sub.csv:2: payload: items[0].class: 'seasnal' is not one of seasonal, structural",
            "sub.csv:3: period: '2026-13' is not a period (expected YYYY-MM, YYYY-Qn, YYYY, YYYY-Www or ttm:YYYY-MM)",
            "sub.csv:3: employee_id: no employee with id 'E9'",
            "sub.csv:3: payload: expected a JSON object, got list",
        ],
    ),
    (
        "demand",
        "d.csv",
        "id,sku,requested_at,qty_requested,qty_served,stockout_start,stockout_end\n"
        "D1,S1,2026-09-02T10:00:00,5,6,,2026-09-03T10:00:00\n",
        [
            "d.csv:2: qty_served: 6 is more than qty_requested 5",
            "d.csv:2: stockout_start: required when stockout_end is given",
        ],
    ),
    (
        "disposals",
        "x.csv",
        "id,sku,action,quantity,day\nX1,S1,burn,0,2026-09-15\n",
        [
            "x.csv:2: action: 'burn' is not one of promotion, clearance, return (did you mean 'return'?)",
            "x.csv:2: quantity: 0 must be positive",
        ],
    ),
    (
        "cycle-counts",
        "c.csv",
        "id,sku,day,book_qty,counted_qty,counter_id\nC1,S1,2026-09-30,5,-1,E404\n",
        ["c.csv:2: counted_qty: -1 must not be negative", "c.csv:2: counter_id: no employee with id 'E404'"],
    ),
    (
        "finance",
        "fin.csv",
        "month,current_assets,revenue\n2026-09,1,2\n",
        [
            f"fin.csv:1: {c}: required column is missing"
            for c in (
                "receivable_days",
                "payable_days",
                "impairment_loss",
                "capital_cost",
                "storage_cost",
                "handling_cost",
                "risk_cost",
            )
        ],
    ),
    (
        "work-orders",
        "w.csv",
        "id,kit_sku,day,quantity,id\nW1,S1,2026-09-01,99999999999,W1\n",
        ["w.csv:1: id: column appears twice", "w.csv:2: quantity: 99999999999 is too large"],
    ),
]

TABLES = {
    "movements": "movements",
    "employees": "employees",
    "skus": "skus",
    "purchase-orders": "purchase_orders",
    "forecasts": "forecasts",
    "submissions": "submissions",
    "demand": "demand_lines",
    "disposals": "disposals",
    "cycle-counts": "cycle_counts",
    "finance": "finance_months",
    "work-orders": "work_orders",
}


@pytest.mark.parametrize(
    ("kind", "name", "content", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_bad_file_gives_exact_errors_and_writes_nothing(base, kind, name, content, expected):
    def counts():
        with base.engine.connect() as conn:
            return (
                conn.execute(text(f"SELECT COUNT(*) FROM {TABLES[kind]}")).scalar_one(),
                conn.execute(text("SELECT COUNT(*) FROM import_batches")).scalar_one(),
            )

    before = counts()
    with pytest.raises(ImportRejected) as caught:
        run(base, kind, write(name, content))
    assert [str(e) for e in caught.value.errors] == expected
    assert caught.value.total == len(expected)
    assert counts() == before


def test_errors_are_capped_with_a_count_of_the_rest(base):
    rows = "".join(f"M{i},S1,receipt,2026-09-01T08:30:00,x{i},1,\n" for i in range(5))
    with pytest.raises(ImportRejected) as caught:
        run(base, "movements", write("m.csv", MOVEMENTS + rows), max_errors=2)
    assert caught.value.lines() == [
        "m.csv:2: quantity: 'x0' is not a whole number",
        "m.csv:3: quantity: 'x1' is not a whole number",
        "… and 3 more errors",
        "nothing imported: 5 errors",
    ]


def test_duplicates_across_files_and_chunks_name_the_first_place(base):
    write("a.csv", MOVEMENTS + M1 + "M2,S1,sale,2026-09-02T10:00:00,1,1,\nM3,S1,sale,2026-09-02T10:00:00,1,1,\n")
    write("b.csv", MOVEMENTS + "M4,S1,sale,2026-09-02T10:00:00,1,1,\nM3,S1,sale,2026-09-02T10:00:00,1,1,\n" + M1)
    with pytest.raises(ImportRejected) as caught:
        run(base, "movements", "a.csv", "b.csv", chunk_rows=2)
    assert [str(e) for e in caught.value.errors] == [
        "b.csv:3: id: duplicate key 'M3' (first at a.csv:4)",
        "b.csv:4: id: duplicate key 'M1' (first at a.csv:2)",
    ]


@pytest.mark.parametrize("few", [1000, 0])
def test_unknown_skus_are_found_whether_looked_up_one_by_one_or_against_every_key(base, monkeypatch, few):
    """Past ``_Known.FEW`` values a chunk is checked against every key on file, read once (sorted codes)."""
    monkeypatch.setattr(run_module._Known, "FEW", few)
    rows = [M1, "M2,S9,sale,2026-09-02T10:00:00,1,1,\n", "M3,S2,sale,2026-09-02T10:00:00,1,1,\n"]
    rows += ["M4,S,sale,2026-09-02T10:00:00,1,1,\n", "M5,仓1,sale,2026-09-02T10:00:00,1,1,\n"]
    with pytest.raises(ImportRejected) as caught:
        run(base, "movements", write("m.csv", MOVEMENTS + "".join(rows)), chunk_rows=2)
    assert [str(e) for e in caught.value.errors] == [
        "m.csv:3: sku: unknown SKU 'S9' (not in the store)",
        "m.csv:5: sku: unknown SKU 'S' (not in the store)",
        "m.csv:6: sku: unknown SKU '仓1' (not in the store)",
    ]
    [result] = run(base, "movements", write("ok.csv", MOVEMENTS + M1 + rows[2]), chunk_rows=2)
    assert result.inserted == 2


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.text(alphabet=st.sampled_from(list('M1S2,;"\n\r\t -.:T{}[]x0é仓\ufeff')), max_size=200),
    kind=st.sampled_from(["movements", "skus", "employees"]),
    suffix=st.sampled_from([".csv", ".jsonl"]),
    header=st.booleans(),
)
def test_malformed_files_never_raise_anything_but_the_rejection(base, body, kind, suffix, header):
    content = (",".join(KINDS_BY_NAME[kind].names) + "\n" if header else "") + body
    try:
        run(base, kind, write(f"fuzz{suffix}", content.encode("utf-8", "surrogatepass")))
    except ImportRejected as exc:
        assert exc.errors and all(":" in str(e) for e in exc.errors)


CELLS = [
    "",
    "S1",
    "S2",
    "M1",
    "x",
    "-1",
    "0",
    "7",
    "1.5",
    "1,234.5",
    "2026-09-01T08:30:00",
    "2026-09-01",
    "2026-02-30",
    "2026-03-08T02:30:00",
    "1e5",
    "nan",
    "99999999999",
    "sale",
    "adjustment",
    "receipt",
    "是",
    '"a,b"',
    "S1*2|S2*1",
    "K1*1",
    "E1",
    "E2",
    "E3",
    "purchasing",
    "purchaser",
    "a@b",
    "en",
    "  ",
    "\u00e9",
    "null",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), kind=st.sampled_from(["movements", "skus", "employees", "purchase-orders", "forecasts"]))
def test_plausible_rows_are_imported_or_rejected_cleanly(base, data, kind):
    names = KINDS_BY_NAME[kind].names
    rows = data.draw(
        st.lists(st.lists(st.sampled_from(CELLS), min_size=len(names) - 1, max_size=len(names) + 1), max_size=5)
    )
    content = ",".join(names) + "\n" + "".join(",".join(r) + "\n" for r in rows)
    try:
        run(base, kind, write("rows.csv", content))
    except ImportRejected as exc:
        assert exc.errors
