"""One status on the dashboard and in the API: a rule's verdict where one judges the KPI, named."""

from __future__ import annotations

from datetime import date

from tests.kpi.factories import Facts


def _capital_31_percent(db) -> None:
    Facts(db).sku("A").move("A", "receipt", date(2026, 1, 5), 3100).finance("2026-02", current_assets=10000).save()


def test_the_api_gives_the_rules_verdict_and_names_the_rule(sign_in, company):
    _capital_31_percent(company)
    rows = sign_in("hr").get("/api/v1/kpis", params={"period": "2026-02"}).json()
    by_kpi = {r["kpi"]: r for r in rows}
    capital = by_kpi["capital_occupation"]
    assert (capital["value"], capital["status"], capital["judged_by"]) == (
        "0.3100",
        "not_met",
        "finance.capital_occupation@1",
    )
    assert by_kpi["fill_rate"]["judged_by"] == "generic band"  # planning.fill_rate judges quarters
    quarter = {r["kpi"]: r for r in sign_in("hr").get("/api/v1/kpis", params={"period": "2026Q1"}).json()}
    assert quarter["fill_rate"]["judged_by"] == "planning.fill_rate@1"


def test_the_dashboard_shows_a_breach_where_the_rule_says_so(sign_in, company):
    _capital_31_percent(company)
    html = sign_in("hr").get("/dashboard", params={"period": "2026-02"}).text
    row = html.split('data-kpi="capital_occupation"')[1].split("</tr>")[0]
    assert "breach" in row and "finance.capital_occupation@1" in row and "warning" not in row
    assert "Judged by" in html and "generic band" in html
