"""``perfrules outbox`` (list, show, retry, send) and ``perfrules preview``: the notice layer's commands."""

from __future__ import annotations

import re

import click
from perfrules.engine.cli.context import AppContext, pass_app
from perfrules.engine.errors import UnknownEmployee
from perfrules.engine.notices import (
    KINDS,
    DeliveryPolicy,
    deliver,
    environment_from_settings,
    render_notice,
    render_template,
    transport_from_settings,
)
from perfrules.engine.notices.contexts import Named, Person, Recipient
from perfrules.engine.notices.errors import UnknownOutboxMessage, UnknownTemplate
from perfrules.engine.notices.samples import sample_context
from perfrules.engine.scheduler.channels import ChatDelivery
from perfrules.storage.outbox import STATUSES, PersonRecord, find_person, get_message, list_messages, retry

_TEMPLATE = r"emails/(?P<kind>[a-z_]+)\.(?P<locale>zh-CN|en)\.(?P<part>subject|txt|html)\.j2"


@click.group()
def outbox() -> None:
    """Inspect, retry and deliver the e-mails in the outbox."""


@outbox.command("list")
@click.option("--status", type=click.Choice(STATUSES), multiple=True, help="Only messages in this status.")
@click.option("--limit", default=200, show_default=True, help="Show at most this many (newest first).")
@pass_app
def list_(app: AppContext, status: tuple[str, ...], limit: int) -> None:
    """List outbox messages, newest first; a failed or dead one with the error it got (retried per the
    delivery policy; `outbox retry` revives a dead one)."""
    entries = list_messages(app.database(), statuses=status or None, limit=limit)
    if not entries:
        click.echo("outbox is empty" if not status else f"no messages with status {', '.join(status)}")
        return
    zone = app.settings.zone
    click.echo(f"{'ID':>6}  {'STATUS':8}  {'CHANNEL':16}  {'KIND':18}  {'TO':28}  {'TRIES':>5}  {'WHEN':16}  SUBJECT")
    for e in entries:
        when = e.sent_at if e.status == "sent" else e.next_attempt_at
        click.echo(
            f"{e.id:>6}  {e.status:8}  {e.key.channel[:16]:16}  {e.key.kind:18}  {e.to_addr[:28]:28}  "
            f"{e.attempts:>5}  {when.astimezone(zone):%Y-%m-%d %H:%M}  {e.subject}"
        )
        if e.last_error and e.status in ("failed", "dead"):
            click.echo(f"{'':>6}  error: {e.last_error}")


@outbox.command()
@click.argument("message_id", type=int)
@click.option("--html", "show_html", is_flag=True, help="Print the HTML part instead of the text part.")
@pass_app
def show(app: AppContext, message_id: int, show_html: bool) -> None:
    """Show one message: its key, delivery state and body."""
    e = get_message(app.database(), message_id)
    if e is None:
        raise UnknownOutboxMessage(message_id)
    zone = app.settings.zone

    def at(value):
        return value.astimezone(zone).isoformat(timespec="seconds") if value else "-"

    rows = [
        ("key", str(e.key)),
        ("message-id", e.message_id),
        ("to", e.to_addr),
        ("locale", e.locale),
        ("status", e.status),
        ("attempts", str(e.attempts)),
        ("next attempt", at(e.next_attempt_at)),
        ("last error", e.last_error or "-"),
        ("created", at(e.created_at)),
        ("sent", at(e.sent_at)),
    ]
    if e.digest_id is not None:
        rows.append(("merged into", f"digest {e.digest_id}"))
    for label, value in rows:
        click.echo(f"{label:13} {value}")
    click.echo(f"\nSubject: {e.subject}\n")
    click.echo(e.html_body if show_html else e.text_body)


@outbox.command("retry")
@click.argument("message_id", type=int, required=False)
@click.option("--all", "retry_all", is_flag=True, help="Retry every failed and dead message.")
@pass_app
def retry_(app: AppContext, message_id: int | None, retry_all: bool) -> None:
    """Make a failed or dead message (or --all of them) pending again, due now."""
    if (message_id is None) == (not retry_all):
        raise click.UsageError("give a message ID or --all (not both)")
    db = app.database()
    if message_id is not None and get_message(db, message_id) is None:
        raise UnknownOutboxMessage(message_id)
    count = retry(db, None if retry_all else [message_id], now=app.now())
    click.echo(f"{count} message(s) pending again; 'perfrules outbox send' delivers them now")


@outbox.command()
@pass_app
def send(app: AppContext) -> None:
    """Deliver every due message now (SMTP, or .eml files in outbox_dir when smtp_host is empty; chat channels)."""
    settings = app.settings
    transport = transport_from_settings(settings)
    env = environment_from_settings(settings)
    chat = ChatDelivery(app.database(), env, settings)
    chat.fan_out(app.now())
    report = deliver(
        app.database(),
        env,
        transport,
        now=app.now(),
        mail_from=settings.mail_from,
        policy=DeliveryPolicy(),
    )
    target = f"SMTP {settings.smtp_host}" if settings.smtp_host else f"files in {settings.outbox_dir}/"
    click.echo(
        f"{len(report.sent)} sent ({target}), {len(report.failed)} failed, {len(report.dead)} dead, "
        f"{report.digests} digest(s) composed"
    )
    if chat.channels:
        chatted = chat.deliver(app.now())
        click.echo(f"chat: {len(chatted.sent)} sent, {len(chatted.failed)} failed or delayed, {len(chatted.dead)} dead")
    if report.stopped:
        raise click.ClickException(f"stopped early: {report.stopped}")


@click.command()
@click.argument("template")
@click.option("--employee", "employee_id", required=True, help="Employee id whose real data fills the preview.")
@click.option("--locale", type=click.Choice(["zh-CN", "en"]), help="Language (default: the employee's).")
@click.option(
    "--warning-band",
    is_flag=True,
    help="kpi_warning: a value inside the rule's warning band instead of a missed target.",
)
@pass_app
def preview(app: AppContext, template: str, employee_id: str, locale: str | None, warning_band: bool) -> None:
    """Preview a notice for an employee: their real data, sample values for the rest; nothing is sent."""
    match = re.fullmatch(_TEMPLATE, template)
    kind = match["kind"] if match else template
    if kind not in KINDS:
        raise UnknownTemplate(template, KINDS)
    db = app.database()
    person = find_person(db, employee_id)
    if person is None:
        raise UnknownEmployee(employee_id)
    manager = find_person(db, person.manager_id) if person.manager_id else None
    locale = match["locale"] if match else (locale or person.locale)
    recipient_person = manager if kind == "escalation_manager" and manager else person
    recipient = Recipient(
        id=recipient_person.id,
        name_zh=recipient_person.name_zh,
        name_en=recipient_person.name_en,
        email=recipient_person.email,
        locale=locale,
        zone=app.settings.timezone,
    )
    if warning_band and kind != "kpi_warning":
        raise click.UsageError("--warning-band is for kpi_warning templates")
    context = sample_context(
        kind,
        recipient,
        employee=_person(person),
        manager=_person(manager) if manager else None,
        bonus_base=person.bonus_base,
        now=app.now(),
        warning_band=warning_band,
    )
    env = environment_from_settings(app.settings)
    click.echo(
        f"=== PREVIEW (nothing is sent) — {template} for {person.id} {person.name_en} / {person.name_zh}, "
        f"locale {locale}.\n=== Names, e-mail, department, manager and bonus base are real; "
        f"every other value is sample data.\n"
    )
    if match:
        click.echo(render_template(env, template, context))
        return
    rendered = render_notice(env, context)
    click.echo(
        f"To: {recipient.email}\nSubject: {rendered.subject}\n\n{rendered.text}\n--- HTML part ---\n{rendered.html}"
    )


def _person(record: PersonRecord) -> Person:
    department = Named(code=record.department, name_zh=record.department_zh, name_en=record.department_en)
    return Person(
        id=record.id, name_zh=record.name_zh, name_en=record.name_en, email=record.email, department=department
    )
