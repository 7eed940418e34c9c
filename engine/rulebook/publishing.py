"""Four eyes on the rulebook: a change to a rule file is drafted, checked, submitted, approved by a second
person and only then written into the rules folder — atomically, so the running service's reload sees the
old file or the new one, never half of it. The folder stays the source of truth (and readable for git);
the store keeps the drafts and the audit log keeps author, reviewer, diff and the resulting digest.

A draft is checked against the whole folder as it would be (the same checker as ``perfrules check``): a
draft that would break the rulebook is refused with every problem, and so is a publication when the file
changed in the folder since it was drafted (draft again from what is there now). A published change is
rolled back the same way: :func:`rollback` drafts the file as it was before.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from perfrules.engine.errors import PerfRulesError
from perfrules.engine.rulebook.checker import CheckResult, check_path
from perfrules.engine.rulebook.diff import diff_rulebooks
from perfrules.engine.rulebook.draft_check import folder_with, inner_name
from perfrules.engine.rulebook.loader import Problem
from perfrules.storage import Database, access
from perfrules.storage import drafts as store
from perfrules.storage.drafts import DraftRecord

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.yaml$")


class DraftRefused(PerfRulesError, ValueError):
    """Raised by ``perfrules rules draft|submit|approve|reject|publish|rollback`` when the step cannot be
    taken: a bad file name, a draft that breaks the rulebook, the author approving their own change, a
    draft in the wrong state, a file changed in the folder since it was drafted."""

    def __init__(self, reason: str, problems: tuple[Problem, ...] = ()):
        lines = [reason, *(f"  {p}" for p in problems)]
        super().__init__("\n".join(lines))
        self.reason, self.problems = reason, problems


@dataclass(frozen=True)
class Preview:
    """What a draft would do: the check of the folder with it, and the rule changes in HR's words."""

    problems: tuple[Problem, ...]
    changes: tuple[str, ...]
    digest: str | None  # the rulebook digest it would make (None: it does not check)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _current(rules_dir: Path, file: str) -> str | None:
    path = rules_dir / file
    return path.read_text(encoding="utf-8") if path.exists() else None


def preview(rules_dir: Path, file: str, content: str) -> Preview:
    """Check the rules folder with ``file`` replaced by ``content`` (in a copy: nothing is written)."""
    with folder_with(rules_dir, file, content) as copy:
        result: CheckResult = check_path(copy)
        problems = tuple(
            Problem(f"{rules_dir.name}/{inner_name(p.file, copy)}", p.line, p.column, p.path, p.message)
            for r in result.reports
            for p in r.problems
        )
        if result.rulebook is None:
            return Preview(problems, (), None)
        before = check_path(rules_dir).rulebook
        changes = tuple(diff_rulebooks(before, result.rulebook)) if before is not None else ()
        return Preview(problems, changes, result.rulebook.digest)


def draft(
    db: Database, rules_dir: Path, file: str, content: str, *, author: str, now: datetime, note: str = ""
) -> tuple[DraftRecord, Preview]:
    """Store a draft of ``file`` (a name in the rules folder) with ``content``; refused if the folder would
    not check with it. Returns the draft and its preview."""
    if not _NAME.match(file):
        raise DraftRefused(f"{file!r} is not a rule file name in the rules folder (e.g. purchasing.yaml)")
    seen = preview(rules_dir, file, content)
    if seen.digest is None:
        raise DraftRefused(f"the draft of {file} would break the rulebook:", seen.problems)
    base = _current(rules_dir, file)
    if base == content:
        raise DraftRefused(f"the draft of {file} changes nothing")
    with db.session() as session:
        record = store.add_draft(
            session,
            file=file,
            content=content,
            base_sha256="" if base is None else _sha(base),
            base_content=base or "",
            note=note,
            author=author,
            now=now,
        )
        access.record_in(
            session.connection(),
            now=now,
            actor=author,
            action="rules.draft",
            target=f"draft #{record.id} {file}",
            detail={"changes": list(seen.changes), "note": note},
        )
    return record, seen


def _step(
    db: Database, draft_id: int, *, expected: tuple[str, ...], action: str, actor: str, now: datetime, **values
) -> DraftRecord:
    found = store.draft(db, draft_id)
    if found is None:
        raise DraftRefused(f"no draft with id {draft_id}")
    with db.session() as session:
        record = store.move(session, draft_id, expected=expected, **values)
        if record is None:
            raise DraftRefused(f"draft #{draft_id} is {found.status}: {action} needs it {' or '.join(expected)}")
        access.record_in(
            session.connection(),
            now=now,
            actor=actor,
            action=f"rules.{action}",
            target=f"draft #{draft_id} {found.file}",
        )
    return record


def submit(db: Database, draft_id: int, *, by: str, now: datetime) -> DraftRecord:
    """Ask for review."""
    return _step(
        db, draft_id, expected=("draft",), action="submit", actor=by, now=now, status="submitted", submitted_at=now
    )


def approve(db: Database, rules_dir: Path, draft_id: int, *, by: str, now: datetime, note: str = "") -> DraftRecord:
    """A second person approves a submitted draft (still checking against the folder as it is now)."""
    found = store.draft(db, draft_id)
    if found is not None and found.author == by:
        raise DraftRefused(f"draft #{draft_id} was written by {by}: a second person must approve it")
    if found is not None:
        seen = preview(rules_dir, found.file, found.content)
        if seen.digest is None:
            raise DraftRefused(f"draft #{draft_id} no longer checks against the rules folder:", seen.problems)
    return _review(db, draft_id, "approve", "approved", by=by, now=now, note=note)


def reject(db: Database, draft_id: int, *, by: str, now: datetime, note: str) -> DraftRecord:
    if not note.strip():
        raise DraftRefused("rejecting a draft needs a note (the author is told why)")
    return _review(db, draft_id, "reject", "rejected", by=by, now=now, note=note)


def _review(db: Database, draft_id: int, action: str, status: str, *, by: str, now: datetime, note: str) -> DraftRecord:
    """A submitted draft reviewed by ``by``: approved or rejected, with the reviewer's note."""
    return _step(
        db,
        draft_id,
        expected=("submitted",),
        action=action,
        actor=by,
        now=now,
        status=status,
        reviewer=by,
        reviewed_at=now,
        review_note=note,
    )


def withdraw(db: Database, draft_id: int, *, by: str, now: datetime) -> DraftRecord:
    return _step(db, draft_id, expected=("draft", "submitted", "approved"), action="withdraw", actor=by, now=now,
                 status="withdrawn")  # fmt: skip


def publish(db: Database, rules_dir: Path, draft_id: int, *, by: str, now: datetime) -> DraftRecord:
    """Write an approved draft into the rules folder (temporary file + rename: all or nothing)."""
    found = store.draft(db, draft_id)
    if found is None:
        raise DraftRefused(f"no draft with id {draft_id}")
    if found.status != "approved":
        raise DraftRefused(f"draft #{draft_id} is {found.status}: only an approved draft is published")
    base = _current(rules_dir, found.file)
    if ("" if base is None else _sha(base)) != found.base_sha256:
        raise DraftRefused(
            f"{found.file} changed in the rules folder since draft #{draft_id} was written: draft again from it"
        )
    seen = preview(rules_dir, found.file, found.content)
    if seen.digest is None:
        raise DraftRefused(f"draft #{draft_id} no longer checks against the rules folder:", seen.problems)
    target = rules_dir / found.file
    fd, tmp = tempfile.mkstemp(prefix=f".{found.file}.", dir=rules_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(found.content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    diff = unified_diff(found)
    with db.session() as session:
        record = store.move(
            session,
            draft_id,
            expected=("approved",),
            status="published",
            published_by=by,
            published_at=now,
            rulebook_digest=seen.digest,
        )
        assert record is not None
        access.record_in(
            session.connection(),
            now=now,
            actor=by,
            action="rules.publish",
            target=f"draft #{draft_id} {found.file}",
            detail={
                "author": found.author,
                "reviewer": found.reviewer,
                "digest": seen.digest,
                "diff": diff,
                "changes": list(seen.changes),
            },
        )
    return record


def unified_diff(found: DraftRecord) -> str:
    """The draft as a unified diff against the file it was drafted from (what the audit log keeps)."""
    return "".join(
        difflib.unified_diff(
            found.base_content.splitlines(keepends=True),
            found.content.splitlines(keepends=True),
            f"a/{found.file}",
            f"b/{found.file}",
        )
    )


def rollback(
    db: Database, rules_dir: Path, draft_id: int, *, author: str, now: datetime
) -> tuple[DraftRecord, Preview]:
    """Draft the file back to what it was before the published draft ``draft_id`` (reviewed like any draft)."""
    found = store.draft(db, draft_id)
    if found is None or found.status != "published":
        raise DraftRefused(f"draft #{draft_id} is not a published change")
    if not found.base_sha256:
        raise DraftRefused(f"draft #{draft_id} created {found.file}: roll it back by drafting the rules it should hold")
    return draft(
        db, rules_dir, found.file, found.base_content, author=author, now=now, note=f"rollback of draft #{draft_id}"
    )
