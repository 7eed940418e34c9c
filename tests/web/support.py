"""A small company for the web tests: two departments, a manager with two reports, one outsider, one user
per role, and evaluation results whose amounts are easy to spot in any page."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from perfrules.engine.settings import load_settings
from perfrules.engine.web import credentials
from perfrules.storage import Database, access
from perfrules.storage.evaluation import Adjustment, EvaluationRun, Finding
from perfrules.storage.models import Department, Employee

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
PASSWORD = "correct horse battery staple"
# Each employee's bonus adjustment amount in Q1 2026; a page showing someone else's is a leak.
AMOUNTS = {"E1": Decimal("-1111.11"), "E2": Decimal("-2222.22"), "E3": Decimal("-3333.33"), "E4": Decimal("-4444.44")}
DEPARTMENTS = {"E1": "purchasing", "E2": "purchasing", "E3": "purchasing", "E4": "finance"}
USERS = {
    "hr": ("hr", None),
    "boss": ("manager", "E1"),
    "wang": ("staff", "E2"),
    "li": ("staff", "E3"),
    "pay": ("payroll", None),
    "erp": ("system", None),
}


def amount_texts(employee_id: str) -> list[str]:
    """The ways an amount can appear in HTML or JSON."""
    a = AMOUNTS[employee_id]
    return [f"{a:,.2f}", f"{a:.2f}", f"{-a:,.2f}", f"{-a:.2f}"]


def build_company(db: Database) -> None:
    with db.session() as s:
        s.add(Department(code="purchasing", name_en="Purchasing", name_zh="采购"))
        s.add(Department(code="finance", name_en="Finance", name_zh="财务"))
        s.flush()
        s.add(_employee("E1", "Boss Zhao", "赵经理", "purchasing", "purchasing_manager", None))
        s.flush()
        s.add(_employee("E2", "Wang Fang", "王芳", "purchasing", "purchaser", "E1"))
        s.add(_employee("E3", "Li Lei", "李雷", "purchasing", "purchaser", "E1"))
        s.add(_employee("E4", "Chen Jing", "陈静", "finance", "finance_analyst", None))
        s.flush()
        run = EvaluationRun(
            period="2026-02",
            rulebook_version="v1",
            rule_files={},
            facts_hash="x",
            as_of=NOW,
            started_at=NOW,
            finished_at=NOW,
            status="done",
        )
        s.add(run)
        s.flush()
        for emp, amount in AMOUNTS.items():
            finding = Finding(
                rule_id="purchasing.slow_mover_list",
                subject=emp,
                subject_kind="employee",
                period="2026-02",
                quarter="2026Q1",
                kind="breach",
                rule_file="purchasing.yaml",
                rule_version="1",
                kpi="slow_mover_list_timeliness",
                value="0.5",
                threshold="0.9",
                comparison=">=",
                facts={},
                streak=["2026-02"],
                answerable=[{"employee": emp, "department": DEPARTMENTS[emp], "streak": ["2026-02"]}],
                message=f"late list of {emp}",
                charged_to=[{"employee": emp, "weight": "1"}],
                first_run_id=run.id,
                last_run_id=run.id,
            )
            s.add(finding)
            s.flush()
            s.add(
                Adjustment(
                    rule_id="purchasing.slow_mover_list",
                    employee_id=emp,
                    period="2026-02",
                    kind="deduction",
                    quarter="2026Q1",
                    share=Decimal("-0.10"),
                    base=-amount * 10,
                    amount=amount,
                    reason_code="deadline_missed",
                    finding_ids=[finding.id],
                    computation="10% of base",
                )
            )
    for username, (role, employee) in USERS.items():
        access.add_user(
            db,
            username=username,
            display_name=username.title(),
            password_hash=credentials.hash_password(PASSWORD),
            role=role,
            employee_id=employee,
            now=NOW,
            actor="test",
        )


def _employee(id_, en, zh, dept, role, manager):
    return Employee(
        id=id_,
        name_en=en,
        name_zh=zh,
        department=dept,
        role=role,
        manager_id=manager,
        email=f"{id_.lower()}@example.com",
        locale="en",
        bonus_base=Decimal("20000"),
        active_from=date(2024, 1, 1),
    )


def settings_for(database_url: str):
    return load_settings({"database_url": database_url}, environ={"PERFRULES_DEFAULT_LOCALE": "en"})


def system_headers(db, content_type: str = "text/csv") -> dict[str, str]:
    """Headers of a system (role ``system``) calling the API with a fresh bearer token."""
    from perfrules.engine.web import credentials

    secret = credentials.issue_token(db, name="erp", role="system", employee_id=None, now=NOW, actor="test")
    return {"Authorization": f"Bearer {secret}", "Content-Type": content_type}
