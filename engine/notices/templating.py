"""The one Jinja environment: sandboxed, StrictUndefined, autoescaped HTML, locale-aware filters.

Templates are looked up first in the HR override folder (setting ``template_overrides_dir``), then in
the bundled templates (:func:`perfrules.engine.bundled.bundled_path`: the checkout's ``templates/`` folder, or the
installed wheel's copy). Every template renders in the sandbox, because HR may replace any of
them. Names: ``emails/<kind>.<locale>.subject.j2``, ``.txt.j2`` and ``.html.j2``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from jinja2 import FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from perfrules.engine.bundled import bundled_path
from perfrules.engine.money import format_cny
from perfrules.engine.notices.contexts import NoticeContext
from perfrules.engine.notices.errors import TemplateRenderError
from pydantic import BaseModel

PARTS = ("subject", "txt", "html")

# Labels for codes that templates print (statuses, comparisons, notice kinds), per locale.
LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "met": "✅ 达标",
        "warning": "⚠️ 预警",
        "not_met": "❌ 未达标",
        ">=": "≥",
        "<=": "≤",
        ">": ">",
        "<": "<",
        "reminder": "截止提醒",
        "deadline_missed": "逾期通知",
        "kpi_warning": "指标预警",
        "consequence": "奖金扣减通知",
        "escalation_manager": "升级通知（主管）",
        "escalation_hr": "升级通知（人事）",
        "appeal": "申诉",
        "lodged": "已提交",
        "accepted": "已接受",
        "rejected": "已驳回",
        "withdrawn": "已撤回",
        "line": "奖金明细",
        "finding": "考核结果",
        "weekly_report": "库存周报",
        "monthly_report": "库存绩效月报",
        "digest": "通知汇总",
    },
    "en": {
        "met": "✅ met",
        "warning": "⚠️ warning",
        "not_met": "❌ not met",
        ">=": "≥",
        "<=": "≤",
        ">": ">",
        "<": "<",
        "reminder": "Reminder",
        "deadline_missed": "Deadline missed",
        "kpi_warning": "KPI warning",
        "consequence": "Bonus deduction",
        "escalation_manager": "Escalation (manager)",
        "escalation_hr": "Escalation (HR)",
        "appeal": "Appeal",
        "lodged": "lodged",
        "accepted": "accepted",
        "rejected": "rejected",
        "withdrawn": "withdrawn",
        "line": "bonus line",
        "finding": "finding",
        "weekly_report": "Weekly inventory report",
        "monthly_report": "Monthly inventory performance report",
        "digest": "Digest",
    },
}
_PYDANTIC_API = frozenset(dir(BaseModel))
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class RenderedNotice:
    """The three rendered parts of one e-mail."""

    subject: str
    text: str
    html: str
    locale: str


def template_name(kind: str, locale: str, part: str) -> str:
    return f"emails/{kind}.{locale}.{part}.j2"


class NoticeSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, tightened: pydantic's own API (``model_copy``, ``model_config`` …) is out of reach, so
    a template sees a context model's fields (and what our subclasses define) and nothing else."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, BaseModel) and attr in _PYDANTIC_API and attr not in type(obj).model_fields:
            return False
        return super().is_safe_attribute(obj, attr, value)


def make_environment(
    overrides_dir: str | Path | None = None, *, bundled_dir: str | Path | None = None
) -> NoticeSandbox:
    """The environment: ``overrides_dir`` (when set) is searched before the bundled templates."""
    paths = [Path(overrides_dir)] if overrides_dir else []
    paths.append(Path(bundled_dir) if bundled_dir else bundled_path("templates"))
    env = NoticeSandbox(
        loader=FileSystemLoader([str(p) for p in paths]),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2", "html"), default_for_string=False, default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        money=money,
        date=date_filter,
        datetime=datetime_filter,
        percent=percent,
        measure=measure,
        name=name,
        label=label,
    )
    return env


def environment_from_settings(settings: Any) -> NoticeSandbox:
    return make_environment(settings.template_overrides_dir or None)


def _locale(ctx: Context) -> str:
    recipient = ctx.get("recipient")
    return getattr(recipient, "locale", "en")


def _zone(ctx: Context) -> ZoneInfo:
    recipient = ctx.get("recipient")
    return ZoneInfo(getattr(recipient, "zone", "UTC"))


@pass_context
def money(ctx: Context, value: Decimal) -> str:
    """CNY in the recipient's language (:func:`perfrules.engine.money.format_cny`)."""
    return format_cny(value, _locale(ctx))


@pass_context
def date_filter(ctx: Context, value: date | datetime) -> str:
    """A calendar day (a datetime first moves to the recipient's zone): ``2024年3月5日`` / ``5 Mar 2024``."""
    if isinstance(value, datetime):
        value = value.astimezone(_zone(ctx)).date()
    if _locale(ctx) == "zh-CN":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {_EN_MONTHS[value.month - 1]} {value.year}"


@pass_context
def datetime_filter(ctx: Context, value: datetime) -> str:
    """A moment in the recipient's zone, with the UTC offset: ``5 Mar 2024 08:00 (UTC+08:00)``."""
    local = value.astimezone(_zone(ctx))
    offset = local.strftime("%z")
    shown_offset = f"UTC{offset[:3]}:{offset[3:]}"
    day = date_filter(ctx, local.date())
    if _locale(ctx) == "zh-CN":
        return f"{day} {local:%H:%M}（{shown_offset}）"
    return f"{day} {local:%H:%M} ({shown_offset})"


def percent(value: Decimal, digits: int = 1) -> str:
    """A ratio as a percentage: ``0.853`` → ``85.3%``."""
    scaled = (Decimal(value) * 100).quantize(Decimal(1).scaleb(-digits))
    return f"{scaled}%"


def _number(value: Decimal, digits: int = 1) -> str:
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.quantize(Decimal(1).scaleb(-digits)):,}"


@pass_context
def measure(ctx: Context, value: Decimal | None, unit: str) -> str:
    """A KPI value in its unit: ratio → %, days, turns per year, money, count; None → n/a."""
    zh = _locale(ctx) == "zh-CN"
    if value is None:
        return "无数据" if zh else "n/a"
    if unit == "ratio":
        return percent(value)
    if unit == "days":
        return f"{_number(value)} 天" if zh else f"{_number(value)} days"
    if unit == "per_year":
        return f"{_number(value)} 次/年" if zh else f"{_number(value)} turns/yr"
    if unit == "money":
        return money(ctx, value)
    return f"{int(value):,}"


@pass_context
def name(ctx: Context, value: Any) -> str:
    """The name of a person or a named thing in the recipient's language."""
    return value.name_zh if _locale(ctx) == "zh-CN" else value.name_en


@pass_context
def label(ctx: Context, code: str) -> str:
    """The wording of a status, comparison or notice kind in the recipient's language."""
    return LABELS[_locale(ctx)].get(code, code)


def variables_of(context: NoticeContext) -> dict[str, Any]:
    """The template variables: the model's fields, as typed objects (never dumped to dicts)."""
    return {field: getattr(context, field) for field in type(context).model_fields}


def render_template(env: jinja2.Environment, name_: str, context: NoticeContext) -> str:
    """Render one template; any template problem becomes :class:`TemplateRenderError`."""
    try:
        return env.get_template(name_).render(variables_of(context))
    except (jinja2.TemplateError, SecurityError) as exc:
        raise _render_error(name_, exc) from None


def render_text(env: jinja2.Environment, source: str, variables: dict[str, Any], name_: str = "wording") -> str:
    """Compile and render a template written inline (a rule's ``wording``) in the sandbox; any problem —
    syntax, an undefined variable, an unsafe access — becomes :class:`TemplateRenderError` with its line."""
    try:
        return env.from_string(source).render(variables)
    except (jinja2.TemplateError, SecurityError) as exc:
        error = _render_error(name_, exc)
        line = error.line or _line_from_traceback(exc, "<template>") or 1  # from_string's code is "<template>"
        raise TemplateRenderError(name_, line, error.reason) from None


def render_block(env: jinja2.Environment, name_: str, block: str, context: NoticeContext) -> str:
    """Render only ``block`` of a template (the body of a notice, for the digest)."""
    try:
        template = env.get_template(name_)
        render = template.blocks[block]
        return "".join(render(template.new_context(variables_of(context))))
    except (jinja2.TemplateError, SecurityError) as exc:
        raise _render_error(name_, exc) from None
    except KeyError:
        raise TemplateRenderError(name_, None, f"has no '{{% block {block} %}}'") from None


def render_notice(env: jinja2.Environment, context: NoticeContext) -> RenderedNotice:
    """Subject, plain text and HTML of ``context``'s notice in the recipient's language."""
    locale = context.recipient.locale
    kind = context.KIND
    subject = _one_line(render_template(env, template_name(kind, locale, "subject"), context))
    text = render_template(env, template_name(kind, locale, "txt"), context)
    html = render_template(env, template_name(kind, locale, "html"), context)
    return RenderedNotice(subject, text, html, locale)


def _one_line(text: str) -> str:
    # A subject is one header line; collapsing whitespace also rules out header injection.
    return re.sub(r"\s+", " ", text).strip()


def _render_error(name_: str, exc: Exception) -> TemplateRenderError:
    line = getattr(exc, "lineno", None)
    if line is None:
        line = _line_from_traceback(exc, name_)
    reason = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
    if isinstance(exc, SecurityError):
        reason = f"not allowed in a template: {reason}"
    return TemplateRenderError(getattr(exc, "filename", None) or name_, line, reason)


def _line_from_traceback(exc: BaseException, name_: str) -> int | None:
    # Jinja rewrites tracebacks so template frames carry the template's file name and line.
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(name_.split("/")[-1]):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
