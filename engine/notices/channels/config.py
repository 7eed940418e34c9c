"""Chat channel definitions: name, platform type, URL, key and secret, rate limit.

The operator names channels in a TOML file (setting ``channels_file``)::

    [channels.ops-wecom]
    type = "wecom"                  # wecom, dingtalk, feishu or webhook
    per_minute = 20                 # optional; the platform's limit by default

and gives their secrets in the environment only: ``PERFRULES_CHANNEL_OPS_WECOM_KEY`` (the WeCom key,
the DingTalk access_token, the Feishu hook token) and ``PERFRULES_CHANNEL_OPS_WECOM_SECRET`` (the
DingTalk / Feishu signing secret, the webhook's HMAC secret). The rulebook's ``channels.yaml`` routes
notices to these names; it never holds a secret.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfrules.engine.errors import PerfRulesError, suggest

TYPES = ("wecom", "dingtalk", "feishu", "webhook")
DEFAULT_URLS = {
    "wecom": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
    "dingtalk": "https://oapi.dingtalk.com/robot/send",
    "feishu": "https://open.feishu.cn/open-apis/bot/v2/hook/",
}
# (per minute, per second) each platform allows one bot; a webhook's are the operator's to set
DEFAULT_LIMITS = {"wecom": (20, None), "dingtalk": (20, None), "feishu": (100, 5), "webhook": (60, None)}
NEEDS_KEY = ("wecom", "dingtalk", "feishu")
NEEDS_SECRET = ("dingtalk", "feishu")  # both sign every request when the bot's security setting says so
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_KEYS = ("type", "url", "per_minute", "per_second")


class ChannelConfigError(PerfRulesError, ValueError):
    """Raised by :func:`load_channels` when the channels file is unreadable or a definition is wrong;
    lists every problem, one a line."""

    def __init__(self, file: str, problems: list[str]):
        super().__init__("\n".join(f"{file}: {p}" for p in problems))
        self.file = file
        self.problems = problems


@dataclass(frozen=True)
class ChannelDef:
    """One chat channel (a group bot or a webhook). ``key`` and ``secret`` come from the environment."""

    name: str
    type: str
    url: str
    key: str = ""
    secret: str = ""
    per_minute: int = 20
    per_second: int | None = None

    def __repr__(self) -> str:  # never show a secret in a log line or a traceback
        return f"ChannelDef(name={self.name!r}, type={self.type!r}, url={self.url!r})"


def env_var(name: str, what: str) -> str:
    """``PERFRULES_CHANNEL_<NAME>_<WHAT>``: ``ops-wecom`` → ``PERFRULES_CHANNEL_OPS_WECOM_KEY``."""
    return f"PERFRULES_CHANNEL_{re.sub(r'[^A-Za-z0-9]', '_', name).upper()}_{what}"


def load_channels(path: str | Path | None, environ: Mapping[str, str]) -> dict[str, ChannelDef]:
    """The channels of ``path`` (none when it is empty); raises :class:`ChannelConfigError`."""
    if not path:
        return {}
    file = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ChannelConfigError(file, [f"cannot read: {exc.strerror or exc}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ChannelConfigError(file, [f"not valid TOML: {exc}"]) from None
    unknown = sorted(set(data) - {"channels"})
    problems = [f"unknown table {u!r}{suggest(u, ['channels'])}" for u in unknown]
    channels: dict[str, ChannelDef] = {}
    for name, raw in (data.get("channels") or {}).items():
        found, more = _channel(name, raw, environ)
        problems.extend(more)
        if found is not None:
            channels[name] = found
    if problems:
        raise ChannelConfigError(file, problems)
    return channels


def _channel(name: str, raw: Any, environ: Mapping[str, str]) -> tuple[ChannelDef | None, list[str]]:
    where = f"channels.{name}"
    if not isinstance(raw, dict):
        return None, [f"{where}: expected a table with type = …"]
    problems = [f"{where}.{k}: unknown key{suggest(k, _KEYS)}" for k in raw if k not in _KEYS]
    if not _NAME.match(name):
        problems.append(f"{where}: a channel name is lower-case letters, digits, '-' and '_'")
    kind = raw.get("type")
    if kind not in TYPES:
        problems.append(f"{where}.type: {kind!r} is not a channel type ({', '.join(TYPES)}){suggest(kind, TYPES)}")
        return None, problems
    url = str(raw.get("url") or DEFAULT_URLS.get(kind, ""))
    if not url.startswith(("http://", "https://")):
        problems.append(f'{where}.url: a webhook needs url = "https://…"')
    per_minute, per_second = DEFAULT_LIMITS[kind]
    limits = {"per_minute": raw.get("per_minute", per_minute), "per_second": raw.get("per_second", per_second)}
    for key, value in limits.items():
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            problems.append(f"{where}.{key}: must be a whole number of messages, at least 1")
    key, secret = environ.get(env_var(name, "KEY"), ""), environ.get(env_var(name, "SECRET"), "")
    if kind in NEEDS_KEY and not key:
        problems.append(f"{where}: no key: set {env_var(name, 'KEY')} in the environment")
    if kind in NEEDS_SECRET and not secret:
        problems.append(f"{where}: {kind} signs every message: set {env_var(name, 'SECRET')} in the environment")
    if problems:
        return None, problems
    return ChannelDef(name, kind, url, key, secret, limits["per_minute"], limits["per_second"]), []
