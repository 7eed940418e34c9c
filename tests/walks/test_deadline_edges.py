"""Deadline edges walked through the documented commands: 18:00 versus the end of the day, a filing time
given in another time zone, and a due day on a weekend. The slow-mover list of month M is due on the 5th
of M+1 at 18:00 company time (Asia/Shanghai), moved to the next working day."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.walks.company import Company
from tests.walks.test_quarter_walks import FULL, months

DEDUCTED = {**FULL, "E_P1": Decimal("18000.00")}  # 10 % of Li Na's Q3 base, once


@pytest.fixture
def company(runner, db, tmp_path) -> Company:
    c = Company(runner, db, tmp_path)
    c.file_list("2026-06", "2026-07-03T10:00:00")
    c.file_list("2026-08", "2026-09-03T10:00:00")
    return c


@pytest.mark.parametrize("filed", ["2026-08-05T17:59:00", "2026-08-05T18:00:00", "2026-08-05T09:59:00+00:00"])
def test_a_list_filed_by_18_00_company_time_is_on_time(company, filed):
    """Due Wednesday 5 August 18:00 in Shanghai; 09:59 UTC is 17:59 there."""
    company.file_list("2026-07", filed)
    july, august = months(company, "2026-07", "2026-08")
    assert "0 finding(s)" in july and "0 finding(s)" in august
    assert company.final("2026Q3") == FULL


@pytest.mark.parametrize(
    "filed", ["2026-08-05T18:01:00", "2026-08-05T23:30:00", "2026-08-05T10:30:00+00:00", "2026-08-05T12:30:00+02:00"]
)
def test_a_list_filed_after_18_00_company_time_is_late_and_costs_once(company, filed):
    """The same day at 23:30 is late, not "on the due day"; 10:30 UTC and 12:30 in Paris are 18:30 in
    Shanghai. One late list: a late finding for July, 10 % once, no training."""
    company.file_list("2026-07", filed)
    july, august = months(company, "2026-07", "2026-08")
    assert "LATE       purchasing.slow_mover_list [E_P1]" in july
    assert "late (same day)" in july
    assert "0 new escalation(s)" in july and "0 new escalation(s)" in august
    assert company.final("2026Q3") == DEDUCTED
    assert company.escalations() == set()


def weekend_company(runner, db, tmp_path, filed: str) -> Company:
    """Every list on time except August's, due Saturday 5 September 2026 — by the rule Monday 7 September
    18:00 — which is filed at ``filed``."""
    c = Company(runner, db, tmp_path)
    c.file_list("2026-06", "2026-07-03T10:00:00")
    c.file_list("2026-07", "2026-08-03T10:00:00")
    c.file_list("2026-08", filed)
    c.file_list("2026-09", "2026-09-30T10:00:00")
    return c


def test_a_due_day_on_saturday_moves_to_monday_18_00(runner, db, tmp_path):
    c = weekend_company(runner, db, tmp_path, "2026-09-07T17:30:00")
    assert all("0 finding(s)" in out for out in months(c, "2026-07", "2026-08", "2026-09"))
    assert c.final("2026Q3") == FULL


def test_a_filing_on_monday_evening_after_a_weekend_due_day_is_late(runner, db, tmp_path):
    c = weekend_company(runner, db, tmp_path, "2026-09-07T19:00:00")
    _, august, _ = months(c, "2026-07", "2026-08", "2026-09")
    assert "LATE       purchasing.slow_mover_list [E_P1]" in august
    assert "2026-09-07 18:00" in august
    assert c.final("2026Q3") == DEDUCTED
