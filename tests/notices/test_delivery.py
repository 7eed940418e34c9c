"""Delivery against a real SMTP server on loopback, and the .eml fallback: once, in order, never lost."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from perfrules.engine.notices import DeliveryPolicy, EmlTransport, SmtpTransport, deliver, transport_from_settings
from perfrules.engine.settings import load_settings
from perfrules.storage.outbox import get_message, list_messages, retry

from tests.notices.support import ENV, LI, MAIL_FROM, T0, WANG, queue

POLICY = DeliveryPolicy(max_attempts=3, first_delay=timedelta(minutes=1), lease=timedelta(minutes=15))


def run(db, transport, now=T0, policy=POLICY):
    return deliver(db, ENV, transport, now=now, mail_from=MAIL_FROM, policy=policy)


class SimulatedCrash(BaseException):
    """The process dies: nothing after this point runs (not even an except Exception)."""


class CrashAfterSmtp(SmtpTransport):
    def send(self, message, entry) -> None:
        super().send(message, entry)
        raise SimulatedCrash


class CrashAfterEml(EmlTransport):
    def send(self, message, entry) -> None:
        super().send(message, entry)
        raise SimulatedCrash


def test_each_recipient_gets_their_notice_once_in_their_language(db, smtp) -> None:
    wang = queue(db, "deadline_missed", WANG)
    li = queue(db, "consequence", LI)
    report = run(db, smtp.transport())
    assert sorted(report.sent) == sorted([wang.id, li.id]) and not report.failed
    by_rcpt = {r.rcpt_tos[0]: r for r in smtp.envelopes}
    assert sorted(by_rcpt) == ["li@shop.example", "wang@shop.example"]
    assert len(smtp.envelopes) == 2

    zh = by_rcpt["wang@shop.example"].message
    assert zh.get_content_type() == "multipart/alternative"
    assert zh["Subject"] == "【逾期通知】滞销品清单（2024-02）未按时提交"
    assert zh["Content-Language"] == "zh-CN" and zh["From"] == MAIL_FROM
    assert zh["Message-ID"] == get_message(db, wang.id).message_id
    assert "已逾期 1 天" in zh.get_body(("plain",)).get_content()
    assert "<strong>已逾期 1 天</strong>" in zh.get_body(("html",)).get_content()

    en = by_rcpt["li@shop.example"].message
    assert en["Content-Language"] == "en"
    assert (
        "Quarterly bonus base CNY 12,000.00 × deduction rate 10.0% = CNY 1,200.00"
        in en.get_body(("plain",)).get_content()
    )

    assert run(db, smtp.transport(), now=T0 + timedelta(days=1)).sent == []
    assert len(smtp.envelopes) == 2
    assert {e.status for e in list_messages(db)} == {"sent"}
    assert get_message(db, wang.id).sent_at == T0


def test_five_notices_to_one_person_on_one_day_are_one_email(db, smtp) -> None:
    for rule in ("r1", "r2", "r3"):
        queue(db, "kpi_warning", WANG, rule=rule)
    queue(db, "reminder", WANG)
    queue(db, "consequence", WANG)
    report = run(db, smtp.transport())
    assert report.digests == 1 and len(report.sent) == 1
    [received] = smtp.envelopes
    assert received.message["Subject"] == "【通知汇总】2024年3月6日，共 5 条通知"
    assert received.message.get_body(("plain",)).get_content().count("【指标未达标】") == 3


def test_smtp_down_then_back_leaves_messages_pending_then_sends_each_once(db, smtp) -> None:
    a = queue(db, "reminder", WANG).id
    b = queue(db, "reminder", LI).id
    smtp.stop()
    report = run(db, smtp.transport())
    assert report.failed == [a] and report.stopped and "cannot reach SMTP server" in report.stopped
    failed = get_message(db, a)
    assert failed.status == "failed" and failed.attempts == 1 and failed.next_attempt_at == T0 + timedelta(minutes=1)
    assert get_message(db, b).status == "pending"  # not attempted once the server was found down

    assert run(db, smtp.transport(), now=T0 + timedelta(seconds=30)).failed == [b]  # a is not due yet
    smtp.start()
    report = run(db, smtp.transport(), now=T0 + timedelta(minutes=5))
    assert sorted(report.sent) == [a, b]
    assert sorted(r.rcpt_tos[0] for r in smtp.envelopes) == ["li@shop.example", "wang@shop.example"]
    assert run(db, smtp.transport(), now=T0 + timedelta(hours=5)).sent == []
    assert len(smtp.envelopes) == 2


def test_backoff_doubles_and_a_message_goes_dead_then_retry_revives_it(db, smtp) -> None:
    entry_id = queue(db, "reminder", WANG).id
    smtp.stop()
    now = T0
    for attempt, delay in ((1, 1), (2, 2)):
        assert run(db, smtp.transport(), now=now).failed == [entry_id]
        assert get_message(db, entry_id).attempts == attempt
        assert get_message(db, entry_id).next_attempt_at == now + timedelta(minutes=delay)
        now += timedelta(minutes=delay)
    assert run(db, smtp.transport(), now=now).dead == [entry_id]
    assert get_message(db, entry_id).status == "dead"
    smtp.start()
    assert run(db, smtp.transport(), now=now + timedelta(days=1)).sent == []  # dead stays dead
    assert retry(db, [entry_id], now=now + timedelta(days=1)) == 1
    assert run(db, smtp.transport(), now=now + timedelta(days=1)).sent == [entry_id]
    assert len(smtp.envelopes) == 1


def test_a_refused_recipient_goes_dead_at_once_and_the_others_still_go(db, smtp) -> None:
    smtp.refuse.add("wang@shop.example")
    wang = queue(db, "reminder", WANG).id
    li = queue(db, "reminder", LI).id
    report = run(db, smtp.transport())
    assert report.dead == [wang] and report.sent == [li]
    assert "550" in get_message(db, wang).last_error


def test_crash_between_send_and_mark_resends_after_the_lease_with_the_same_message_id(db, smtp) -> None:
    entry_id = queue(db, "consequence", WANG).id
    with pytest.raises(SimulatedCrash):
        run(db, CrashAfterSmtp("127.0.0.1", smtp.port, security="none"))
    assert get_message(db, entry_id).status == "sending"
    assert len(smtp.envelopes) == 1

    assert run(db, smtp.transport(), now=T0 + timedelta(minutes=10)).sent == []  # claim still within lease
    report = run(db, smtp.transport(), now=T0 + timedelta(minutes=16))
    assert report.sent == [entry_id]
    first, second = (r.message for r in smtp.envelopes)
    assert first["Message-ID"] == second["Message-ID"] == get_message(db, entry_id).message_id
    assert first["Date"] == second["Date"]
    assert get_message(db, entry_id).status == "sent" and get_message(db, entry_id).attempts == 2
    assert run(db, smtp.transport(), now=T0 + timedelta(days=1)).sent == []
    assert len(smtp.envelopes) == 2


def test_eml_fallback_writes_one_file_per_natural_key(db, tmp_path: Path) -> None:
    folder = tmp_path / "outbox"
    wang = queue(db, "deadline_missed", WANG, rule="purchasing.slow_mover_list/late").id
    queue(db, "monthly_report", LI, rule="report.monthly")
    assert len(run(db, EmlTransport(folder)).sent) == 2
    files = sorted(p.name for p in folder.iterdir())
    assert files == [
        "purchasing.slow_mover_list_late__E1__2024-02__deadline_missed__0.eml",
        "report.monthly__E2__2024-02__monthly_report__0.eml",
    ]
    parsed = message_from_bytes((folder / files[0]).read_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["To"] == "wang@shop.example"
    assert parsed["Message-ID"] == get_message(db, wang).message_id
    assert "滞销品清单" in parsed.get_body(("plain",)).get_content()
    assert parsed.get_body(("html",)).get_content().startswith("<!DOCTYPE html>")
    assert run(db, EmlTransport(folder), now=T0 + timedelta(days=1)).sent == []
    assert len(list(folder.iterdir())) == 2


def test_eml_crash_after_writing_marks_sent_without_a_second_file(db, tmp_path: Path) -> None:
    folder = tmp_path / "outbox"
    entry_id = queue(db, "reminder", WANG).id
    with pytest.raises(SimulatedCrash):
        run(db, CrashAfterEml(folder))
    [written] = list(folder.iterdir())
    content = written.read_bytes()
    assert run(db, EmlTransport(folder), now=T0 + timedelta(minutes=16)).sent == [entry_id]
    assert list(folder.iterdir()) == [written] and written.read_bytes() == content
    assert get_message(db, entry_id).status == "sent"


def test_settings_choose_the_transport() -> None:
    eml = transport_from_settings(load_settings({"outbox_dir": "mail"}, environ={}))
    assert isinstance(eml, EmlTransport) and eml.folder == Path("mail")
    env = {"PERFRULES_SMTP_HOST": "mail.example", "PERFRULES_SMTP_PORT": "2525", "PERFRULES_SMTP_PASSWORD": "s3"}
    transport = transport_from_settings(load_settings(environ=env))
    assert isinstance(transport, SmtpTransport)
    assert (transport.host, transport.port, transport.security) == ("mail.example", 2525, "starttls")
