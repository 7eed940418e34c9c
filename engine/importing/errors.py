"""Import errors: one :class:`RowError` per bad cell or row, collected up to a cap, raised together."""

from __future__ import annotations

from dataclasses import dataclass

from perfrules.engine.errors import PerfRulesError


@dataclass(frozen=True)
class RowError:
    """A problem at ``file:line``, in ``column`` when it concerns one cell."""

    file: str
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: "
        return where + (f"{self.column}: {self.message}" if self.column else self.message)


class ErrorLog:
    """Collects errors; keeps the first ``cap`` of them and counts the rest."""

    def __init__(self, cap: int = 100):
        self.cap = cap
        self.kept: list[RowError] = []
        self.total = 0

    def __bool__(self) -> bool:
        return self.total > 0

    @property
    def full(self) -> bool:
        return self.total >= self.cap

    def add(self, file: str, line: int, column: str | None, message: str) -> None:
        self.total += 1
        if len(self.kept) < self.cap:
            self.kept.append(RowError(file, line, column, message))


class ImportRejected(PerfRulesError, ValueError):
    """Raised by :func:`perfrules.engine.importing.import_files` when any row of any file is bad; nothing was
    written."""

    def __init__(self, errors: list[RowError], total: int):
        self.errors = tuple(errors)
        self.total = total
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        out = [str(e) for e in self.errors]
        more = self.total - len(self.errors)
        if more:
            out.append(f"… and {more} more error{'s' if more != 1 else ''}")
        out.append(f"nothing imported: {self.total} error{'s' if self.total != 1 else ''}")
        return out
