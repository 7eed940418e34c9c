"""``check_templates``: every template may use only the variables its kind's context offers.

Each template is parsed (never rendered) and its syntax tree walked with the context model in hand:
a top-level name must be a field of the kind's model, ``a.b`` must be a field of ``a``'s model, and a
``for`` loop variable takes the element type of the sequence it walks. Problems carry file:line, so a
template with a typo fails ``perfrules check`` and never reaches an inbox.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from perfrules.engine.errors import suggest
from perfrules.engine.notices.contexts import CONTEXTS, KINDS, NoticeContext, element_of, model_of
from perfrules.engine.notices.templating import PARTS, make_environment, template_name
from perfrules.engine.vocabulary import LOCALES
from pydantic import BaseModel

_NAME = re.compile(r"^emails/(?P<kind>_layout|[a-z_]+)\.(?P<locale>[A-Za-z-]+)\.(?P<part>subject|txt|html)\.j2$")
_CHAT_NAME = re.compile(r"^chat/(?P<kind>_layout|[a-z_]+)\.(?P<locale>[A-Za-z-]+)\.(?P<part>md)\.j2$")
_ALWAYS = frozenset({"loop", "self", "super", "varargs", "kwargs", "caller", "true", "false", "none"})
_PASS_THROUGH_FILTERS = frozenset(
    {"sort", "reverse", "list", "unique", "select", "reject", "selectattr", "rejectattr", "batch", "slice"}
)
_ANY = object()  # an expression whose type the checker does not follow


@dataclass(frozen=True)
class TemplateProblem:
    """One problem found in a template, with the file and line it is on."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def check_templates(
    source: str | Path | jinja2.Environment, *, require_complete: bool = False
) -> list[TemplateProblem]:
    """Check every ``emails/*.j2`` and ``chat/*.md.j2`` template of a folder (alone) or of an environment.

    With ``require_complete`` a missing subject/text/HTML template (or chat variant) of any kind and locale
    is a problem too (right for the bundled set; an override folder holds only what HR changes).
    """
    env = source if isinstance(source, jinja2.Environment) else make_environment(bundled_dir=source)
    problems: list[TemplateProblem] = []
    names = [n for n in env.list_templates() if n.startswith(("emails/", "chat/"))]
    for name in names:
        problems.extend(_check_one(env, name))
    if require_complete:
        present = set(names)
        for kind in KINDS:
            for locale in LOCALES:
                for part in PARTS:
                    wanted = template_name(kind, locale, part)
                    if wanted not in present:
                        problems.append(TemplateProblem(wanted, 0, "template missing"))
                chat = f"chat/{kind}.{locale}.md.j2"
                if kind != "digest" and chat not in present:  # digests fold e-mails only
                    problems.append(TemplateProblem(chat, 0, "template missing"))
    return problems


def _check_one(env: jinja2.Environment, name: str) -> list[TemplateProblem]:
    source, filename, _ = env.loader.get_source(env, name)
    shown = filename or name
    match = _NAME.match(name) or _CHAT_NAME.match(name)
    if match is None:
        return [
            TemplateProblem(
                shown, 1, "name must be emails/<kind>.<locale>.<subject|txt|html>.j2 or chat/<kind>.<locale>.md.j2"
            )
        ]
    kind, locale = match["kind"], match["locale"]
    if locale not in LOCALES:
        return [TemplateProblem(shown, 1, f"unknown locale {locale!r} (expected one of {', '.join(LOCALES)})")]
    if kind != "_layout" and kind not in CONTEXTS:
        return [TemplateProblem(shown, 1, f"unknown notice kind {kind!r}{suggest(kind, KINDS)}")]
    try:
        tree = env.parse(source, name, filename)
    except jinja2.TemplateSyntaxError as exc:
        return [TemplateProblem(shown, exc.lineno or 1, exc.message or "syntax error")]
    model = NoticeContext if kind == "_layout" else CONTEXTS[kind]  # layouts see only what every kind has
    walker = _Walker(env, model, shown)
    walker.body(tree.body, {})
    try:
        env.compile(source, name, filename)  # unknown filters and tests are compile-time errors
    except jinja2.TemplateSyntaxError as exc:
        walker.problems.append(TemplateProblem(shown, exc.lineno or 1, exc.message or "syntax error"))
    return sorted(walker.problems, key=lambda p: p.line)


class _Walker:
    """Walks one template's tree; ``scope`` maps local names (loop variables, set, macro args) to types."""

    def __init__(self, env: jinja2.Environment, model: type[BaseModel], file: str):
        self.env = env
        self.model = model
        self.file = file
        self.problems: list[TemplateProblem] = []

    def problem(self, node: nodes.Node, message: str) -> None:
        self.problems.append(TemplateProblem(self.file, node.lineno, message))

    def body(self, body: list[nodes.Node], scope: dict[str, Any]) -> None:
        for node in body:
            self.stmt(node, scope)

    def stmt(self, node: nodes.Node, scope: dict[str, Any]) -> None:
        if isinstance(node, nodes.For):
            self.expr(node.iter, scope)
            inner = dict(scope)
            self.bind(node.target, self._element(node.iter, scope), inner)
            inner["loop"] = _ANY
            if node.test is not None:
                self.expr(node.test, inner)
            self.body(node.body, inner)
            self.body(node.else_, scope)
        elif isinstance(node, nodes.Assign):
            self.expr(node.node, scope)
            self.bind(node.target, _ANY, scope)
        elif isinstance(node, nodes.AssignBlock):
            self.body(node.body, scope)
            self.bind(node.target, _ANY, scope)
        elif isinstance(node, nodes.Macro | nodes.CallBlock):
            for default in node.defaults:
                self.expr(default, scope)
            inner = dict(scope) | {arg.name: _ANY for arg in node.args} | {"caller": _ANY}
            if isinstance(node, nodes.CallBlock):
                self.expr(node.call, scope)
            else:
                scope[node.name] = _ANY
            self.body(node.body, inner)
        elif isinstance(node, nodes.With):
            inner = dict(scope)
            for target, value in zip(node.targets, node.values, strict=False):
                self.expr(value, scope)
                self.bind(target, _ANY, inner)
            self.body(node.body, inner)
        elif isinstance(node, nodes.Import | nodes.FromImport):
            names = (
                [node.target]
                if isinstance(node, nodes.Import)
                else [n[1] if isinstance(n, tuple) else n for n in node.names]
            )
            scope.update(dict.fromkeys(names, _ANY))
        elif isinstance(node, nodes.Expr):
            self.expr(node, scope)
        else:
            for child in node.iter_child_nodes():
                if isinstance(child, nodes.Expr):
                    self.expr(child, scope)
                else:
                    self.stmt(child, scope)

    def bind(self, target: nodes.Node, type_: Any, scope: dict[str, Any]) -> None:
        if isinstance(target, nodes.Name):
            scope[target.name] = type_
        else:
            for name in target.find_all(nodes.Name):
                scope[name.name] = _ANY

    def _element(self, iterable: nodes.Node, scope: dict[str, Any]) -> Any:
        if isinstance(iterable, nodes.List | nodes.Tuple):
            kinds = {id(t): t for t in (self.expr(item, scope, report=False) for item in iterable.items)}
            return next(iter(kinds.values())) if len(kinds) == 1 else _ANY
        element = element_of(self.expr(iterable, scope, report=False))
        return _ANY if element is None else element

    def expr(self, node: nodes.Node, scope: dict[str, Any], *, report: bool = True) -> Any:
        """Check ``node`` and return its type as far as the checker follows it."""
        if isinstance(node, nodes.Name):
            if node.name in scope:
                return scope[node.name]
            field = self.model.model_fields.get(node.name)
            if field is not None:
                return field.annotation
            if report and node.name not in _ALWAYS and node.name not in self.env.globals:
                self.problem(
                    node,
                    f"unknown variable {node.name!r}{suggest(node.name, self.model.model_fields)}"
                    f" (a {_kind_of(self.model)} template offers: {', '.join(self.model.model_fields)})",
                )
            return _ANY
        if isinstance(node, nodes.Getattr):
            return self.attribute(node, self.expr(node.node, scope, report=report), node.attr, report)
        if isinstance(node, nodes.Getitem):
            owner = self.expr(node.node, scope, report=report)
            self.expr(node.arg, scope, report=report)
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                return self.attribute(node, owner, node.arg.value, report)
            element = element_of(owner) if owner is not _ANY else None
            return _ANY if element is None else element
        if isinstance(node, nodes.Filter):
            inner = self.expr(node.node, scope, report=report) if node.node is not None else _ANY
            self._children(node, scope, report, skip=node.node)
            return inner if node.name in _PASS_THROUGH_FILTERS else _ANY
        self._children(node, scope, report)
        return _ANY

    def _children(self, node: nodes.Node, scope: dict[str, Any], report: bool, skip: Any = None) -> None:
        for child in _expr_children(node):
            if child is not skip:
                self.expr(child, scope, report=report)

    def attribute(self, node: nodes.Node, owner: Any, attr: str, report: bool) -> Any:
        model = model_of(owner) if owner is not _ANY else None
        if model is None:
            return _ANY
        field = model.model_fields.get(attr)
        if field is not None:
            return field.annotation
        if report:
            self.problem(
                node,
                f"{model.__name__} has no field {attr!r}{suggest(attr, model.model_fields)}"
                f" (fields: {', '.join(model.model_fields)})",
            )
        return _ANY


def _expr_children(node: nodes.Node) -> Iterator[nodes.Node]:
    yield from node.iter_child_nodes()


def _kind_of(model: type[BaseModel]) -> str:
    kind = getattr(model, "KIND", "")
    return kind or "layout"
