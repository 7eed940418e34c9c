"""Chat channels beside e-mail: WeCom, DingTalk, Feishu/Lark group bots and a generic JSON webhook.

Every delivery run::

    fan_out(db, env, routes, now=now, domain=mail_domain(settings.mail_from))   # before the e-mail run
    deliver(db, env, transport, now=now, mail_from=settings.mail_from)
    deliver_chat(db, chat_transports(channels), now=now)

``routes`` come from the rulebook's ``channels.yaml`` (:mod:`perfrules.engine.rulebook.channels`), the
channels from the operator's channels file (:func:`load_channels`).
"""

from perfrules.engine.notices.channels.config import (
    TYPES,
    ChannelConfigError,
    ChannelDef,
    env_var,
    load_channels,
)
from perfrules.engine.notices.channels.fanout import FanOutReport, chat_template, fan_out, render_chat
from perfrules.engine.notices.channels.routes import ROUTABLE_KINDS, Route, Routes, Target
from perfrules.engine.notices.channels.sending import deliver_chat
from perfrules.engine.notices.channels.signing import dingtalk_sign, feishu_sign, truncate_utf8, webhook_signature
from perfrules.engine.notices.channels.transports import (
    ChatMessage,
    ChatTransport,
    RateLimited,
    transport_for,
)


def chat_transports(channels: dict[str, ChannelDef]) -> dict[str, ChatTransport]:
    """One transport per configured channel (each opens its HTTP client when it first sends)."""
    return {name: transport_for(channel) for name, channel in channels.items()}


__all__ = [
    "ROUTABLE_KINDS",
    "TYPES",
    "ChannelConfigError",
    "ChannelDef",
    "ChatMessage",
    "ChatTransport",
    "FanOutReport",
    "RateLimited",
    "Route",
    "Routes",
    "Target",
    "chat_template",
    "chat_transports",
    "deliver_chat",
    "dingtalk_sign",
    "env_var",
    "fan_out",
    "feishu_sign",
    "load_channels",
    "render_chat",
    "transport_for",
    "truncate_utf8",
    "webhook_signature",
]
