"""Fact push over the API: concurrent pushes all land (SQLite serialises them), errors name the upload."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from perfrules.engine.importing import import_files
from perfrules.engine.importing.reading import Upload
from perfrules.engine.web import credentials
from perfrules.storage import access
from sqlalchemy import text

from tests.web.support import NOW, system_headers

SKUS = "sku,name,category,unit_cost,price,supplier,season,kit_components\n" + "".join(
    f"P{i},Plate {i},ceramic,10.00,25,,,\n" for i in range(8)
)


def test_eight_concurrent_pushes_all_succeed_and_all_rows_land(app, company):
    headers = system_headers(company)
    assert TestClient(app).post("/api/v1/facts/skus", content=SKUS.encode(), headers=headers).status_code == 200
    start = threading.Barrier(8)

    def push(i: int) -> tuple[int, str]:
        client = TestClient(app)
        kind, body = (
            (
                "movements",
                f"id,sku,kind,moved_at,quantity,unit_cost,ref\nM{i},P{i},receipt,"
                f"2026-0{1 + i % 2}-15T10:00:00,{i + 1},10.00,po\n",
            )
            if i % 2
            else ("departments", f"code,name_en,name_zh\nd{i},Dept {i},部门{i}\n")
        )
        start.wait()  # all eight requests in flight together
        r = client.post(f"/api/v1/facts/{kind}", content=body.encode(), headers=headers)
        return r.status_code, r.text

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(push, range(8)))
    assert [status for status, _ in answers] == [200] * 8, answers
    with company.engine.connect() as conn:
        moved = dict(conn.execute(text("SELECT sku, quantity FROM movements")).all())
        rolled = dict(conn.execute(text("SELECT sku, MAX(closing_qty) FROM sku_months GROUP BY sku")).all())
        batches = conn.execute(text("SELECT COUNT(*) FROM import_batches")).scalar()
    assert moved == {f"P{i}": i + 1 for i in (1, 3, 5, 7)}
    assert {sku: rolled[sku] for sku in moved} == moved  # every push refreshed its SKU's rollup
    assert {f"d{i}" for i in (0, 2, 4, 6)} <= {d.code for d in access.departments(company)}
    assert batches == 9
    assert len(access.audit_entries(company, action="facts.import")) == 9


def test_errors_name_the_upload_not_a_temporary_file(app, company):
    client = TestClient(app)
    headers = system_headers(company)
    bad = "code,name_en,name_zh\nops,Operations,运营\nhr,,人事\n".encode()
    r = client.post("/api/v1/facts/departments", content=bad, headers=headers)
    assert r.status_code == 422
    assert r.json()["detail"]["errors"][0] == "upload.csv:3: name_en: required value is missing"
    named = headers | {"Content-Disposition": 'attachment; filename="C:\\\\exports\\\\depts-0310.csv"'}
    r = client.post("/api/v1/facts/departments", content=bad, headers=named)
    assert r.json()["detail"]["errors"][0].startswith("depts-0310.csv:3: name_en: ")
    jsonl = headers | {"Content-Type": "application/x-ndjson"}
    r = client.post("/api/v1/facts/departments", content=b'{"code": "ops", "name_en": "Ops"}\n', headers=jsonl)
    assert r.json()["detail"]["errors"][0].startswith("upload.jsonl:1: name_zh: ")


def test_a_good_push_records_the_upload_name_on_its_import_batch(app, company):
    headers = system_headers(company) | {"Content-Disposition": 'attachment; filename="depts.csv"'}
    r = TestClient(app).post(
        "/api/v1/facts/departments", content="code,name_en,name_zh\nops,Ops,运营\n".encode(), headers=headers
    )
    assert r.status_code == 200 and r.json()["inserted"] == 1
    with company.engine.connect() as conn:
        assert conn.execute(text("SELECT source FROM import_batches")).scalars().all() == ["depts.csv"]


def test_a_push_and_its_audit_entry_commit_together(app, company):
    client = TestClient(app)
    headers = system_headers(company)
    good = "code,name_en,name_zh\nops,Ops,运营\n".encode()
    assert client.post("/api/v1/facts/departments", content=good, headers=headers).status_code == 200
    bad = "code,name_en,name_zh\nhr,,人事\n".encode()
    assert client.post("/api/v1/facts/departments", content=bad, headers=headers).status_code == 422
    (entry,) = access.audit_entries(company, action="facts.import")  # the rejected push left no entry
    assert (entry.actor, entry.target, entry.detail) == (
        "token:erp",
        "departments",
        {"rows": 1, "inserted": 1, "updated": 0},
    )
    assert entry.at == NOW


def test_a_failing_audit_rolls_the_import_back(company):
    upload = Upload("depts.csv", "code,name_en,name_zh\nops,Ops,运营\n".encode())

    def audit(conn, results):
        access.record_in(conn, now=NOW, actor="test", action="facts.import", target="departments")
        raise RuntimeError("audit store down")

    with pytest.raises(RuntimeError):
        import_files(company, "departments", [upload], zone=NOW.tzinfo, now=NOW, user="test", on_loaded=audit)
    assert "ops" not in {d.code for d in access.departments(company)}
    assert access.audit_entries(company, action="facts.import") == []
    with company.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM import_batches")).scalar() == 0


def test_a_revoked_token_fails_on_its_next_request(app, company):
    client = TestClient(app)
    headers = system_headers(company)
    body = "code,name_en,name_zh\nops,Ops,运营\n".encode()
    assert client.post("/api/v1/facts/departments", content=body, headers=headers).status_code == 200
    access.revoke_token(company, name="erp", now=NOW, actor="user:hr")
    assert client.post("/api/v1/facts/departments", content=body, headers=headers).status_code == 401
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_push_with_a_wrong_token_or_by_a_role_without_push_imports_nothing(app, company):
    body = "code,name_en,name_zh\nops,Ops,运营\n".encode()
    secret = credentials.issue_token(company, name="payroll", role="payroll", employee_id=None, now=NOW, actor="t")
    client = TestClient(app)
    wrong = {"Authorization": "Bearer pr_wrong", "Content-Type": "text/csv"}
    wrong_token = client.post("/api/v1/facts/departments", content=body, headers=wrong)
    payroll = client.post("/api/v1/facts/departments", content=body, headers={"Authorization": f"Bearer {secret}"})
    unknown_kind = client.post("/api/v1/facts/nonsense", content=body, headers=wrong)
    assert (wrong_token.status_code, payroll.status_code, unknown_kind.status_code) == (401, 403, 401)
    empty = client.post("/api/v1/facts/departments", headers=wrong)
    assert empty.status_code == 401  # the caller first, then the body
    system = system_headers(company)
    refused = client.post("/api/v1/facts/departments", headers=system)
    assert refused.status_code == 422 and "the file is empty" in refused.text
    assert "may not use this (push)" in payroll.text
    assert "ops" not in {d.code for d in access.departments(company)}
    assert access.audit_entries(company, action="facts.import") == []


def _push(app, headers, kind: str, body: str):
    return TestClient(app).post(f"/api/v1/facts/{kind}", content=body.encode(), headers=headers)


def test_a_push_that_changes_a_row_says_so_and_records_the_old_and_new_value(app, company):
    headers = system_headers(company)
    assert _push(app, headers, "departments", "code,name_en,name_zh\nops,Ops,运营\n").json()["inserted"] == 1
    r = _push(app, headers, "departments", "code,name_en,name_zh\nops,Operations,运营\n")
    assert r.status_code == 200
    assert r.json() == {"kind": "departments", "rows": 1, "inserted": 0, "updated": 1, "unchanged": 0}
    with company.engine.connect() as conn:
        (change,) = conn.execute(text("SELECT fact_key, old, new FROM fact_changes")).all()
    assert change.fact_key == "ops"
    assert (change.old, change.new) in (
        ({"name_en": "Ops"}, {"name_en": "Operations"}),
        ('{"name_en": "Ops"}', '{"name_en": "Operations"}'),
    )
    entries = access.audit_entries(company, action="facts.import")
    assert [e.detail for e in entries] == [
        {"rows": 1, "inserted": 0, "updated": 1},
        {"rows": 1, "inserted": 1, "updated": 0},
    ]


@pytest.mark.parametrize(
    "zone, utc",
    [
        ("Asia/Shanghai", "2026-02-27 02:15"),
        ("Europe/Berlin", "2026-02-27 09:15"),
        ("America/St_Johns", "2026-02-27 13:45"),
    ],
)
def test_local_times_of_a_push_are_read_in_the_company_zone(company, database_url, zone, utc):
    """The importer keeps local-hour conversions between pushes; each zone keeps its own (St John's is
    UTC-3:30, so it takes the conversion of whole hours' other path)."""
    from perfrules.engine.settings import load_settings
    from perfrules.engine.web.app import create_app

    settings = load_settings({"database_url": database_url, "timezone": zone}, environ={})
    app = create_app(settings, db=company, clock=lambda: NOW)
    headers = system_headers(company)
    assert _push(app, headers, "skus", SKUS).status_code == 200
    for i in range(2):  # the second push finds the day's hours already converted
        body = f"id,sku,kind,moved_at,quantity,unit_cost,ref\nZ{i},P1,receipt,2026-02-27T10:15:00,1,10.00,po\n"
        assert _push(app, headers, "movements", body).status_code == 200, zone
    with company.engine.connect() as conn:
        stored = conn.execute(text("SELECT moved_at FROM movements ORDER BY id")).scalars().all()
    assert [str(s)[:16] for s in stored] == [utc, utc]


def test_an_unknown_kind_is_a_404_and_a_bad_file_changes_nothing(app, company):
    headers = system_headers(company)
    r = _push(app, headers, "departmentz", "code,name_en,name_zh\nops,Ops,运营\n")
    assert r.status_code == 404 and "did you mean 'departments'" in r.json()["detail"]["message"]
    r = _push(
        app,
        headers,
        "movements",
        "id,sku,kind,moved_at,quantity,unit_cost,ref\nM1,NOPE,receipt,2026-02-27T10:00:00,1,1.00,x\n",
    )
    assert r.status_code == 422
    assert r.json()["detail"]["errors"] == [
        "upload.csv:2: sku: unknown SKU 'NOPE' (not in the store)",
        "nothing imported: 1 error",
    ]
    with company.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM movements")).scalar() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM import_batches")).scalar() == 0
    assert access.audit_entries(company, action="facts.import") == []
