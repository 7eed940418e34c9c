"""Quarter walks: a small hand-made company under the seed's three contract rules, taken through the
documented commands (import → evaluate --period per month → explain → export payroll → close → a
correction). The payroll export must come out to the cent, and no escalation may fire that the seed does
not ask for: training after two late lists in a row, no promotion after three months of list timeliness
below 90 %, a written improvement plan for finance after two months of capital occupation above 30 %.

Each month is evaluated on the 20th of the next month, when its slow-mover list (due on the 5th, moved to
the next working day, 18:00) is decided. Lists are filed on the 3rd (on time), or on the 8th/9th (late).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.walks.company import HIGH, Company

SLOW, CAPITAL = "purchasing.slow_mover_list", "finance.capital_occupation"
FULL = {"E_P1": Decimal("20000.00"), "E_F1": Decimal("10000.00"), "E_O1": Decimal("9000.00")}


@pytest.fixture
def company(runner, db, tmp_path) -> Company:
    return Company(runner, db, tmp_path)


def months(company: Company, *labels: str) -> list[str]:
    """``evaluate --period`` each month, as of the 20th of the month after."""
    out = []
    for label in labels:
        year, month = int(label[:4]), int(label[5:])
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        out.append(company.evaluate(label, f"{year}-{month:02d}-20T12:00:00"))
    return out


def test_one_late_list_is_one_event_no_training_then_a_correction_after_close(company):
    """July's list filed on 8 August: a late finding of July and August's timeliness at 0 %. One event,
    counted in July: 10 % once, no training. HR then learns the ERP recorded the list late (it was filed on
    4 August): after the close the deduction comes back as a correction line in Q4."""
    c = company
    c.file_list("2026-06", "2026-07-03T10:00:00")
    c.file_list("2026-07", "2026-08-08T10:00:00")
    c.file_list("2026-08", "2026-09-03T10:00:00")
    c.file_list("2026-09", "2026-09-30T16:00:00")
    july, august, september = months(c, "2026-07", "2026-08", "2026-09")
    assert "LATE       purchasing.slow_mover_list [E_P1]" in july
    assert "BREACH     purchasing.slow_mover_list [purchasing]" in august
    assert all("0 new escalation(s)" in out for out in (july, august, september))
    assert c.escalations() == set()

    text = c.explain("E_P1", "2026Q3")
    assert text.count("streak: 1 month(s) in a row: 2026-07") == 2  # the late list and the breach it causes
    assert "counts for 2026-07" in text and "2 month(s) in a row" not in text and "Escalations" not in text
    assert c.final("2026Q3") == {**FULL, "E_P1": Decimal("18000.00")}

    c.cli("close", "2026Q3", "--by", "hr.wang")
    c.file_list("2026-07", "2026-08-04T10:00:00")  # corrected: handed in on time after all
    months(c, "2026-07", "2026-08")
    assert c.final("2026Q3") == {**FULL, "E_P1": Decimal("18000.00")}  # the closed quarter never changes
    q4, lines = c.payroll("2026Q4")
    assert {e: row["final_bonus"] for e, row in q4.items()} == {**FULL, "E_P1": Decimal("22000.00")}
    assert [(x["employee_id"], x["kind"], x["amount"], x["corrects_quarter"]) for x in lines] == [
        ("E_P1", "correction:deduction", "2000.00", "2026Q3")
    ]
    assert c.escalations() == set()


def test_lists_late_two_months_in_a_row_mean_training_and_nothing_more(company):
    """July's list filed 8 August, August's 9 September: two late lists → training. Timeliness is below 90 %
    in August and September only, so no promotion ban; 10 % once in Q3, nothing in Q4."""
    c = company
    c.file_list("2026-06", "2026-07-03T10:00:00")
    c.file_list("2026-07", "2026-08-08T10:00:00")
    c.file_list("2026-08", "2026-09-09T10:00:00")
    c.file_list("2026-09", "2026-09-30T16:00:00")
    c.file_list("2026-10", "2026-11-03T10:00:00")
    july, august, september, october = months(c, "2026-07", "2026-08", "2026-09", "2026-10")
    assert "1 new escalation(s)" in august
    assert all("0 new escalation(s)" in out for out in (july, september, october))
    assert c.escalations() == {("E_P1", "training", SLOW, ("2026-07", "2026-08"))}

    text = c.explain("E_P1", "2026Q3")
    assert "streak: 2 month(s) in a row: 2026-07, 2026-08" in text
    assert "training from purchasing.slow_mover_list" in text and "streak 2026-07, 2026-08" in text
    assert "no_promotion" not in text and "3 month(s)" not in text
    assert c.final("2026Q3") == {**FULL, "E_P1": Decimal("18000.00")}
    assert c.final("2026Q4") == FULL

    # correction: August's list was handed in on 4 September after all. Re-judging August and September
    # (its timeliness) leaves July's late list alone: the training is withdrawn, July's 10 % stays
    c.file_list("2026-08", "2026-09-04T10:00:00")
    months(c, "2026-08", "2026-09")
    assert c.escalations() == set()
    assert "WITHDRAWN by run" in c.explain("E_P1", "2026Q3")
    assert c.final("2026Q3") == {**FULL, "E_P1": Decimal("18000.00")}


def test_no_promotion_only_after_three_months_below_ninety_percent(company):
    """June's, July's and August's lists late: timeliness below 90 % in July, August and September. Training
    after the second late list, the promotion ban only with the third — decided in August's run, when
    August's list is already late (so September's timeliness is certain) — valid to the year's end."""
    c = company
    c.file_list("2026-05", "2026-06-03T10:00:00")
    c.file_list("2026-06", "2026-07-08T10:00:00")
    c.file_list("2026-07", "2026-08-08T10:00:00")
    c.file_list("2026-08", "2026-09-09T10:00:00")
    c.file_list("2026-09", "2026-09-30T16:00:00")
    months(c, "2026-06")
    assert c.escalations() == set()
    months(c, "2026-07")
    assert c.escalations() == {("E_P1", "training", SLOW, ("2026-06", "2026-07"))}
    months(c, "2026-08", "2026-09")
    assert c.escalations() == {
        ("E_P1", "training", SLOW, ("2026-06", "2026-07")),
        ("E_P1", "no_promotion", SLOW, ("2026-06", "2026-07", "2026-08")),
    }
    text = c.explain("E_P1", "2026Q3")
    assert "no promotion this year, valid until 2026-12-31; streak 2026-06, 2026-07, 2026-08" in text
    assert "streak: 3 month(s) in a row: 2026-06, 2026-07, 2026-08" in text
    assert c.final("2026Q2") == FULL  # June's late list costs nothing itself; June's timeliness was met
    assert c.final("2026Q3") == {**FULL, "E_P1": Decimal("18000.00")}


def test_capital_occupation_two_months_with_attribution_finance_writes_the_plan(company):
    """Capital occupation ≈ 50 % in July and August. July's list was late, so purchasing carries July's 15 %;
    August's is finance's. The improvement plan answers finance's KPI two months in a row: finance gets it."""
    c = company
    c.assets("2026-07", HIGH)
    c.assets("2026-08", HIGH)
    c.file_list("2026-06", "2026-07-03T10:00:00")
    c.file_list("2026-07", "2026-08-08T10:00:00")
    c.file_list("2026-08", "2026-09-03T10:00:00")
    c.file_list("2026-09", "2026-09-30T16:00:00")
    months(c, "2026-07", "2026-08", "2026-09")
    assert c.escalations() == {("E_F1", "improvement_plan", CAPITAL, ("2026-07", "2026-08"))}

    finance = c.explain("E_F1", "2026Q3")
    assert "streak: 1 month(s) in a row: 2026-07" in finance  # July's breach, paid by purchasing
    assert "streak: 2 month(s) in a row: 2026-07, 2026-08" in finance
    assert "improvement plan (deliverable improvement_plan) due 2026-09-14; streak 2026-07, 2026-08" in finance
    purchasing = c.explain("E_P1", "2026Q3")
    assert "attribution: consequence moved to purchasing/purchaser (E_P1)" in purchasing
    assert "streak: not counted for E_P1; escalations go to the rule's owner: E_F1 (finance)" in purchasing
    # purchasing: 15 % of 20,000 for July's capital occupation + 10 % for August's list timeliness
    assert c.final("2026Q3") == {**FULL, "E_P1": Decimal("15000.00"), "E_F1": Decimal("8500.00")}


def test_capital_occupation_two_months_without_attribution(company):
    """Every list on time: finance pays 15 % once in the quarter and writes the improvement plan."""
    c = company
    c.assets("2026-07", HIGH)
    c.assets("2026-08", HIGH)
    c.file_list("2026-06", "2026-07-03T10:00:00")
    c.file_list("2026-07", "2026-08-04T10:00:00")
    c.file_list("2026-08", "2026-09-03T10:00:00")
    c.file_list("2026-09", "2026-09-30T16:00:00")
    months(c, "2026-07", "2026-08", "2026-09")
    assert c.escalations() == {("E_F1", "improvement_plan", CAPITAL, ("2026-07", "2026-08"))}
    text = c.explain("E_F1", "2026Q3")
    assert "streak: 2 month(s) in a row: 2026-07, 2026-08" in text and "attribution" not in text
    assert c.final("2026Q3") == {**FULL, "E_F1": Decimal("8500.00")}


def test_streaks_and_money_across_the_quarter_boundary(company):
    """August's list filed 9 September, September's 12 October (due Thu 8 October after National Day):
    training across Q3/Q4's lists, timeliness below 90 % in September and October only (no ban). Capital
    occupation ≈ 50 % in September (list late: purchasing pays, in Q3) and October (finance pays, in Q4):
    finance's improvement plan spans the boundary. Q3 is closed before October is evaluated."""
    c = company
    c.assets("2026-09", HIGH)
    c.assets("2026-10", HIGH)
    c.file_list("2026-06", "2026-07-03T10:00:00")
    c.file_list("2026-07", "2026-08-04T10:00:00")
    c.file_list("2026-08", "2026-09-09T10:00:00")
    c.file_list("2026-09", "2026-10-12T10:00:00")
    c.file_list("2026-10", "2026-11-03T10:00:00")
    months(c, "2026-07", "2026-08", "2026-09")
    assert c.escalations() == {("E_P1", "training", SLOW, ("2026-08", "2026-09"))}
    assert c.final("2026Q3") == {**FULL, "E_P1": Decimal("15000.00")}
    c.cli("close", "2026Q3", "--by", "hr.wang")

    months(c, "2026-10")
    assert c.escalations() == {
        ("E_P1", "training", SLOW, ("2026-08", "2026-09")),
        ("E_F1", "improvement_plan", CAPITAL, ("2026-09", "2026-10")),
    }
    finance = c.explain("E_F1", "2026Q4")
    assert "streak: 2 month(s) in a row: 2026-09, 2026-10" in finance
    assert "due 2026-11-14; streak 2026-09, 2026-10" in finance
    assert c.final("2026Q3") == {**FULL, "E_P1": Decimal("15000.00")}
    assert c.final("2026Q4") == {**FULL, "E_P1": Decimal("18000.00"), "E_F1": Decimal("8500.00")}


def test_a_list_filed_on_the_holiday_shifted_due_date_is_on_time(company):
    """September's list is due 5 October 2026, National Day: by the rule it is due Thursday 8 October 18:00.
    Filed 8 October 10:00 it is on time — no late finding in September and nothing deducted in Q4."""
    c = company
    c.file_list("2026-08", "2026-09-03T10:00:00")
    c.file_list("2026-09", "2026-10-08T10:00:00")
    c.file_list("2026-10", "2026-11-03T10:00:00")
    september, october = months(c, "2026-09", "2026-10")
    assert "0 finding(s)" in september
    assert "0 finding(s)" in october
    assert c.escalations() == set()
    assert c.final("2026Q4") == FULL


def test_a_list_is_complete_only_when_it_names_every_slow_mover(company):
    """S2 (bought by Li Na in April, never sold) is a slow mover from July's end (no movement for more than
    90 days). A list is complete when it names it, whatever the submitter writes into the payload: July's
    list names nothing (incomplete: 0 % of the system's list), August's names S2."""
    c = company
    c.load("skus", [{"sku": "S2", "name": "winter boot", "category": "shoes", "unit_cost": "10.00", "price": "30"}])
    c.load(
        "movements",
        [{"id": "R2", "sku": "S2", "kind": "receipt", "moved_at": "2026-04-02T09:00:00", "quantity": "50",
          "unit_cost": "10.00"}],
    )  # fmt: skip
    c.file_list("2026-06", "2026-07-03T10:00:00")  # 2 months without a sale: not yet slow
    c.file_list("2026-07", "2026-08-03T10:00:00")  # on time, names nothing
    c.file_list("2026-08", "2026-09-03T10:00:00", items=({"sku": "S2", "class": "structural"},))
    june, july, august = months(c, "2026-06", "2026-07", "2026-08")
    assert "INCOMPLETE" not in june and "INCOMPLETE" not in august
    assert "INCOMPLETE purchasing.slow_mover_list [E_P1]" in july
    assert "incomplete: names 0% of the system's slow-mover list, 100% required" in july
    assert "completeness=0" in c.explain("E_P1", "2026Q3")  # what was compared is shown
    assert c.final("2026Q3") == FULL  # the threshold (timeliness) costs money, not the incomplete list alone
    check = c.cli("slow-movers", "--as-of", "2026-07-31", "--check", "2026-07")
    assert "1 slow movers" in check and "completeness 0.0%" in check and "missing: S2" in check
    check = c.cli("slow-movers", "--as-of", "2026-08-31", "--check", "2026-08")
    assert "completeness 100.0%" in check


def test_months_evaluated_out_of_order_give_one_escalation_per_streak(company):
    """History judged out of order: August before July. June's, July's and August's lists are late; the
    training first fires on July + August (August's run sees July's late list through its timeliness), then
    July's run finds June's late list too: the same streak, longer backwards — still one training (now from
    June), and the promotion ban once August is judged again with the three months known."""
    c = company
    c.file_list("2026-06", "2026-07-08T10:00:00")
    c.file_list("2026-07", "2026-08-08T10:00:00")
    c.file_list("2026-08", "2026-09-09T10:00:00")
    months(c, "2026-08")
    assert c.escalations() == {("E_P1", "training", SLOW, ("2026-07", "2026-08"))}
    months(c, "2026-07", "2026-08")
    assert c.escalations() == {
        ("E_P1", "training", SLOW, ("2026-06", "2026-07")),
        ("E_P1", "no_promotion", SLOW, ("2026-06", "2026-07", "2026-08")),
    }
    assert c.explain("E_P1", "2026Q3").count("training from") == 1
