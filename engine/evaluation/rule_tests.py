"""HR rule tests: YAML files in ``rules/tests/`` that give facts and a time, and expect results.

A test file::

    tests:
      - name: list late three months in a row
        now: 2026-10-09T09:00:00+08:00
        period: 2026-09
        facts:
          people: [{id: E1, department: purchasing, role: purchaser, manager: M1, bonus_base: 20000}]
          kpis: [{kpi: slow_mover_list_timeliness, scope: department, scope_id: purchasing, value: 85%}]
          submissions: [{deliverable: slow_mover_list, employee: E1, submitted_at: 2026-10-08T10:00:00+08:00}]
          breaches: [{rule: purchasing.slow_mover_list, subject: department:purchasing, period: 2026-08}]
        expect:
          findings: [{rule: purchasing.slow_mover_list, kind: kpi_breach}]
          consequences: [{rule: purchasing.slow_mover_list, employee: E1, share: -10%, amount: -2000}]

Each ``expect`` list is compared as a set: every expected item must match one result on the keys it
gives, and there must be no other result of that list (``[]`` means: none). Lists not named are not
checked; ``only_rules: [...]`` limits every comparison to results of those rules.

A test file is checked as strictly as a rule file before anything runs (:func:`check_spec`): unknown
keys, rules, KPIs, departments, roles and deliverables are ``file:line:col`` errors with a did-you-mean,
and a test without any expectation is an error (it would pass whatever the rules do).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from perfrules.engine.errors import suggest
from perfrules.engine.evaluation.decide import decide
from perfrules.engine.evaluation.facts import Facts, KpiValue, PastBreach, PastConsequence, Person, Stint, Submission
from perfrules.engine.evaluation.outcome import Consequence, Escalation, Finding, NotApplicable, NoticeIntent
from perfrules.engine.kpi.catalog import BY_ID
from perfrules.engine.rulebook.loader import Document, Loc, Problem, read_document
from perfrules.engine.rulebook.model import parse_number
from perfrules.engine.rulebook.rulebook import Rulebook
from perfrules.engine.vocabulary import DELIVERABLES, DEPARTMENTS, ROLES

EMPLOYED_SINCE = date(2000, 1, 1)
LISTS = ("findings", "consequences", "escalations", "notices", "not_applicable")
_RESULT_KEYS = {
    name: {"rule", "version"} | {f.name for f in fields(kind) if f.name != "ref"}
    for name, kind in zip(LISTS, (Finding, Consequence, Escalation, NoticeIntent, NotApplicable), strict=True)
}
# the keys each part of a test may have; a nested tuple names the keys of the items of that list
_KEYS: dict[str, Any] = {
    "test": ("name", "now", "period", "only_rules", "facts", "expect"),
    "facts": ("people", "kpis", "submissions", "breaches", "consequences"),
    "people": (
        "id",
        "name_en",
        "name_zh",
        "department",
        "role",
        "bonus_base",
        "active_from",
        "active_to",
        "stints",
        "leaves",
        "manager",
    ),
    "stints": ("department", "role", "from", "to"),
    "leaves": ("from", "to"),
    "kpis": ("kpi", "period", "value", "scope", "scope_id"),
    "submissions": ("deliverable", "period", "employee", "submitted_at", "completeness"),
    "breaches": ("rule", "subject", "period"),
    "consequences": ("rule", "subject", "quarter", "share"),
}
_NOTHING = (
    "the test expects nothing: add 'expect:' with findings, consequences, escalations, notices "
    "or not_applicable (an empty list [] means: none)"
)
_WORDS = {"kpi": tuple(BY_ID), "department": DEPARTMENTS, "role": ROLES, "deliverable": DELIVERABLES}


@dataclass
class TestOutcome:
    """One HR test: its name, where it is, and the failure text ('' when it passed)."""

    file: str
    name: str
    failure: str = ""

    @property
    def passed(self) -> bool:
        return not self.failure


def test_files(path: Path) -> list[Path]:
    """HR test files under ``path``: ``path/tests/*.yaml`` for a rule folder, or the file itself."""
    if path.is_dir():
        folder = path / "tests" if (path / "tests").is_dir() else path
        return sorted(folder.glob("*.yaml"))
    return [path]


def _time(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset (write e.g. 2026-10-09T09:00:00+08:00)")
    return moment


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else parse_number(value)


def build_facts(spec: dict[str, Any], period: str) -> Facts:
    """Facts from the ``facts:`` map of an HR test (also handy for the CLI and demos)."""
    kpis = tuple(
        KpiValue(
            k["kpi"],
            str(k.get("period", period)),
            _decimal(k.get("value")),
            k.get("scope", "company"),
            str(k.get("scope_id", "")),
        )
        for k in spec.get("kpis", [])
    )
    subs = tuple(
        Submission(
            s["deliverable"],
            str(s.get("period", period)),
            str(s["employee"]),
            _time(s["submitted_at"]),
            _decimal(s.get("completeness")),
        )
        for s in spec.get("submissions", [])
    )
    people = tuple(_person(p) for p in spec.get("people", []))
    breaches = tuple(PastBreach(b["rule"], b["subject"], str(b["period"])) for b in spec.get("breaches", []))
    past = tuple(
        PastConsequence(c["rule"], c["subject"], str(c["quarter"]), _decimal(c["share"]))
        for c in spec.get("consequences", [])
    )
    return Facts(str(period), kpis, subs, people, breaches, past)


def _day(value: Any, default: date | None) -> date | None:
    return default if value is None else value if isinstance(value, date) else date.fromisoformat(str(value))


def _person(p: dict[str, Any]) -> Person:
    """A person of an HR test: employed since long before the test (unless ``active_from`` says otherwise),
    optional transfers (``stints: [{department, role, from, to}]``) and leave (``leaves: [{from, to}]``)."""
    stints = tuple(
        Stint(s["department"], s["role"], _day(s["from"], None), _day(s.get("to"), None)) for s in p.get("stints", [])
    )
    leaves = tuple((_day(lv["from"], None), _day(lv["to"], None)) for lv in p.get("leaves", []))
    return Person(
        str(p["id"]),
        str(p.get("name_en", p["id"])),
        str(p.get("name_zh", p["id"])),
        p["department"],
        p["role"],
        _decimal(p.get("bonus_base")) or Decimal(0),
        _day(p.get("active_from"), EMPLOYED_SINCE),
        _day(p.get("active_to"), None),
        stints,
        leaves,
        p.get("manager"),
    )


def _same(expected: Any, got: Any) -> bool:
    if isinstance(got, Decimal) or (isinstance(expected, str) and expected.strip().endswith("%")):
        try:
            return parse_number(expected) == Decimal(str(got))
        except (ValueError, ArithmeticError):
            return False
    if isinstance(expected, datetime):
        return expected.isoformat() == got
    if isinstance(expected, dict) and isinstance(got, dict):
        return all(k in got and _same(v, got[k]) for k, v in expected.items())
    return str(expected) == str(got) if not isinstance(expected, bool) else expected == got


def _compare(name: str, expected: list[dict[str, Any]], got: list[dict[str, Any]]) -> list[str]:
    left = list(got)
    missing = []
    for item in expected:
        hit = next((g for g in left if all(k in g and _same(v, g[k]) for k, v in item.items())), None)
        if hit is None:
            missing.append(item)
        else:
            left.remove(hit)
    if not missing and not left:
        return []
    lines = [f"  {name}:"]
    for item in missing:
        lines.append(f"    - expected, not got: {_show(item)}")
        closest = max(left, key=lambda g: sum(k in g and _same(v, g[k]) for k, v in item.items()), default=None)
        if closest is not None:
            lines.append(f"      closest result: {_show(_headline(closest, item))}")
            lines += [
                f"        {k}: expected {_plain(v)}, got {_plain(closest.get(k, '(nothing)'))}"
                for k, v in item.items()
                if not (k in closest and _same(v, closest[k]))
            ]
    lines += [f"    + got, not expected: {_show(_headline(g, *expected))}" for g in left]
    return lines


def _headline(got: dict[str, Any], *expected: dict[str, Any]) -> dict[str, Any]:
    """The fields of a result worth showing: what identifies it, and every key the test talks about."""
    keys = {"rule", "kind", "action", "subject", "employee", "period", "to"} | {k for e in expected for k in e}
    return {k: v for k, v in got.items() if k in keys} or got


def _plain(value: Any) -> str:
    return _show({"v": value})[4:-1] if isinstance(value, dict | list) else str(value)


def _show(item: dict[str, Any]) -> str:
    return yaml.safe_dump(
        {k: str(v) if isinstance(v, Decimal | datetime) else v for k, v in item.items()},
        default_flow_style=True,
        width=10_000,
        allow_unicode=True,
        sort_keys=False,
    ).strip()


def run_test(rulebook: Rulebook, spec: dict[str, Any]) -> str:
    """Run one HR test; the failure text, or '' when it passes."""
    decision = decide(rulebook, build_facts(spec.get("facts") or {}, str(spec["period"])), _time(spec["now"]))
    only = set(spec.get("only_rules") or [])
    lines: list[str] = []
    for name in LISTS:
        if name not in (spec.get("expect") or {}):
            continue
        got = [x.as_dict() for x in getattr(decision, name) if not only or x.ref.id in only]
        lines += _compare(name, spec["expect"][name] or [], got)
    return "\n".join(lines)


def _unknown_keys(doc: Document, loc: Loc, item: Any, allowed: Any) -> list[Problem]:
    if not isinstance(item, dict):
        return [doc.problem(loc, f"expected a map, got {item!r}")]
    return [
        doc.problem((*loc, key), f"unknown key {key!r}{suggest(key, sorted(allowed))}", key=True)
        for key in item
        if key not in allowed
    ]


def _unknown_word(doc: Document, loc: Loc, what: str, value: Any, known: Any) -> list[Problem]:
    if value is None or str(value) in known:
        return []
    return [doc.problem(loc, f"unknown {what} {value!r}{suggest(value, sorted(known))}")]


def _items(doc: Document, loc: Loc, value: Any) -> list[tuple[Loc, Any]]:
    return [((*loc, i), item) for i, item in enumerate(value)] if isinstance(value, list) else []


def check_spec(doc: Document, loc: Loc, spec: Any, rulebook: Rulebook) -> list[Problem]:
    """Every problem of one test of ``doc`` at ``loc``: unknown keys and words, and a test that asserts nothing."""
    problems = _unknown_keys(doc, loc, spec, _KEYS["test"])
    if not isinstance(spec, dict):
        return problems
    rules = {r.rule.id for r in rulebook.rules}
    for where, rule in _items(doc, (*loc, "only_rules"), spec.get("only_rules")):
        problems += _unknown_word(doc, where, "rule", rule, rules)
    facts = spec.get("facts") or {}
    problems += _unknown_keys(doc, (*loc, "facts"), facts, _KEYS["facts"])
    for part in _KEYS["facts"] if isinstance(facts, dict) else ():
        for where, item in _items(doc, (*loc, "facts", part), facts.get(part)):
            problems += _check_item(doc, where, item, _KEYS[part], rules)
            for sub in ("stints", "leaves"):
                for sub_where, sub_item in _items(doc, (*where, sub), item.get(sub) if part == "people" else None):
                    problems += _check_item(doc, sub_where, sub_item, _KEYS[sub], rules)
    expect = spec.get("expect")
    if not isinstance(expect, dict) or not expect:
        problems.append(doc.problem(loc, _NOTHING))
        return problems
    problems += _unknown_keys(doc, (*loc, "expect"), expect, LISTS)
    for name in (n for n in LISTS if n in expect):
        for where, item in _items(doc, (*loc, "expect", name), expect[name]):
            problems += _check_item(doc, where, item, _RESULT_KEYS[name], rules)
    return problems


def _check_item(doc: Document, loc: Loc, item: Any, allowed: Any, rules: set[str]) -> list[Problem]:
    problems = _unknown_keys(doc, loc, item, allowed)
    if not isinstance(item, dict):
        return problems
    problems += _unknown_word(doc, (*loc, "rule"), "rule", item.get("rule"), rules)
    for key, known in _WORDS.items():
        problems += _unknown_word(doc, (*loc, key), key, item.get(key), known)
    return problems


def run_file(rulebook: Rulebook, path: Path, display: str) -> list[TestOutcome]:
    doc = read_document(path, display)
    if doc.problems:
        return [TestOutcome(display, "(file)", "\n".join(f"  {p}" for p in doc.problems))]
    tests = doc.data.get("tests") if isinstance(doc.data, dict) else None
    if not isinstance(tests, list) or not tests:
        return [TestOutcome(display, "(file)", f"  {display}:1:1: expected 'tests:' with a list of tests")]
    top = _unknown_keys(doc, (), doc.data, ("tests",))
    if top:
        return [TestOutcome(display, "(file)", "\n".join(f"  {p}" for p in top))]
    out = []
    for i, spec in enumerate(tests):
        line, _ = doc.mark(("tests", i))
        name = str(spec.get("name", f"tests[{i}]")) if isinstance(spec, dict) else f"tests[{i}]"
        problems = check_spec(doc, ("tests", i), spec, rulebook)
        if problems:
            out.append(TestOutcome(f"{display}:{line}", name, "\n".join(f"  {p}" for p in problems)))
            continue
        try:
            failure = run_test(rulebook, spec)
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            failure = f"  {display}:{line}: the test itself is invalid: {type(exc).__name__}: {exc}"
        out.append(TestOutcome(f"{display}:{line}", name, failure))
    return out
