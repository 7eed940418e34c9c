"""Staff self-service (/me), contract acknowledgements and the appeals page: what each role sees and may do,
idempotent and audited acknowledgements, appeals lodged, withdrawn and decided from the browser forms."""

from __future__ import annotations

import shutil
from decimal import Decimal

from perfrules.engine import acknowledgements
from perfrules.engine.cli import cli
from perfrules.engine.rulebook.checker import load_rulebook
from perfrules.engine.settings import load_settings
from perfrules.storage import access
from perfrules.storage import acknowledgements as ack_store
from perfrules.storage import appeals as appeal_store
from perfrules.storage import evaluation_store as store

from tests.web.conftest import csrf_of
from tests.web.support import NOW, amount_texts


def _line_of(db, employee: str) -> int:
    (line,) = [a["id"] for a in store.adjustments(db, quarter="2026Q1", employee_id=employee)]
    return line


def _form(client, url: str, **fields):
    return client.post(url, data={**fields, "csrf": csrf_of(client)}, follow_redirects=False)


def _digest(app) -> str:
    from perfrules.engine.web.board import rulebook_of

    return rulebook_of(app.state.settings).digest


def test_me_shows_my_lines_and_findings_explained_and_my_clauses(sign_in):
    wang = sign_in("wang")
    landing = wang.get("/", follow_redirects=False)
    assert landing.status_code == 303 and landing.headers["location"] == "/me"
    page = wang.get("/me?period=2026-02").text
    assert any(t in page for t in amount_texts("E2"))
    assert not any(t in page for o in ("E1", "E3", "E4") for t in amount_texts(o))
    assert '<details class="explain"><summary>Explanation</summary><pre>- line #' in page  # explain's wording
    assert "how: 10% of base" in page and "late list of E2" in page
    assert 'action="/me/appeals"' in page and 'id="acknowledge"' in page
    assert "Slow-mover list" in page  # a clause of the purchaser's role in force
    assert "Upcoming deadlines" in page and "Slow-mover list timeliness" in page  # deadlines and KPIs
    assert "我现行的合同条款" in wang.get("/me?lang=zh-CN").text
    assert 'id="to-me"' in wang.get("/employees/E2").text  # her own person page leads to /me
    assert 'id="to-me"' not in sign_in("boss").get("/employees/E2").text


def test_me_needs_an_employee_and_the_people_capability(sign_in):
    assert sign_in("hr").get("/me").status_code == 404  # HR's sign-in is no employee
    assert sign_in("pay").get("/me").status_code == 403
    assert sign_in("boss").get("/me").status_code == 200  # a manager has a page of their own too


def test_acknowledging_twice_is_one_audited_acknowledgement(company, app, sign_in):
    wang, digest = sign_in("wang"), _digest(app)
    first = _form(wang, "/me/acknowledge", digest=digest)
    assert first.status_code == 303 and first.headers["location"].startswith("/me?done=acknowledged")
    assert _form(wang, "/me/acknowledge", digest=digest).status_code == 303
    (record,) = ack_store.acknowledgements(company)
    assert (record.employee_id, record.role, record.rulebook_digest) == ("E2", "purchaser", digest)
    assert record.acknowledged_by == "user:wang" and "purchasing.slow_mover_list v1" in record.clauses
    audit = [e for e in access.audit_entries(company) if e.action == "contract.acknowledged"]
    assert [(e.actor, e.target, e.detail["rulebook_digest"]) for e in audit] == [("user:wang", "E2", digest)]
    page = wang.get("/me?done=acknowledged").text
    assert 'id="ack-state"' in page and 'id="acknowledge"' not in page and "acknowledgement is recorded" in page


def test_a_stale_digest_is_refused_with_a_message(company, sign_in):
    wang = sign_in("wang")
    r = _form(wang, "/me/acknowledge", digest="0" * 64)
    assert r.status_code == 409 and "the rules changed since" in r.text and 'id="me-error"' in r.text
    assert ack_store.acknowledgements(company) == []
    api = wang.post("/api/v1/acknowledgements", json={"digest": "0" * 64}, headers={"X-CSRF-Token": csrf_of(wang)})
    assert api.status_code == 409


def test_hr_sees_who_has_not_acknowledged_page_api_and_cli(company, app, sign_in, runner, database_url):
    li = sign_in("li")
    made = li.post("/api/v1/acknowledgements", json={}, headers={"X-CSRF-Token": csrf_of(li)})
    assert made.status_code == 201 and made.json()["created"] is True
    again = li.post("/api/v1/acknowledgements", json={"digest": _digest(app)}, headers={"X-CSRF-Token": csrf_of(li)})
    assert again.status_code == 200 and again.json()["created"] is False
    hr = sign_in("hr")
    page = hr.get("/acknowledgements").text
    assert '<tr class="ack-done" id="ack-E3">' in page and '<tr class="ack-missing" id="ack-E2">' in page
    missing = {s["employee_id"] for s in hr.get("/api/v1/acknowledgements?missing=true").json()}
    assert "E2" in missing and "E3" not in missing
    assert {s["employee_id"] for s in sign_in("wang").get("/api/v1/acknowledgements").json()} == {"E2"}
    assert {s["employee_id"] for s in sign_in("boss").get("/api/v1/acknowledgements").json()} <= {"E1", "E2", "E3"}
    assert sign_in("wang").get("/acknowledgements").status_code == 403
    out = runner.invoke(cli, ["--database-url", database_url, "contracts", "acknowledgements", "--missing"])
    assert out.exit_code == 0, out.output
    assert "E2" in out.output and "NOT ACKNOWLEDGED" in out.output and "E3 " not in out.output


def test_a_changed_rule_file_needs_a_new_acknowledgement(company, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(load_settings({}).rules_path, rules)
    before = load_rulebook(rules)
    day = NOW.date()
    _, created = acknowledgements.acknowledge(company, before, "E2", by="user:wang", now=NOW, day=day)
    assert created
    (rules / "purchasing.yaml").write_text(
        (rules / "purchasing.yaml").read_text(encoding="utf-8") + "\n# reviewed\n", encoding="utf-8"
    )
    after = load_rulebook(rules)
    assert after.digest != before.digest
    (wang,) = acknowledgements.standings(company, after, day=day, visible=frozenset({"E2"}))
    assert not wang.done and wang.earlier is not None and wang.earlier.rulebook_digest == before.digest
    _, created = acknowledgements.acknowledge(company, after, "E2", by="user:wang", now=NOW, day=day)
    assert created and len(ack_store.acknowledgements(company, employee_ids=frozenset({"E2"}))) == 2


def test_staff_appeal_a_line_from_me_and_withdraw_it(company, sign_in):
    wang, line = sign_in("wang"), _line_of(company, "E2")
    empty = _form(wang, "/me/appeals", subject="line", subject_id=str(line), reason="  ")
    assert empty.status_code == 409 and "needs a reason" in empty.text
    r = _form(wang, "/me/appeals", subject="line", subject_id=str(line), reason="ERP down on the 5th")
    assert r.status_code == 303 and r.headers["location"].startswith("/me?done=appealed#appeal-")
    (appeal,) = appeal_store.appeals(company)
    assert (appeal.employee_id, appeal.subject, appeal.subject_id, appeal.filed_by) == ("E2", "line", line, "user:wang")
    page = wang.get("/me").text
    assert "ERP down on the 5th" in page and f'action="/me/appeals/{appeal.id}/withdraw"' in page
    twice = _form(wang, "/me/appeals", subject="line", subject_id=str(line), reason="again")
    assert twice.status_code == 409 and "open appeal" in twice.text
    foreign = _form(wang, "/me/appeals", subject="line", subject_id=str(_line_of(company, "E3")), reason="x")
    assert foreign.status_code == 409 and "not a bonus line of E2" in foreign.text
    assert _form(sign_in("li"), f"/me/appeals/{appeal.id}/withdraw").status_code == 404  # not li's appeal
    assert _form(wang, f"/me/appeals/{appeal.id}/withdraw").status_code == 303
    assert appeal_store.appeal(company, appeal.id).status == "withdrawn"
    assert _form(wang, f"/me/appeals/{appeal.id}/withdraw").status_code == 409  # decided already: a message
    actions = [e.action for e in access.audit_entries(company) if e.target == f"appeal #{appeal.id}"]
    assert actions == ["appeal.withdrawn", "appeal.filed"]


def test_hr_accepts_with_an_override_and_my_line_shows_corrected(company, sign_in):
    wang, hr, line = sign_in("wang"), sign_in("hr"), _line_of(company, "E2")
    _form(wang, "/me/appeals", subject="line", subject_id=str(line), reason="ERP down")
    (appeal,) = appeal_store.appeals(company)
    boss = sign_in("boss").get("/appeals").text
    assert f'id="appeal-{appeal.id}"' in boss and "ERP down" in boss and "/decision" not in boss  # read-only
    assert "ERP down" not in sign_in("li").get("/appeals").text
    assert _form(sign_in("boss"), f"/appeals/{appeal.id}/decision", decision="reject", reason="x").status_code == 403
    assert _form(wang, f"/appeals/{appeal.id}/decision", decision="reject", reason="x").status_code == 403
    page = hr.get("/appeals").text
    assert f'action="/appeals/{appeal.id}/decision"' in page
    url = f"/appeals/{appeal.id}/decision"
    bad = _form(hr, url, decision="accept", correction="override", amount="abc", reason="outage")
    assert bad.status_code == 400 and "not an amount" in bad.text
    none = _form(hr, url, decision="accept", correction="override", amount="", reason="outage")
    assert none.status_code == 400 and "give the amount" in none.text
    unreasoned = _form(hr, url, decision="reject", reason=" ")
    assert unreasoned.status_code == 409 and "needs a reason" in unreasoned.text
    done = _form(hr, url, decision="accept", correction="override", amount="-500", reason="outage confirmed")
    assert done.status_code == 303 and done.headers["location"].startswith("/appeals?done=accepted")
    row = store.adjustment(company, line)
    assert row["status"] == "overridden" and row["override_amount"] == Decimal("-500.00")
    mine = wang.get("/me").text
    assert "-500.00" in mine and "corrected by HR" in mine and "override to -500.00" in mine
    assert "outage confirmed" in mine and f'action="/me/appeals/{appeal.id}/withdraw"' not in mine
    assert _form(hr, url, decision="reject", reason="late").status_code == 409  # decided already
    assert _form(hr, "/appeals/999/decision", decision="reject", reason="x").status_code == 404


def test_hr_rejects_and_accepts_void_from_the_page(company, sign_in):
    wang, hr = sign_in("wang"), sign_in("hr")
    _form(wang, "/me/appeals", subject="line", subject_id=str(_line_of(company, "E2")), reason="ERP down")
    (finding,) = [f["id"] for f in store.findings(company, quarter="2026Q1") if f["subject"] == "E2"]
    (first,) = appeal_store.appeals(company)
    assert _form(hr, f"/appeals/{first.id}/decision", decision="reject", reason="the ERP was up").status_code == 303
    assert appeal_store.appeal(company, first.id).decision == "the ERP was up"
    _form(wang, "/me/appeals", subject="finding", subject_id=str(finding), reason="ERP log attached")
    second = appeal_store.appeals(company, status="open")[0]
    assert (
        _form(hr, f"/appeals/{second.id}/decision", decision="accept", correction="void", reason="ok").status_code
        == 303
    )
    assert store.adjustment(company, _line_of(company, "E2"))["status"] == "void"
    listing = hr.get("/appeals?status=accepted").text
    assert f'id="appeal-{second.id}"' in listing and f'id="appeal-{first.id}"' not in listing
    assert hr.get("/appeals?status=bogus").status_code == 400


def test_every_step_queues_notices(company, sign_in):
    from perfrules.storage.outbox import list_messages

    wang, hr = sign_in("wang"), sign_in("hr")
    _form(wang, "/me/appeals", subject="line", subject_id=str(_line_of(company, "E2")), reason="ERP down")
    (appeal,) = appeal_store.appeals(company)
    _form(hr, f"/appeals/{appeal.id}/decision", decision="reject", reason="the ERP was up")
    told = {m.key.recipient_id for m in list_messages(company) if m.key.kind == "appeal"}
    assert {"E1", "E2"} <= told  # the manager of the lodging, the person of the decision
