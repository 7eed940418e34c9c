"""The request signatures of the chat platforms and of the generic webhook, and size-safe truncation."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus

TRUNCATED = "\n…(truncated)"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk: urlencode(base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}")))."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu/Lark: base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg=b""))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_signature(secret: str, body: bytes) -> str:
    """The ``X-Perfrules-Signature`` header: ``sha256=<hex HMAC-SHA256 of the body>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def truncate_utf8(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` UTF-8 bytes, else as much as fits (never half a character)
    followed by "…(truncated)"."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = max(0, limit - len(TRUNCATED.encode("utf-8")))
    return data[:room].decode("utf-8", errors="ignore").rstrip() + TRUNCATED
