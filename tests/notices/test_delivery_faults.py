"""Delivery when things go wrong: each fault stays with its own message, a setting fault stops the run,
and a long outage loses nothing and repeats nothing. A real SMTP server on loopback throughout."""

from __future__ import annotations

import logging
from datetime import timedelta

from perfrules.engine.notices import DeliveryPolicy, SmtpTransport, deliver
from perfrules.engine.notices.contexts import Recipient
from perfrules.engine.notices.templating import make_environment
from perfrules.storage.outbox import get_message, list_messages

from tests.notices.support import ENV, LI, MAIL_FROM, T0, WANG, queue
from tests.smtp import SmtpServer

ZHAO = Recipient(id="E3", name_zh="赵敏", name_en="Zhao Min", email="zhao@shop.example", locale="zh-CN")
UNICODE = Recipient(id="E4", name_zh="陈", name_en="Chen", email="陈静@shop.example", locale="zh-CN")


def run(db, transport, now=T0, policy=DeliveryPolicy(), env=ENV):
    return deliver(db, env, transport, now=now, mail_from=MAIL_FROM, policy=policy)


def test_a_busy_mailbox_is_retried_later_and_the_error_shows_the_answer_not_the_address(db, smtp) -> None:
    smtp.busy.add("wang@shop.example")
    wang = queue(db, "reminder", WANG).id
    li = queue(db, "reminder", LI).id
    report = run(db, smtp.transport())
    assert report.failed == [wang] and report.sent == [li] and not report.dead and not report.stopped
    failed = get_message(db, wang)
    assert failed.status == "failed" and "450 4.2.1 mailbox busy" in failed.last_error
    assert "wang@shop.example" not in failed.last_error  # an address is personal data: not in errors and logs

    smtp.busy.clear()
    assert run(db, smtp.transport(), now=T0 + timedelta(minutes=2)).sent == [wang]
    assert sorted(e.rcpt_tos[0] for e in smtp.envelopes) == ["li@shop.example", "wang@shop.example"]


def test_a_non_ascii_address_goes_to_a_server_that_offers_smtputf8(db, smtp) -> None:
    chen = queue(db, "reminder", UNICODE).id
    assert run(db, smtp.transport()).sent == [chen]
    assert smtp.envelopes[0].rcpt_tos == ["陈静@shop.example"]


def test_an_address_the_server_cannot_take_goes_dead_alone(db) -> None:
    server = SmtpServer(smtputf8=False)
    server.start()
    try:
        first = queue(db, "reminder", WANG).id
        chen = queue(db, "reminder", UNICODE).id
        last = queue(db, "reminder", LI).id
        report = run(db, server.transport())
        assert report.dead == [chen] and sorted(report.sent) == sorted([first, last]) and not report.stopped
        assert "cannot take this address" in get_message(db, chen).last_error
        assert len(server.envelopes) == 2
    finally:
        server.stop()


def test_a_refused_sender_stops_the_run_without_killing_any_message(db, smtp) -> None:
    ids = [queue(db, "reminder", r).id for r in (WANG, LI, ZHAO)]
    smtp.refuse_sender = True
    report = run(db, smtp.transport())
    assert report.stopped and "sender refused: 553" in report.stopped
    assert not report.dead and not report.sent
    assert {get_message(db, i).status for i in ids} <= {"failed", "pending"}

    smtp.refuse_sender = False  # the operator fixes mail_from / the relay
    report = run(db, smtp.transport(), now=T0 + timedelta(minutes=5))
    assert sorted(report.sent) == sorted(ids)
    assert len(smtp.envelopes) == 3


class Exploding(SmtpTransport):
    """A transport with a bug that surfaces for one recipient only."""

    def send(self, message, entry) -> None:
        if entry.to_addr == "li@shop.example":
            raise RuntimeError("boom")
        super().send(message, entry)


def test_an_unexpected_error_is_recorded_and_retried_and_the_run_goes_on(db, smtp, caplog) -> None:
    wang = queue(db, "reminder", WANG).id
    li = queue(db, "reminder", LI).id
    zhao = queue(db, "reminder", ZHAO).id
    with caplog.at_level(logging.ERROR, logger="perfrules.notices"):
        report = run(db, Exploding("127.0.0.1", smtp.port, security="none", timeout=5))
    assert report.failed == [li] and sorted(report.sent) == sorted([wang, zhao])
    stuck = get_message(db, li)
    assert stuck.status == "failed" and "unexpected error: RuntimeError: boom" in stuck.last_error
    assert "RuntimeError" in caplog.text  # with its traceback, for whoever fixes the bug
    assert not [m for m in list_messages(db) if m.status == "sending"]


def test_a_digest_that_cannot_be_built_lets_the_notices_go_one_by_one(db, smtp, tmp_path, caplog) -> None:
    for kind in ("digest.zh-CN.html.j2", "digest.zh-CN.txt.j2", "digest.zh-CN.subject.j2"):
        (tmp_path / "emails").mkdir(exist_ok=True)
        (tmp_path / "emails" / kind).write_text("{{ 1 // 0 }}", encoding="utf-8")
    env = make_environment(tmp_path)
    first = queue(db, "reminder", WANG, rule="r1").id
    second = queue(db, "deadline_missed", WANG, rule="r2").id
    with caplog.at_level(logging.ERROR, logger="perfrules.notices"):
        report = run(db, smtp.transport(), env=env)
    assert report.digests == 0 and sorted(report.sent) == sorted([first, second])
    assert "digests could not be composed" in caplog.text
    assert len(smtp.envelopes) == 2


def test_a_three_day_outage_loses_nothing_and_sends_each_notice_once(db, smtp) -> None:
    """Delivery runs every 15 minutes while the server is down for three days, then it comes back."""
    ids = [queue(db, "reminder", r, rule=f"r{n}").id for n, r in enumerate((WANG, LI, ZHAO))]
    smtp.stop()
    now = T0
    while now < T0 + timedelta(days=3):
        report = run(db, smtp.transport(), now=now)
        assert not report.sent and not report.dead
        now += timedelta(minutes=15)
    assert max(get_message(db, i).attempts for i in ids) < DeliveryPolicy().max_attempts

    smtp.start()
    sent: list[int] = []
    for _ in range(4 * 7):  # the next seven hours of runs: the longest back-off is six
        sent += run(db, smtp.transport(), now=now).sent
        now += timedelta(minutes=15)
    assert sorted(sent) == sorted(ids)
    assert sorted(e.rcpt_tos[0] for e in smtp.envelopes) == sorted(r.email for r in (WANG, LI, ZHAO))
