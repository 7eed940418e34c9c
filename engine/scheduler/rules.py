"""The rulebook as the scheduler sees it: the rules in force now, their version, and an all-or-nothing reload."""

from __future__ import annotations

import threading
from pathlib import Path

from perfrules.engine.rulebook.model import Rule
from perfrules.engine.rulebook.rulebook import Rulebook
from perfrules.engine.rulebook.watch import RulebookHolder


class FolderRules:
    """The checked rulebook of a rule folder (a :class:`RulebookHolder`): a broken edit is refused and the
    previous version kept. A broken folder at start is a start-up error."""

    def __init__(self, path: Path | str):
        self.holder = RulebookHolder(Path(path))
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return self.holder.path

    @path.setter
    def path(self, value: Path) -> None:
        self.holder.path = Path(value)

    @property
    def rulebook(self) -> Rulebook:
        return self.holder.current()

    def rules(self) -> tuple[Rule, ...]:
        return tuple(r.rule for r in self.rulebook.rules)

    def version(self) -> str:
        return self.rulebook.digest

    def reload(self) -> tuple[bool, list[str]]:
        """Re-read the folder: (changed, problems); with problems nothing changes."""
        with self._lock:
            before = self.version()
            result = self.holder.reload()
            if not result.applied:
                return False, [str(p) for p in result.problems]
            return result.digest != before, []
