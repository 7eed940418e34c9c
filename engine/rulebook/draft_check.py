"""A draft of one rule file, checked in the context of its folder: a temporary copy of the rules folder with
the file replaced (nothing in the folder is touched), and what ``perfrules check`` says about it as
diagnostics an editor can place at their line and column (errors, and warnings such as a stated
percentage the rule does not have).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from perfrules.engine.rulebook.checker import CheckResult, check_path
from perfrules.engine.rulebook.loader import Problem

_AT = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): (?P<rest>.*)$", re.DOTALL)


@dataclass(frozen=True)
class Diagnostic:
    """One finding of the check, placed in a file of the folder (``file`` as named inside the folder)."""

    file: str
    line: int
    column: int
    severity: str  # "error" or "warning"
    path: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "path": self.path,
            "message": self.message,
        }


@contextmanager
def folder_with(rules_dir: Path, file: str, content: str) -> Iterator[Path]:
    """A temporary copy of ``rules_dir`` (same folder name) with ``file`` holding ``content``."""
    with tempfile.TemporaryDirectory(prefix="perfrules-draft-") as tmp:
        copy = Path(tmp) / rules_dir.name
        shutil.copytree(rules_dir, copy)
        (copy / file).write_text(content, encoding="utf-8")
        yield copy


def inner_name(shown: str, folder: Path) -> str:
    """The name inside ``folder`` of a file as ``check`` shows it (relative to the working directory or
    absolute); unchanged when it is not in the folder."""
    path = Path(shown)
    path = path if path.is_absolute() else Path.cwd() / path
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return shown


def diagnostics_of(result: CheckResult, folder: Path) -> list[Diagnostic]:
    """Every problem (error) and positioned warning of a check of ``folder``, by file, line and column."""
    out = [_from_problem(p, folder) for p in result.problems]
    for report in result.reports:
        for warning in report.warnings:
            found = _AT.match(warning)
            if found is None:
                out.append(Diagnostic(inner_name(report.file, folder), 1, 1, "warning", "", warning))
                continue
            path, _, message = found["rest"].partition(": ") if ": " in found["rest"] else ("", "", found["rest"])
            file = inner_name(found["file"], folder)
            out.append(Diagnostic(file, int(found["line"]), int(found["column"]), "warning", path, message))
    return sorted(out, key=lambda d: (d.file, d.line, d.column, d.severity))


def _from_problem(problem: Problem, folder: Path) -> Diagnostic:
    return Diagnostic(
        inner_name(problem.file, folder), problem.line, problem.column, "error", problem.path, problem.message
    )


def check_draft(rules_dir: Path, file: str, content: str, *, now: datetime | None = None) -> list[Diagnostic]:
    """What ``perfrules check`` says about ``rules_dir`` with ``file`` replaced by ``content``."""
    with folder_with(rules_dir, file, content) as copy:
        return diagnostics_of(check_path(copy, now=now), copy)
