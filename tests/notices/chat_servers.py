"""Fake WeCom, DingTalk, Feishu and webhook endpoints on loopback that check requests the way the platforms do.

One threaded ``http.server`` on 127.0.0.1 answers all four (by path). It verifies the key or token, the
signature (recomputed here independently of the code under test), the payload shape and size, and answers
with the platform's own error codes; ``rate_limit[platform] = n`` makes the next n requests "too fast".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

WECOM_KEY = "wecom-key-123"
DINGTALK_TOKEN = "ding-token-456"
DINGTALK_SECRET = "SECding-secret"
FEISHU_TOKEN = "feishu-hook-789"
FEISHU_SECRET = "feishu-secret"
WEBHOOK_SECRET = "hook-secret"


@dataclass
class FakeChat:
    """What the fake platforms received, and how they should answer next."""

    url: str = ""
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    rate_limit: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def of(self, platform: str) -> list[dict[str, Any]]:
        return [payload for name, payload in self.received if name == platform]


def _json(handler: BaseHTTPRequestHandler, body: dict[str, Any], status: int = 200) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def _wecom(fake: FakeChat, query: dict[str, list[str]], body: bytes) -> tuple[dict[str, Any], int]:
    if query.get("key") != [WECOM_KEY]:
        return {"errcode": 93000, "errmsg": "invalid webhook url, hint: [1700000000_1_abc]"}, 200
    payload = json.loads(body)
    content = payload["markdown"]["content"]
    if set(payload) != {"msgtype", "markdown"} or payload["msgtype"] != "markdown" or not isinstance(content, str):
        return {"errcode": 40008, "errmsg": "invalid message type"}, 200
    if len(content.encode("utf-8")) > 4096:
        return {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}, 200
    if fake.rate_limit["wecom"] > 0:
        fake.rate_limit["wecom"] -= 1
        return {"errcode": 45009, "errmsg": "api freq out of limit"}, 200
    fake.received.append(("wecom", payload))
    return {"errcode": 0, "errmsg": "ok"}, 200


def _dingtalk(fake: FakeChat, raw_query: str, body: bytes) -> tuple[dict[str, Any], int]:
    query = parse_qs(raw_query)  # unquotes the sign once, as DingTalk does
    if query.get("access_token") != [DINGTALK_TOKEN]:
        return {"errcode": 300001, "errmsg": "token is not exist"}, 200
    timestamp = query.get("timestamp", ["0"])[0]
    expected = base64.b64encode(
        hmac.new(DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    if query.get("sign") != [expected] or abs(int(timestamp) - time.time() * 1000) > 3600_000:
        return {
            "errcode": 310000,
            "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]",
        }, 200
    payload = json.loads(body)
    markdown = payload.get("markdown", {})
    if payload.get("msgtype") != "markdown" or not markdown.get("title") or not markdown.get("text"):
        return {"errcode": 40035, "errmsg": "missing parameter"}, 200
    if fake.rate_limit["dingtalk"] > 0:
        fake.rate_limit["dingtalk"] -= 1
        return {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}, 200
    fake.received.append(("dingtalk", payload))
    return {"errcode": 0, "errmsg": "ok"}, 200


def _feishu(fake: FakeChat, token: str, body: bytes) -> tuple[dict[str, Any], int]:
    if token != FEISHU_TOKEN:
        return {"code": 19001, "msg": "param invalid: incoming webhook access token invalid", "data": {}}, 200
    if len(body) > 20 * 1024:
        return {"code": 9499, "msg": "request body too large", "data": {}}, 400
    payload = json.loads(body)
    timestamp = payload.get("timestamp", "0")
    expected = base64.b64encode(
        hmac.new(f"{timestamp}\n{FEISHU_SECRET}".encode(), b"", hashlib.sha256).digest()
    ).decode()
    if payload.get("sign") != expected or abs(int(timestamp) - time.time()) > 3600:
        return {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}, 200
    post = payload.get("content", {}).get("post", {})
    if payload.get("msg_type") != "post" or len(post) != 1:
        return {"code": 9499, "msg": "Bad Request", "data": {}}, 200
    (language,) = post
    if language not in ("zh_cn", "en_us") or not post[language]["title"] or not post[language]["content"]:
        return {"code": 9499, "msg": "Bad Request", "data": {}}, 200
    if fake.rate_limit["feishu"] > 0:
        fake.rate_limit["feishu"] -= 1
        return {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]"}, 200
    fake.received.append(("feishu", payload))
    return {"code": 0, "msg": "success", "data": {}}, 200


def _webhook(fake: FakeChat, signature: str | None, body: bytes) -> tuple[dict[str, Any], int]:
    expected = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    if signature != expected:
        return {"error": "bad signature"}, 401
    if fake.rate_limit["webhook"] > 0:
        fake.rate_limit["webhook"] -= 1
        return {"error": "slow down"}, 429
    payload = json.loads(body)
    assert {"kind", "subject", "text", "recipient", "key"} <= set(payload)
    fake.received.append(("webhook", payload))
    return {"ok": True}, 202


def _handler(fake: FakeChat) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if "application/json" not in self.headers.get("Content-Type", ""):
                return _json(self, {"errcode": 40035, "errmsg": "content type must be json"}, 400)
            if parts.path == "/cgi-bin/webhook/send":
                answer, status = _wecom(fake, parse_qs(parts.query), body)
            elif parts.path == "/robot/send":
                answer, status = _dingtalk(fake, parts.query, body)
            elif parts.path.startswith("/open-apis/bot/v2/hook/"):
                answer, status = _feishu(fake, parts.path.rsplit("/", 1)[1], body)
            elif parts.path == "/hook":
                answer, status = _webhook(fake, self.headers.get("X-Perfrules-Signature"), body)
            else:
                answer, status = {"error": "not found"}, 404
            _json(self, answer, status)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    return Handler


@pytest.fixture
def fake_chat() -> Any:
    fake = FakeChat()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No request of these tests may leave the machine."""
    send = httpx.Client.send

    def checked(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        assert request.url.host in ("127.0.0.1", "localhost"), f"a test tried to reach {request.url}"
        return send(self, request, **kwargs)

    monkeypatch.setattr(httpx.Client, "send", checked)


def channels_toml(fake: FakeChat, **limits: int) -> str:
    """A channels file naming the four fake bots (secrets go to the environment)."""
    extra = {name: f"per_minute = {n}\n" for name, n in limits.items()}
    return (
        f'[channels.ops-wecom]\ntype = "wecom"\nurl = "{fake.url}/cgi-bin/webhook/send"\n{extra.get("wecom", "")}'
        f'[channels.buy-ding]\ntype = "dingtalk"\nurl = "{fake.url}/robot/send"\n{extra.get("dingtalk", "")}'
        f'[channels.plan-feishu]\ntype = "feishu"\nurl = "{fake.url}/open-apis/bot/v2/hook/"\n'
        f'[channels.erp-hook]\ntype = "webhook"\nurl = "{fake.url}/hook"\n'
    )


SECRETS = {
    "PERFRULES_CHANNEL_OPS_WECOM_KEY": WECOM_KEY,
    "PERFRULES_CHANNEL_BUY_DING_KEY": DINGTALK_TOKEN,
    "PERFRULES_CHANNEL_BUY_DING_SECRET": DINGTALK_SECRET,
    "PERFRULES_CHANNEL_PLAN_FEISHU_KEY": FEISHU_TOKEN,
    "PERFRULES_CHANNEL_PLAN_FEISHU_SECRET": FEISHU_SECRET,
    "PERFRULES_CHANNEL_ERP_HOOK_SECRET": WEBHOOK_SECRET,
}
