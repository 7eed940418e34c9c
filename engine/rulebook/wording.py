"""A rule's ``wording``: the variables its templates may use, and the check that they render and agree.

``perfrules check`` compiles and renders every duty/penalty text in the notices sandbox with the same
variables contract clauses use (:func:`wording_variables`), so a typo (``{{ targte }}``), a syntax error
or an unsafe access is a ``file:line:col`` error of the rule file, never a crash in ``render contract``.
A percentage the rendered text states that none of the rule's numbers has is a warning naming both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from perfrules.engine.errors import suggest
from perfrules.engine.kpi.catalog import BY_ID
from perfrules.engine.notices.errors import TemplateRenderError
from perfrules.engine.notices.templating import make_environment, render_text
from perfrules.engine.rulebook.loader import Document, Loc, Problem, format_loc
from perfrules.engine.rulebook.model import Rule

_STATED = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*[%％]")
_TEXTS = (("duty", "zh_cn", "zh-CN"), ("duty", "en", "en"), ("penalty", "zh_cn", "zh-CN"), ("penalty", "en", "en"))


def pct(share: Decimal) -> str:
    """``Decimal('0.1')`` → ``10%``."""
    return f"{(share * 100).normalize():f}%"


def kpi_value(kpi_id: str, value: Decimal) -> str:
    """A KPI value as a clause shows it: a percentage for ratios and changes, else the number and unit."""
    unit = BY_ID[kpi_id].unit.value
    if unit in ("ratio", "change"):
        return pct(value)
    return f"{value.normalize():f}" + {"days": " d", "per_year": " /yr"}.get(unit, "")


def wording_variables(rule: Rule) -> dict[str, Any]:
    """The variables a rule's wording may use (documented in docs/rule-authoring.md)."""
    out: dict[str, Any] = {"rule_id": rule.id}
    if rule.deadline is not None:
        d = rule.deadline
        out |= {
            "day": d.due.day,
            "weekday": d.due.weekday,
            "time": d.due.time.strftime("%H:%M"),
            "deliverable": d.deliverable,
        }
    if rule.threshold is not None:
        t = rule.threshold
        target = t.target if t.target is not None else BY_ID[t.kpi].target
        out |= {
            "kpi": t.kpi,
            "target": kpi_value(t.kpi, Decimal(target)),
            "warning": None if t.warning is None else kpi_value(t.kpi, Decimal(t.warning)),
        }
    if rule.consequence is not None and rule.consequence.deduction is not None:
        out["deduction"] = pct(rule.consequence.deduction)
    if rule.escalations:
        out["after"] = rule.escalations[0].after
    return out


def rule_percentages(rule: Rule) -> dict[str, Decimal]:
    """Every percentage the rule's numbers hold, by name (``deduction``, ``target`` …), in percent."""
    out: dict[str, Decimal] = {}
    t, c = rule.threshold, rule.consequence
    if t is not None and BY_ID[t.kpi].unit.value in ("ratio", "change"):
        target = t.target if t.target is not None else BY_ID[t.kpi].target
        out["target"] = Decimal(target) * 100
        if t.warning is not None:
            out["warning"] = t.warning * 100
    if c is not None:
        for key in ("deduction", "cap"):
            if getattr(c, key) is not None:
                out[key] = getattr(c, key) * 100
        if c.proportional is not None:
            for key in ("per_point_above", "per_point_below", "kpi_share", "weight"):
                out[key] = getattr(c.proportional, key) * 100
    if rule.deadline is not None and rule.deadline.completeness is not None:
        out["completeness"] = rule.deadline.completeness * 100
    for i, attribution in enumerate(rule.attribution):
        out[f"attribution[{i}].share"] = attribution.share * 100
        when = attribution.when
        if when.kpi is not None and BY_ID[when.kpi].unit.value in ("ratio", "change"):
            for key in ("below", "above"):
                if getattr(when, key) is not None:
                    out[f"attribution[{i}].when.{key}"] = getattr(when, key) * 100
    return out


def check_wording(doc: Document, loc: Loc, rule: Rule, env: Any = None) -> tuple[list[Problem], list[str]]:
    """Problems (texts that do not render) and warnings (stated percentages the numbers do not have)."""
    if rule.wording is None:
        return [], []
    env = env or make_environment()
    variables = wording_variables(rule)
    numbers = rule_percentages(rule)
    problems: list[Problem] = []
    warnings: list[str] = []
    for part, attr, key in _TEXTS:
        text = getattr(getattr(rule.wording, part), attr, None) if getattr(rule.wording, part) else None
        if text is None:
            continue
        where = (*loc, "wording", part, key)
        try:
            rendered = render_text(env, text, variables)
        except TemplateRenderError as exc:
            problems.append(_at(doc, where, exc, sorted(variables)))
            continue
        warnings.extend(_stated(doc, where, rendered, numbers))
    return problems, warnings


def _at(doc: Document, where: Loc, exc: TemplateRenderError, names: list[str]) -> Problem:
    line, column = doc.mark(where)
    reason = exc.reason
    if "is undefined" in reason:
        word = reason.split("'")[1] if reason.count("'") >= 2 else ""
        reason += f"{suggest(word, names)}; the wording may use {', '.join(names)}"
    template_line = exc.line or 1
    lines = doc.text.splitlines()
    if lines[line - 1][column - 1 :].startswith(("|", ">")) and line < len(lines):  # block text: next line on
        line += 1
        column = len(lines[line - 1]) - len(lines[line - 1].lstrip()) + 1
    elif template_line > 1:
        column = 1
    return Problem(doc.file, line + template_line - 1, column, format_loc(where), f"wording template: {reason}")


def _stated(doc: Document, where: Loc, rendered: str, numbers: dict[str, Decimal]) -> Iterator[str]:
    for match in _STATED.finditer(rendered):
        stated = Decimal(match[1])
        if stated not in {abs(v) for v in numbers.values()}:  # "cut by 10%" states a target of -10%
            line, column = doc.mark(where)
            have = ", ".join(f"{k} {v.normalize():f}%" for k, v in numbers.items()) or "none"
            yield (
                f"{doc.file}:{line}:{column}: {format_loc(where)}: the wording states {match[1]}% "
                f"but the rule's percentages are {have}"
            )
