"""Helpers shared by the notice tests: recipients, a fixed clock, queueing a sample notice."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from perfrules.engine.notices import NoticeContext, Queued, make_environment, queue_notice
from perfrules.engine.notices.contexts import Recipient
from perfrules.engine.notices.samples import sample_context
from perfrules.storage import Database

MAIL_FROM = "perfrules@shop.example"
DOMAIN = "shop.example"
T0 = datetime(2024, 3, 6, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ENV = make_environment()

WANG = Recipient(id="E1", name_zh="王芳", name_en="Wang Fang", email="wang@shop.example", locale="zh-CN")
LI = Recipient(id="E2", name_zh="李明", name_en="Li Ming", email="li@shop.example", locale="en")


def notice(kind: str, recipient: Recipient) -> NoticeContext:
    return sample_context(kind, recipient)


def queue(
    db: Database,
    kind: str,
    recipient: Recipient,
    *,
    rule: str = "r1",
    period: str = "2024-02",
    now: datetime = T0,
    repeat_every: timedelta | None = None,
) -> Queued:
    return queue_notice(
        db, ENV, notice(kind, recipient), rule_id=rule, period=period, now=now, domain=DOMAIN, repeat_every=repeat_every
    )
