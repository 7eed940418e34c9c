"""Chat delivery for a run: the operator's channels, the rulebook's routes, fan-out before the e-mail run and
the chat run after it. ``perfrules serve`` and ``perfrules outbox send`` both use :class:`ChatDelivery`.

The routes are read from the rulebook folder's ``channels.yaml`` at every run; a broken edit is logged
line by line and the last good routes keep working (a route sending "instead of e-mail" must not
silently fall back to e-mail because of a typo elsewhere in the file).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from perfrules.engine.errors import PerfRulesError
from perfrules.engine.notices.channels import (
    ChannelConfigError,
    ChannelDef,
    ChatTransport,
    FanOutReport,
    Routes,
    chat_transports,
    deliver_chat,
    fan_out,
    load_channels,
)
from perfrules.engine.notices.delivery import DeliveryPolicy, DeliveryReport
from perfrules.engine.notices.message import mail_domain
from perfrules.engine.rulebook.channels import read_routes
from perfrules.storage import Database

log = logging.getLogger("perfrules.notices")


@dataclass
class ChatDelivery:
    """The chat side of delivery, built from the settings (channels file, rules folder, sender domain)."""

    db: Database
    env: Any  # the notice environment (jinja2 stays in the notices package)
    settings: Any
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    make_transports: Callable[[dict[str, ChannelDef]], dict[str, ChatTransport]] = chat_transports
    _routes: Routes = field(default_factory=Routes)
    _channels: dict[str, ChannelDef] | None = None

    @property
    def channels(self) -> dict[str, ChannelDef]:
        """The operator's channels; a broken channels file is logged and means no chat (e-mail goes on)."""
        if self._channels is None:
            try:
                self._channels = load_channels(self.settings.channels_file, self.environ)
            except ChannelConfigError as exc:
                for problem in exc.problems:
                    log.error("%s: %s", exc.file, problem)
                log.error("no chat channels until the channels file is fixed and the service restarted")
                self._channels = {}
        return self._channels

    def routes(self) -> Routes:
        folder = self.settings.rules_path
        routes, problems = read_routes(folder, self.channels)
        if problems:
            for problem in problems:
                log.error("%s", problem)
            log.error("channels.yaml has errors: the previous routes stay in force")
            return self._routes
        self._routes = routes
        return routes

    def fan_out(self, now: datetime) -> FanOutReport:
        """Copy the routed notices to their channels (before the e-mail run, so 'instead of e-mail' holds).
        A chat problem (a template error) is logged and never stops the e-mail run."""
        try:
            return fan_out(self.db, self.env, self.routes(), now=now, domain=mail_domain(self.settings.mail_from))
        except PerfRulesError as exc:
            log.error("chat notices not written this run: %s", exc)
            return FanOutReport()

    def deliver(self, now: datetime, policy: DeliveryPolicy = DeliveryPolicy()) -> DeliveryReport:
        if not self.channels:
            return DeliveryReport()
        return deliver_chat(self.db, self.make_transports(self.channels), now=now, policy=policy)
