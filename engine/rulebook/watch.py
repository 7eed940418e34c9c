"""Hot reload: hold the active rulebook, swap in a valid change atomically, keep the old one otherwise.

Like Prometheus' ``Manager.Update``, a reload is all or nothing: a broken edit is logged line by line and
the previous rulebook stays active (and the log says so). :func:`watch` follows the folder with
``watchfiles`` and calls :meth:`RulebookHolder.reload` after each change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from perfrules.engine.rulebook.checker import check_path
from perfrules.engine.rulebook.loader import Problem
from perfrules.engine.rulebook.rulebook import Rulebook

log = logging.getLogger("perfrules.rulebook")


@dataclass(frozen=True)
class ReloadResult:
    """The outcome of one reload: whether the new content is active, and the problems if not."""

    applied: bool
    digest: str | None
    problems: tuple[Problem, ...] = ()


class RulebookHolder:
    """The rulebook the service uses now. ``current()`` is cheap and thread-safe; ``reload()`` re-reads
    the folder. The first load must succeed (there is nothing to fall back to)."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        result = check_path(path)
        if result.rulebook is None:
            from perfrules.engine.rulebook.checker import RulebookInvalid

            raise RulebookInvalid(result.problems)
        self._current: Rulebook = result.rulebook

    def current(self) -> Rulebook:
        return self._current

    def reload(self) -> ReloadResult:
        result = check_path(self.path)
        with self._lock:
            if result.rulebook is None:
                for problem in result.problems:
                    log.error("rule file problem: %s", problem)
                log.error(
                    "rulebook change rejected (%d problem(s)); still using rulebook %s",
                    len(result.problems),
                    self._current.digest[:12],
                )
                return ReloadResult(False, self._current.digest, tuple(result.problems))
            if result.rulebook.digest != self._current.digest:
                log.info("rulebook %s active (was %s)", result.rulebook.digest[:12], self._current.digest[:12])
            self._current = result.rulebook  # one reference assignment: readers see old or new, never a mix
            return ReloadResult(True, self._current.digest)


def watch(
    holder: RulebookHolder, stop: threading.Event, on_reload: Callable[[ReloadResult], None] | None = None
) -> None:
    """Block, reloading ``holder`` after every change under its folder, until ``stop`` is set."""
    from watchfiles import watch as watch_files

    for _changes in watch_files(holder.path, stop_event=stop, debounce=200, rust_timeout=500, yield_on_timeout=False):
        result = holder.reload()
        if on_reload is not None:
            on_reload(result)
