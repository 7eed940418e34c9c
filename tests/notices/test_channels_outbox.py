"""Routing → outbox rows → delivery to the fake platforms, end to end: each notice once per channel,
bad keys dead with the platform's words in ``outbox list``, rate limits that delay and never fail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from perfrules.engine.cli import cli
from perfrules.engine.notices import EmlTransport, deliver, queue_notice
from perfrules.engine.notices.channels import chat_transports, deliver_chat, fan_out, load_channels
from perfrules.engine.notices.contexts import Recipient
from perfrules.engine.rulebook.channels import read_routes
from perfrules.storage import connect
from perfrules.storage.outbox import list_messages

from tests.notices.chat_servers import (
    SECRETS,
    channels_toml,
)
from tests.notices.support import DOMAIN, ENV, MAIL_FROM, T0, notice
from tests.notices.test_cli import add_people

CHEN = Recipient(id="P1", name_zh="陈静", name_en="Chen Jing", email="chen@shop.example", locale="en")
ZHANG = Recipient(id="M1", name_zh="张伟", name_en="Zhang Wei", email="zhang@shop.example", locale="zh-CN")

ROUTES = """\
routes:
  - kinds: [deadline_missed, kpi_warning]
    departments: [purchasing]
    channels: [ops-wecom, buy-ding, plan-feishu, erp-hook]
  - kinds: [reminder]
    people: [P1]
    channels: [ops-wecom]
    email: false
"""


def setup(db, fake, tmp_path: Path, routes: str = ROUTES, environ: dict | None = None, **limits: int):
    add_people(db)
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "channels.yaml").write_text(routes, encoding="utf-8")
    channels_file = tmp_path / "channels.toml"
    channels_file.write_text(channels_toml(fake, **limits), encoding="utf-8")
    channels = load_channels(channels_file, SECRETS if environ is None else environ)
    found, problems = read_routes(rules, channels)
    assert problems == []
    return channels, found


def queue(db, kind: str, recipient: Recipient, rule: str = "r1", now=T0):
    return queue_notice(db, ENV, notice(kind, recipient), rule_id=rule, period="2024-02", now=now, domain=DOMAIN)


def run(db, channels, routes, now=T0):
    fan_out(db, ENV, routes, now=now, domain=DOMAIN)
    return deliver_chat(db, chat_transports(channels), now=now, pause=lambda s: None)


def test_a_routed_notice_goes_to_every_channel_once_and_by_email(db, fake_chat, tmp_path) -> None:
    channels, routes = setup(db, fake_chat, tmp_path)
    queue(db, "deadline_missed", CHEN)
    report = run(db, channels, routes)
    assert len(report.sent) == 4 and not report.failed and not report.dead
    for platform in ("wecom", "dingtalk", "feishu", "webhook"):
        assert len(fake_chat.of(platform)) == 1
    (wecom,) = fake_chat.of("wecom")
    assert "Chen Jing" in wecom["markdown"]["content"] and "Deadline missed" in wecom["markdown"]["content"]
    rows = {m.key.channel: m for m in list_messages(db)}
    assert set(rows) == {"email", "ops-wecom", "buy-ding", "plan-feishu", "erp-hook"}
    assert rows["email"].status == "pending" and all(m.status == "sent" for c, m in rows.items() if c != "email")

    again = run(db, channels, routes, now=T0 + timedelta(minutes=5))  # a re-run sends nothing twice
    assert again.sent == [] and len(fake_chat.received) == 4
    queue(db, "deadline_missed", CHEN)  # nor does writing the notice again
    assert run(db, channels, routes, now=T0 + timedelta(minutes=10)).sent == []


def test_a_notice_outside_the_routes_stays_email_only(db, fake_chat, tmp_path) -> None:
    channels, routes = setup(db, fake_chat, tmp_path)
    queue(db, "consequence", CHEN)
    assert run(db, channels, routes).sent == []
    assert [m.key.channel for m in list_messages(db)] == ["email"]


def test_instead_of_email_holds_the_email_back(db, fake_chat, tmp_path) -> None:
    channels, routes = setup(db, fake_chat, tmp_path)
    queue(db, "reminder", CHEN)
    queue(db, "reminder", ZHANG)  # the route names P1 only
    run(db, channels, routes)
    rows = {(m.key.recipient_id, m.key.channel): m for m in list_messages(db)}
    assert rows["P1", "email"].status == "cancelled" and "instead of e-mail" in rows["P1", "email"].last_error
    assert rows["P1", "ops-wecom"].status == "sent"
    assert rows["M1", "email"].status == "pending" and ("M1", "ops-wecom") not in rows
    report = deliver(db, ENV, EmlTransport(tmp_path / "eml"), now=T0, mail_from=MAIL_FROM)
    assert len(report.sent) == 1  # only Zhang's e-mail


def test_a_bad_key_ends_dead_with_the_platforms_error_in_outbox_list(
    db, database_url, fake_chat, tmp_path, runner
) -> None:
    environ = {**SECRETS, "PERFRULES_CHANNEL_OPS_WECOM_KEY": "revoked"}
    channels, routes = setup(db, fake_chat, tmp_path, environ=environ)
    queue(db, "kpi_warning", CHEN)
    report = run(db, channels, routes)
    assert len(report.dead) == 1 and len(report.sent) == 3
    listed = runner.invoke(cli, ["--database-url", database_url, "outbox", "list", "--status", "dead"])
    assert listed.exit_code == 0, listed.output
    assert "ops-wecom" in listed.output and "CHANNEL" in listed.output
    assert "error: ops-wecom: wecom error 93000: invalid webhook url" in listed.output


def test_a_rate_limited_answer_is_retried_without_counting_the_attempt(db, fake_chat, tmp_path) -> None:
    channels, routes = setup(db, fake_chat, tmp_path)
    fake_chat.rate_limit["dingtalk"] = 1
    queue(db, "kpi_warning", CHEN)
    first = run(db, channels, routes)
    assert len(first.sent) == 3
    (ding,) = [m for m in list_messages(db) if m.key.channel == "buy-ding"]
    assert ding.status == "failed" and ding.attempts == 0 and "130101" in ding.last_error
    assert run(db, channels, routes, now=T0 + timedelta(seconds=30)).sent == []  # not before a minute
    later = run(db, channels, routes, now=T0 + timedelta(minutes=1))
    assert later.sent == [ding.id] and len(fake_chat.of("dingtalk")) == 1


def test_the_bots_rate_limit_delays_and_survives_a_restart(db, fake_chat, tmp_path) -> None:
    channels, routes = setup(db, fake_chat, tmp_path, wecom=2)
    for rule in ("r1", "r2", "r3"):
        queue(db, "deadline_missed", CHEN, rule=rule)
    fan_out(db, ENV, routes, now=T0, domain=DOMAIN)
    only_wecom = {"ops-wecom": chat_transports(channels)["ops-wecom"]}
    assert len(deliver_chat(db, only_wecom, now=T0).sent) == 2
    # a new process (fresh transports) in the same minute: the outbox remembers what was sent
    again = {"ops-wecom": chat_transports(channels)["ops-wecom"]}
    assert deliver_chat(db, again, now=T0 + timedelta(seconds=20)).sent == []
    waiting = [m for m in list_messages(db) if m.key.channel == "ops-wecom" and m.status == "pending"]
    assert len(waiting) == 1 and waiting[0].attempts == 0
    assert len(deliver_chat(db, again, now=T0 + timedelta(minutes=1)).sent) == 1
    assert len(fake_chat.of("wecom")) == 3


def test_outbox_send_delivers_email_and_chat(database_url, fake_chat, tmp_path, runner, monkeypatch) -> None:
    db = connect(database_url)
    setup(db, fake_chat, tmp_path)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    queue(db, "deadline_missed", CHEN, now=datetime.now(UTC))  # the command reads the clock
    args = [
        "--database-url",
        database_url,
        "--rules-dir",
        str(tmp_path / "rules"),
    ]
    monkeypatch.setenv("PERFRULES_CHANNELS_FILE", str(tmp_path / "channels.toml"))
    monkeypatch.setenv("PERFRULES_OUTBOX_DIR", str(tmp_path / "eml"))
    result = runner.invoke(cli, [*args, "outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "chat: 4 sent" in result.output
    assert len(fake_chat.received) == 4
