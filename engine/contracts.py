"""Contract clauses: the duties and consequences of a role, rendered from the rule files in force.

Each rule in force for the role becomes one clause: its duty (deadline and/or KPI threshold), what a
breach costs, and the escalations of repeated breaches — all numbers taken from the rule file, so a
changed threshold changes the clause. A rule's own ``wording`` (duty/penalty, zh-CN and en) is rendered
in the sandbox with the same numbers as variables (``{{ target }}``, ``{{ deduction }}``, ``{{ day }}``…).
The document is stamped with the rulebook digest and each rule's id, version and file hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from perfrules.engine.errors import PerfRulesError, UnknownEmployee
from perfrules.engine.kpi.catalog import BY_ID
from perfrules.engine.notices.templating import make_environment
from perfrules.engine.rulebook.checker import load_rulebook
from perfrules.engine.rulebook.model import Rule
from perfrules.engine.rulebook.rulebook import Rulebook, SourcedRule
from perfrules.engine.rulebook.wording import kpi_value, pct, wording_variables
from perfrules.engine.settings import Settings
from perfrules.storage import Database, access

ACTIONS = {
    "no_promotion": ("取消年度晋升资格", "no promotion this year"),
    "improvement_plan": ("提交书面改进计划", "a written improvement plan"),
    "reassignment_review": ("启动岗位调整评估", "a job reassignment review"),
    "training": ("参加数据统计培训", "training in data statistics"),
    "clarify_definition": ("澄清统计口径", "a clarification of the definition"),
}
COVERS = {
    "previous_month": ("上月", "the previous month"),
    "current_month": ("当月", "the current month"),
    "previous_week": ("上周", "the previous week"),
    "current_week": ("本周", "the current week"),
}
DELIVERABLES = {
    "slow_mover_list": ("滞销品清单", "slow-mover list"),
    "disposal_tracking": ("滞销品处理进度跟踪", "disposal tracking"),
    "capital_report": ("库存资金分析报告", "inventory-capital analysis report"),
    "improvement_plan": ("书面改进计划", "improvement plan"),
}
WEEKDAYS_ZH = {
    "monday": "周一",
    "tuesday": "周二",
    "wednesday": "周三",
    "thursday": "周四",
    "friday": "周五",
    "saturday": "周六",
    "sunday": "周日",
}


class NoRulesForRole(PerfRulesError, LookupError):
    """Raised by :func:`render_contract` when no rule in force names the role."""

    def __init__(self, role: str, day: date, rules_dir: str):
        super().__init__(f"no rule in {rules_dir} in force on {day} applies to role {role!r}")
        self.role = role
        self.day = day


@dataclass(frozen=True)
class Party:
    """The employee a contract is rendered for."""

    id: str
    name: str
    role: str
    department: str
    locale: str


@dataclass(frozen=True)
class Clause:
    """One rule as a contract clause, in one language; the numbers come straight from the rule."""

    number: int
    rule_id: str
    version: int
    source: str
    sha256: str
    title: str
    duties: tuple[str, ...]
    consequences: tuple[str, ...]
    escalations: tuple[str, ...]
    effective: str


@dataclass(frozen=True)
class Contract:
    """The template's context: who, which rules, the rulebook stamp."""

    role: str
    locale: str
    day: date
    party: Party | None
    clauses: tuple[Clause, ...]
    rulebook_digest: str
    files: tuple[tuple[str, str], ...]


def party_of(db: Database, employee_id: str) -> Party:
    found = access.employees_of(db, [employee_id])
    if not found:
        raise UnknownEmployee(employee_id)
    e = found[0]
    return Party(e.id, e.name_zh if e.locale == "zh-CN" else e.name_en, e.role, e.department, e.locale)


def _numbers(rule: Rule) -> dict[str, Any]:
    """The variables a rule's wording may use (the same ``perfrules check`` renders it with)."""
    return wording_variables(rule)


def _duties(rule: Rule, zh: bool) -> list[str]:
    out = []
    if rule.deadline is not None:
        d = rule.deadline
        what = DELIVERABLES[d.deliverable][0 if zh else 1]
        covers = COVERS[d.covers][0 if zh else 1]
        when_time = d.due.time.strftime("%H:%M")
        if d.due.day is not None:
            when = f"每月{d.due.day}日{when_time}前" if zh else f"by {when_time} on day {d.due.day} of each month"
        else:
            day = WEEKDAYS_ZH[d.due.weekday] if zh else d.due.weekday.capitalize()
            when = f"每{day}{when_time}前" if zh else f"every {day} by {when_time}"
        out.append(f"{when}提交{covers}的{what}。" if zh else f"Submit the {what} covering {covers} {when}.")
    if rule.threshold is not None:
        t = rule.threshold
        kpi = BY_ID[t.kpi]
        target = t.target if t.target is not None else kpi.target
        higher = (t.direction or kpi.direction.value) == "higher"
        sign = "≥" if higher else "≤"
        shown = kpi_value(t.kpi, Decimal(target))
        period = {
            "week": ("每周", "weekly"),
            "month": ("每月", "monthly"),
            "quarter": ("每季度", "quarterly"),
            "year": ("每年", "yearly"),
        }[t.period]
        out.append(
            f"{kpi.name_zh}{period[0]}{sign} {shown}。"
            if zh
            else f"Keep {kpi.name_en.lower()} {sign} {shown}, measured {period[1]}."
        )
    return out


def _consequences(rule: Rule, zh: bool) -> list[str]:
    c = rule.consequence
    if c is None:
        return []
    out = []
    if c.deduction is not None:
        once = "" if c.stacks else ("（每季度最多一次）" if zh else " (at most once a quarter)")
        out.append(
            f"未达标时扣减当季度奖金的 {pct(c.deduction)}{once}。"
            if zh
            else f"A breach deducts {pct(c.deduction)} of the quarterly bonus{once}."
        )
    if c.proportional is not None:
        p = c.proportional
        out.append(
            f"指标占季度奖金的 {pct(p.kpi_share)}，本指标权重 {pct(p.weight)}；每高于目标一个百分点奖励 "
            f"{pct(p.per_point_above)}，每低于一个百分点扣减 {pct(p.per_point_below)}。"
            if zh
            else f"KPIs make up {pct(p.kpi_share)} of the quarterly bonus, this KPI weighs "
            f"{pct(p.weight)}; each point "
            f"above target adds {pct(p.per_point_above)}, each point below deducts {pct(p.per_point_below)}."
        )
    if c.cap is not None:
        out.append(
            f"本规则每季度调整上限为奖金的 {pct(c.cap)}。"
            if zh
            else f"This rule moves at most {pct(c.cap)} of the quarterly bonus per quarter."
        )
    return out


def _escalations(rule: Rule, zh: bool) -> list[str]:
    out = []
    for e in rule.escalations:
        action = ACTIONS[e.action][0 if zh else 1]
        unit = {"week": "周", "month": "个月", "quarter": "个季度", "year": "年"}
        per = rule.threshold.period if rule.threshold is not None else "month"
        text = (
            f"连续{e.after}{unit[per]}未达标：{action}。"
            if zh
            else f"After {e.after} consecutive breaching {per}s: {action}."
        )
        if e.text is not None:
            text += " " + (e.text.zh_cn if zh else e.text.en)
        out.append(text)
    return out


def _clause(env: Any, number: int, sourced: SourcedRule, zh: bool) -> Clause:
    rule, ref = sourced.rule, sourced.ref
    duties, consequences = _duties(rule, zh), _consequences(rule, zh)
    if rule.wording is not None:
        variables = _numbers(rule)
        render = lambda text: env.from_string(text).render(variables)  # noqa: E731
        duties.insert(0, render(rule.wording.duty.zh_cn if zh else rule.wording.duty.en))
        if rule.wording.penalty is not None:
            consequences.insert(0, render(rule.wording.penalty.zh_cn if zh else rule.wording.penalty.en))
    until = rule.effective_to.isoformat() if rule.effective_to else ("长期有效" if zh else "until changed")
    return Clause(
        number,
        rule.id,
        rule.version,
        ref.source,
        ref.sha256[:12],
        rule.title.zh_cn if zh else rule.title.en,
        tuple(duties),
        tuple(consequences),
        tuple(_escalations(rule, zh)),
        f"{rule.effective_from.isoformat()} – {until}",
    )


def build_contract(rulebook: Rulebook, *, role: str, locale: str, day: date, party: Party | None, env: Any) -> Contract:
    """The clauses of ``role`` from the rules in force on ``day``, in ``locale``."""
    zh = locale == "zh-CN"
    mine = sorted((r for r in rulebook.in_force(day) if r.rule.role == role), key=lambda r: r.rule.id)
    clauses = tuple(_clause(env, i, r, zh) for i, r in enumerate(mine, start=1))
    return Contract(role, locale, day, party, clauses, rulebook.digest, rulebook.files)


def render_contract(
    settings: Settings,
    *,
    role: str,
    locale: str,
    fmt: str,
    day: date,
    party: Party | None = None,
    rules_dir: Path | None = None,
) -> str:
    """Markdown or HTML clauses of ``role`` (or ``party``) from the rule folder, in ``locale``."""
    folder = rules_dir or settings.rules_path
    rulebook = load_rulebook(folder)
    env = make_environment(settings.template_overrides_dir or None)
    contract = build_contract(rulebook, role=role, locale=locale, day=day, party=party, env=env)
    if not contract.clauses:
        raise NoRulesForRole(role, day, str(folder))
    name = f"contracts/{role}.{locale}.{fmt}.j2"
    if name not in env.list_templates():
        name = f"contracts/clauses.{locale}.{fmt}.j2"
    return env.get_template(name).render(contract=contract)
