"""A person's page (and the API for them) shows every finding charged to them: company and department
findings carried by role or attribution and priced by their lines, and the breaches they answer for."""

from __future__ import annotations

from decimal import Decimal

from perfrules.storage.evaluation import Adjustment, EvaluationRun, Finding
from sqlalchemy import select

from tests.web.support import NOW


def _finding(s, **values) -> Finding:
    run = s.execute(select(EvaluationRun.id)).scalars().first()  # the run tests.web.support stored
    base = dict(
        rule_id="finance.capital_occupation", subject="company", subject_kind="company", period="2026-02",
        quarter="2026Q1", kind="breach", rule_file="finance.yaml", rule_version="1", kpi="capital_occupation",
        value="0.34", threshold="0.3", comparison="<=", facts={}, streak=["2026-02"],
        message="capital occupation 34% above 30%", charged_to=[], first_run_id=run, last_run_id=run,
    )  # fmt: skip
    finding = Finding(**(base | values))
    s.add(finding)
    s.flush()
    return finding


def test_a_company_finding_moved_to_a_purchaser_shows_on_her_page(company, sign_in):
    with company.session() as s:
        moved = _finding(s, charged_to=[{"employee": "E2", "weight": "1"}], message="moved to purchasing (list late)")
        s.add(
            Adjustment(
                rule_id="finance.capital_occupation", employee_id="E2", period="2026-02", kind="deduction",
                quarter="2026Q1", share=Decimal("-0.15"), base=Decimal("20000"), amount=Decimal("-3000.00"),
                reason_code="threshold_breach", finding_ids=[moved.id], computation="15% of base",
            )
        )  # fmt: skip
    page = sign_in("wang").get("/employees/E2?period=2026-02").text
    assert "moved to purchasing (list late)" in page
    api = sign_in("wang").get("/api/v1/findings", params={"quarter": "2026Q1"}).json()
    assert moved.id in {f["id"] for f in api}
    assert "moved to purchasing (list late)" not in sign_in("li").get("/employees/E3?period=2026-02").text


def test_a_manager_sees_the_breaches_he_answers_for(company, sign_in):
    with company.session() as s:
        _finding(
            s, rule_id="purchasing.slow_mover_list", subject="purchasing", subject_kind="department",
            kpi="slow_mover_list_timeliness", message="department list timeliness 50%",
            answerable=[{"employee": "E1", "department": "purchasing", "streak": ["2026-02"]}],
        )  # fmt: skip
    page = sign_in("boss").get("/employees/E1?period=2026-02").text
    assert "department list timeliness 50%" in page
    assert NOW.year == 2026
