"""Building the service ``perfrules serve`` runs: the rulebook folder, the notice environment, the delivery
policy and the slot handlers (reminders, deadline notices, evaluation, alerts, reports) on one scheduler."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from perfrules.engine.notices.contexts import RuleRef
from perfrules.engine.notices.delivery import DeliveryPolicy, deliver, transport_from_settings
from perfrules.engine.notices.templating import environment_from_settings
from perfrules.engine.periods import Period, local_date, parse_period
from perfrules.engine.rulebook.model import Rule
from perfrules.engine.scheduler.actions import Handler, ServiceActions
from perfrules.engine.scheduler.calendar import KPI_REFRESH, QUARTER_EVALUATION, THRESHOLD_CHECK, Slot
from perfrules.engine.scheduler.channels import ChatDelivery
from perfrules.engine.scheduler.rules import FolderRules
from perfrules.engine.scheduler.service import Service
from perfrules.storage import Database


def rule_lookup(rules: FolderRules, zone: Any) -> Callable[[str, datetime], tuple[Rule, RuleRef] | None]:
    """Find the version of a rule in force at a moment, with its provenance for the notices."""

    def lookup(rule_id: str, at: datetime) -> tuple[Rule, RuleRef] | None:
        day = local_date(at, zone)
        for sourced in rules.rulebook.by_id(rule_id):
            if sourced.rule.in_force(day):
                ref = sourced.ref
                return sourced.rule, RuleRef(id=ref.id, file=ref.file, version=f"v{ref.version} {ref.sha256[:12]}")
        return None

    return lookup


def evaluation_handlers(
    db: Database,
    rules: FolderRules,
    zone: Any,
    after: Callable[[list[Period], datetime, list[dict[str, Any]]], str] | None = None,
) -> dict[str, Handler]:
    """KPI refresh, dated threshold checks and the quarter-end evaluation, by the evaluation engine;
    ``after(months, now, warnings)`` runs once the months are evaluated (the alerts of
    :mod:`perfrules.engine.reporting`),
    with the months' warning-band observations as finding rows: the evaluation does not store them.

    Evaluation runs are idempotent (keyed by month, rulebook and facts), so a daily refresh of last month
    stores something only when late facts or a rule change altered the outcome; its KPI values are computed
    again only then too (:class:`~engine.scheduler.refresh.KpiMemo`).
    """
    from perfrules.engine.evaluation.core import finding_row
    from perfrules.engine.evaluation.run import evaluate
    from perfrules.engine.scheduler.refresh import KpiMemo

    kpis = KpiMemo(zone)

    def months(slot: Slot) -> list[Period]:
        if slot.kind == QUARTER_EVALUATION:
            return list(parse_period(slot.period).months())
        if slot.kind == KPI_REFRESH:
            return [parse_period(slot.period).previous()]
        return [parse_period(slot.period)]

    def run(slot: Slot, now: datetime) -> str:
        done, warnings = [], []
        for month in months(slot):
            report = evaluate(db, rules.rulebook, month, now=now, kpis=kpis.source(local_date(now, zone)))
            warnings += [finding_row(w, [], ()) for w in report.judgement.warnings]
            done.append(f"{month.label}: {len(report.observations)} finding(s)")
        if after is not None:
            done.append(after(months(slot), now, warnings))
        return "; ".join(done)

    return {KPI_REFRESH: run, THRESHOLD_CHECK: run, QUARTER_EVALUATION: run}


def build_service(
    settings: Any,
    db: Database,
    *,
    scheduler: BaseScheduler | None = None,
    transport_factory: Callable[[], Any] | None = None,
    evaluation: bool = True,
) -> Service:
    """The service ``perfrules serve`` runs, from the resolved settings (``evaluation=False``: reminders and
    deadline notices only — no evaluation, alerts or reports, which all read the KPI library)."""
    from perfrules.engine.reporting import alert_hook, report_handlers

    rules = FolderRules(settings.rules_path)
    env = environment_from_settings(settings)
    zone = settings.zone
    make_transport = transport_factory or (lambda: transport_from_settings(settings))
    handlers: dict[str, Handler] = {}
    if evaluation:
        book = lambda: rules.rulebook  # noqa: E731 - read at run time: a reload swaps the rulebook
        handlers.update(report_handlers(db, env, book, settings.mail_from, zone))
        handlers.update(evaluation_handlers(db, rules, zone, after=alert_hook(db, env, book, settings.mail_from, zone)))
    actions = ServiceActions(db, env, rule_lookup(rules, zone), settings.mail_from, zone, handlers=handlers)

    chat = ChatDelivery(db, env, settings)

    def deliver_now(now: datetime) -> Any:
        chat.fan_out(now)  # chat: first, so a notice routed instead of e-mail is held back in time
        report = deliver(db, env, make_transport(), now=now, mail_from=settings.mail_from, policy=DeliveryPolicy())
        chat.deliver(now)
        return report

    kwargs = {"scheduler": scheduler} if scheduler is not None else {}
    return Service(db, rules, actions, deliver_now, zone, **kwargs)
