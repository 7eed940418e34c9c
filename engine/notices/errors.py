"""Errors of the notice layer."""

from __future__ import annotations

from perfrules.engine.errors import PerfRulesError


class TemplateRenderError(PerfRulesError, ValueError):
    """Raised by :mod:`perfrules.engine.notices.templating` when a template cannot be rendered: a missing variable
    (StrictUndefined), a syntax error, an unsafe access blocked by the sandbox, or a missing template."""

    def __init__(self, template: str, line: int | None, reason: str):
        where = f"{template}:{line}" if line else template
        super().__init__(f"{where}: {reason}")
        self.template = template
        self.line = line
        self.reason = reason


class UnknownOutboxMessage(PerfRulesError, LookupError):
    """Raised by the outbox commands when no message has the given id."""

    def __init__(self, message_id: int):
        super().__init__(f"no outbox message with id {message_id}")
        self.message_id = message_id


class UnknownTemplate(PerfRulesError, LookupError):
    """Raised by ``perfrules preview`` for a name that is neither a notice kind nor a template."""

    def __init__(self, name: str, kinds: tuple[str, ...]):
        super().__init__(
            f"unknown template {name!r} (expected a kind: {', '.join(kinds)}; "
            "or a name such as emails/reminder.zh-CN.html.j2)"
        )
        self.name = name
