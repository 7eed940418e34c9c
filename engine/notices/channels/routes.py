"""Routes: which notice kinds go to which chat channels, per department or person, beside or instead of e-mail.

A notice follows every route that matches it (its kind, and the recipient's department or id, or a route
that names neither): it goes to the union of their channels, and by e-mail too unless a matching route
says ``email: false``.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfrules.engine.notices.contexts import KINDS

ROUTABLE_KINDS: tuple[str, ...] = tuple(k for k in KINDS if k != "digest")  # a digest is an e-mail's folding


@dataclass(frozen=True)
class Route:
    """One routing entry of ``channels.yaml``."""

    kinds: frozenset[str]
    channels: tuple[str, ...]
    departments: frozenset[str] = frozenset()
    people: frozenset[str] = frozenset()
    email: bool = True
    line: int = 0  # where it is written, for messages

    def matches(self, kind: str, employee_id: str, department: str) -> bool:
        if kind not in self.kinds:
            return False
        if not self.departments and not self.people:
            return True
        return department in self.departments or employee_id in self.people


@dataclass(frozen=True)
class Target:
    """Where one notice goes: chat channels, and whether the e-mail goes too."""

    channels: tuple[str, ...]
    email: bool


@dataclass(frozen=True)
class Routes:
    """The routing table of a rulebook (empty: e-mail only)."""

    routes: tuple[Route, ...] = ()
    file: str = ""

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(k for r in self.routes for k in r.kinds)

    @property
    def channels(self) -> frozenset[str]:
        return frozenset(c for r in self.routes for c in r.channels)

    def target(self, kind: str, employee_id: str, department: str) -> Target:
        matching = [r for r in self.routes if r.matches(kind, employee_id, department)]
        channels = tuple(dict.fromkeys(c for r in matching for c in r.channels))
        return Target(channels, all(r.email for r in matching))
