"""Reading fact files: decoding, CSV / JSON Lines, header checks, chunks of cells with their line numbers.

Every problem with the file itself (encoding, header, ragged rows, bad JSON lines) goes to the
:class:`ErrorLog` with its line; the rows that can be read are still read, so one run reports everything.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from perfrules.engine.errors import suggest
from perfrules.engine.importing.errors import ErrorLog
from perfrules.engine.importing.kinds import Kind
from perfrules.engine.importing.streaming import SPREADSHEET_MAGIC, TextStream, Undecodable

CHUNK_ROWS = 100_000
# A submission's payload (a whole slow-mover list as JSON) easily passes the csv module's 128 KiB cell limit.
csv.field_size_limit(2**31 - 1)
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_SPREADSHEETS = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".numbers"})


@dataclass
class Chunk:
    """Consecutive rows of one file: line numbers and, per column present, the raw cells ('' or None = empty)."""

    lines: Sequence[int]
    columns: dict[str, list[str | None]]

    def __len__(self) -> int:
        return len(self.lines)


@dataclass(frozen=True)
class Upload:
    """A fact file received in memory (e.g. an HTTP upload): the name its errors and import batch show, its bytes."""

    name: str
    data: bytes


class FactFile:
    """One file to import: its name as given, its bytes' sha256 (once read), and its rows in chunks.

    The file is streamed (:mod:`~perfrules.engine.importing.streaming`): memory holds one chunk, never the file.
    """

    def __init__(
        self, source: Path | Upload, kind: Kind, log: ErrorLog, *, fmt: str | None = None, encoding: str | None = None
    ):
        if isinstance(source, Upload):
            self.name, self.stream = source.name, TextStream.of_bytes(source.data, encoding)
        else:
            self.name, self.stream = str(source), TextStream.of_path(source, encoding)
        self.kind = kind
        self.log = log
        self.format = fmt or FORMATS.get(Path(self.name).suffix.lower(), "csv")
        self.rows = 0
        self.readable = True
        if self.stream.head().startswith(SPREADSHEET_MAGIC) or Path(self.name).suffix.lower() in _SPREADSHEETS:
            self._error(
                1,
                None,
                "a spreadsheet workbook, not a CSV or JSON Lines file: save the sheet as CSV UTF-8 "
                "(Excel: File → Save As → CSV UTF-8) and import that",
            )
            self.readable = False

    @property
    def sha256(self) -> str:
        return self.stream.sha256

    def _error(self, line: int, column: str | None, message: str) -> None:
        self.log.add(self.name, line, column, message)

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[Chunk]:
        if not self.readable:
            return iter(())
        return self._decoded(self._jsonl(size) if self.format == "jsonl" else self._csv(size))

    def _decoded(self, chunks: Iterator[Chunk]) -> Iterator[Chunk]:
        """The chunks up to a byte the encoding cannot decode, reported at its line (reading stops there)."""
        try:
            yield from chunks
        except Undecodable as exc:
            hint = "; files saved by Excel in China need --encoding gb18030" if exc.encoding.startswith("utf") else ""
            self._error(exc.line, None, f"{exc}{hint}")

    # -- CSV --------------------------------------------------------------------------------------------
    def _header(self, first: list[str]) -> list[str | None]:
        """Column names by position; None for a column to skip (unknown or repeated, reported at line 1)."""
        known = self.kind.names
        names: list[str | None] = []
        separator = _other_separator(first, known)
        if separator:
            self._error(1, None, f"the header is separated by {separator}, not commas: save it as CSV")
            return [None] * len(first)
        for raw in first:
            name = raw.strip()
            if name in names:
                self._error(1, name, "column appears twice")
                names.append(None)
            elif name not in known:
                hint = suggest(name, known) or f" (expected: {', '.join(known)})"
                self._error(1, name or "(empty)", f"unknown column{hint}")
                names.append(None)
            else:
                names.append(name)
        for f in self.kind.fields:
            if f.required and f.name not in names:
                self._error(1, f.name, "required column is missing")
        return names

    def _csv(self, size: int) -> Iterator[Chunk]:
        blocks = self.stream.lines()
        start, lines = next(blocks, (1, []))
        try:
            first = next(csv.reader(lines[:1]), None)
        except csv.Error as exc:
            self._error(1, None, f"not valid CSV: {exc}")
            return
        if not first:
            self._error(1, None, "the file is empty (expected a header row)")
            return
        names = self._header(first)
        groups = _regroup(itertools.chain([(start + 1, lines[1:])], blocks), size)
        keep = [(i, n) for i, n in enumerate(names) if n is not None]
        for first_line, group in groups:
            text = "\n".join(group)
            if '"' in text or "\r" in text:  # quoting from here on: the csv module reads the rest
                rows = self._csv_module(itertools.chain([(first_line, group)], groups))
                yield from self._chunked(rows, names, size)
                return
            cells = [line.split(",") for line in group]  # no quoting: a plain split is exact and much faster
            if set(map(len, cells)) == {len(names)}:
                yield self._columns(range(first_line, first_line + len(cells)), cells, keep)
            else:  # blank lines or ragged rows in this chunk
                yield from self._chunked(enumerate(cells, first_line), names, size)

    def _csv_module(self, groups: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
        first_line, group = next(groups)
        physical = (line + "\n" for lines in itertools.chain([group], (g for _, g in groups)) for line in lines)
        reader = csv.reader(physical)
        line = reader.line_num
        try:
            for row in reader:
                yield first_line + line, row
                line = reader.line_num
        except csv.Error as exc:
            self._error(first_line + line, None, f"not valid CSV: {exc}")

    def _chunked(self, rows, names: list[str | None], size: int) -> Iterator[Chunk]:
        width = len(names)
        keep = [(i, n) for i, n in enumerate(names) if n is not None]
        lines: list[int] = []
        cells: list[list[str]] = []
        for line, row in rows:
            if len(row) != width:
                if row == [""] or not row:
                    continue  # a blank line
                self._error(line, None, f"{len(row)} cells, but the header has {width} columns")
                continue
            lines.append(line)
            cells.append(row)
            if len(cells) >= size:
                yield self._columns(lines, cells, keep)
                lines, cells = [], []
        if cells:
            yield self._columns(lines, cells, keep)

    def _columns(self, lines: Sequence[int], cells: list[list[str]], keep: list[tuple[int, str]]) -> Chunk:
        self.rows += len(lines)
        transposed = list(zip(*cells, strict=True))
        return Chunk(lines, {name: list(transposed[i]) for i, name in keep})

    # -- JSON Lines -------------------------------------------------------------------------------------
    def _jsonl(self, size: int) -> Iterator[Chunk]:
        known = self.kind.names
        reported: set[str] = set()
        lines: list[int] = []
        objects: list[dict] = []
        for start, block in self.stream.lines():
            for number, line in enumerate(block, start):
                if not line.strip():
                    continue
                obj = self._json_object(number, line)
                if obj is None:
                    continue
                for key in obj.keys() - set(known) - reported:
                    reported.add(key)
                    hint = suggest(key, known) or f" (expected: {', '.join(known)})"
                    self._error(number, key, f"unknown field{hint}")
                lines.append(number)
                objects.append(obj)
                if len(objects) >= size:
                    yield self._json_columns(lines, objects)
                    lines, objects = [], []
        if objects:
            yield self._json_columns(lines, objects)

    def _json_object(self, number: int, line: str) -> dict | None:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            self._error(number, None, f"not valid JSON: {exc.msg} (character {exc.colno})")
            return None
        if not isinstance(obj, dict):
            self._error(number, None, f"expected a JSON object, got {_json_type(obj)}")
            return None
        return obj

    def _json_columns(self, lines: list[int], objects: list[dict]) -> Chunk:
        self.rows += len(lines)
        columns: dict[str, list[str | None]] = {}
        for f in self.kind.fields:
            is_json = f.name == "payload"
            values = []
            for line, obj in zip(lines, objects, strict=True):
                value = obj.get(f.name)
                if isinstance(value, dict | list) and not is_json:
                    self._error(line, f.name, f"expected text or a number, got a JSON {_json_type(value)}")
                    value = None
                values.append(_cell(value))
            columns[f.name] = values
        return Chunk(lines, columns)


def _regroup(blocks: Iterator[tuple[int, list[str]]], size: int) -> Iterator[tuple[int, list[str]]]:
    """Blocks of consecutive lines (first line number, lines) regrouped into runs of ``size`` lines."""
    start, held = 1, []
    for first, lines in blocks:
        if not held:
            start = first
        held.extend(lines)
        while len(held) >= size:
            yield start, held[:size]
            held, start = held[size:], start + size
    if held:
        yield start, held


def _json_type(value: object) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def _cell(value: object) -> str | None:
    """A JSON value as the text a CSV cell would hold."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def _other_separator(header: list[str], known: tuple[str, ...] | list[str]) -> str | None:
    """The separator a one-column header really uses (a file exported with ';' or tabs), if it names ours."""
    if len(header) != 1:
        return None
    for sep, name in SEPARATORS.items():
        parts = [p.strip() for p in header[0].split(sep)]
        if len(parts) > 1 and any(p in known for p in parts):
            return name
    return None
