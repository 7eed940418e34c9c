"""Bad query parameters answer 400 (or 404 for a scope that does not exist) naming the parameter — never a
500 and never a silent empty answer; KPIs a scope's people produce no facts for are not applicable."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("url", "status", "named"),
    [
        ("/api/v1/findings?period=garbage", 400, "period:"),
        ("/api/v1/findings?quarter=2026-02", 400, "quarter:"),
        ("/api/v1/adjustments?quarter=garbage", 400, "quarter:"),
        ("/api/v1/kpis?period=2026-13", 400, "period:"),
        ("/api/v1/kpis?period=2026-02&scope_kind=galaxy&scope=x", 400, "scope_kind:"),
        ("/api/v1/kpis?period=2026-02&scope_kind=department&scope=nowhere", 404, "scope:"),
        ("/api/v1/kpis?period=2026-02&scope_kind=category&scope=nothing", 404, "scope:"),
        ("/api/v1/kpis?period=2026-02&scope_kind=abc_class&scope=Q", 404, "scope:"),
        ("/api/v1/kpis?period=2026-02&scope_kind=sku&scope=NOPE", 404, "scope:"),
        ("/api/v1/kpis/turnover/rows?period=2026-02&scope_kind=department&scope=purchasing", 400, "scope_kind:"),
        ("/api/v1/kpis/capital_occupation/rows?period=2026-02&scope_kind=department&scope=finance", 400, "scope_kind:"),
        ("/api/v1/kpis/nope/rows?period=2026-02", 404, "no KPI"),
        ("/api/v1/kpis?period=2026-02&scope_kind=employee&scope=E999", 404, "scope:"),
        ("/api/v1/kpis", 400, "period: field required"),
        ("/api/v1/adjustments", 400, "quarter: field required"),
        ("/api/v1/payroll-export?quarter=2026Q1&format=pdf", 400, "format:"),
    ],
)
def test_the_api_names_the_bad_parameter(sign_in, url, status, named):
    r = sign_in("hr").get(url)
    assert r.status_code == status, r.text
    assert named in r.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard?period=garbage",
        "/kpis/turnover?scope_kind=department&scope=purchasing&period=2026-02",
        "/kpis/turnover?scope_kind=galaxy&scope=x&period=2026-02",
        "/exports/payroll?quarter=2026-02",
    ],
)
def test_pages_answer_400_for_bad_parameters(sign_in, url):
    r = sign_in("hr").get(url)
    assert r.status_code == 400, r.text


def test_invented_scopes_are_404_on_pages_too(sign_in):
    hr = sign_in("hr")
    assert hr.get("/employees/E999").status_code == 404
    assert hr.get("/departments/nowhere").status_code == 404
    assert hr.get("/kpis/turnover?scope_kind=category&scope=nothing&period=2026-02").status_code == 404


def test_staff_asking_for_someone_else_get_403_whether_or_not_they_exist(sign_in):
    wang = sign_in("wang")
    assert wang.get("/api/v1/kpis?period=2026-02&scope_kind=employee&scope=E3").status_code == 403
    assert wang.get("/api/v1/kpis?period=2026-02&scope_kind=employee&scope=E999").status_code == 403


def test_kpis_a_scope_does_not_produce_are_not_applicable(sign_in):
    hr = sign_in("hr")
    finance = hr.get("/api/v1/kpis?period=2026-02&scope_kind=department&scope=finance").json()
    statuses = {k["kpi"]: k["status"] for k in finance}
    assert statuses["slow_mover_list_timeliness"] == "not_applicable"
    assert {k["value"] for k in finance if k["status"] == "not_applicable"} == {None}
    purchaser = {
        k["kpi"]: k["status"] for k in hr.get("/api/v1/kpis?period=2026-02&scope_kind=employee&scope=E2").json()
    }
    assert purchaser["slow_mover_digestion_rate"] == "not_applicable"  # operations file the disposals
    assert purchaser["inventory_accuracy"] == "not_applicable"  # the warehouse counts
    assert purchaser["purchase_on_time_rate"] != "not_applicable"
    page = hr.get("/departments/finance?period=2026-02").text
    assert "n/a — not this scope&#39;s facts" in page or "n/a — not this scope's facts" in page
    assert "✘ not met" not in page.split('data-kpi="slow_mover_list_timeliness"')[1].split("</tr>")[0]


def test_a_deliverable_kpi_is_not_applicable_to_a_role_that_owes_none(sign_in):
    """purchasing.slow_mover_list and disposal_tracking are owed by purchasers: their manager's page shows
    those KPIs as n/a, never ✘ 0 %; a purchaser's page judges them."""
    hr = sign_in("hr")
    manager = {k["kpi"]: k for k in hr.get("/api/v1/kpis?period=2026-02&scope_kind=employee&scope=E1").json()}
    purchaser = {k["kpi"]: k for k in hr.get("/api/v1/kpis?period=2026-02&scope_kind=employee&scope=E2").json()}
    for kpi in ("slow_mover_list_timeliness", "disposal_tracking_rate"):
        assert (manager[kpi]["status"], manager[kpi]["value"]) == ("not_applicable", None)
        assert purchaser[kpi]["status"] != "not_applicable"
    row = hr.get("/employees/E1?period=2026-02").text.split('data-kpi="slow_mover_list_timeliness"')[1]
    row = row.split("</tr>")[0]
    assert "n/a" in row and ">0.0%<" not in row and "✘" not in row


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize(
    ("url", "status", "heading", "detail"),
    [
        ("/dashboard?period=garbage&lang=en", 400, "This address has a bad parameter", "period:"),
        ("/departments/nowhere?lang=en", 404, "Not found", "nowhere"),
        ("/kpis/nope?lang=zh-CN", 404, "未找到", "nope"),
        ("/no/such/page?lang=zh-CN", 404, "未找到", "Not Found"),
    ],
)
def test_a_browser_gets_errors_as_a_page_in_its_language(sign_in, url, status, heading, detail):
    r = sign_in("hr").get(url, headers=BROWSER)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html")
    assert heading in r.text and detail in r.text
    assert 'href="/"' in r.text and "/logout" in r.text  # the signed-in frame, and a way back


def test_a_page_a_person_may_not_see_is_a_page_too_and_the_api_stays_json(sign_in):
    wang = sign_in("wang")
    page = wang.get("/employees/E3?lang=en", headers=BROWSER)
    assert page.status_code == 403 and "You may not see this page" in page.text
    api = wang.get("/api/v1/kpis?period=2026-02&scope_kind=employee&scope=E3", headers=BROWSER)
    assert api.status_code == 403 and api.headers["content-type"] == "application/json"
