"""The rule editor over HTTP (/rules, /api/v1/rules): the check as you type names the typo at its line and
column with the did-you-mean text; previews write nothing; four eyes (the author cannot approve, a second
HR user can); publishing writes the file atomically and the running app reads the new version at once;
a published change is rolled back the same way; only HR reaches any of it."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from perfrules.engine.settings import load_settings
from perfrules.engine.web import credentials
from perfrules.engine.web.app import create_app
from perfrules.storage import access
from sqlalchemy import func, select
from sqlmodel import SQLModel

from tests.web.conftest import csrf_of
from tests.web.support import NOW, PASSWORD

ROOT = Path(__file__).resolve().parents[2]
RULE = "  - id: purchasing.slow_mover_list\n"


@pytest.fixture
def folder(tmp_path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    return rules


def add_hr(db, username: str = "hr2") -> None:
    """A second HR user, to approve what ``hr`` drafts."""
    access.add_user(
        db, username=username, display_name=username.upper(), password_hash=credentials.hash_password(PASSWORD),
        role="hr", employee_id=None, now=NOW, actor="test",
    )  # fmt: skip


@pytest.fixture
def app(company, database_url, folder):
    add_hr(company)
    settings = load_settings(
        {"database_url": database_url, "rules_dir": str(folder)}, environ={"PERFRULES_DEFAULT_LOCALE": "en"}
    )
    return create_app(settings, db=company, clock=lambda: NOW)


def typo(text: str) -> str:
    assert "    threshold:\n" in text
    return text.replace("    threshold:\n", "    treshold:\n", 1)


def new_version(text: str) -> str:
    """purchasing.slow_mover_list version 2 from 2026-04-01 with a 15% deduction (version 1 ends 2026-03-31)."""
    start = text.index(RULE)
    end = text.index("\n  - id:", start + 1) + 1
    block = text[start:end]
    old = block.replace("effective_from: 2026-01-01\n", "effective_from: 2026-01-01\n    effective_to: 2026-03-31\n", 1)
    new = block.replace("version: 1\n", "version: 2\n", 1).replace(
        "effective_from: 2026-01-01", "effective_from: 2026-04-01"
    )
    return text[:start] + old + new.replace("10%", "15%") + text[end:]


def _json(client: TestClient, url: str, body: dict) -> dict:
    r = client.post(url, json=body, headers={"X-CSRF-Token": csrf_of(client)})
    assert r.status_code < 500, r.text
    return {**(r.json() if isinstance(r.json(), dict) else {"items": r.json()}), "code": r.status_code}


def test_the_check_names_a_typo_at_its_line_and_column_with_did_you_mean(sign_in, folder):
    hr = sign_in("hr")
    text = typo((folder / "purchasing.yaml").read_text(encoding="utf-8"))
    answer = _json(hr, "/api/v1/rules/check", {"file": "purchasing.yaml", "text": text})
    assert answer["ok"] is False
    (d,) = answer["diagnostics"]
    line = text.splitlines().index("    treshold:") + 1
    assert (d["file"], d["line"], d["column"], d["severity"]) == ("purchasing.yaml", line, 5, "error")
    assert d["message"] == "unknown key 'treshold' (did you mean 'threshold'?)" and d["path"] == "rules[0].treshold"
    fixed = _json(hr, "/api/v1/rules/check", {"file": "purchasing.yaml", "text": text.replace("treshold", "threshold")})
    assert fixed["ok"] is True and [d for d in fixed["diagnostics"] if d["file"] == "purchasing.yaml"] == []


def test_the_check_sees_the_other_files_and_warns(sign_in, folder):
    hr = sign_in("hr")
    text = (folder / "purchasing.yaml").read_text(encoding="utf-8")
    rule = text[text.index(RULE) : text.index("\n  - id:", text.index(RULE) + 1) + 1]
    clash = (folder / "finance.yaml").read_text(encoding="utf-8").replace("rules:\n", "rules:\n" + rule, 1)
    answer = _json(hr, "/api/v1/rules/check", {"file": "finance.yaml", "text": clash})
    assert any("defined twice" in d["message"] for d in answer["diagnostics"]), answer  # found across files
    stated = text.replace("deduction: 10%", "deduction: 12%", 1)
    answer = _json(hr, "/api/v1/rules/check", {"file": "purchasing.yaml", "text": stated})
    assert answer["ok"] is True
    mine = [d for d in answer["diagnostics"] if d["file"] == "purchasing.yaml"]
    assert {d["severity"] for d in mine} == {"warning"} and len(mine) == 2  # the zh-CN and en penalty texts
    assert all("states 10%" in d["message"] and d["line"] > 1 for d in mine)


def test_unknown_file_and_bad_body_are_clear_errors(sign_in):
    hr = sign_in("hr")
    assert _json(hr, "/api/v1/rules/check", {"file": "../etc/passwd", "text": "x"})["code"] == 404
    assert _json(hr, "/api/v1/rules/check", {"file": "purchasing.yaml"})["code"] == 422
    assert hr.get("/rules/edit", params={"file": "nope.yaml"}).status_code == 404
    assert hr.get("/rules/drafts/99").status_code == 404


def _counts(db) -> dict[str, int]:
    with db.session() as s:
        tables = SQLModel.metadata.tables.items()
        return {name: s.execute(select(func.count()).select_from(t)).scalar_one() for name, t in tables}


def test_previews_write_nothing(sign_in, company, folder):
    hr = sign_in("hr")
    before, files = _counts(company), {p: p.read_bytes() for p in folder.rglob("*")if p.is_file()}  # fmt: skip
    draft = new_version((folder / "purchasing.yaml").read_text(encoding="utf-8")).replace("15%", "50%")
    seen = _json(hr, "/api/v1/rules/preview", {"file": "purchasing.yaml", "text": draft, "months": 3})
    assert seen["ok"] and any("50%" in c for c in seen["changes"])
    assert {c["locale"] for c in seen["clauses"]} == {"zh-CN", "en"} and seen["day"] == "2026-04-01"
    assert seen["tests"] and seen["whatif"]["first"] == "2025-12" and seen["whatif"]["last"] == "2026-02"
    assert seen["whatif"]["later"] == "2026-04-01"  # version 2 starts after these months: said, not hidden
    page = hr.post("/rules/preview", json={"file": "purchasing.yaml", "text": draft, "months": 2},
                   headers={"X-CSRF-Token": csrf_of(hr)})  # fmt: skip
    assert page.status_code == 200 and 'id="preview-whatif"' in page.text and 'id="preview-clauses"' in page.text
    assert _counts(company) == before  # no finding, adjustment, export, draft or audit row
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == files


def test_the_whatif_prices_the_draft_per_person_and_quarter(sign_in, folder):
    hr = sign_in("hr")
    text = (folder / "purchasing.yaml").read_text(encoding="utf-8")
    draft = text.replace("deduction: 10%", "deduction: 15%", 1).replace("10%", "15%", 2)
    seen = _json(hr, "/api/v1/rules/preview", {"file": "purchasing.yaml", "text": draft, "months": 3})
    lines = {(x["employee"], x["quarter"]): x for x in seen["whatif"]["lines"]}
    assert set(lines) == {("E2", "2026Q1"), ("E3", "2026Q1")}  # the purchasers, who never sent the list
    for x in lines.values():
        assert float(x["proposed"]) == pytest.approx(1.5 * float(x["current"])) and float(x["change"]) < 0
    assert seen["whatif"]["later"] is None


def _form(client: TestClient, url: str, **data) -> object:
    return client.post(url, data={"csrf": csrf_of(client), **data}, follow_redirects=False)


def test_four_eyes_then_publish_and_the_app_enforces_the_new_version(app, sign_in, company, folder):
    hr, hr2 = sign_in("hr"), sign_in("hr2")
    original = (folder / "purchasing.yaml").read_text(encoding="utf-8")
    broken = _form(hr, "/rules/drafts", file="purchasing.yaml", text=typo(original))
    assert broken.status_code == 409 and "did you mean &#39;threshold&#39;?" in broken.text
    saved = _form(hr, "/rules/drafts", file="purchasing.yaml", text=new_version(original), note="harder")
    assert saved.status_code == 303
    review = saved.headers["location"]
    draft_id = int(review.rsplit("/", 1)[1])
    page = hr.get(review).text
    changes = page[page.index('id="preview-changes"') : page.index('id="preview-clauses"')]
    assert "purchasing.slow_mover_list" in changes and "15%" in changes, changes
    assert _form(hr, f"{review}/submit").status_code == 303
    own = _form(hr, f"{review}/approve")
    assert own.status_code == 409 and "a second person must approve it" in own.text
    assert "await-review" in hr.get(review).text  # the author is told to wait, not offered the button
    assert 'id="step-approve"' in hr2.get(review).text
    assert _json(hr, f"/api/v1/rules/drafts/{draft_id}/approve", {})["code"] == 409
    assert _form(hr2, f"{review}/approve", note="ok").status_code == 303
    assert (folder / "purchasing.yaml").read_text(encoding="utf-8") == original  # approved, not yet published
    assert _form(hr, f"{review}/publish").status_code == 303
    assert (folder / "purchasing.yaml").read_text(encoding="utf-8") == new_version(original)
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary file left behind

    def versions(day) -> dict:
        app.state.clock = lambda: datetime.combine(day, NOW.timetz())
        found = sign_in("hr2").get("/api/v1/rules").json()  # a session of that day
        (purchasing,) = [f for f in found["files"] if f["file"] == "purchasing.yaml"]
        return {r["version"]: r["in_force"] for r in purchasing["rules"] if r["id"] == "purchasing.slow_mover_list"}

    assert versions(NOW.date()) == {1: True, 2: False}  # the running app re-read the folder: no restart
    assert versions(datetime(2026, 4, 1, tzinfo=ZoneInfo("Asia/Shanghai")).date()) == {1: False, 2: True}
    app.state.clock = lambda: NOW
    assert "v2 · 2026-04-01" in hr.get("/rules").text
    published = next(e for e in access.audit_entries(company) if e.action == "rules.publish")
    assert published.detail["author"] == "hr" and published.detail["reviewer"] == "hr2"
    assert "+    effective_to: 2026-03-31" in published.detail["diff"] and len(published.detail["digest"]) == 64


def test_a_published_change_is_rolled_back_the_same_way(sign_in, folder):
    hr, hr2 = sign_in("hr"), sign_in("hr2")
    original = (folder / "purchasing.yaml").read_text(encoding="utf-8")
    first = _json(hr, "/api/v1/rules/drafts", {"file": "purchasing.yaml", "text": new_version(original)})
    assert first["code"] == 201 and first["author"] == "hr"
    for client, step in ((hr, "submit"), (hr2, "approve"), (hr, "publish")):
        assert _json(client, f"/api/v1/rules/drafts/{first['id']}/{step}", {})["code"] == 200, step
    back = _form(hr2, f"/rules/drafts/{first['id']}/rollback")
    assert back.status_code == 303
    second = int(back.headers["location"].split("?")[0].rsplit("/", 1)[1])
    assert second != first["id"]
    assert hr2.get(f"/api/v1/rules/drafts/{second}").json()["content"] == original
    for client, step in ((hr2, "submit"), (hr, "approve"), (hr2, "publish")):
        assert _json(client, f"/api/v1/rules/drafts/{second}/{step}", {})["code"] == 200, step
    assert (folder / "purchasing.yaml").read_text(encoding="utf-8") == original
    listed = {d["id"]: d["status"] for d in hr.get("/api/v1/rules/drafts").json()}
    assert listed == {first["id"]: "published", second: "published"}


def test_a_reject_needs_a_note_and_a_form_without_csrf_is_refused(sign_in, folder):
    hr, hr2 = sign_in("hr"), sign_in("hr2")
    text = new_version((folder / "purchasing.yaml").read_text(encoding="utf-8"))
    made = _json(hr, "/api/v1/rules/drafts", {"file": "purchasing.yaml", "text": text})
    _json(hr, f"/api/v1/rules/drafts/{made['id']}/submit", {})
    assert _form(hr2, f"/rules/drafts/{made['id']}/reject").status_code == 409
    assert _form(hr2, f"/rules/drafts/{made['id']}/reject", note="too harsh").status_code == 303
    assert hr2.post(f"/rules/drafts/{made['id']}/withdraw", data={}).status_code == 403  # no CSRF field
    assert _form(hr2, f"/rules/drafts/{made['id']}/frobnicate").status_code == 404


def test_a_folder_broken_by_hand_is_shown_and_fixed_through_review(app, sign_in, folder):
    hr, hr2 = sign_in("hr"), sign_in("hr2")
    original = (folder / "purchasing.yaml").read_text(encoding="utf-8")
    (folder / "purchasing.yaml").write_text(typo(original), encoding="utf-8")  # an edit on the server
    page = hr.get("/rules")
    assert page.status_code == 200 and 'id="folder-broken"' in page.text and "did you mean" in page.text
    assert hr.get("/api/v1/rules").json()["digest"] is None
    made = _json(hr, "/api/v1/rules/drafts", {"file": "purchasing.yaml", "text": original})
    for client, step in ((hr, "submit"), (hr2, "approve"), (hr, "publish")):
        assert _json(client, f"/api/v1/rules/drafts/{made['id']}/{step}", {})["code"] == 200, step
    assert 'id="rulebook-digest"' in hr.get("/rules").text
