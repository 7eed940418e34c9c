"""``channels.yaml``: the rulebook's routing of notice kinds to chat channels, parsed with positions.

HR writes which kinds go to which channels, per department or person, beside or instead of e-mail::

    routes:
      - kinds: [deadline_missed, kpi_warning]
        departments: [purchasing]
        channels: [purchasing-wecom]
      - kinds: [reminder]
        people: [E0042]
        channels: [planning-feishu]
        email: false              # instead of e-mail (default true: in addition)

The channel names are the operator's (setting ``channels_file``, secrets in the environment); this file
never holds a URL, key or secret. Every problem names file:line:column, with a did-you-mean.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from perfrules.engine.errors import suggest
from perfrules.engine.notices.channels import ROUTABLE_KINDS, Route, Routes
from perfrules.engine.rulebook.loader import Document, Loc, Problem, read_document
from perfrules.engine.vocabulary import DEPARTMENTS

CHANNELS_FILE = "channels.yaml"
_ROUTE_KEYS = ("kinds", "channels", "departments", "people", "email")


def check_routes(doc: Document, channels: Collection[str]) -> tuple[Routes | None, list[Problem]]:
    """The routes of a parsed ``channels.yaml`` and every problem in it (routes None when any).
    ``channels`` are the names the operator defined."""
    problems = list(doc.problems)
    if problems:
        return None, problems
    top = doc.data
    if not isinstance(top, dict):
        return None, [doc.problem((), "expected a map with 'routes:' at the top")]
    for name in top:
        if name != "routes":
            problems.append(doc.problem((name,), f"unknown key {name!r}{suggest(name, ['routes'])}", key=True))
    raw_routes = top.get("routes") or []
    if not isinstance(raw_routes, list):
        problems.append(doc.problem(("routes",), "expected a list of routes (- kinds: …)"))
        raw_routes = []
    routes = [_route(doc, ("routes", i), raw, set(channels), problems) for i, raw in enumerate(raw_routes)]
    if problems:
        return None, problems
    return Routes(tuple(r for r in routes if r is not None), doc.file), []


def read_routes(folder: Path, channels: Collection[str], display: str | None = None) -> tuple[Routes, list[Problem]]:
    """The routes of ``folder/channels.yaml`` (none when there is no such file) and its problems."""
    path = folder / CHANNELS_FILE
    if not path.exists():
        return Routes(), []
    doc = read_document(path, display or f"{folder.name}/{CHANNELS_FILE}")
    routes, problems = check_routes(doc, channels)
    return routes or Routes(), problems


def _route(doc: Document, loc: Loc, raw: Any, channels: set[str], problems: list[Problem]) -> Route | None:
    if not isinstance(raw, dict):
        problems.append(doc.problem(loc, "expected a route: kinds: […], channels: […]"))
        return None
    for key in raw:
        if key not in _ROUTE_KEYS:
            problems.append(doc.problem((*loc, key), f"unknown key {key!r}{suggest(key, _ROUTE_KEYS)}", key=True))
    for required in ("kinds", "channels"):
        if required not in raw:
            problems.append(doc.problem(loc, f"missing '{required}'"))
    kinds = _names(doc, (*loc, "kinds"), raw.get("kinds"), ROUTABLE_KINDS, "notice kind", problems)
    named = _names(doc, (*loc, "channels"), raw.get("channels"), sorted(channels), "channel", problems)
    departments = _names(doc, (*loc, "departments"), raw.get("departments"), DEPARTMENTS, "department", problems)
    people = _names(doc, (*loc, "people"), raw.get("people"), None, "employee id", problems)
    email = raw.get("email", True)
    if not isinstance(email, bool):
        problems.append(doc.problem((*loc, "email"), f"expected true or false, not {email!r}"))
    line = doc.mark(loc)[0]
    return Route(frozenset(kinds), tuple(named), frozenset(departments), frozenset(people), email is not False, line)


def _names(
    doc: Document, loc: Loc, raw: Any, known: Collection[str] | None, what: str, problems: list[Problem]
) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        problems.append(doc.problem(loc, f"expected a list of {what}s"))
        return []
    out = []
    for i, item in enumerate(raw):
        name = str(item)
        if known is not None and name not in known:
            hint = suggest(name, known) or (f" (known: {', '.join(sorted(known))})" if known else " (none defined)")
            problems.append(doc.problem((*loc, i), f"unknown {what} {name!r}{hint}"))
            continue
        out.append(name)
    return out
