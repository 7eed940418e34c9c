"""Upcoming deadlines on the dashboard, the employee pages and ``GET /api/v1/deadlines``: computed from the
rulebook in force exactly as deadline findings are (due day and time, working days, zone, grace), with who
owes what, whether it is in and the time left — never a placeholder."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from perfrules.storage.models import Submission

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _rows(client) -> list[list]:
    r = client.get("/api/v1/deadlines")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["columns"] == ["deliverable", "period", "employee", "due", "state", "time_left", "rule"]
    return body["rows"]


def test_hr_sees_who_owes_what_with_time_left(company, sign_in):
    """On 10 March 2026 09:30: February's slow-mover lists (due Thu 5 March 18:00) are overdue for both
    purchasers, finance's capital report is due today at 18:00, this week's disposal tracking on Friday."""
    with company.session() as s:
        s.add(
            Submission(
                id="L-E3", deliverable="slow_mover_list", period="2026-02", employee_id="E3",
                submitted_at=datetime(2026, 3, 4, 16, 0, tzinfo=SHANGHAI), payload={"items": []},
            )
        )  # fmt: skip
    rows = _rows(sign_in("hr"))
    assert ["slow_mover_list", "2026-02", "E2", "2026-03-05 18:00", "overdue", "-4d 15h",
            "purchasing.slow_mover_list v1"] in rows  # fmt: skip
    assert ["slow_mover_list", "2026-02", "E3", "2026-03-05 18:00", "on_time", "",
            "purchasing.slow_mover_list v1"] in rows  # fmt: skip
    assert ["capital_report", "2026-02", "E4", "2026-03-10 18:00", "open", "0d 08h",
            "finance.capital_report v1"] in rows  # fmt: skip
    tracking = [r for r in rows if r[0] == "disposal_tracking" and r[4] == "open"]  # the next one each owes
    assert sorted((r[1], r[2], r[3]) for r in tracking) == [
        ("2026-W11", "E2", "2026-03-13 18:00"),
        ("2026-W11", "E3", "2026-03-13 18:00"),
    ]
    overdue = {(r[0], r[1], r[2]) for r in rows if r[4] == "overdue"}
    assert ("disposal_tracking", "2026-W10", "E2") in overdue  # last Friday's update never came
    dues = [r[3] for r in rows]
    assert dues == sorted(dues)  # soonest first (by the moment they count as late)


def test_staff_see_only_their_own_deadlines(company, sign_in):
    rows = _rows(sign_in("wang"))
    assert rows and {r[2] for r in rows} == {"E2"}
    team = _rows(sign_in("boss"))
    assert {r[2] for r in team} <= {"E1", "E2", "E3"} and "E4" not in {r[2] for r in team}


def test_pages_show_the_deadlines_in_the_pages_language(company, sign_in):
    hr = sign_in("hr")
    page = hr.get("/dashboard").text
    assert "not available" not in page.lower()
    assert 'id="deadlines"' in page and "Slow-mover list" in page and "✘ overdue" in page and "-4d 15h" in page
    mine = sign_in("wang").get("/employees/E2").text
    assert "Slow-mover list" in mine and "Inventory-capital report" not in mine  # finance owes that one
    zh = hr.get("/dashboard?lang=zh-CN").text
    assert "即将到期" in zh and "滞销品清单" in zh and "✘ 已逾期" in zh and "剩余时间" in zh
