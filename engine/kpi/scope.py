"""Scopes a KPI is computed for: the company, a department, category, class, segment, SKU or employee."""

from __future__ import annotations

from dataclasses import dataclass

from perfrules.engine.errors import PerfRulesError, suggest
from perfrules.engine.kpi.catalog import ScopeKind

_ALIASES = {"abc": ScopeKind.ABC_CLASS, "xyz": ScopeKind.XYZ_CLASS, "dept": ScopeKind.DEPARTMENT}
_VALUES = {
    ScopeKind.ABC_CLASS: ("A", "B", "C"),
    ScopeKind.XYZ_CLASS: ("X", "Y", "Z"),
    ScopeKind.SEGMENT: ("active", "slow", "dead"),
}


class InvalidScope(PerfRulesError, ValueError):
    """Raised by :func:`parse_scope` for text that names no scope, and by the library for a scope a KPI lacks."""

    def __init__(self, text: str, reason: str):
        super().__init__(f"scope {text!r}: {reason}")
        self.text = text
        self.reason = reason


class UnknownKpi(PerfRulesError, LookupError):
    """Raised by the KPI library for a KPI id that is not in the catalogue."""

    def __init__(self, kpi_id: str, known: list[str]):
        super().__init__(f"unknown KPI {kpi_id!r}{suggest(kpi_id, known)}")
        self.kpi_id = kpi_id


@dataclass(frozen=True, order=True)
class Scope:
    """What a KPI value covers: ``company``, or a kind and a key (``category:Kitchen``, ``employee:E7``)."""

    kind: ScopeKind = ScopeKind.COMPANY
    key: str | None = None

    @property
    def label(self) -> str:
        return self.kind.value if self.key is None else f"{self.kind.value}:{self.key}"

    def __str__(self) -> str:
        return self.label


COMPANY = Scope()


def parse_scope(text: str) -> Scope:
    """``company``, ``department:purchasing``, ``category:X``, ``abc:A``, ``xyz:Z``, ``class:A``,
    ``segment:dead``, ``sku:S1``, ``employee:E1``."""
    kind_text, _, key = text.strip().partition(":")
    kind_text = kind_text.strip().lower()
    key = key.strip()
    if kind_text == "company" and not key:
        return COMPANY
    if kind_text == "class":
        kind_text = "abc" if key.upper() in ("A", "B", "C") else "xyz"
    try:
        kind = _ALIASES.get(kind_text) or ScopeKind(kind_text)
    except ValueError:
        names = ", ".join(k.value for k in ScopeKind)
        raise InvalidScope(text, f"unknown kind {kind_text!r} (expected one of {names})") from None
    if kind is ScopeKind.COMPANY or not key:
        raise InvalidScope(text, "expected KIND:KEY, e.g. category:Kitchen")
    if kind in (ScopeKind.ABC_CLASS, ScopeKind.XYZ_CLASS):
        key = key.upper()
    allowed = _VALUES.get(kind)
    if allowed and key not in allowed:
        raise InvalidScope(text, f"{kind.value} must be one of {', '.join(allowed)}")
    return Scope(kind, key)
