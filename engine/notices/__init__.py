"""Notices: typed contexts rendered by Jinja templates, written to the outbox, delivered by e-mail.

The API evaluation and the scheduler call::

    env = make_environment(settings.template_overrides_dir or None)
    queue_notice(db, env, ConsequenceContext(...), rule_id=..., period="2024-02", now=now,
                 domain=mail_domain(settings.mail_from), repeat_every=timedelta(days=7))
    deliver(db, env, transport_from_settings(settings), now=now, mail_from=settings.mail_from)

and ``perfrules check`` calls :func:`check_templates`.
"""

from perfrules.engine.notices.checking import TemplateProblem, check_templates
from perfrules.engine.notices.contexts import CONTEXTS, DIGESTIBLE, KINDS, NoticeContext, template_variables
from perfrules.engine.notices.delivery import (
    DeliveryError,
    DeliveryPolicy,
    DeliveryReport,
    EmlTransport,
    PermanentDeliveryError,
    SmtpTransport,
    TransportUnavailable,
    deliver,
    transport_from_settings,
)
from perfrules.engine.notices.errors import TemplateRenderError
from perfrules.engine.notices.message import build_email, mail_domain, message_id_for
from perfrules.engine.notices.queue import Queued, compose_digests, queue_notice, repeat_slot
from perfrules.engine.notices.templating import (
    RenderedNotice,
    environment_from_settings,
    make_environment,
    render_notice,
    render_template,
    template_name,
)

__all__ = [
    "CONTEXTS",
    "DIGESTIBLE",
    "KINDS",
    "DeliveryError",
    "DeliveryPolicy",
    "DeliveryReport",
    "EmlTransport",
    "NoticeContext",
    "PermanentDeliveryError",
    "Queued",
    "RenderedNotice",
    "SmtpTransport",
    "TemplateProblem",
    "TemplateRenderError",
    "TransportUnavailable",
    "build_email",
    "check_templates",
    "compose_digests",
    "deliver",
    "environment_from_settings",
    "mail_domain",
    "make_environment",
    "message_id_for",
    "queue_notice",
    "render_notice",
    "render_template",
    "repeat_slot",
    "template_name",
    "template_variables",
    "transport_from_settings",
]
