"""Appeals walked through the CLI: a purchaser contests the deduction for a list the ERP recorded late;
HR accepts (the line is voided, or after the close a correction line pays it back) or rejects; nothing
changes money before HR decides, every step is in the audit log and in ``explain``."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from perfrules.storage.access import audit_entries

from tests.walks.company import Company
from tests.walks.test_quarter_walks import FULL, months


@pytest.fixture
def company(runner, db, tmp_path) -> Company:
    c = Company(runner, db, tmp_path)
    c.file_list("2026-06", "2026-07-03T10:00:00")
    c.file_list("2026-07", "2026-08-08T10:00:00")  # late: August's timeliness 0 % → −10 % of Q3
    c.file_list("2026-08", "2026-09-03T10:00:00")
    months(c, "2026-07", "2026-08", "2026-09")
    return c


def _line(c: Company) -> int:
    """The id of E_P1's deduction line of Q3 (as explain shows it)."""
    (line,) = re.findall(r"line #(\d+) purchasing\.slow_mover_list", c.explain("E_P1", "2026Q3"))
    return int(line)


def test_an_accepted_appeal_voids_the_line_and_says_why(company):
    c = company
    line = _line(c)
    out = c.cli("appeals", "lodge", "E_P1", "--line", str(line), "--reason", "ERP down 5-7 Aug", "--by", "li.na")
    (appeal,) = re.findall(r"lodged appeal #(\d+)", out)
    assert c.final("2026Q3") == {**FULL, "E_P1": Decimal("18000.00")}  # lodging changes no money
    assert f"#{appeal}" in c.cli("appeals", "list") and "[open]" in c.cli("appeals", "list")
    again = c.cli("appeals", "lodge", "E_P1", "--line", str(line), "--reason", "again", ok=False)
    assert "open appeal on line" in again

    out = c.cli("appeals", "accept", appeal, "--reason", "IT confirms the outage", "--by", "hr.wang")
    assert f"void of line(s) #{line}" in out
    assert c.final("2026Q3") == FULL
    text = c.explain("E_P1", "2026Q3")
    assert "HR: void by hr.wang" in text and f"appeal #{appeal} accepted: IT confirms the outage" in text
    assert f"- appeal #{appeal} against line #{line}" in text and "accepted by hr.wang" in text
    assert "no open appeals" in c.cli("appeals", "list")
    actions = [e.action for e in audit_entries(c.db) if e.target == f"appeal #{appeal}"]
    assert actions == ["appeal.accepted", "appeal.filed"]
    decided = c.cli("appeals", "reject", appeal, "--reason", "changed my mind", ok=False)
    assert "is accepted already" in decided


def test_a_rejected_appeal_changes_nothing(company):
    c = company
    line = _line(c)
    out = c.cli("appeals", "lodge", "E_P1", "--line", str(line), "--reason", "too harsh", "--by", "li.na")
    (appeal,) = re.findall(r"lodged appeal #(\d+)", out)
    c.cli("appeals", "reject", appeal, "--reason", "the list was late by the ERP's own clock", "--by", "hr.wang")
    assert c.final("2026Q3") == {**FULL, "E_P1": Decimal("18000.00")}
    assert "rejected by hr.wang" in c.explain("E_P1", "2026Q3")
    assert "[rejected]" in c.cli("appeals", "list", "--status", "all", "--employee", "E_P1")


def test_an_appeal_accepted_after_the_close_is_paid_back_in_the_next_quarter(company):
    c = company
    (finding,) = re.findall(r"finding #(\d+) 2026-08 breach", c.explain("E_P1", "2026Q3"))
    out = c.cli("appeals", "lodge", "E_P1", "--finding", finding, "--reason", "ERP down", "--by", "li.na")
    (appeal,) = re.findall(r"lodged appeal #(\d+)", out)
    c.cli("close", "2026Q3", "--by", "hr.wang")
    c.cli("appeals", "accept", appeal, "--reason", "outage confirmed", "--by", "hr.wang")
    assert c.final("2026Q3") == {**FULL, "E_P1": Decimal("18000.00")}  # the closed quarter never changes
    q4, lines = c.payroll("2026Q4")
    assert q4["E_P1"]["final_bonus"] == Decimal("22000.00")
    assert [(x["kind"], x["amount"], x["corrects_quarter"]) for x in lines] == [
        ("correction:deduction", "2000.00", "2026Q3")
    ]


def test_only_ones_own_lines_and_findings_can_be_appealed(company):
    c = company
    line = _line(c)
    out = c.cli("appeals", "lodge", "E_F1", "--line", str(line), "--reason", "not mine", ok=False)
    assert f"line #{line} is not a bonus line of E_F1" in out
    assert "is not charged to E_F1" in c.cli(
        "appeals", "lodge", "E_F1", "--finding", "99999", "--reason", "x", ok=False
    )
    assert "needs a reason" in c.cli("appeals", "lodge", "E_P1", "--line", str(line), "--reason", " ", ok=False)
    assert "exactly one of --line or --finding" in c.cli("appeals", "lodge", "E_P1", "--reason", "x", ok=False)
