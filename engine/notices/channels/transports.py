"""Chat transports: WeCom, DingTalk and Feishu/Lark group bots and a generic JSON webhook, over httpx.

Each turns one rendered message into the platform's request and the platform's answer into the outcome
the outbox understands: return (delivered), :class:`RateLimited` (try later, the attempt does not count),
:class:`~perfrules.engine.notices.delivery.PermanentDeliveryError` (a bad key or signature: ``dead`` with
the platform's words), :class:`~perfrules.engine.notices.delivery.DeliveryError` (retried with backoff)
or :class:`~perfrules.engine.notices.delivery.TransportUnavailable` (unreachable: this channel waits).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from perfrules.engine.notices.channels.config import ChannelDef
from perfrules.engine.notices.channels.signing import dingtalk_sign, feishu_sign, truncate_utf8, webhook_signature
from perfrules.engine.notices.delivery import DeliveryError, PermanentDeliveryError, TransportUnavailable

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class RateLimited(DeliveryError):
    """Raised by a chat transport when the platform answered "too many requests": the message waits and is
    sent later; the attempt is not counted against it."""


@dataclass(frozen=True)
class ChatMessage:
    """What a chat transport sends: one notice rendered for chat."""

    kind: str
    subject: str
    text: str
    recipient: str
    key: str
    locale: str = "zh-CN"


class ChatTransport:
    """Base of the platform transports: one httpx client per delivery run, the answer checked by ``check``."""

    def __init__(
        self, channel: ChannelDef, *, client: httpx.Client | None = None, clock: Callable[[], float] = time.time
    ):
        self.channel = channel
        self.clock = clock
        self._client = client

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        return self._client

    def send(self, message: ChatMessage) -> None:
        raise NotImplementedError

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _post(
        self, url: str, *, body: bytes, headers: dict[str, str] | None = None, params: Any = None
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        try:
            response = self.client.post(url, content=body, headers=headers, params=params)
        except httpx.TimeoutException as exc:
            raise TransportUnavailable(f"{self.channel.name}: no answer in time ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise TransportUnavailable(f"{self.channel.name}: cannot reach {_host(url)}: {exc}") from None
        if response.status_code == 429:
            raise RateLimited(f"{self.channel.name}: HTTP 429 too many requests")
        if response.status_code >= 500:
            raise DeliveryError(f"{self.channel.name}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise PermanentDeliveryError(f"{self.channel.name}: HTTP {response.status_code}: {response.text[:300]}")
        return response

    def _answer(self, response: httpx.Response, code_field: str) -> tuple[int, str]:
        try:
            answer = response.json()
            code = answer.get(code_field, answer.get("StatusCode", 0))
            return int(code), str(answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or "")
        except (ValueError, AttributeError, TypeError):
            raise DeliveryError(f"{self.channel.name}: unexpected answer: {response.text[:300]!r}") from None

    def _outcome(self, code: int, text: str, *, rate_limited: frozenset[int], permanent: frozenset[int]) -> None:
        if code == 0:
            return
        reason = f"{self.channel.name}: {self.channel.type} error {code}: {text}"
        if code in rate_limited:
            raise RateLimited(reason)
        if code in permanent:
            raise PermanentDeliveryError(reason)
        raise DeliveryError(reason)


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _host(url: str) -> str:
    return httpx.URL(url).host


class WeComTransport(ChatTransport):
    """WeCom (企业微信) group bot: markdown, content at most 4096 bytes."""

    LIMIT = 4096
    RATE_LIMITED = frozenset({45009})
    PERMANENT = frozenset({93000, 40008, 40058})  # invalid key / message type / parameter

    def send(self, message: ChatMessage) -> None:
        body = _json({"msgtype": "markdown", "markdown": {"content": truncate_utf8(message.text, self.LIMIT)}})
        response = self._post(self.channel.url, body=body, params={"key": self.channel.key})
        self._outcome(*self._answer(response, "errcode"), rate_limited=self.RATE_LIMITED, permanent=self.PERMANENT)


class DingTalkTransport(ChatTransport):
    """DingTalk (钉钉) group bot: markdown with a title, signed with the bot's secret (timestamp in ms)."""

    LIMIT = 18000
    RATE_LIMITED = frozenset({130101})
    PERMANENT = frozenset({310000, 300001, 400101, 400102})  # sign/keyword/IP mismatch, bad token, bot stopped

    def send(self, message: ChatMessage) -> None:
        timestamp = int(self.clock() * 1000)
        text = truncate_utf8(message.text, self.LIMIT)
        body = _json({"msgtype": "markdown", "markdown": {"title": message.subject[:100], "text": text}})
        params = {"access_token": self.channel.key, "timestamp": str(timestamp)}
        # the sign is already URL-encoded, as DingTalk documents it; append it as is
        url = f"{self.channel.url}?{httpx.QueryParams(params)}&sign={dingtalk_sign(self.channel.secret, timestamp)}"
        response = self._post(url, body=body)
        self._outcome(*self._answer(response, "errcode"), rate_limited=self.RATE_LIMITED, permanent=self.PERMANENT)


class FeishuTransport(ChatTransport):
    """Feishu/Lark (飞书) group bot: a rich-text post, signed with the bot's secret; the body at most 20 KB."""

    LIMIT = 20 * 1024
    RATE_LIMITED = frozenset({11232, 9499})
    PERMANENT = frozenset({19021, 19022, 19024, 19001, 19002})  # bad signature, IP, keyword, request, bot gone

    def send(self, message: ChatMessage) -> None:
        timestamp = int(self.clock())
        language = "zh_cn" if message.locale == "zh-CN" else "en_us"

        def payload(text: str) -> bytes:
            lines = [[{"tag": "text", "text": line}] for line in text.split("\n")]
            post = {language: {"title": message.subject, "content": lines}}
            return _json(
                {
                    "timestamp": str(timestamp),
                    "sign": feishu_sign(self.channel.secret, timestamp),
                    "msg_type": "post",
                    "content": {"post": post},
                }
            )

        room, body = len(message.text.encode("utf-8")), payload(message.text)
        while len(body) > self.LIMIT and room > 0:  # the JSON framing grows with the lines: shrink in proportion
            room = min(room - 1, room * self.LIMIT // len(body) - 64)
            body = payload(truncate_utf8(message.text, max(room, 0)))
        url = self.channel.url.rstrip("/") + "/" + self.channel.key
        response = self._post(url, body=body)
        self._outcome(*self._answer(response, "code"), rate_limited=self.RATE_LIMITED, permanent=self.PERMANENT)


class WebhookTransport(ChatTransport):
    """A generic JSON webhook: kind, subject, text, recipient and key; HMAC-signed when a secret is set.
    Any 2xx is delivered."""

    LIMIT = 64 * 1024

    def send(self, message: ChatMessage) -> None:
        body = _json(
            {
                "kind": message.kind,
                "subject": message.subject,
                "text": truncate_utf8(message.text, self.LIMIT),
                "recipient": message.recipient,
                "key": message.key,
                "locale": message.locale,
            }
        )
        headers = {"X-Perfrules-Signature": webhook_signature(self.channel.secret, body)} if self.channel.secret else {}
        self._post(self.channel.url, body=body, headers=headers)


TRANSPORTS: dict[str, type[ChatTransport]] = {
    "wecom": WeComTransport,
    "dingtalk": DingTalkTransport,
    "feishu": FeishuTransport,
    "webhook": WebhookTransport,
}


def transport_for(channel: ChannelDef, **kwargs: Any) -> ChatTransport:
    return TRANSPORTS[channel.type](channel, **kwargs)
