"""Reads and idempotent writes of the evaluation tables (see :mod:`perfrules.storage.evaluation` for the keys).

Writes are insert-on-conflict on the natural keys, so a re-run or two overlapping runs update in place.
Rows never leave this module: callers get plain dicts (column → value) or scalars.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from perfrules.engine.errors import UnknownEmployee
from perfrules.storage.db import Database
from perfrules.storage.evaluation import (
    Adjustment,
    AdjustmentAction,
    Assignment,
    Escalation,
    EvaluationRun,
    Finding,
    Leave,
    PayrollExport,
    QuarterCloseEvent,
)
from perfrules.storage.models import Department, Employee, Submission
from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

ZERO = Decimal(0)
FINDING_KEY = ("rule_id", "subject", "period", "kind")
ADJUSTMENT_KEY = ("rule_id", "employee_id", "period", "kind", "quarter")
ESCALATION_KEY = ("rule_id", "subject", "kind", "streak_start")


def _insert(session: Session, model: type[SQLModel]):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model.__table__)


def _row(obj: Any) -> dict[str, Any]:
    return {c.name: getattr(obj, c.name) for c in obj.__table__.columns}


def upsert(
    session: Session,
    model: type[SQLModel],
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    update_cols: Sequence[str] | None = None,
) -> None:
    """Insert ``rows``; on a natural-key conflict update ``update_cols`` (None: do nothing)."""
    if not rows:
        return
    stmt = _insert(session, model)
    if update_cols is None:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(key))
    else:
        stmt = stmt.on_conflict_do_update(index_elements=list(key), set_={c: stmt.excluded[c] for c in update_cols})
    for start in range(0, len(rows), 1000):
        session.execute(stmt, list(rows[start : start + 1000]))


# --- runs --------------------------------------------------------------------------------------------


def claim_run(session: Session, values: dict[str, Any]) -> tuple[int, str | None]:
    """Claim the run keyed (period, rulebook_version, facts_hash) in the caller's transaction: (id, None) when
    new, else (id, the earlier run's status: ``done``, or ``running`` when it never finished)."""
    stmt = (
        _insert(session, EvaluationRun)
        .on_conflict_do_nothing(index_elements=["period", "rulebook_version", "facts_hash"])
        .returning(EvaluationRun.__table__.c.id)
    )
    created = session.execute(stmt, values).first() is not None
    run_id, status = session.execute(
        select(EvaluationRun.id, EvaluationRun.status).where(
            EvaluationRun.period == values["period"],
            EvaluationRun.rulebook_version == values["rulebook_version"],
            EvaluationRun.facts_hash == values["facts_hash"],
        )
    ).one()
    return run_id, None if created else status


def unfinished_runs(db: Database, months: Sequence[str]) -> list[dict[str, Any]]:
    """Runs of these months that were claimed and never finished (written by a release before evaluations
    committed whole): their money may be half-written until the month is evaluated again."""
    with db.session() as s:
        q = select(EvaluationRun).where(EvaluationRun.period.in_(list(months)), EvaluationRun.status != "done")
        return [_row(r) for r in s.execute(q.order_by(EvaluationRun.id)).scalars()]


def finish_run(session: Session, run_id: int, finished_at: datetime, **counts: int) -> None:
    session.execute(
        update(EvaluationRun).where(EvaluationRun.id == run_id).values(status="done", finished_at=finished_at, **counts)
    )


def runs(db: Database, period: str | None = None) -> list[dict[str, Any]]:
    with db.session() as s:
        q = select(EvaluationRun).order_by(EvaluationRun.id)
        if period:
            q = q.where(EvaluationRun.period == period)
        return [_row(r) for r in s.execute(q).scalars()]


def latest_runs(db: Database, months: int = 3) -> list[dict[str, Any]]:
    """The newest ``months`` months with a finished run, newest first: ``period`` and the ``as_of`` of its
    latest finished run."""
    with db.session() as s:
        q = (
            select(EvaluationRun.period, func.max(EvaluationRun.as_of).label("as_of"))
            .where(EvaluationRun.status == "done", func.length(EvaluationRun.period) == 7)
            .group_by(EvaluationRun.period)
            .order_by(EvaluationRun.period.desc())
            .limit(months)
        )
        return [dict(r) for r in s.execute(q).mappings()]


def breach_rows(db: Database, months: Sequence[str], rule_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Active breaching findings of ``rule_ids`` stored for ``months`` (by the period index): what streaks
    are made of (``rule_id``, ``period``, ``kind``, ``counts_in``, ``answerable``)."""
    q = select(Finding.rule_id, Finding.period, Finding.kind, Finding.counts_in, Finding.answerable).where(
        Finding.period.in_(list(months)),
        Finding.status == "active",
        Finding.rule_id.in_(list(rule_ids)),
        Finding.kind.in_(("breach", "late", "missing", "incomplete")),
    )
    with db.session() as s:
        return [dict(r) for r in s.execute(q).mappings()]


# --- people ------------------------------------------------------------------------------------------


def people(db: Database) -> list[dict[str, Any]]:
    """Every employee with ``stints`` (assignment history) and ``leaves`` lists."""
    with db.session() as s:
        emps = [_row(e) for e in s.execute(select(Employee).order_by(Employee.id)).scalars()]
        stints: dict[str, list] = {}
        for a in s.execute(select(Assignment).order_by(Assignment.employee_id, Assignment.valid_from)).scalars():
            stints.setdefault(a.employee_id, []).append((a.department, a.role, a.valid_from, a.valid_to))
        leaves: dict[str, list] = {}
        for lv in s.execute(select(Leave).order_by(Leave.employee_id, Leave.start)).scalars():
            leaves.setdefault(lv.employee_id, []).append((lv.start, lv.end))
    for e in emps:
        e["stints"] = stints.get(e["id"], [])
        e["leaves"] = leaves.get(e["id"], [])
    return emps


def submissions(db: Database, periods: Sequence[str]) -> list[dict[str, Any]]:
    """Submissions covering any of ``periods`` (month or week labels)."""
    with db.session() as s:
        q = select(Submission).where(Submission.period.in_(list(periods))).order_by(Submission.id)
        return [_row(r) for r in s.execute(q).scalars()]


def departments(db: Database) -> dict[str, dict[str, str]]:
    with db.session() as s:
        return {d.code: {"name_en": d.name_en, "name_zh": d.name_zh} for d in s.execute(select(Department)).scalars()}


def record_transfer(db: Database, employee_id: str, department: str, role: str, on: date) -> None:
    """Close the employee's open assignment the day before ``on`` and open a new one from ``on``.

    The first transfer also records the assignment held before it (from the employees table)."""
    with db.session() as s:
        emp = s.get(Employee, employee_id)
        if emp is None:
            raise UnknownEmployee(employee_id)
        existing = s.execute(select(Assignment).where(Assignment.employee_id == employee_id)).scalars().all()
        if not existing:
            s.add(
                Assignment(
                    employee_id=employee_id,
                    department=emp.department,
                    role=emp.role,
                    valid_from=emp.active_from,
                    valid_to=on,
                )
            )
        s.execute(
            update(Assignment)
            .where(
                Assignment.employee_id == employee_id,
                Assignment.valid_from < on,
                (Assignment.valid_to.is_(None)) | (Assignment.valid_to > on),
            )
            .values(valid_to=on)
        )
        s.execute(delete(Assignment).where(Assignment.employee_id == employee_id, Assignment.valid_from >= on))
        s.flush()
        s.add(Assignment(employee_id=employee_id, department=department, role=role, valid_from=on))
        emp.department, emp.role = department, role  # the employees table shows the newest assignment
        s.add(emp)


def record_leave(db: Database, employee_id: str, start: date, end: date, kind: str = "leave") -> None:
    with db.session() as s:
        upsert(
            s,
            Leave,
            [{"employee_id": employee_id, "start": start, "end": end, "kind": kind}],
            ("employee_id", "start"),
            ("end", "kind"),
        )


# --- findings ----------------------------------------------------------------------------------------


def store_findings(
    session: Session, run_id: int, period: str, rows: list[dict[str, Any]], rule_ids: Iterable[str]
) -> int:
    """Upsert this run's findings of ``period``; earlier findings of the same rules it no longer sees are
    marked ``withdrawn`` (kept for the record). Returns how many findings are active."""
    for row in rows:
        row.setdefault("first_run_id", run_id)
        row["last_run_id"] = run_id
        row["status"] = "active"
    cols = [c.name for c in Finding.__table__.columns if c.name not in (*FINDING_KEY, "id", "first_run_id")]
    upsert(session, Finding, rows, FINDING_KEY, cols)
    seen = {tuple(r[k] for k in FINDING_KEY) for r in rows}
    for f in session.execute(
        select(Finding).where(Finding.period == period, Finding.status == "active", Finding.rule_id.in_(list(rule_ids)))
    ).scalars():
        if (f.rule_id, f.subject, f.period, f.kind) not in seen:
            f.status = "withdrawn"
            f.last_run_id = run_id
            session.add(f)
    return len(rows)


def findings(
    db: Database | Session,
    *,
    quarter: str | None = None,
    months: Sequence[str] | None = None,
    active_only: bool = True,
) -> list[dict[str, Any]]:
    """Stored findings (``db``: a fresh session; a ``Session``: what that transaction sees, its own writes too)."""
    q = select(Finding.__table__).order_by(Finding.period, Finding.rule_id, Finding.subject, Finding.kind)
    if quarter:
        q = q.where(Finding.quarter == quarter)
    if months is not None:
        q = q.where(Finding.period.in_(list(months)))
    if active_only:
        q = q.where(Finding.status == "active")
    if isinstance(db, Session):
        return [dict(r) for r in db.execute(q).mappings()]
    with db.session() as s:
        return [dict(r) for r in s.execute(q).mappings()]


def finding(db: Database, finding_id: int) -> dict[str, Any] | None:
    """One stored finding by id (any status)."""
    with db.session() as s:
        row = s.execute(select(Finding.__table__).where(Finding.id == finding_id)).mappings().first()
        return None if row is None else dict(row)


def finding_ids(session: Session, keys: Iterable[tuple[str, str, str, str]]) -> dict[tuple, int]:
    keys = list(keys)
    periods = sorted({k[2] for k in keys})
    found = {}
    for f in session.execute(select(Finding).where(Finding.period.in_(periods))).scalars():
        found[(f.rule_id, f.subject, f.period, f.kind)] = f.id
    return {k: found[k] for k in keys if k in found}


def breach_months(db: Database, before: str) -> dict[tuple[str, str], list[str]]:
    """Months with an active breach per (rule_id, subject), for months before ``before`` (streak history);
    a ``met`` finding (proportional rules) is not a breach and breaks a streak."""
    with db.session() as s:
        q = (
            select(Finding.rule_id, Finding.subject, Finding.period)
            .where(
                Finding.status == "active",
                Finding.period < before,
                func.length(Finding.period) == 7,
                Finding.kind.in_(("breach", "late", "missing", "incomplete")),
            )
            .distinct()
            .order_by(Finding.period)
        )
        history: dict[tuple[str, str], list[str]] = {}
        for rule_id, subject, period in s.execute(q):
            history.setdefault((rule_id, subject), []).append(period)
    return history


# --- adjustments -------------------------------------------------------------------------------------


def effective(row: dict[str, Any]) -> Decimal:
    """What a line pays now: 0 if void or withdrawn, the override if overridden, else the amount."""
    if row["status"] in ("void", "withdrawn"):
        return ZERO
    return row["override_amount"] if row["override_amount"] is not None else row["amount"]


def adjustments(
    db: Database, *, quarter: str | None = None, employee_id: str | None = None, session: Session | None = None
) -> list[dict[str, Any]]:
    def read(s: Session) -> list[dict[str, Any]]:
        q = select(Adjustment.__table__).order_by(
            Adjustment.employee_id, Adjustment.period, Adjustment.rule_id, Adjustment.kind, Adjustment.id
        )
        if quarter:
            q = q.where(Adjustment.quarter == quarter)
        if employee_id:
            q = q.where(Adjustment.employee_id == employee_id)
        return [dict(r) for r in s.execute(q).mappings()]

    if session is not None:
        return read(session)
    with db.session() as s:
        return read(s)


def adjustment(db: Database, adjustment_id: int) -> dict[str, Any] | None:
    with db.session() as s:
        row = s.get(Adjustment, adjustment_id)
        return None if row is None else _row(row)


def store_lines(
    session: Session, run_id: int | None, quarter: str, rows: list[dict[str, Any]], kinds: Iterable[str]
) -> None:
    """Upsert the computed lines of ``quarter``; lines of ``kinds`` it no longer produces become ``withdrawn``.

    HR's voids and overrides survive (status/override columns are not touched by a recomputation, except
    that a withdrawn line that comes back becomes active again)."""
    for row in rows:
        row["updated_run_id"] = run_id
        row.setdefault("status", "active")
    cols = [
        "share",
        "base",
        "amount",
        "reason_code",
        "rule_file",
        "rule_line",
        "rule_version",
        "finding_ids",
        "computation",
        "updated_run_id",
        "corrects_quarter",
    ]
    upsert(session, Adjustment, rows, ADJUSTMENT_KEY, cols)
    seen = {tuple(r[k] for k in ADJUSTMENT_KEY) for r in rows}
    for a in session.execute(
        select(Adjustment).where(Adjustment.quarter == quarter, Adjustment.kind.in_(list(kinds)))
    ).scalars():
        key = (a.rule_id, a.employee_id, a.period, a.kind, a.quarter)
        if key not in seen and a.status == "active":
            a.status, a.updated_run_id = "withdrawn", run_id
            session.add(a)
        elif key in seen and a.status == "withdrawn":
            a.status = "active"
            session.add(a)


def corrections_of(session: Session, quarter: str) -> list[dict[str, Any]]:
    """Correction lines (any payroll quarter) of lines of ``quarter``."""
    q = select(Adjustment).where(Adjustment.corrects_quarter == quarter)
    return [_row(a) for a in session.execute(q).scalars()]


def act_on_adjustment(
    db: Database,
    adjustment_id: int,
    action: str,
    *,
    reason: str,
    by: str,
    at: datetime,
    amount: Decimal | None = None,
    share: Decimal | None = None,
) -> dict[str, Any] | None:
    """Record a void or an override (who, when, why) and apply it to the line. Returns the updated line,
    or None when there is no such line."""
    with db.session() as s:
        row = s.get(Adjustment, adjustment_id)
        if row is None:
            return None
        s.add(
            AdjustmentAction(
                adjustment_id=adjustment_id, action=action, amount=amount, share=share, reason=reason, by=by, at=at
            )
        )
        if action == "void":
            row.status = "void"
        else:
            row.status, row.override_amount = "overridden", amount
        s.add(row)
        s.flush()
        return _row(row)


def actions(db: Database, adjustment_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    ids = list(adjustment_ids)
    result: dict[int, list[dict[str, Any]]] = {}
    if not ids:
        return result
    with db.session() as s:
        q = select(AdjustmentAction).where(AdjustmentAction.adjustment_id.in_(ids)).order_by(AdjustmentAction.id)
        for a in s.execute(q).scalars():
            result.setdefault(a.adjustment_id, []).append(_row(a))
    return result


# --- escalations -------------------------------------------------------------------------------------


def _same_streak(session: Session, row: dict[str, Any]) -> Escalation | None:
    """The active escalation of the same rule, person and action whose streak shares a month with ``row``'s
    under another start: the same run of breaches, seen longer since an earlier month was judged later."""
    for e in session.execute(
        select(Escalation).where(
            Escalation.rule_id == row["rule_id"],
            Escalation.subject == row["subject"],
            Escalation.kind == row["kind"],
            Escalation.status == "active",
            Escalation.streak_start != row["streak_start"],
        )
    ).scalars():
        if set(e.streak) & set(row["streak"]):
            return e
    return None


def store_escalations(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert new escalations; an existing (rule, subject, kind, streak_start) is left alone, or active
    again if it had been withdrawn (its breaches are back). A streak that grew backwards (an earlier month
    evaluated after a later one) is the escalation already there: it takes the earlier start, trigger and
    validity instead of a second one. Returns how many are new or active again."""
    new = 0
    stmt = (
        _insert(session, Escalation)
        .on_conflict_do_nothing(index_elements=list(ESCALATION_KEY))
        .returning(Escalation.__table__.c.id)
    )
    for row in rows:
        key = [getattr(Escalation, k) == row[k] for k in ESCALATION_KEY]
        with session.no_autoflush:
            exact = session.execute(select(Escalation).where(*key)).scalar_one_or_none()
            same = _same_streak(session, row)
        if same is not None:
            if exact is None and row["streak_start"] < same.streak_start:
                for name in ("streak_start", "streak", "triggered_period", "valid_from", "valid_to", "due", "detail"):
                    if name in row:
                        setattr(same, name, row[name])
                session.add(same)
            elif exact is not None and exact.status == "withdrawn" and row["streak_start"] < same.streak_start:
                # the earlier start was escalated before and withdrawn: it is the one again, the later goes
                exact.status, exact.withdrawn_run_id = "active", None
                same.status, same.withdrawn_run_id = "withdrawn", row.get("created_run_id")
                session.add_all([exact, same])
            continue
        if session.execute(stmt, row).first() is not None:
            new += 1
            continue
        key = [getattr(Escalation, k) == row[k] for k in ESCALATION_KEY]
        new += session.execute(
            update(Escalation)
            .where(*key, Escalation.status == "withdrawn")
            .values(status="active", withdrawn_run_id=None)
        ).rowcount
    return new


def withdraw_escalations(session: Session, run_id: int, period: str, breach_kinds: Iterable[str]) -> list[int]:
    """Mark ``withdrawn`` each active escalation of which a month of its streak is no longer an active
    breach its employee answers for (``Finding.answerable``, by event month ``counts_in``), looking at the
    event months the findings of ``period`` count in (the run that judged ``period`` no longer sees them).
    Returns their ids."""
    kinds = list(breach_kinds)
    touched = {period} | {
        m for (m,) in session.execute(select(Finding.counts_in).where(Finding.period == period)).all()
    }
    escalations = [
        e
        for e in session.execute(select(Escalation).where(Escalation.status == "active")).scalars()
        if touched & set(e.streak)
    ]
    months = sorted({m for e in escalations for m in e.streak})
    answered: set[tuple[str, str, str]] = set()
    for f in session.execute(
        select(Finding).where(Finding.counts_in.in_(months), Finding.status == "active", Finding.kind.in_(kinds))
    ).scalars():
        answered.update((f.rule_id, owner["employee"], f.counts_in or f.period) for owner in f.answerable)
    withdrawn = []
    for e in escalations:
        if any((e.rule_id, e.subject, m) not in answered for m in e.streak):
            e.status, e.withdrawn_run_id = "withdrawn", run_id
            session.add(e)
            withdrawn.append(e.id)
    return withdrawn


def escalations(db: Database, subject: str | None = None) -> list[dict[str, Any]]:
    with db.session() as s:
        q = select(Escalation).order_by(Escalation.triggered_period, Escalation.rule_id, Escalation.subject)
        if subject:
            q = q.where(Escalation.subject == subject)
        return [_row(e) for e in s.execute(q).scalars()]


# --- quarter close -----------------------------------------------------------------------------------


def closed_quarters(db: Database | None = None, session: Session | None = None) -> set[str]:
    def read(s: Session) -> set[str]:
        last = (
            select(QuarterCloseEvent.quarter, func.max(QuarterCloseEvent.id).label("id"))
            .group_by(QuarterCloseEvent.quarter)
            .subquery()
        )
        q = (
            select(QuarterCloseEvent.quarter)
            .join(last, and_(QuarterCloseEvent.id == last.c.id))
            .where(QuarterCloseEvent.action == "close")
        )
        return set(s.execute(q).scalars())

    if session is not None:
        return read(session)
    assert db is not None
    with db.session() as s:
        return read(s)


def close_quarter(db: Database, quarter: str, by: str, at: datetime, reason: str = "") -> int:
    """Freeze ``quarter``: every line's ``frozen_amount`` is what it pays now. Returns the number of lines."""
    with db.session() as s:
        rows = s.execute(select(Adjustment).where(Adjustment.quarter == quarter)).scalars().all()
        for a in rows:
            a.frozen_amount, a.frozen_share, a.frozen_status = effective(_row(a)), a.share, a.status
            s.add(a)
        s.add(QuarterCloseEvent(quarter=quarter, action="close", at=at, by=by, reason=reason))
    return len(rows)


def reopen_quarter(db: Database, quarter: str, by: str, at: datetime, reason: str) -> None:
    """Reopen ``quarter``: its lines are edited directly again; open corrections of it are withdrawn."""
    with db.session() as s:
        s.execute(
            update(Adjustment)
            .where(Adjustment.quarter == quarter)
            .values(frozen_amount=None, frozen_share=None, frozen_status=None)
        )
        s.execute(
            update(Adjustment)
            .where(Adjustment.corrects_quarter == quarter, Adjustment.quarter.not_in(list(closed_quarters(session=s))))
            .values(status="withdrawn")
        )
        s.add(QuarterCloseEvent(quarter=quarter, action="reopen", at=at, by=by, reason=reason))


# --- payroll export log ------------------------------------------------------------------------------


def log_export(db: Database, values: dict[str, Any]) -> None:
    with db.session() as s:
        s.add(PayrollExport(**values))


def exports(db: Database, quarter: str) -> list[dict[str, Any]]:
    with db.session() as s:
        q = select(PayrollExport).where(PayrollExport.quarter == quarter).order_by(PayrollExport.id)
        return [_row(e) for e in s.execute(q).scalars()]
