"""``perfrules check``: every problem of every rule file, then the rulebook when there are none.

Checks, in order: YAML syntax, encoding, nesting and alias limits (:mod:`loader`), the format (:mod:`model`,
unknown keys are errors, shares 0%–100%), meaning (KPI units and ranges, a ratio without % above 1, roles of
departments, days 29–31, templates, wording rendered in the sandbox (:mod:`wording`)), the folder as a
whole (duplicate or overlapping versions, attribution to a deliverable nobody owes) and the hard limits
of durable_rules (rules per ruleset, rules one fact can match).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from perfrules.engine.bundled import bundled_path
from perfrules.engine.errors import PerfRulesError
from perfrules.engine.kpi.catalog import BY_ID, Unit
from perfrules.engine.notices.templating import make_environment
from perfrules.engine.rulebook import holidays
from perfrules.engine.rulebook.channels import CHANNELS_FILE
from perfrules.engine.rulebook.compiler import MAX_MATCHES_PER_FACT, MAX_RULES, compile_for, fact_keys, target_of
from perfrules.engine.rulebook.loader import Document, Loc, Problem, read_document
from perfrules.engine.rulebook.model import NOTICE_RECIPIENTS, BonusPolicy, Rule, RuleFile, unitless_above_one
from perfrules.engine.rulebook.rulebook import Rulebook, RuleRef, SourcedRule
from perfrules.engine.rulebook.wording import check_wording
from pydantic import ValidationError

ROLE_DEPARTMENT = {
    "purchaser": "purchasing",
    "purchasing_manager": "purchasing",
    "finance_analyst": "finance",
    "finance_manager": "finance",
    "operations_specialist": "operations",
    "operations_manager": "operations",
    "planner": "planning",
    "planning_manager": "planning",
    "warehouse_keeper": "warehouse",
    "warehouse_manager": "warehouse",
    "hr_specialist": "hr",
    "hr_manager": "hr",
    "general_manager": "management",
}


class RulebookInvalid(PerfRulesError, ValueError):
    """Raised by :func:`load_rulebook` when any rule file has a problem; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem]):
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"the rulebook has {len(problems)} problem(s):\n{lines}")
        self.problems = problems


@dataclass
class FileReport:
    """The outcome of checking one file."""

    file: str
    rules: list[SourcedRule] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    summary: str | None = None  # the SUCCESS line when not "N rules found" (calendar.yaml)
    bonus: BonusPolicy | None = None
    bonus_line: int = 0
    warnings: list[str] = field(default_factory=list)  # printed, but the check still passes


@dataclass
class CheckResult:
    reports: list[FileReport]
    rulebook: Rulebook | None

    @property
    def ok(self) -> bool:
        return all(not r.problems for r in self.reports)

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.reports for p in r.problems]


def rule_files(path: Path) -> list[Path]:
    """The rule files of ``path``: the file itself, or the folder's ``*.yaml``/``*.yml`` (not ``tests/``, not
    ``calendar.yaml`` or the chat routing ``channels.yaml``)."""
    if path.is_dir():
        return sorted(
            p
            for p in path.iterdir()
            if p.is_file() and p.suffix in (".yaml", ".yml") and p.name not in (holidays.CALENDAR_FILE, CHANNELS_FILE)
        )
    return [path]


def _raw(data: Any, loc: Loc) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def known_templates() -> set[str]:
    """Template names (``emails/reminder``) of the bundled templates."""
    return {f"{p.parent.name}/{p.name.split('.')[0]}" for p in bundled_path("templates").glob("*/*.j2")}


def _check_value(doc: Document, loc: Loc, kpi_id: str, value: Any) -> Iterator[Problem]:
    kpi = BY_ID[kpi_id]
    written = _raw(doc.data, loc)
    if kpi.unit in (Unit.DAYS, Unit.PER_YEAR) and isinstance(written, str) and written.strip().endswith("%"):
        unit = "days" if kpi.unit is Unit.DAYS else "turns per year"
        yield doc.problem(loc, f"{kpi_id} is measured in {unit}, not a percentage: write a number such as {kpi.target}")
    elif kpi.unit is Unit.RATIO and unitless_above_one(written):
        yield doc.problem(loc, f"{kpi_id} is a ratio: {unitless_above_one(written)}")
    elif not kpi.in_range(value):
        low = "−∞" if kpi.minimum is None else kpi.minimum
        high = "∞" if kpi.maximum is None else kpi.maximum
        yield doc.problem(loc, f"{written!r} is outside the range of {kpi_id} ({low} to {high})")


def _check_rule(doc: Document, loc: Loc, rule: Rule, templates: set[str]) -> Iterator[Problem]:
    if ROLE_DEPARTMENT[rule.role] != rule.department:
        yield doc.problem(
            (*loc, "role"),
            f"role {rule.role!r} belongs to department {ROLE_DEPARTMENT[rule.role]!r}, not {rule.department!r}",
        )
    if rule.threshold is not None:
        t, tloc = rule.threshold, (*loc, "threshold")
        kpi = BY_ID[t.kpi]
        if t.scope not in kpi.scopes:
            yield doc.problem(
                (*tloc, "scope"), f"{t.kpi} is not computed per {t.scope} (it is per {', '.join(sorted(kpi.scopes))})"
            )
        if t.scope == "sku" and t.scope_id is None:
            yield doc.problem(
                (*tloc, "scope"),
                "a sku threshold needs its scope_id (the SKU); to judge every "
                "SKU, use a category, abc_class, xyz_class or segment scope",
            )
        values = [
            p
            for key in ("target", "warning")
            if getattr(t, key) is not None
            for p in _check_value(doc, (*tloc, key), t.kpi, getattr(t, key))
        ]
        yield from values
        target, direction = target_of(t)
        wrong_side = t.warning is not None and (t.warning <= target if direction == "higher" else t.warning >= target)
        if wrong_side and not values:
            side = "above" if direction == "higher" else "below"
            yield doc.problem(
                (*tloc, "warning"),
                f"the warning band must lie {side} the target {target} ({direction} is better for {t.kpi})",
            )
        if t.by is not None:
            yield from _check_schedule(doc, (*tloc, "by"), t.by)
        if t.repeat is not None and not t.repeat:
            yield doc.problem((*tloc, "repeat"), "a repeat interval must be longer than 0")
    if rule.deadline is not None:
        yield from _check_schedule(doc, (*loc, "deadline"), rule.deadline)
    if rule.consequence is not None and rule.consequence.proportional is not None and rule.threshold is None:
        yield doc.problem((*loc, "consequence", "proportional"), "a proportional consequence needs a 'threshold'")
    for i, attribution in enumerate(rule.attribution):
        when = attribution.when
        for key in ("below", "above"):
            if when.kpi is not None and getattr(when, key) is not None:
                wloc = (*loc, "attribution", i, "when", key)
                yield from _check_value(doc, wloc, when.kpi, getattr(when, key))
    if rule.attribution and rule.threshold is None:
        yield doc.problem((*loc, "attribution"), "attribution needs a 'threshold' whose breach is attributed")
    for i, esc in enumerate(rule.escalations):
        if esc.plan is not None and esc.action != "improvement_plan":
            yield doc.problem((*loc, "escalations", i, "plan"), "'plan' only goes with action: improvement_plan")
    yield from _check_recipients(doc, loc, rule)
    for kind, name in rule.notify.templates.items():
        if templates and name not in templates:
            yield doc.problem(
                (*loc, "notify", "templates", kind), f"unknown template {name!r}{_suggest(name, templates)}"
            )


def _check_recipients(doc: Document, loc: Loc, rule: Rule) -> Iterator[Problem]:
    """Words no notice of that kind can go to (:data:`NOTICE_RECIPIENTS`), so no promise goes unkept."""
    lists = [(("notify", kind), getattr(rule.notify, kind), kind) for kind in NOTICE_RECIPIENTS]
    lists += [(("escalations", i, "notify"), esc.notify, "escalation") for i, esc in enumerate(rule.escalations)]
    for path, words, kind in lists:
        allowed = NOTICE_RECIPIENTS[kind]
        for j, word in enumerate(words):
            if word not in allowed:
                yield doc.problem(
                    (*loc, *path, j),
                    f"no {kind} notice goes to {word!r}: it goes to {' / '.join(allowed)} only{_WHY[kind]}",
                )


_WHY = {
    "consequence": " (it tells the employee charged about their own bonus; managers and HR see deductions in "
    "the monthly report and in escalations)",
    "escalation": " (the escalation e-mails are written to the manager and to HR)",
}


def _suggest(word: str, options: set[str]) -> str:
    from perfrules.engine.errors import suggest

    return suggest(word, sorted(options))


def _check_schedule(doc: Document, loc: Loc, schedule: Any) -> Iterator[Problem]:
    due = schedule.due
    monthly = due.day is not None
    if monthly != schedule.covers.endswith("month"):
        yield doc.problem(
            (*loc, "covers"), f"{schedule.covers} does not fit a {'monthly day' if monthly else 'weekday'} due date"
        )
    if isinstance(due.day, int) and due.day > 28 and due.if_missing is None:
        yield doc.problem(
            (*loc, "due", "day"),
            f"day {due.day} does not exist in every month: add "
            "'if_missing: last_day' or 'if_missing: skip' (or write 'last')",
        )
    for key in ("grace", "repeat"):
        value = getattr(schedule, key, None)
        if key == "repeat" and value is not None and not value:
            yield doc.problem((*loc, key), "a repeat interval must be longer than 0")


def check_document(doc: Document, templates: set[str]) -> FileReport:
    report = FileReport(doc.file, problems=list(doc.problems))
    if doc.problems:
        return report
    if not isinstance(doc.data, dict):
        got = "a list" if isinstance(doc.data, list) else repr(doc.data)
        report.problems.append(doc.problem((), f"expected a map with 'rules:' at the top, got {got}"))
        return report
    try:
        parsed = RuleFile.model_validate(doc.data)
    except ValidationError as exc:
        from perfrules.engine.rulebook.messages import problems_from

        report.problems.extend(problems_from(exc, doc))
        return report
    if parsed.bonus is not None:
        report.bonus, report.bonus_line = parsed.bonus, doc.mark(("bonus",))[0]
    env = make_environment() if any(rule.wording for rule in parsed.rules) else None
    for i, rule in enumerate(parsed.rules):
        loc = ("rules", i)
        report.problems.extend(_check_rule(doc, loc, rule, templates))
        problems, warnings = check_wording(doc, loc, rule, env)
        report.problems.extend(problems)
        report.warnings.extend(warnings)
        line, _ = doc.mark(loc)
        report.rules.append(SourcedRule(rule, RuleRef(rule.id, rule.version, doc.file, line, doc.sha256)))
    return report


def _overlap(a: Rule, b: Rule) -> bool:
    a_end, b_end = a.effective_to or date.max, b.effective_to or date.max
    return a.effective_from <= b_end and b.effective_from <= a_end


def _problem_at(sourced: SourcedRule, message: str, path: str = "") -> Problem:
    return Problem(sourced.ref.file, sourced.ref.line, 5, path, message)


def check_rulebook(reports: list[FileReport]) -> list[Problem]:
    """Problems of the folder as a whole: versions, cross-references and engine limits."""
    problems: list[Problem] = []
    seen: dict[str, list[SourcedRule]] = {}
    for report in reports:
        for index, sourced in enumerate(report.rules):
            path = f"rules[{index}]"
            for other in seen.get(sourced.rule.id, []):
                if other.rule.version == sourced.rule.version:
                    problems.append(
                        _problem_at(
                            sourced,
                            f"rule {sourced.rule.id!r} version {sourced.rule.version} "
                            f"is defined twice (also at {other.ref.source})",
                            path,
                        )
                    )
                elif _overlap(other.rule, sourced.rule):
                    problems.append(
                        _problem_at(
                            sourced,
                            f"versions {other.rule.version} ({other.ref.source}) and "
                            f"{sourced.rule.version} of {sourced.rule.id!r} are both in "
                            "force on some days: set effective_to on the older one",
                            path,
                        )
                    )
            seen.setdefault(sourced.rule.id, []).append(sourced)
    policies = [r for r in reports if r.bonus is not None]
    for later in policies[1:]:
        problems.append(
            Problem(
                later.file,
                later.bonus_line,
                1,
                "bonus",
                f"the bonus policy is already set in {policies[0].file}:{policies[0].bonus_line}; a rulebook has one",
            )
        )
    owed = {s.rule.deadline.deliverable for ss in seen.values() for s in ss if s.rule.deadline}
    for sourced in (s for ss in seen.values() for s in ss):
        for i, attribution in enumerate(sourced.rule.attribution):
            wanted = attribution.when.deliverable
            if wanted is not None and wanted not in owed:
                problems.append(
                    _problem_at(
                        sourced,
                        f"no rule has a deadline for {wanted!r}, so it can never be late",
                        f"attribution[{i}].when.deliverable",
                    )
                )
    if not problems:
        problems.extend(_limits(Rulebook(tuple(s for r in reports for s in r.rules), ())))
    return problems


def _limits(rulebook: Rulebook) -> Iterator[Problem]:
    days = sorted({r.rule.effective_from for r in rulebook.rules})
    for day in days:
        ruleset = compile_for(rulebook, day)
        first = rulebook.in_force(day)[0] if rulebook.in_force(day) else None
        if first is None:
            continue
        if len(ruleset.rules) > MAX_RULES:
            yield _problem_at(
                first,
                f"{len(ruleset.rules)} engine rules are in force from {day} (each threshold, "
                f"warning, deadline… counts); the engine allows at most {MAX_RULES}",
            )
        for key, count in fact_keys(ruleset).items():
            if count > MAX_MATCHES_PER_FACT:
                yield _problem_at(
                    first,
                    f"{count} engine rules test {key} from {day}; one fact may match at most "
                    f"{MAX_MATCHES_PER_FACT}: split the rules",
                )


def _check_calendar(path: Path) -> tuple[FileReport, holidays.WorkCalendar | None, str]:
    """The report of ``calendar.yaml`` (a missing file is fine: the package alone), its calendar and sha256."""
    if not path.exists():
        calendar = holidays.WorkCalendar()
        return FileReport(_display(path), summary=holidays.describe(None)), calendar, ""
    doc = read_document(path, _display(path))
    calendar, problems = holidays.check_calendar(doc)
    summary = holidays.describe(calendar) if calendar is not None else None
    return FileReport(doc.file, problems=problems, summary=summary), calendar, doc.sha256


def check_path(path: Path, now: datetime | None = None) -> CheckResult:
    """Check a rule file or folder (with its ``calendar.yaml``); never raises for bad content.

    With ``now``, the calendar report warns about due dates of the next 12 months in a year without
    official holiday data.
    """
    if path.name == holidays.CALENDAR_FILE and path.is_file():
        report, _, _ = _check_calendar(path)
        return CheckResult([report], None)
    files = rule_files(path)
    templates = known_templates()
    reports = [check_document(read_document(f, _display(f)), templates) for f in files]
    calendar = sha = None
    if path.is_dir():
        calendar_report, calendar, sha = _check_calendar(path / holidays.CALENDAR_FILE)
    if not files:
        reports = [FileReport(str(path), problems=[Problem(str(path), 1, 1, "", "no rule files (*.yaml) here")])]
    if all(not r.problems for r in reports):
        folder = check_rulebook(reports)
        for problem in folder:
            next(r for r in reports if r.file == problem.file).problems.append(problem)
    # the rulebook's rules name their files relative to the folder (findings, notices, clauses), whatever
    # the server's path or working directory; check's own messages keep the names above
    root = path if path.is_dir() else path.parent
    named = {str(f.resolve()): rule_file_name(f, root) for f in files}
    shown = {r.file: named.get(str(Path(r.file).resolve()), r.file) for r in reports}
    rules = tuple(replace(s, ref=replace(s.ref, file=shown[s.ref.file])) for r in reports for s in r.rules)
    files_hash = tuple((r.file, r.rules[0].ref.sha256 if r.rules else "") for r in reports)
    if path.is_dir():
        reports.append(calendar_report)
        if sha:
            files_hash += ((calendar_report.file, sha),)
    if any(r.problems for r in reports):
        return CheckResult(reports, None)
    if calendar is not None:
        holidays.attach((s.rule for s in rules), calendar)
        if now is not None:
            calendar_report.warnings.extend(holidays.unknown_year_warnings((s.rule for s in rules), now))
    cap = next((r.bonus.quarterly_cap for r in reports if r.bonus is not None), None)
    return CheckResult(reports, Rulebook(rules, files_hash, calendar, cap))


def _display(path: Path) -> str:
    """How ``check`` messages name a file: relative to the working directory when it is under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def rule_file_name(path: Path, root: Path) -> str:
    """How a rule records its file — on findings, bonus lines, notices and contract clauses: relative to the
    rulebook folder, under the folder's own name (``rules/purchasing.yaml``), never the server's path."""
    try:
        inner = path.resolve().relative_to(root.resolve())
    except ValueError:
        return path.name
    return (Path(root.resolve().name) / inner).as_posix()


def load_rulebook(path: Path) -> Rulebook:
    """The checked rulebook of ``path``; raises :class:`RulebookInvalid` listing every problem."""
    result = check_path(path)
    if result.rulebook is None:
        raise RulebookInvalid(result.problems)
    return result.rulebook
