"""The keys one import has read so far, to report a duplicate with the place of its first occurrence.

Up to :data:`KEYS_IN_MEMORY` keys are kept in a dict; beyond that they move to a temporary table on the
import's connection (:class:`perfrules.storage.import_keys.KeyRegistry`), so memory stays bounded whatever
the number of rows. A position is ``file number << 32 | line``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from perfrules.storage.facts import FactLoad
from perfrules.storage.import_keys import KeyRegistry

KEYS_IN_MEMORY = 200_000  # about 30 MB of keys and positions; an import with more keeps them in the database
_LINE_BITS = 32


def position(file_no: int, line: int) -> int:
    return file_no << _LINE_BITS | line


class SeenKeys:
    """Keys (text, or tuples of text for composite keys) read by one import, with their first position."""

    def __init__(self, load: FactLoad, limit: int | None = None):
        self.load = load
        self.limit = KEYS_IN_MEMORY if limit is None else limit
        self.memory: dict[Any, int] | None = {}
        self.registry: KeyRegistry | None = None

    def add(self, keys: Sequence[Any], positions: Sequence[int]) -> dict[int, int]:
        """Remember ``keys`` (distinct, none None) at ``positions``; {index in keys: earlier position} of those
        read before."""
        if self.memory is not None:
            if self.memory.keys().isdisjoint(keys):
                self.memory.update(zip(keys, positions, strict=True))
                if len(self.memory) > self.limit:
                    self._spill()
                return {}
            earlier = {i: self.memory[k] for i, k in enumerate(keys) if k in self.memory}
            self.memory.update((k, p) for k, p in zip(keys, positions, strict=True) if k not in self.memory)
            return earlier
        texts = [_text(k) for k in keys]
        found = self.registry.add(texts, positions)
        return {i: found[t] for i, t in enumerate(texts) if t in found} if found else {}

    def missing(self, keys: Iterable[Any]) -> set[Any]:
        """The ``keys`` not read by this import."""
        wanted = set(keys)
        if self.memory is not None:
            return wanted - self.memory.keys()
        found = self.registry.find([_text(k) for k in wanted])
        return {k for k in wanted if _text(k) not in found}

    def close(self) -> None:
        if self.registry is not None:
            self.registry.drop()

    def _spill(self) -> None:
        self.registry = self.load.key_registry()
        keys = list(self.memory)
        self.registry.add([_text(k) for k in keys], [self.memory[k] for k in keys])
        self.memory = None


def _text(key: Any) -> str:
    return "\x1f".join(map(str, key)) if isinstance(key, tuple) else str(key)
