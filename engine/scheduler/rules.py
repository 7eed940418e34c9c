"""The rulebook as the scheduler sees it: the rules in force now, their version, and an all-or-nothing reload."""

from __future__ import annotations

import threading
from pathlib import Path

from engine.rulebook.checker import RulebookInvalid, load_rulebook
from engine.rulebook.model import Rule
from engine.rulebook.rulebook import Rulebook


class FolderRules:
    """The checked rulebook of a rule folder. A broken edit is refused and the previous version kept."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._rulebook: Rulebook = load_rulebook(self.path)  # a broken folder at start is a start-up error
        self._lock = threading.Lock()

    @property
    def rulebook(self) -> Rulebook:
        return self._rulebook

    def rules(self) -> tuple[Rule, ...]:
        return tuple(r.rule for r in self._rulebook.rules)

    def version(self) -> str:
        return self._rulebook.digest

    def reload(self) -> tuple[bool, list[str]]:
        """Re-read the folder: (changed, problems); with problems nothing changes."""
        with self._lock:
            try:
                fresh = load_rulebook(self.path)
            except RulebookInvalid as exc:
                return False, [str(p) for p in exc.problems]
            changed = fresh.digest != self._rulebook.digest
            self._rulebook = fresh
            return changed, []
