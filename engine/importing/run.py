"""One import command: read every file, check every cell, key and reference, then load all or nothing."""

from __future__ import annotations

import functools
import gc
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from perfrules.engine.errors import PerfRulesError, suggest
from perfrules.engine.importing.columns import Context, convert
from perfrules.engine.importing.errors import ErrorLog, ImportRejected, RowError
from perfrules.engine.importing.keys import SeenKeys, position
from perfrules.engine.importing.kinds import KINDS, REFERENCES, Kind
from perfrules.engine.importing.reading import CHUNK_ROWS, Chunk, FactFile, Upload
from perfrules.engine.periods import parse_period
from perfrules.storage import Database
from perfrules.storage.db import Connection
from perfrules.storage.facts import BatchInfo, Dating, FactLoad, RollupScope, open_load

_log = logging.getLogger("perfrules.importing")


class UnknownKind(PerfRulesError, LookupError):
    """Raised by :func:`import_files` for a kind that is not one of :data:`KINDS`."""

    def __init__(self, kind: str):
        super().__init__(f"unknown kind {kind!r}{suggest(kind, list(KINDS))}; kinds: {', '.join(KINDS)}")
        self.kind = kind


@dataclass(frozen=True)
class FileResult:
    """What importing one file did."""

    name: str
    rows: int
    inserted: int
    updated: int
    unchanged: int

    def summary(self) -> str:
        return (
            f"{self.name}: {self.rows} rows: {self.inserted} inserted, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )


def import_files(
    db: Database,
    kind: str,
    paths: Sequence[str | Path | Upload],
    *,
    zone: ZoneInfo,
    now: datetime,
    user: str,
    fmt: str | None = None,
    encoding: str | None = None,
    max_errors: int = 100,
    chunk_rows: int = CHUNK_ROWS,
    refresh_rollup: bool = True,
    on_loaded: Callable[[Connection, list[FileResult]], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> list[FileResult]:
    """Import ``paths`` (all of ``kind``) in one transaction; raise :class:`ImportRejected` if any row is bad.

    A path may be an :class:`Upload` (name and bytes in memory, e.g. from the HTTP API): nothing touches disk.

    ``zone`` is the company zone for timestamps without an offset; ``now`` and ``user`` are recorded on the
    import batch of each file. After movements and SKUs, ``perfrules.storage.rollup.refresh`` (when it exists) rebuilds
    the monthly rollup of the touched SKUs in the same transaction, unless ``refresh_rollup`` is false.

    ``on_loaded(conn, results)``, when given, runs on the import's connection after the load and before the
    commit: what it writes (e.g. an audit entry) commits with the import, or rolls back with it if it raises.
    ``on_progress(n)`` is told each time another ``n`` rows are read and checked.
    """
    if kind not in KINDS:
        raise UnknownKind(kind)
    spec = KINDS[kind]
    log = ErrorLog(max_errors)
    rollup = RollupScope(*spec.rollup) if spec.rollup else None
    dating = Dating(spec.dated, first_day) if spec.dated else None
    with (
        _no_cyclic_gc(),
        open_load(db, spec.table, spec.columns, rollup=rollup, refresh_rollup=refresh_rollup, dating=dating) as load,
    ):
        checker = _Checker(spec, load, log, Context(zone))
        files = []
        for file_no, path in enumerate(paths):
            source = path if isinstance(path, Upload) else Path(path)
            fact_file = FactFile(source, spec, log, fmt=fmt, encoding=encoding)
            _check(checker, file_no, fact_file, chunk_rows, on_progress)
            files.append(fact_file)
        checker.resolve_deferred()
        if log:
            raise ImportRejected(_in_file_order(log.kept, files, spec), log.total)
        counts = load.finish([BatchInfo(kind, f.name, f.sha256, f.rows) for f in files], now=now, user=user)
        results = [
            FileResult(f.name, c.rows, c.inserted, c.updated, c.unchanged) for f, c in zip(files, counts, strict=True)
        ]
        if on_loaded is not None:
            on_loaded(load.conn, results)
    for done in results:
        _log.info(
            "imported %s %s: %d row(s), %d new, %d changed, %d unchanged",
            kind, done.name, done.rows, done.inserted, done.updated, done.unchanged,
            extra={"kind": kind, "rows": done.rows},
        )  # fmt: skip
    return results


def _check(
    checker: _Checker, file_no: int, fact_file: FactFile, rows: int, on_progress: Callable[[int], None] | None
) -> None:
    """Check (and write) a file chunk by chunk; no chunk outlives this call (the load's finish and its
    rollup rebuild come after it)."""
    for chunk in fact_file.chunks(rows):
        checker.chunk(file_no, fact_file.name, chunk)
        if on_progress is not None:
            on_progress(len(chunk))


def first_day(value: Any) -> date | None:
    """The first day a dated value concerns: a day (``2026-09-30``) itself, a timestamp (UTC text, or a
    datetime) the day before its UTC date (so its local day is never earlier, whatever the zone), a period
    label (``2026-09``, ``2026-W38``, ``2026Q3``) its first day."""
    if isinstance(value, datetime):
        return value.date() - timedelta(days=1)
    if isinstance(value, date):
        return value
    text = str(value)
    if len(text) > 10 and text[4] == "-" and text[10] in " T":
        return date.fromisoformat(text[:10]) - timedelta(days=1)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return date.fromisoformat(text)
    return parse_period(text).start


def _in_file_order(errors: list[RowError], files: list[FactFile], spec: Kind) -> list[RowError]:
    """By file, line, then column order of the kind (checks run column-wise, so they come out of order)."""
    files_order = {f.name: i for i, f in enumerate(files)}
    columns = {name: i for i, name in enumerate(spec.names)}

    def key(e: RowError) -> tuple[int, int, int]:
        return files_order.get(e.file, 0), e.line, columns.get((e.column or "").split("+")[0], -1)

    return sorted(errors, key=key)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Millions of fresh row lists would trigger the cyclic collector over and over (a third of the time);
    they hold no cycles, so it is paused while a command reads its files."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Checker:
    """Checks chunks of one import: cells, cross-column rules, duplicate keys, references; writes good ones."""

    def __init__(self, spec: Kind, load: FactLoad, log: ErrorLog, ctx: Context):
        self.spec, self.load, self.log, self.ctx = spec, load, log, ctx
        refs = {f.ref for f in spec.fields if f.ref}
        self.known = {ref: _Known(load, *REFERENCES[ref][:2]) for ref in refs}
        self.seen = SeenKeys(load)
        self.names: list[str] = []  # file names by number, for "first at FILE:LINE"
        self.deferred: list[tuple[str, int, str, str]] = []  # references to keys of this same import

    def chunk(self, file_no: int, name: str, chunk: Chunk) -> None:
        if len(self.names) <= file_no:
            self.names.append(name)
        n = len(chunk)
        cols: dict[str, list[Any]] = {}
        for f in self.spec.fields:
            raw = chunk.columns.get(f.name)
            if raw is None:  # column absent (a missing required column is reported once, at line 1)
                out = [[None] * n for _ in f.outputs]
            else:
                out, bad = convert(f.type, raw, f.required, self.ctx)
                for i, message in bad:
                    self.log.add(name, chunk.lines[i], f.name, message)
            cols.update(zip(f.outputs, out, strict=True))
        self._references(name, chunk, cols)
        self._keys(file_no, name, chunk, cols)
        if self.spec.check:
            self.spec.check(cols, lambda i, column, message: self.log.add(name, chunk.lines[i], column, message))
        if self.log:
            return  # nothing will be written: keep checking, skip the work of loading
        if self.spec.derive:
            self.spec.derive(cols)
        if "kit_components" in cols:
            self.load.kits.update(
                (sku, (file_no, kits)) for sku, kits in zip(cols["sku"], cols["kit_components"], strict=True) if kits
            )
        self.load.write(file_no, [cols[c] for c in self.spec.columns])

    def _references(self, name: str, chunk: Chunk, cols: dict[str, list[Any]]) -> None:
        for f in self.spec.fields:
            if not f.ref:
                continue
            values = cols[f.name]
            if f.name == "kit_components":
                values = [p.rpartition("*")[0] if p else None for v in values for p in (v.split("|") if v else [""])]
                lines = [
                    line
                    for v, line in zip(cols[f.name], chunk.lines, strict=True)
                    for _ in (v.split("|") if v else [""])
                ]
            else:
                lines = chunk.lines
            known = self.known[f.ref]
            missing = known.missing(set(values) - {None})
            if not missing:
                continue
            self_ref = REFERENCES[f.ref][0] == self.spec.table
            for line, value in zip(lines, values, strict=True):
                if value in missing:
                    if self_ref:
                        self.deferred.append((name, line, f.name, value))
                    else:
                        self.log.add(name, line, f.name, _unknown(f.ref, value, known, self_ref))

    def resolve_deferred(self) -> None:
        """References to this import's own keys (managers, kit components) are checked once all is read."""
        absent = self.seen.missing(value for _name, _line, _column, value in self.deferred)
        self.seen.close()
        for name, line, column, value in self.deferred:
            if value in absent:
                ref = next(f.ref for f in self.spec.fields if f.name == column)
                self.log.add(name, line, column, _unknown(ref, value, self.known[ref], True))

    def _keys(self, file_no: int, name: str, chunk: Chunk, cols: dict[str, list[Any]]) -> None:
        key = self.spec.key
        if len(key) == 1:
            keys = cols[key[0]]
        else:
            keys = [None if None in k else k for k in zip(*(cols[k] for k in key), strict=True)]
        unique = set(keys)
        if len(unique) == len(keys) and None not in unique:  # the usual case: no duplicate within the chunk
            first = position(file_no, 0)
            earlier = self.seen.add(keys, [first | line for line in chunk.lines])
        else:
            within: dict[Any, int] = {}
            for i, k in enumerate(keys):
                if k is not None and k not in within:
                    within[k] = i
            firsts = list(within.values())
            found = self.seen.add(list(within), [position(file_no, chunk.lines[i]) for i in firsts])
            earlier = {firsts[j]: pos for j, pos in found.items()}
            for i, k in enumerate(keys):  # a repeat within the chunk: first at the key's first place
                if k is not None and within[k] != i:
                    earlier[i] = earlier.get(within[k], position(file_no, chunk.lines[within[k]]))
        column = "+".join(key)
        for i in sorted(earlier):
            shown = repr(keys[i] if len(key) == 1 else "/".join(keys[i]))
            self.log.add(
                name, chunk.lines[i], column, f"duplicate key {shown} (first at {self._where(file_no, earlier[i])})"
            )

    def _where(self, file_no: int, pos: int) -> str:
        first_file, line = pos >> 32, pos & 0xFFFFFFFF
        return f"line {line}" if first_file == file_no else f"{self.names[first_file]}:{line}"


class _Known:
    """The keys of one referenced table that are on file, looked up as needed: a small import (an API push)
    asks only for the values it names; once many values are asked for, every key is read in one pass and
    kept as one sorted array of UTF-8 codes (a 1M-SKU catalogue in about 10 MB, where a set of its strings
    takes 160 MB)."""

    FEW = 1000  # up to this many values per look-up are checked one by one through the key's index

    def __init__(self, load: FactLoad, table: str, column_name: str):
        self.load, self.table, self.column = load, table, column_name
        self.found: set[str] = set()
        self.every: np.ndarray | None = None  # every key on file, sorted, once many values were asked for

    def missing(self, values: set[str]) -> set[str]:
        """The ``values`` that are not keys on file."""
        unknown = values - self.found
        if not unknown:
            return unknown
        if self.every is None and len(unknown) > self.FEW:
            codes = [
                np.array([k.encode() for k in batch], dtype=bytes)
                for batch in self.load.key_batches(self.table, self.column)
            ]
            self.every = np.sort(np.concatenate(codes)) if codes else np.array([], dtype=bytes)
        if self.every is not None:
            return _absent(unknown, self.every)
        self.found |= self.load.existing(self.table, self.column, unknown)
        return unknown - self.found

    @functools.cached_property
    def on_file(self) -> set[str]:
        """Every key on file (for suggestions in error messages), read once."""
        return self.load.keys(self.table, self.column)


def _absent(values: set[str], keys: np.ndarray) -> set[str]:
    """The ``values`` that are not in ``keys`` (sorted UTF-8 codes; no value holds a NUL, which numpy's bytes
    would drop at the end: :func:`~perfrules.engine.importing.columns.convert` refuses such cells)."""
    if not len(keys):
        return values
    wanted = list(values)
    codes = np.array([v.encode() for v in wanted], dtype=bytes)
    at = np.minimum(np.searchsorted(keys, codes), len(keys) - 1)
    return {v for v, hit in zip(wanted, (keys[at] == codes).tolist(), strict=True) if not hit}


def _unknown(ref: str, value: str, known: _Known, self_ref: bool) -> str:
    if ref == "employees":
        return f"no employee with id {value!r}" + (" (not on file or in this import)" if self_ref else "")
    if ref == "departments":
        return f"unknown department {value!r}{suggest(value, sorted(known.on_file))}"
    return f"unknown SKU {value!r} (not in the store{' or this import' if self_ref else ''})"
