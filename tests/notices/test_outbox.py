"""The outbox table on SQLite and PostgreSQL: natural keys, repeat slots, claims, digests, retry."""

from __future__ import annotations

from datetime import UTC, timedelta

from perfrules.engine.notices import compose_digests, message_id_for
from perfrules.storage.outbox import (
    OutboxKey,
    claim,
    find_message,
    get_message,
    list_messages,
    mark_failed,
    mark_sent,
    retry,
)

from tests.notices.support import DOMAIN, ENV, LI, T0, WANG, queue


def test_writing_the_same_notice_twice_is_a_no_op(db) -> None:
    first = queue(db, "deadline_missed", WANG)
    again = queue(db, "deadline_missed", WANG, now=T0 + timedelta(hours=5))
    assert first.created and not again.created
    assert again.id == first.id
    assert len(list_messages(db)) == 1
    entry = get_message(db, first.id)
    assert entry.key == OutboxKey("r1", "E1", "2024-02", "deadline_missed", 0)
    assert entry.status == "pending" and entry.attempts == 0
    assert entry.created_at == T0 and entry.created_at.tzinfo == UTC
    assert entry.to_addr == "wang@shop.example" and entry.locale == "zh-CN"
    assert entry.subject.startswith("【逾期通知】滞销品清单")
    assert entry.message_id == message_id_for(entry.key, DOMAIN)


def test_a_different_period_or_kind_is_a_different_notice(db) -> None:
    queue(db, "kpi_warning", WANG)
    assert queue(db, "kpi_warning", WANG, period="2024-03").created
    assert queue(db, "consequence", WANG).created
    assert queue(db, "kpi_warning", LI).created
    assert len({e.message_id for e in list_messages(db)}) == 4


def test_repeat_interval_decides_whether_a_new_warning_is_due(db) -> None:
    week = timedelta(days=7)
    assert queue(db, "kpi_warning", WANG, repeat_every=week).key.slot == 0
    assert not queue(db, "kpi_warning", WANG, repeat_every=week, now=T0 + timedelta(days=6)).created
    repeat = queue(db, "kpi_warning", WANG, repeat_every=week, now=T0 + timedelta(days=7, hours=1))
    assert repeat.created and repeat.key.slot == 1
    assert not queue(db, "kpi_warning", WANG, repeat_every=week, now=T0 + timedelta(days=13)).created
    assert queue(db, "kpi_warning", WANG, repeat_every=week, now=T0 + timedelta(days=15)).key.slot == 2
    # without a repeat interval a notice is written once, ever
    assert not queue(db, "kpi_warning", WANG, now=T0 + timedelta(days=60)).created
    assert len(list_messages(db)) == 3


def test_a_claim_excludes_other_workers_until_its_lease_expires(db) -> None:
    entry_id = queue(db, "reminder", WANG).id
    lease = timedelta(minutes=15)
    assert claim(db, entry_id, "worker-a", now=T0, lease=lease).status == "sending"
    assert claim(db, entry_id, "worker-b", now=T0 + timedelta(minutes=5), lease=lease) is None
    taken_over = claim(db, entry_id, "worker-b", now=T0 + timedelta(minutes=16), lease=lease)
    assert taken_over is not None and taken_over.attempts == 2
    assert not mark_sent(db, entry_id, "worker-a", now=T0 + timedelta(minutes=17))  # lost its claim
    assert mark_sent(db, entry_id, "worker-b", now=T0 + timedelta(minutes=17))
    assert get_message(db, entry_id).status == "sent"
    assert claim(db, entry_id, "worker-c", now=T0 + timedelta(days=1), lease=lease) is None


def test_failed_and_dead_messages_are_listed_and_retried(db) -> None:
    a, b, c = (queue(db, "reminder", WANG, rule=r).id for r in ("ra", "rb", "rc"))
    for entry_id, dead in ((a, False), (b, True)):
        claim(db, entry_id, "t", now=T0, lease=timedelta(minutes=1))
        mark_failed(db, entry_id, "t", error="boom", retry_at=T0 + timedelta(hours=1), dead=dead)
    assert {e.id for e in list_messages(db, statuses=["failed", "dead"])} == {a, b}
    assert get_message(db, b).last_error == "boom"
    assert retry(db, [b], now=T0) == 1
    assert get_message(db, b).status == "pending" and get_message(db, b).attempts == 0
    assert retry(db, None, now=T0) == 1  # only a was left; c was never failed
    assert {e.status for e in list_messages(db)} == {"pending"}
    assert get_message(db, c).attempts == 0


def test_several_notices_to_one_person_on_one_day_become_one_digest(db) -> None:
    ids = [queue(db, kind, WANG).id for kind in ("reminder", "kpi_warning", "consequence")]
    queue(db, "reminder", LI)  # alone: stays a single e-mail
    queue(db, "weekly_report", WANG)  # reports are never folded
    digests = compose_digests(db, ENV, now=T0, domain=DOMAIN)
    assert len(digests) == 1
    digest = get_message(db, digests[0])
    assert digest.key == OutboxKey("digest", "E1", "2024-03-06", "digest", 0)
    assert digest.subject == "【通知汇总】2024年3月6日，共 3 条通知"
    members = [get_message(db, i) for i in ids]
    assert {(m.status, m.digest_id) for m in members} == {("merged", digest.id)}
    for member in members:
        assert member.subject in digest.text_body and member.subject in digest.html_body
    assert "季度奖金基数 12,000.00 元 × 扣减比例 10.0% = 1,200.00 元" in digest.text_body
    assert digest.text_body.count("王芳，您好") == 1
    assert compose_digests(db, ENV, now=T0 + timedelta(minutes=1), domain=DOMAIN) == []
    assert find_message(db, OutboxKey("r1", "E2", "2024-02", "reminder", 0)).status == "pending"
