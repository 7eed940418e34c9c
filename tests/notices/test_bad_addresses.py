"""An address no mail system accepts is refused on import; one already in the outbox never stops the others."""

from __future__ import annotations

import json

from perfrules.engine.cli import cli
from perfrules.engine.notices import deliver
from perfrules.engine.notices.contexts import Recipient
from perfrules.storage.models import Employee
from perfrules.storage.outbox import get_message

from tests.notices.support import ENV, LI, MAIL_FROM, T0, WANG, queue

EVIL = "x@shop.example\r\nBcc: all@shop.example"


def test_an_address_with_a_line_break_is_refused_on_import_naming_the_line(db, runner, tmp_path):
    (tmp_path / "d.csv").write_text("code,name_en,name_zh\npurchasing,Purchasing,采购\n", encoding="utf-8")
    runner.invoke(cli, ["--database-url", db.url, "import", "departments", str(tmp_path / "d.csv")])
    header = "id,name_en,name_zh,department,role,manager_id,email,locale,bonus_base,active_from,active_to\n"
    good = "E1,Wang Fang,王芳,purchasing,purchaser,,wang@shop.example,zh-CN,12000,2024-01-01,\n"
    bad = f'E2,Li Ming,李明,purchasing,purchaser,,"{EVIL}",en,12000,2024-01-01,\n'
    (tmp_path / "e.csv").write_text(header + good + bad, encoding="utf-8")
    result = runner.invoke(cli, ["--database-url", db.url, "import", "employees", str(tmp_path / "e.csv")])
    assert result.exit_code == 1
    assert "e.csv:3: email:" in result.output and "Traceback" not in result.output
    with db.session() as s:
        assert s.get(Employee, "E1") is None  # all or nothing


def test_a_message_that_cannot_be_built_goes_dead_and_the_others_are_sent(db, smtp, runner):
    first = queue(db, "deadline_missed", WANG)
    broken = queue(db, "consequence", Recipient(id="E9", name_zh="坏", name_en="Bad", email=EVIL, locale="en"))
    last = queue(db, "consequence", LI)
    report = deliver(db, ENV, smtp.transport(), now=T0, mail_from=MAIL_FROM)
    assert sorted(report.sent) == sorted([first.id, last.id]) and report.dead == [broken.id]
    assert sorted(e.rcpt_tos[0] for e in smtp.envelopes) == ["li@shop.example", "wang@shop.example"]
    dead = get_message(db, broken.id)
    assert dead.status == "dead" and "cannot build the e-mail" in dead.last_error
    listed = runner.invoke(cli, ["--database-url", db.url, "outbox", "list", "--status", "dead"])
    assert listed.exit_code == 0 and f"{broken.id}" in listed.output


def test_delivery_is_logged_as_json_when_configured(db, smtp, capsys):
    from perfrules.engine import logs

    queue(db, "deadline_missed", WANG)
    logs.setup("info", "json")
    deliver(db, ENV, smtp.transport(), now=T0, mail_from=MAIL_FROM)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    sent = next(line for line in lines if line["message"].endswith("sent via email"))
    assert sent["level"] == "INFO" and sent["name"] == "perfrules.notices"
    assert sent["employee_id"] == "E1" and sent["status"] == "sent"
    assert "/E1/" in sent["outbox_key"]  # rule/recipient/period/kind/slot
