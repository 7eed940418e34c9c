"""Pydantic validation errors → rule-file problems people can act on (position, key path, suggestion)."""

from __future__ import annotations

import types
import typing
from typing import Any

from perfrules.engine.errors import suggest
from perfrules.engine.rulebook.loader import Document, Loc, Problem
from perfrules.engine.rulebook.model import RuleFile
from pydantic import BaseModel, ValidationError

_WHAT = {
    "kpi": "KPI",
    "role": "role",
    "department": "department",
    "deliverable": "deliverable",
    "action": "escalation action",
    "scope": "scope",
    "weekday": "weekday",
    "covers": "period to cover",
}


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        out.extend(_models_in(arg))
    if isinstance(annotation, types.UnionType):
        for arg in annotation.__args__:
            out.extend(_models_in(arg))
    return out


def model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc`` of a rule file."""
    model: type[BaseModel] | None = RuleFile
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = next((f for name, f in model.model_fields.items() if (f.alias or name) == part), None)
        if field is None:
            return None
        found = _models_in(field.annotation)
        model = found[0] if found else None
    return model


def allowed_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _clean_loc(loc: tuple[Any, ...]) -> Loc:
    return tuple(p for p in loc if not (isinstance(p, str) and (p.startswith("function-") or p == "[key]")))


def _literal_message(loc: Loc, value: object, expected: list[str]) -> str:
    what = _WHAT.get(str(loc[-1]) if loc else "", "value")
    if len(expected) <= 8:
        listing = f" (expected one of: {', '.join(expected)})"
        hint = suggest(value, expected)
        return f"unknown {what} {value!r}{hint or listing}"
    return f"unknown {what} {value!r}{suggest(value, expected)}"


def problems_from(error: ValidationError, doc: Document) -> list[Problem]:
    out = []
    for item in error.errors(include_url=False):
        loc = _clean_loc(item["loc"])
        kind, value = item["type"], item.get("input")
        if kind == "extra_forbidden":
            model = model_at(loc[:-1])
            hint = suggest(loc[-1], allowed_keys(model)) if model else ""
            out.append(doc.problem(loc, f"unknown key {loc[-1]!r}{hint}", key=True))
        elif kind == "missing":
            out.append(doc.problem(loc[:-1], f"missing required key {loc[-1]!r}"))
        elif kind == "literal_error":
            expected = [e.strip().strip("'") for e in item["ctx"]["expected"].replace(" or ", ", ").split(", ")]
            out.append(doc.problem(loc, _literal_message(loc, value, expected)))
        elif kind in ("model_type", "dict_type", "model_attributes_type"):
            got = "a list" if isinstance(value, list) else f"{value!r}"
            out.append(doc.problem(loc, f"expected a map of keys (key: value), got {got}"))
        elif kind == "list_type":
            out.append(doc.problem(loc, f"expected a list (lines starting with '- '), got {value!r}"))
        else:
            message = item["msg"]
            for prefix in ("Value error, ", "Assertion failed, "):
                message = message.removeprefix(prefix)
            message = message[0].lower() + message[1:] if message else message
            if kind not in ("value_error", "assertion_error") and not isinstance(value, dict | list):
                message += f", got {value!r}"
            out.append(doc.problem(loc, message))
    return out
