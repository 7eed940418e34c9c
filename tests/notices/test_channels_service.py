"""The service's chat side (:class:`perfrules.engine.scheduler.channels.ChatDelivery`) from the settings: a
broken routing edit keeps the last good routes; a broken channels file means no chat, and e-mail goes on."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from perfrules.engine.scheduler.channels import ChatDelivery
from perfrules.engine.settings import load_settings
from perfrules.storage.outbox import list_messages

from tests.notices.chat_servers import SECRETS, channels_toml
from tests.notices.support import ENV, T0
from tests.notices.test_channels_outbox import CHEN, ROUTES, queue
from tests.notices.test_cli import add_people


def chat_delivery(db, fake, tmp_path: Path, environ=SECRETS) -> ChatDelivery:
    add_people(db)
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "channels.yaml").write_text(ROUTES, encoding="utf-8")
    (tmp_path / "channels.toml").write_text(channels_toml(fake), encoding="utf-8")
    settings = load_settings(
        {"rules_dir": str(rules), "channels_file": str(tmp_path / "channels.toml"), "mail_from": "p@shop.example"},
        environ={},
    )
    return ChatDelivery(db, ENV, settings, environ=environ)


def test_a_broken_routing_edit_keeps_the_last_good_routes(db, fake_chat, tmp_path, caplog) -> None:
    chat = chat_delivery(db, fake_chat, tmp_path)
    queue(db, "deadline_missed", CHEN)
    chat.fan_out(T0)
    assert len(chat.deliver(T0).sent) == 4
    (tmp_path / "rules" / "channels.yaml").write_text("routes:\n  - kinds: [kpi_waring]\n", encoding="utf-8")
    queue(db, "kpi_warning", CHEN)
    with caplog.at_level(logging.ERROR, logger="perfrules.notices"):
        chat.fan_out(T0 + timedelta(minutes=1))
    assert "unknown notice kind 'kpi_waring'" in caplog.text and "previous routes stay in force" in caplog.text
    assert len(chat.deliver(T0 + timedelta(minutes=1)).sent) == 4  # the warning, by the old routes


def test_a_broken_channels_file_means_no_chat_and_says_why(db, fake_chat, tmp_path, caplog) -> None:
    environ = {k: v for k, v in SECRETS.items() if not k.endswith("BUY_DING_SECRET")}
    chat = chat_delivery(db, fake_chat, tmp_path, environ=environ)
    queue(db, "deadline_missed", CHEN)
    with caplog.at_level(logging.ERROR, logger="perfrules.notices"):
        chat.fan_out(T0)
        assert chat.deliver(T0).sent == []
    assert (
        "PERFRULES_CHANNEL_BUY_DING_SECRET" in caplog.text
        and SECRETS["PERFRULES_CHANNEL_OPS_WECOM_KEY"] not in caplog.text
    )
    assert [m.key.channel for m in list_messages(db)] == ["email"]
