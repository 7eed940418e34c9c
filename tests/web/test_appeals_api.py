"""Appeals over the API: staff lodge against their own line, see only their own, cannot decide; HR decides;
an accepted appeal voids the line (a correction), a rejected one changes nothing."""

from __future__ import annotations

from perfrules.storage import evaluation_store as store

from tests.web.conftest import csrf_of


def _line_of(db, employee: str) -> int:
    (line,) = [a["id"] for a in store.adjustments(db, quarter="2026Q1", employee_id=employee)]
    return line


def _post(client, url, body):
    return client.post(url, json=body, headers={"X-CSRF-Token": csrf_of(client)})


def test_staff_appeal_their_own_line_and_hr_accepts(company, sign_in):
    wang, hr = sign_in("wang"), sign_in("hr")
    line = _line_of(company, "E2")
    r = _post(wang, "/api/v1/appeals", {"subject": "line", "id": line, "reason": "ERP down"})
    assert r.status_code == 201, r.text
    appeal = r.json()
    assert appeal["employee_id"] == "E2" and appeal["status"] == "open"
    assert _post(wang, "/api/v1/appeals", {"subject": "line", "id": line, "reason": "again"}).status_code == 409
    other = _post(wang, "/api/v1/appeals", {"subject": "line", "id": _line_of(company, "E3"), "reason": "x"})
    assert other.status_code == 409 and "not a bonus line of E2" in other.json()["detail"]
    foreign = _post(wang, "/api/v1/appeals", {"subject": "line", "id": line, "reason": "x", "employee": "E3"})
    assert foreign.status_code == 403

    assert [a["id"] for a in sign_in("li").get("/api/v1/appeals").json()] == []  # not li's
    assert [a["id"] for a in sign_in("boss").get("/api/v1/appeals").json()] == [appeal["id"]]  # his team's
    decision = {"decision": "accept", "reason": "outage confirmed"}
    assert _post(wang, f"/api/v1/appeals/{appeal['id']}/decision", decision).status_code == 403
    done = _post(hr, f"/api/v1/appeals/{appeal['id']}/decision", decision)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "accepted" and done.json()["adjustment_ids"] == [line]
    assert store.adjustment(company, line)["status"] == "void"
    again = _post(hr, f"/api/v1/appeals/{appeal['id']}/decision", {"decision": "reject", "reason": "x"})
    assert again.status_code == 409
    assert _post(hr, "/api/v1/appeals/999/decision", decision).status_code == 404


def test_a_rejected_appeal_changes_nothing(company, sign_in):
    wang, hr = sign_in("wang"), sign_in("hr")
    line = _line_of(company, "E2")
    appeal = _post(wang, "/api/v1/appeals", {"subject": "line", "id": line, "reason": "too harsh"}).json()
    r = _post(hr, f"/api/v1/appeals/{appeal['id']}/decision", {"decision": "reject", "reason": "late is late"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert store.adjustment(company, line)["status"] == "active"
    assert wang.get("/api/v1/appeals?status=bogus").status_code == 400
