"""Progress of the commands that can run for more than a few seconds (import, demo-data, demo, simulate,
schedule replay): a rich progress bar with count, rate and time left on a terminal; on a pipe or in CI
plain lines on stderr, at most one every :data:`EVERY` seconds and one at the end."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

EVERY = 10.0  # seconds between two plain progress lines

Advance = Callable[[int], None]


class PlainLines:
    """``description: 1,234 of 5,000 rows (410 rows/s)`` now and then, for logs that are not a terminal."""

    def __init__(
        self,
        description: str,
        total: int | None,
        unit: str,
        stream: IO[str],
        clock: Callable[[], float] = time.monotonic,
        every: float = EVERY,
    ):
        self.description, self.total, self.unit, self.stream = description, total, unit, stream
        self.clock, self.every = clock, every
        self.started = self.last = clock()
        self.done = 0

    def advance(self, count: int) -> None:
        self.done += count
        if self.clock() - self.last >= self.every:
            self.line()

    def line(self) -> None:
        self.last = self.clock()
        elapsed = max(self.last - self.started, 1e-9)
        of = f" of {self.total:,}" if self.total else ""
        left = ""
        if self.total and self.done:
            left = f", about {max(0.0, (self.total - self.done) * elapsed / self.done):.0f} s left"
        click.echo(
            f"{self.description}: {self.done:,}{of} {self.unit} ({self.done / elapsed:,.0f} {self.unit}/s{left})",
            file=self.stream,
        )


@contextmanager
def meter(description: str, total: int | None, unit: str, stream: IO[str] | None = None) -> Iterator[Advance]:
    """Yield ``advance(count)``; a bar on a terminal, plain lines otherwise (and a last one when it took long)."""
    stream = stream or sys.stderr
    if stream.isatty():
        columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn(unit)]
        columns += [TaskProgressColumn(), TimeElapsedColumn(), TimeRemainingColumn()]
        with Progress(*columns, console=Console(file=stream), transient=True) as bar:
            task = bar.add_task(description, total=total)
            yield lambda count: bar.advance(task, count)
        return
    plain = PlainLines(description, total, unit, stream)
    yield plain.advance
    if plain.clock() - plain.started >= plain.every:
        plain.line()
