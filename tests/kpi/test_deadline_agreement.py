"""One deadline model: for any calendar, due day and time, working-day rule, time zone and submission
moment, the list-timeliness KPI counts a list on time exactly when its deadline finding says on time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from perfrules.engine.evaluation.facts import Submission as DecisionSubmission
from perfrules.engine.evaluation.facts import deliverable_states
from perfrules.engine.kpi.catalog import ScopeKind
from perfrules.engine.kpi.library import compute_all
from perfrules.engine.kpi.scope import Scope
from perfrules.engine.periods import month_of
from perfrules.engine.rulebook.calendar import PACKAGE_YEARS, due_at
from perfrules.engine.rulebook.checker import load_rulebook
from perfrules.engine.rulebook.deadlines import RuleDeadlines
from perfrules.storage.models import Department, Employee, Submission
from sqlmodel import delete

ZONES = ["Asia/Shanghai", "UTC", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"]
COMPANY_ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def company(db):
    with db.session() as s:
        s.add(Department(code="purchasing", name_en="Purchasing", name_zh="采购"))
        s.flush()
        s.add(
            Employee(
                id="E1", name_en="Li Na", name_zh="李娜", department="purchasing", role="purchaser",
                email="e1@example.com", locale="en", bonus_base=Decimal("10000"), active_from=date(2020, 1, 1),
            )
        )  # fmt: skip
    return db


def _rulebook(folder, *, day, at, shift, calendar, zone, grace_hours, holidays, workdays, year=2031):
    folder.mkdir(parents=True, exist_ok=True)
    rule = {
        "id": "purchasing.slow_mover_list",
        "version": 1,
        "effective_from": "2020-01-01",
        "title": {"zh-CN": "滞销品清单", "en": "Slow-mover list"},
        "department": "purchasing",
        "role": "purchaser",
        "deadline": {
            "deliverable": "slow_mover_list",
            "covers": "previous_month",
            "due": {"day": day, "time": at},
            "business_days": shift,
            "calendar": calendar,
            "timezone": zone,
            "grace": f"{grace_hours}h",
        },
        "threshold": {"kpi": "slow_mover_list_timeliness", "scope": "department", "period": "month", "target": "90%"},
        "consequence": {"deduction": "10%"},
    }
    (folder / "purchasing.yaml").write_text(yaml.safe_dump({"rules": [rule]}, allow_unicode=True), encoding="utf-8")
    # a year the package does not know is listed with its days off (a year listed without any is invalid)
    years = {year: {"holidays": sorted(holidays), "workdays": sorted(workdays)}} if holidays else {}
    (folder / "calendar.yaml").write_text(yaml.safe_dump({"years": years}), encoding="utf-8")
    return load_rulebook(folder)


@settings(
    max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    covered=st.sampled_from(["2025-12", "2026-01", "2026-04", "2026-09", "2026-12", "2031-01", "2031-04"]),
    day=st.integers(1, 28),
    at=st.sampled_from(["00:00", "09:30", "18:00", "23:59"]),
    shift=st.sampled_from(["next", "previous", "none"]),
    calendar=st.sampled_from(["cn", "cn_provisional", "weekends"]),
    zone=st.sampled_from(ZONES),
    grace_hours=st.sampled_from([0, 0, 2, 24]),
    holiday_offsets=st.sets(st.integers(0, 40), max_size=6),
    workday_offsets=st.sets(st.integers(0, 40), max_size=3),
    offset_minutes=st.integers(-3 * 24 * 60, 3 * 24 * 60),
)
def test_the_kpi_and_the_finding_agree(
    company, tmp_path_factory, covered, day, at, shift, calendar, zone, grace_hours, holiday_offsets,
    workday_offsets, offset_minutes,
):  # fmt: skip
    month = month_of(date.fromisoformat(f"{covered}-01"))
    following = month.next().start
    unknown = following.year not in PACKAGE_YEARS  # the chinesecalendar package has no data for it
    holidays = {following + timedelta(days=o) for o in holiday_offsets} if unknown else set()
    holidays = {d for d in holidays if d.year == following.year}
    workdays = {following + timedelta(days=o) for o in workday_offsets} if holidays else set()
    workdays = {d for d in workdays if d.weekday() >= 5 and d not in holidays and d.year == following.year}
    if calendar == "cn" and unknown and not holidays:
        calendar = "cn_provisional"  # a strict calendar needs the year's data: generated above, or none at all
    rulebook = _rulebook(
        tmp_path_factory.mktemp("rules"), day=day, at=at, shift=shift, calendar=calendar, zone=zone,
        grace_hours=grace_hours, holidays=holidays, workdays=workdays, year=following.year,
    )  # fmt: skip
    (sourced,) = rulebook.rules
    deadline = sourced.rule.deadline
    due = due_at(deadline, month)
    submitted = due + deadline.grace + timedelta(minutes=offset_minutes)
    with company.session() as s:
        s.exec(delete(Submission))
        s.add(
            Submission(
                id="L1", deliverable="slow_mover_list", period=month.label, employee_id="E1",
                submitted_at=submitted, payload={"items": []},
            )
        )  # fmt: skip

    states = deliverable_states(
        sourced.rule.id,
        deadline,
        month,
        ["E1"],
        (DecisionSubmission("slow_mover_list", month.label, "E1", submitted, None),),
        now=submitted + timedelta(days=400),
    )
    (finding,) = states
    kpi_month = month_of(due.date())  # the month the list falls due in, in the rule's zone
    (value,) = compute_all(
        company, kpi_month, scope=Scope(ScopeKind.DEPARTMENT, "purchasing"), as_of=kpi_month.last_day,
        zone=COMPANY_ZONE, kpis=["slow_mover_list_timeliness"], breakdown=False, deadlines=RuleDeadlines(rulebook),
    )  # fmt: skip
    # the KPI counts this list in the month it falls due (another list may fall due in it too)
    assert month.label in value.inputs["lists_due"]
    kpi_on_time = month.label not in value.inputs["late"]
    assert kpi_on_time == (finding.state == "on_time"), (
        f"due {due.isoformat()} (+{deadline.grace}), submitted {submitted.isoformat()}: "
        f"finding {finding.state}, KPI late {value.inputs['late']}"
    )


def test_filed_at_2330_on_the_due_day_of_18_00_is_late_for_both(company, tmp_path):
    rulebook = _rulebook(
        tmp_path / "r", day=5, at="18:00", shift="next", calendar="cn", zone="Asia/Shanghai", grace_hours=0,
        holidays=set(), workdays=set(),
    )  # fmt: skip
    month = month_of(date(2026, 8, 1))
    submitted = datetime.combine(date(2026, 9, 7), time(23, 30), COMPANY_ZONE)  # 5 Sep is a Saturday → Mon 7th
    with company.session() as s:
        s.add(
            Submission(
                id="L1", deliverable="slow_mover_list", period="2026-08", employee_id="E1",
                submitted_at=submitted, payload={"items": []},
            )
        )  # fmt: skip
    (sourced,) = rulebook.rules
    assert due_at(sourced.rule.deadline, month) == datetime(2026, 9, 7, 18, 0, tzinfo=COMPANY_ZONE)
    (value,) = compute_all(
        company, month_of(date(2026, 9, 1)), scope=Scope(ScopeKind.DEPARTMENT, "purchasing"),
        zone=COMPANY_ZONE, kpis=["slow_mover_list_timeliness"], breakdown=False, deadlines=RuleDeadlines(rulebook),
    )  # fmt: skip
    assert value.value == 0
