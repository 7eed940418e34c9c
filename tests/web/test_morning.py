"""The dashboard's morning view: department status counts with weights, people at risk and the quarter's
deductions by department — each person's data only for those who may see them, in the page's language."""

from __future__ import annotations

import re

from perfrules.engine.kpi import catalog

from tests.web.support import AMOUNTS


def section(html: str, name: str) -> str:
    found = re.search(rf'<section id="{name}">(.*?)</section>', html, re.DOTALL)
    assert found, f"no section {name}"
    return found.group(1)


def at_risk_people(html: str) -> set[str]:
    return set(re.findall(r'data-employee="(\w+)"', section(html, "at-risk")))


def test_hr_sees_everyone_at_risk_and_every_departments_deductions(sign_in):
    page = sign_in("hr").get("/dashboard", params={"period": "2026-02"}).text
    # each of them breached the list rule in February: one more month in a row and training follows; the
    # finance analyst also owes the capital report due today at 18:00 with nothing handed in
    assert at_risk_people(page) == {"E1", "E2", "E3", "E4"}
    risk = section(page, "at-risk")
    assert "one breach away" in risk and "training" in risk and "2026-03" in risk
    assert "Inventory-capital report 2026-02" in risk
    deductions = section(page, "quarter-deductions")
    purchasing = AMOUNTS["E1"] + AMOUNTS["E2"] + AMOUNTS["E3"]
    assert f"{purchasing:,.2f}".lstrip("-") in deductions and f"{AMOUNTS['E4']:,.2f}".lstrip("-") in deductions
    assert re.findall(r'<tr data-department="(\w+)">', deductions) == ["purchasing", "finance"]  # largest first


def test_a_manager_sees_the_status_of_every_department_but_only_their_teams_people_and_money(sign_in):
    page = sign_in("boss").get("/dashboard", params={"period": "2026-02"}).text
    assert at_risk_people(page) == {"E1", "E2", "E3"}
    assert "Chen Jing" not in page and "capital report" not in section(page, "at-risk")
    deductions = section(page, "quarter-deductions")
    assert re.findall(r'<tr data-department="(\w+)">', deductions) == ["purchasing"]
    assert f"{AMOUNTS['E4']:,.2f}".lstrip("-") not in page
    status = section(page, "departments-status")
    assert set(re.findall(r'<tr data-department="(\w+)">', status)) == {"purchasing", "finance"}
    assert "Fill rate" not in status  # planning is not a department of this company: its weights are not listed


def test_the_responsibility_matrix_weights_show_beside_their_department(company, sign_in):
    from perfrules.storage.models import Department

    with company.session() as s:
        s.add(Department(code="planning", name_en="Planning", name_zh="计划"))
    page = sign_in("hr").get("/dashboard", params={"period": "2026-02"}).text
    row = re.search(r'<tr data-department="planning">(.*?)</tr>', section(page, "departments-status"), re.DOTALL)
    assert row and "Fill rate <b>30%</b>" in row.group(1) and "Emergency order rate <b>10%</b>" in row.group(1)


def test_every_kpi_name_unit_and_status_is_in_the_pages_language(sign_in):
    hr = sign_in("hr")
    zh = hr.get("/dashboard", params={"period": "2026-02", "lang": "zh-CN"}).text
    kpis = section(zh, "kpis")
    for kpi in catalog.CATALOG:
        assert kpi.name_zh in kpis and f">{kpi.name_en}<" not in kpis, kpi.id
    assert " 天" in kpis and " 次/年" in kpis and " d<" not in kpis and "/yr" not in kpis
    assert "无数据" in kpis and "no data" not in kpis
    assert "风险人员" in zh and "本季度各部门扣款" in zh and "再违规一次即升级" in zh
    en = hr.get("/dashboard", params={"period": "2026-02", "lang": "en"}).text
    assert "Inventory turnover" in section(en, "kpis") and "库存周转率" not in section(en, "kpis")


def test_each_kpi_has_a_fixed_size_sparkline_instead_of_a_large_chart(sign_in):
    page = sign_in("hr").get("/dashboard", params={"period": "2026-02"}).text
    kpis = section(page, "kpis")
    rows = re.findall(r'<tr class="status-[\w]+" data-kpi="(\w+)">', kpis)
    assert len(rows) == len(re.findall(r'<svg class="spark" viewBox="0 0 120.0 28.0" width="120" height="28"', kpis))
    assert 'id="trends"' not in page and page.count("<canvas") == 5  # class, slow-mover and forecast charts only


def test_deductions_sum_the_amounts_in_force_as_decimal(company):
    from datetime import datetime
    from decimal import Decimal

    from perfrules.engine.reporting.deductions import by_department, quarter_deductions
    from perfrules.storage import evaluation_store as store

    lines = {a["employee_id"]: a["id"] for a in store.adjustments(company, quarter="2026Q1")}
    at = datetime(2026, 3, 11, 9, 0).astimezone()
    store.act_on_adjustment(company, lines["E2"], "override", reason="outage", by="hr", at=at, amount=Decimal("-0.10"))
    store.act_on_adjustment(company, lines["E3"], "void", reason="wrong list", by="hr", at=at)
    got = {d.department: d for d in quarter_deductions(company, "2026Q1", None)}
    assert got["purchasing"].deducted == AMOUNTS["E1"] + Decimal("-0.10") and got["purchasing"].people == 2
    assert got["finance"].deducted == AMOUNTS["E4"]
    assert quarter_deductions(company, "2026Q1", frozenset({"E4"}))[0].department == "finance"
    assert quarter_deductions(company, "2025Q4", None) == []
    # awards and deductions apart, exact to the cent (0.1 + 0.2 is 0.3 here)
    summed = by_department([("x", "a", Decimal("0.1")), ("x", "a", Decimal("0.2")), ("x", "b", Decimal("-1.05"))])
    assert (summed[0].awarded, summed[0].deducted, summed[0].people) == (Decimal("0.3"), Decimal("-1.05"), 1)


def test_the_kpi_page_names_its_scope_in_the_pages_language(sign_in):
    hr = sign_in("hr")
    timeliness = catalog.BY_ID["slow_mover_list_timeliness"]
    for url, heading in [
        ("/kpis/turnover?lang=zh-CN&period=2026-02", "库存周转率 · 公司 · 2026-02"),
        ("/kpis/turnover?lang=en&period=2026-02", "Inventory turnover · Company · 2026-02"),
        (
            "/kpis/slow_mover_list_timeliness?lang=zh-CN&period=2026-02&scope_kind=department&scope=purchasing",
            f"{timeliness.name_zh} · 部门 purchasing · 2026-02",
        ),
    ]:
        page = hr.get(url)
        assert page.status_code == 200, page.text
        assert heading in page.text
