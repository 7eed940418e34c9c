"""Each chat transport against a fake platform on loopback: the request it accepts, and its error answers."""

from __future__ import annotations

import pytest
from perfrules.engine.notices.channels import ChannelDef, ChatMessage, RateLimited, transport_for, truncate_utf8
from perfrules.engine.notices.delivery import DeliveryError, PermanentDeliveryError, TransportUnavailable

from tests.notices.chat_servers import (
    DINGTALK_SECRET,
    DINGTALK_TOKEN,
    FEISHU_SECRET,
    FEISHU_TOKEN,
    WEBHOOK_SECRET,
    WECOM_KEY,
)

MESSAGE = ChatMessage(
    kind="deadline_missed",
    subject="逾期通知：呆滞品清单",
    text="### 逾期通知\n\n王芳，您好：\n\n请尽快提交。",
    recipient="E1",
    key="r1/E1/2024-02/deadline_missed/0@ops",
    locale="zh-CN",
)


def channel(fake, kind: str, **overrides) -> ChannelDef:
    defaults = {
        "wecom": dict(url=f"{fake.url}/cgi-bin/webhook/send", key=WECOM_KEY),
        "dingtalk": dict(url=f"{fake.url}/robot/send", key=DINGTALK_TOKEN, secret=DINGTALK_SECRET),
        "feishu": dict(url=f"{fake.url}/open-apis/bot/v2/hook/", key=FEISHU_TOKEN, secret=FEISHU_SECRET),
        "webhook": dict(url=f"{fake.url}/hook", secret=WEBHOOK_SECRET),
    }[kind]
    return ChannelDef(name=f"test-{kind}", type=kind, **{**defaults, **overrides})


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu", "webhook"])
def test_a_signed_well_formed_message_is_accepted(fake_chat, kind) -> None:
    transport = transport_for(channel(fake_chat, kind))
    transport.send(MESSAGE)
    transport.close()
    (payload,) = fake_chat.of(kind)
    if kind == "wecom":
        assert payload == {"msgtype": "markdown", "markdown": {"content": MESSAGE.text}}
    elif kind == "dingtalk":
        assert payload["markdown"] == {"title": MESSAGE.subject, "text": MESSAGE.text}
    elif kind == "feishu":
        post = payload["content"]["post"]["zh_cn"]
        assert post["title"] == MESSAGE.subject
        assert "\n".join(line[0]["text"] for line in post["content"]) == MESSAGE.text
    else:
        assert payload["key"] == MESSAGE.key and payload["recipient"] == "E1" and payload["kind"] == "deadline_missed"


@pytest.mark.parametrize(
    ("kind", "override", "words"),
    [
        ("wecom", {"key": "wrong"}, "wecom error 93000: invalid webhook url"),
        ("dingtalk", {"key": "wrong"}, "dingtalk error 300001: token is not exist"),
        ("dingtalk", {"secret": "SECwrong"}, "dingtalk error 310000: sign not match"),
        ("feishu", {"secret": "wrong"}, "feishu error 19021: sign match fail"),
        ("feishu", {"key": "wrong"}, "feishu error 19001: param invalid"),
        ("webhook", {"secret": "wrong"}, "HTTP 401"),
    ],
)
def test_a_bad_key_or_signature_is_permanent_with_the_platforms_words(fake_chat, kind, override, words) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        transport_for(channel(fake_chat, kind, **override)).send(MESSAGE)
    assert words in caught.value.reason
    assert fake_chat.received == []


@pytest.mark.parametrize(
    ("kind", "words"),
    [("wecom", "45009"), ("dingtalk", "130101"), ("feishu", "11232"), ("webhook", "HTTP 429")],
)
def test_too_many_requests_is_rate_limited_not_failed(fake_chat, kind, words) -> None:
    fake_chat.rate_limit[kind] = 1
    transport = transport_for(channel(fake_chat, kind))
    with pytest.raises(RateLimited) as caught:
        transport.send(MESSAGE)
    assert words in caught.value.reason
    transport.send(MESSAGE)  # the next minute's try goes through
    assert len(fake_chat.of(kind)) == 1


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu", "webhook"])
def test_a_long_message_is_cut_to_the_platforms_limit_on_a_character_boundary(fake_chat, kind) -> None:
    long = MESSAGE.__class__(**{**MESSAGE.__dict__, "text": "库存呆滞品清单逾期。\n" * 4000})
    transport_for(channel(fake_chat, kind)).send(long)  # the fake platforms refuse an oversized body
    (payload,) = fake_chat.of(kind)
    text = {
        "wecom": lambda p: p["markdown"]["content"],
        "dingtalk": lambda p: p["markdown"]["text"],
        "feishu": lambda p: "\n".join(line[0]["text"] for line in p["content"]["post"]["zh_cn"]["content"]),
        "webhook": lambda p: p["text"],
    }[kind](payload)
    assert text.endswith("…(truncated)") and text.startswith("库存呆滞品清单逾期。")


def test_truncation_never_splits_a_character() -> None:
    assert truncate_utf8("短", 10) == "短"
    cut = truncate_utf8("逾" * 100, 40)
    assert len(cut.encode("utf-8")) <= 40 and cut.endswith("…(truncated)") and cut.startswith("逾" * 8)


def test_an_unreachable_bot_makes_the_channel_wait(fake_chat) -> None:
    dead = ChannelDef(name="gone", type="webhook", url="http://127.0.0.1:9/hook")
    with pytest.raises(TransportUnavailable):
        transport_for(dead).send(MESSAGE)


def test_a_server_error_is_retried(fake_chat) -> None:
    lost = ChannelDef(name="lost", type="webhook", url=f"{fake_chat.url}/nowhere")
    with pytest.raises(PermanentDeliveryError, match="HTTP 404"):
        transport_for(lost).send(MESSAGE)
    assert not issubclass(RateLimited, PermanentDeliveryError) and issubclass(RateLimited, DeliveryError)
