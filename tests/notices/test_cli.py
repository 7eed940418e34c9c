"""``perfrules outbox …`` and ``perfrules preview`` through the real CLI."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from perfrules.engine.cli import cli
from perfrules.storage import connect
from perfrules.storage.models import Department, Employee

from tests.notices.support import LI, WANG, queue


def add_people(db) -> None:
    with db.session() as s:
        s.add(Department(code="purchasing", name_en="Purchasing", name_zh="采购部"))
        s.flush()
        s.add(
            Employee(
                id="M1",
                name_en="Zhang Wei",
                name_zh="张伟",
                department="purchasing",
                role="purchasing_manager",
                email="zhang@shop.example",
                locale="zh-CN",
                bonus_base=Decimal("30000"),
                active_from=date(2020, 1, 1),
            )
        )
        s.flush()
        s.add(
            Employee(
                id="P1",
                name_en="Chen Jing",
                name_zh="陈静",
                department="purchasing",
                role="purchaser",
                manager_id="M1",
                email="chen@shop.example",
                locale="en",
                bonus_base=Decimal("18000"),
                active_from=date(2021, 3, 1),
            )
        )


def test_preview_renders_a_kind_with_the_employees_real_data(runner, database_url) -> None:
    add_people(connect(database_url))
    result = runner.invoke(cli, ["--database-url", database_url, "preview", "consequence", "--employee", "P1"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("=== PREVIEW (nothing is sent)")
    assert "every other value is sample data" in result.output
    assert "To: chen@shop.example" in result.output and "Dear Chen Jing," in result.output
    assert "Quarterly bonus base CNY 18,000.00 × deduction rate 10.0% = CNY 1,800.00" in result.output

    zh = runner.invoke(
        cli, ["--database-url", database_url, "preview", "escalation_hr", "--employee", "P1", "--locale", "zh-CN"]
    )
    assert zh.exit_code == 0, zh.output
    assert "员工 陈静（采购部，工号 P1）" in zh.output and "直属主管：张伟（zhang@shop.example）" in zh.output


def test_preview_of_one_template_and_its_errors(runner, database_url) -> None:
    add_people(connect(database_url))
    base = ["--database-url", database_url, "preview"]
    one = runner.invoke(cli, [*base, "emails/escalation_manager.zh-CN.subject.j2", "--employee", "P1"])
    assert one.exit_code == 0, one.output
    assert one.output.rstrip().endswith("【升级通知】陈静连续 3 期滞销品统计分析及时率未达标")
    unknown = runner.invoke(cli, [*base, "reminder", "--employee", "NOPE"])
    assert unknown.exit_code == 1 and "no employee with id 'NOPE'" in unknown.output
    bad = runner.invoke(cli, [*base, "remindr", "--employee", "P1"])
    assert bad.exit_code == 1 and "unknown template 'remindr'" in bad.output


def test_preview_of_a_warning_band_kpi_warning(runner, database_url) -> None:
    add_people(connect(database_url))
    base = ["--database-url", database_url, "preview", "kpi_warning", "--employee", "P1"]
    band = runner.invoke(cli, [*base, "--warning-band"])
    assert band.exit_code == 0, band.output
    assert "Subject: KPI early warning:" in band.output and "past the warning level 95.0%" in band.output
    miss = runner.invoke(cli, base)
    assert miss.exit_code == 0 and "Subject: KPI target missed:" in miss.output
    wrong = runner.invoke(
        cli, ["--database-url", database_url, "preview", "reminder", "--employee", "P1", "--warning-band"]
    )
    assert wrong.exit_code == 2 and "--warning-band is for kpi_warning templates" in wrong.output


def test_outbox_list_send_show_and_retry(runner, db, database_url, tmp_path: Path) -> None:
    queue(db, "deadline_missed", WANG)
    queue(db, "reminder", LI)
    base = ["--database-url", database_url, "outbox"]

    listed = runner.invoke(cli, [*base, "list", "--status", "pending"])
    assert listed.exit_code == 0, listed.output
    assert "【逾期通知】滞销品清单（2024-02）未按时提交" in listed.output and listed.output.count("pending") == 2

    sent = runner.invoke(cli, [*base, "send"])
    assert sent.exit_code == 0, sent.output
    assert sent.output.startswith("2 sent (files in outbox/), 0 failed, 0 dead")
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2

    shown = runner.invoke(cli, [*base, "show", "1"])
    assert shown.exit_code == 0, shown.output
    assert "key           r1/E1/2024-02/deadline_missed/0" in shown.output
    assert "status        sent" in shown.output and "王芳，您好：" in shown.output
    assert runner.invoke(cli, [*base, "show", "99"]).exit_code == 1

    assert runner.invoke(cli, [*base, "retry"]).exit_code == 2
    retried = runner.invoke(cli, [*base, "retry", "--all"])
    assert retried.exit_code == 0 and retried.output.startswith("0 message(s) pending again")
    assert runner.invoke(cli, [*base, "list", "--status", "dead"]).output.startswith("no messages with status dead")


def test_outbox_list_shows_why_a_message_failed_while_the_others_went(runner, db, database_url, smtp) -> None:
    smtp.refuse.add("wang@shop.example")
    queue(db, "deadline_missed", WANG)
    queue(db, "reminder", LI)
    env = {"PERFRULES_SMTP_HOST": "127.0.0.1", "PERFRULES_SMTP_PORT": str(smtp.port), "PERFRULES_SMTP_SECURITY": "none"}
    sent = runner.invoke(cli, ["--database-url", database_url, "outbox", "send"], env=env)
    assert sent.exit_code == 0, sent.output
    assert "1 sent (SMTP 127.0.0.1), 0 failed, 1 dead" in sent.output
    assert "WARNING perfrules.notices: notice #1 given up after attempt 1: recipient refused" in sent.output
    listed = runner.invoke(cli, ["--database-url", database_url, "outbox", "list"]).output
    dead = listed.split("dead", 1)[1].splitlines()
    assert "error: recipient refused" in dead[1] and "550" in dead[1]
