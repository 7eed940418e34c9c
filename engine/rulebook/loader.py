"""Reading rule files: YAML text → plain data plus the line/column of every key and value.

``yaml.compose`` keeps node marks; we build the data ourselves so that a time like ``18:00`` stays
text (YAML 1.1 would read it as the number 1080), duplicate keys are errors, and nothing a user writes
can raise a traceback: every problem becomes a :class:`Problem` with a position. Nesting deeper than
:data:`MAX_DEPTH` and aliases that expand beyond :data:`MAX_ALIAS_VALUES` values are refused while
composing/building, so an alias bomb or 20,000-deep nesting costs milliseconds, not gigabytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

Loc = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Problem:
    """One error in a rule file, printed as ``file:line:column: key.path: message``."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


@dataclass
class Document:
    """A parsed YAML document: its data and where each key path starts (1-based line, column)."""

    file: str
    text: str
    sha256: str
    data: Any = None
    value_marks: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def mark(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """Position of ``loc`` (its key when ``key``), else of its nearest known parent."""
        marks = self.key_marks if key else self.value_marks
        probe = tuple(loc)
        while probe:
            if probe in marks:
                return marks[probe]
            if probe in self.value_marks:
                return self.value_marks[probe]
            probe = probe[:-1]
        return self.value_marks.get((), (1, 1))

    def problem(self, loc: Loc, message: str, *, key: bool = False) -> Problem:
        line, column = self.mark(loc, key=key)
        return Problem(self.file, line, column, format_loc(loc), message)


def format_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _pos(node: yaml.Node) -> tuple[int, int]:
    return _pos_of(node.start_mark)


def _pos_of(mark: yaml.Mark | None) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


_RESOLVER = yaml.resolver.Resolver()

MAX_DEPTH = 50  # a rule file nests about 6 deep; deeper text is an accident or an attack
MAX_ALIAS_VALUES = 1000  # values that aliases (*name) may add beyond what the file writes out


class _LimitExceeded(yaml.MarkedYAMLError):
    """Raised by :class:`_BoundedLoader` when a file nests too deep; reported as a problem, never raised out."""


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader whose composer refuses nesting beyond :data:`MAX_DEPTH` (PyYAML's composer recurses, so
    20,000 levels would end in a RecursionError) and counts the nodes the file writes out, so the builder
    can bound what aliases expand to."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.depth = 0
        self.written = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            return super().compose_node(parent, index)
        self.depth += 1
        self.written += 1
        if self.depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise _LimitExceeded(problem=f"nesting deeper than {MAX_DEPTH} levels is not allowed", problem_mark=mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _AliasLimit(Exception):
    """Raised by :class:`_Builder` when aliases expand beyond :data:`MAX_ALIAS_VALUES` values."""

    def __init__(self, node: yaml.Node):
        super().__init__(node)
        self.node = node


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    value = node.value
    if node.style:  # quoted or block text stays text
        return value
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        return value.lower() in ("true", "yes", "on")
    if tag.endswith(":int"):
        if ":" in value:  # YAML 1.1 sexagesimal: keep "18:00" as written
            return value
        return yaml.SafeLoader.construct_yaml_int(yaml.SafeLoader(""), node)
    if tag.endswith(":float"):
        if ":" in value or value.lower().lstrip("+-") in (".inf", ".nan"):
            return value
        return float(value)
    if tag.endswith(":timestamp"):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


class _Builder:
    def __init__(self, doc: Document, written: int):
        self.doc = doc
        self.budget = written + MAX_ALIAS_VALUES  # an alias bomb stops here, long before memory runs out

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _AliasLimit(node)
        self.doc.value_marks[loc] = _pos(node)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.doc.problems.append(self.doc.problem(loc, "a key must be plain text"))
                    continue
                key = str(key_node.value)
                child = (*loc, key)
                if key in out:
                    line, column = _pos(key_node)
                    self.doc.problems.append(
                        Problem(self.doc.file, line, column, format_loc(child), f"duplicate key {key!r}")
                    )
                    continue
                self.doc.key_marks[child] = _pos(key_node)
                out[key] = self.build(value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        return _scalar(node)


def parse_text(text: str, file: str, sha256: str = "") -> Document:
    """Parse YAML ``text``; syntax errors land in ``Document.problems`` (never raised)."""
    doc = Document(file, text, sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest())
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
    except _LimitExceeded as exc:
        line, column = _pos_of(exc.problem_mark)
        doc.problems.append(Problem(file, line, column, "", str(exc.problem)))
        return doc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = exc.problem or "invalid YAML"
        if "\\t" in reason or "\t" in reason:
            reason = "tab characters are not allowed for indentation in YAML (use spaces)"
        doc.problems.append(Problem(file, line, column, "", f"YAML syntax error: {reason}"))
        return doc
    except yaml.YAMLError as exc:
        doc.problems.append(Problem(file, 1, 1, "", f"YAML syntax error: {exc}"))
        return doc
    finally:
        loader.dispose()
    if node is None:
        doc.problems.append(Problem(file, 1, 1, "", "the file is empty (expected a map with 'rules:')"))
        return doc
    try:
        doc.data = _Builder(doc, loader.written).build(node, ())
    except _AliasLimit as exc:
        line, column = _pos(exc.node)
        doc.data, doc.value_marks, doc.key_marks = None, {}, {}
        message = f"aliases (*name) expand to more than {MAX_ALIAS_VALUES} values: write the values out"
        doc.problems.append(Problem(file, line, column, "", message))
    return doc


def read_document(path: Path, display: str | None = None) -> Document:
    """Read and parse ``path`` (UTF-8, BOM allowed); an unreadable file becomes a problem, not an exception."""
    name = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Document(name, "", "", problems=[Problem(name, 1, 1, "", f"cannot read file: {exc.strerror}")])
    sha = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return Document(
            name, "", sha, problems=[Problem(name, line, column, "", "the file is not UTF-8 text (save it as UTF-8)")]
        )
    return parse_text(text, name, sha)
