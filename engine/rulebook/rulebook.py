"""A checked rulebook: the rules of every file with where they came from, and which versions are in force."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

from perfrules.engine.rulebook.calendar import WorkCalendar
from perfrules.engine.rulebook.model import Rule


@dataclass(frozen=True)
class RuleRef:
    """Where a result came from: rule id and version, ``file:line`` and the file's sha256."""

    id: str
    version: int
    file: str
    line: int
    sha256: str

    @property
    def source(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class SourcedRule:
    """A rule plus its provenance."""

    rule: Rule
    ref: RuleRef


@dataclass(frozen=True)
class Rulebook:
    """Every rule version of every file of a rule folder; ``digest`` identifies this exact content."""

    rules: tuple[SourcedRule, ...]
    files: tuple[tuple[str, str], ...]  # (path, sha256), calendar.yaml included
    calendar: WorkCalendar | None = None  # rules/calendar.yaml (already attached to every rule's schedules)
    quarterly_cap: Decimal | None = None  # bonus.quarterly_cap of the one file that sets it

    @cached_property  # the pages key every figure set by it: hashed once per rulebook read
    def digest(self) -> str:
        text = "\n".join(f"{sha}  {path}" for path, sha in self.files)
        return hashlib.sha256(text.encode()).hexdigest()

    def in_force(self, day: date) -> tuple[SourcedRule, ...]:
        """The rule versions in force on ``day`` (at most one per rule id: the checker rejects overlaps)."""
        return tuple(r for r in self.rules if r.rule.in_force(day))

    def segment_start(self, day: date) -> date:
        """The first day of the stretch of days around ``day`` with the same set of versions in force."""
        starts = {r.rule.effective_from for r in self.rules}
        starts |= {date.fromordinal(r.rule.effective_to.toordinal() + 1) for r in self.rules if r.rule.effective_to}
        earlier = [s for s in starts if s <= day]
        return max(earlier) if earlier else date.min

    def by_id(self, rule_id: str) -> tuple[SourcedRule, ...]:
        return tuple(r for r in self.rules if r.rule.id == rule_id)
