"""What a draft of one rule file would do, before anyone approves it: the check (as ``perfrules check``),
the rule changes in HR's words (as ``perfrules rules diff``), the contract clauses as they will read in
zh-CN and en, the HR rule tests (as ``perfrules test``) and a what-if over past months (as ``perfrules
simulate``: per person and quarter, the bonus adjustment now and with the draft). All of it runs on a
temporary copy of the rules folder and in memory: nothing is written to the folder, findings or payroll.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from perfrules.engine.contracts import Contract, build_contract
from perfrules.engine.evaluation.kpis import library_kpis
from perfrules.engine.evaluation.rule_tests import TestOutcome, run_file, test_files
from perfrules.engine.evaluation.simulate import ZERO, simulate
from perfrules.engine.notices.templating import make_environment
from perfrules.engine.periods import Period, month_of
from perfrules.engine.rulebook.checker import check_path
from perfrules.engine.rulebook.diff import diff_rulebooks
from perfrules.engine.rulebook.draft_check import Diagnostic, diagnostics_of, folder_with
from perfrules.engine.rulebook.rulebook import Rulebook
from perfrules.engine.settings import Settings
from perfrules.engine.vocabulary import LOCALES
from perfrules.storage import Database

MAX_MONTHS = 12  # a what-if judges every month twice (current and draft): a year is the most we offer


@dataclass(frozen=True)
class WhatIfLine:
    """One person's bonus adjustment in one quarter, with the rules in force and with the draft (CNY)."""

    employee_id: str
    name_en: str
    name_zh: str
    quarter: str
    current: Decimal
    proposed: Decimal

    @property
    def change(self) -> Decimal:
        return self.proposed - self.current


@dataclass(frozen=True)
class WhatIf:
    """The what-if over the months ``first``..``last`` (labels), only the lines that differ or are not zero."""

    first: str
    last: str
    lines: tuple[WhatIfLine, ...]
    later: date | None = None  # a version of the file starts after the range: the what-if cannot show it

    @property
    def current(self) -> Decimal:
        return sum((line.current for line in self.lines), ZERO)

    @property
    def proposed(self) -> Decimal:
        return sum((line.proposed for line in self.lines), ZERO)


@dataclass(frozen=True)
class DraftPreview:
    """Everything the editor and the review page show about a draft; only ``diagnostics`` when it does not
    check (``digest`` is then None)."""

    file: str
    diagnostics: tuple[Diagnostic, ...]
    digest: str | None
    changes: tuple[str, ...] = ()
    day: date | None = None  # the day the clauses are read on
    contracts: tuple[Contract, ...] = ()
    tests: tuple[TestOutcome, ...] = ()
    whatif: WhatIf | None = None

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")


def preview_draft(
    db: Database, settings: Settings, file: str, content: str, *, now: datetime, months: int = 0
) -> DraftPreview:
    """The preview of ``file`` holding ``content`` in the rules folder; ``months`` > 0 adds the what-if over
    that many months up to the last complete one."""
    rules_dir = settings.rules_path
    with folder_with(rules_dir, file, content) as copy:
        result = check_path(copy, now=now)
        diagnostics = tuple(diagnostics_of(result, copy))
        proposed = result.rulebook
        if proposed is None:
            return DraftPreview(file, diagnostics, None)
        current = check_path(rules_dir).rulebook
        source = f"{rules_dir.name}/{file}"
        day = clause_day(proposed, source, now.date())
        return DraftPreview(
            file,
            diagnostics,
            proposed.digest,
            tuple(diff_rulebooks(current, proposed)) if current is not None else (),
            day,
            contracts_of(settings, proposed, current, source, day),
            tuple(o for f in test_files(copy) for o in run_file(proposed, f, f"{rules_dir.name}/tests/{f.name}")),
            whatif(db, settings, current, proposed, now=now, months=months, source=source)
            if months and current
            else None,
        )


def clause_day(rulebook: Rulebook, source: str, today: date) -> date:
    """The day the draft's clauses are read on: today, or the latest day one of its rules takes effect."""
    starts = [s.rule.effective_from for s in rulebook.rules if s.ref.file == source]
    return max([today, *starts])


def contracts_of(
    settings: Settings, proposed: Rulebook, current: Rulebook | None, source: str, day: date
) -> tuple[Contract, ...]:
    """The clauses, in every locale, of each role a rule of the file (now or in the draft) applies to."""
    books = [proposed] if current is None else [proposed, current]
    roles = sorted({s.rule.role for book in books for s in book.rules if s.ref.file == source})
    env = make_environment(settings.template_overrides_dir or None)
    return tuple(
        build_contract(proposed, role=role, locale=locale, day=day, party=None, env=env)
        for role in roles
        for locale in LOCALES
    )


def last_months(today: date, count: int) -> tuple[Period, Period]:
    """The ``count`` months up to the last complete month before ``today``."""
    last = month_of(today).shift(-1)
    return last.shift(1 - count), last


def whatif(
    db: Database,
    settings: Settings,
    current: Rulebook,
    proposed: Rulebook,
    *,
    now: datetime,
    months: int,
    source: str = "",
) -> WhatIf:
    """Judge the last ``months`` months with both rulebooks in memory (as ``perfrules simulate``); ``later``
    names the latest start of a version of ``source`` (the draft's file) when it lies after those months."""
    first, last = last_months(now.date(), min(max(months, 1), MAX_MONTHS))
    kpis = library_kpis(settings.zone, now.date())
    seen = simulate(db, current, proposed, first, last, kpis_for={id(current): kpis, id(proposed): kpis}, now=now)
    keys = sorted(set(seen.current.quarters) | set(seen.proposed.quarters), key=lambda k: (k[1], k[0]))
    people = {p.id: p for p in seen.people}
    lines = [
        WhatIfLine(
            e, people[e].name_en, people[e].name_zh, q, seen.current.quarters.get((e, q), ZERO),
            seen.proposed.quarters.get((e, q), ZERO),
        )
        for e, q in keys
    ]  # fmt: skip
    starts = [s.rule.effective_from for s in proposed.rules if s.ref.file == source]
    later = max(starts) if starts and max(starts) >= last.end else None  # end: the day after the range
    return WhatIf(first.label, last.label, tuple(x for x in lines if x.current or x.proposed), later)


def as_dict(preview: DraftPreview) -> dict[str, Any]:
    """The preview as JSON-ready data (the API's answer)."""
    out: dict[str, Any] = {
        "file": preview.file,
        "ok": preview.digest is not None,
        "digest": preview.digest,
        "diagnostics": [d.as_dict() for d in preview.diagnostics],
        "changes": list(preview.changes),
        "day": preview.day.isoformat() if preview.day else None,
        "clauses": [_contract(c) for c in preview.contracts],
        "tests": [{"file": t.file, "name": t.name, "passed": t.passed, "failure": t.failure} for t in preview.tests],
        "whatif": None,
    }
    if preview.whatif is not None:
        w = preview.whatif
        out["whatif"] = {
            "first": w.first,
            "last": w.last,
            "current": str(w.current),
            "proposed": str(w.proposed),
            "later": w.later.isoformat() if w.later else None,
            "lines": [
                {"employee": x.employee_id, "name_en": x.name_en, "name_zh": x.name_zh, "quarter": x.quarter,
                 "current": str(x.current), "proposed": str(x.proposed), "change": str(x.change)}
                for x in w.lines
            ],
        }  # fmt: skip
    return out


def _contract(contract: Contract) -> dict[str, Any]:
    return {
        "role": contract.role,
        "locale": contract.locale,
        "clauses": [
            {"rule_id": c.rule_id, "version": c.version, "title": c.title, "duties": list(c.duties),
             "consequences": list(c.consequences), "escalations": list(c.escalations), "effective": c.effective}
            for c in contract.clauses
        ],
    }  # fmt: skip
