"""Appeals walked through the CLI: a purchaser contests the deduction for a list the ERP recorded late;
HR accepts (the line is voided, or after the close a correction line pays it back) or rejects; nothing
changes money before HR decides, every step is in the audit log and in ``explain``."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from perfrules.storage.access import audit_entries
from perfrules.storage.outbox import list_messages

from tests.walks.company import Company
from tests.walks.test_quarter_walks import FULL, months


@pytest.fixture
def company(runner, db, tmp_path) -> Company:
    c = Company(runner, db, tmp_path)
    people = [  # Li Na's manager and an HR manager: who hears of appeals
        ("E_M1", "Zhou Qiang", "周强", "purchasing", "purchasing_manager", ""),
        ("E_H1", "Sun Li", "孙丽", "hr", "hr_manager", ""),
        ("E_P1", "Li Na", "李娜", "purchasing", "purchaser", "E_M1"),
    ]
    c.load(
        "employees",
        [
            {"id": pid, "name_en": en, "name_zh": zh, "department": dept, "role": role, "manager_id": manager,
             "email": f"{pid.lower()}@example.com", "bonus_base": "20000", "active_from": "2025-01-01"}
            for pid, en, zh, dept, role, manager in people
        ],
    )  # fmt: skip
    c.file_list("2026-06", "2026-07-03T10:00:00")
    c.file_list("2026-07", "2026-08-08T10:00:00")  # late: August's timeliness 0 % → −10 % of Q3
    c.file_list("2026-08", "2026-09-03T10:00:00")
    months(c, "2026-07", "2026-08", "2026-09")
    return c


def _final(c: Company, quarter: str) -> dict[str, Decimal]:
    """The final bonuses of the three people of the quarter walks (the manager and HR are not at issue)."""
    return {e: amount for e, amount in c.final(quarter).items() if e in FULL}


def _told(c: Company) -> list[tuple[str, str]]:
    """(recipient, rule key) of the appeal notices in the outbox, oldest first."""
    return [(m.key.recipient_id, m.key.rule_id) for m in reversed(list_messages(c.db)) if m.key.kind == "appeal"]


def _line(c: Company) -> int:
    """The id of E_P1's deduction line of Q3 (as explain shows it)."""
    (line,) = re.findall(r"line #(\d+) purchasing\.slow_mover_list", c.explain("E_P1", "2026Q3"))
    return int(line)


def test_an_accepted_appeal_voids_the_line_and_says_why(company):
    c = company
    line = _line(c)
    out = c.cli("appeals", "lodge", "E_P1", "--line", str(line), "--reason", "ERP down 5-7 Aug", "--by", "li.na")
    (appeal,) = re.findall(r"lodged appeal #(\d+)", out)
    assert "2 notice(s) queued" in out  # her manager and HR
    assert _told(c) == [("E_M1", f"appeal#{appeal}:lodged"), ("E_H1", f"appeal#{appeal}:lodged")]
    assert _final(c, "2026Q3") == {**FULL, "E_P1": Decimal("18000.00")}  # lodging changes no money
    assert f"#{appeal}" in c.cli("appeals", "list") and "[open]" in c.cli("appeals", "list")
    again = c.cli("appeals", "lodge", "E_P1", "--line", str(line), "--reason", "again", ok=False)
    assert "open appeal on line" in again

    out = c.cli("appeals", "accept", appeal, "--reason", "IT confirms the outage", "--by", "hr.wang")
    assert f"void of line(s) #{line}" in out
    assert _told(c)[2:] == [("E_P1", f"appeal#{appeal}:accepted"), ("E_M1", f"appeal#{appeal}:accepted")]
    assert _final(c, "2026Q3") == FULL
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
    assert _final(c, "2026Q3") == {**FULL, "E_P1": Decimal("18000.00")}
    assert "rejected by hr.wang" in c.explain("E_P1", "2026Q3")
    assert "[rejected]" in c.cli("appeals", "list", "--status", "all", "--employee", "E_P1")


def test_an_appeal_accepted_after_the_close_is_paid_back_in_the_next_quarter(company):
    c = company
    (finding,) = re.findall(r"finding #(\d+) 2026-08 breach", c.explain("E_P1", "2026Q3"))
    out = c.cli("appeals", "lodge", "E_P1", "--finding", finding, "--reason", "ERP down", "--by", "li.na")
    (appeal,) = re.findall(r"lodged appeal #(\d+)", out)
    c.cli("close", "2026Q3", "--by", "hr.wang")
    c.cli("appeals", "accept", appeal, "--reason", "outage confirmed", "--by", "hr.wang")
    assert _final(c, "2026Q3") == {**FULL, "E_P1": Decimal("18000.00")}  # the closed quarter never changes
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
