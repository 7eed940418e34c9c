"""Access control tables: dashboard users, their sessions, API tokens (stored hashed) and the audit log.

Passwords arrive here already hashed (argon2, by :mod:`perfrules.engine.web.credentials`); session ids and API
tokens are stored as the SHA-256 of the random value the client holds, so a leaked table grants nothing.
Every change and every export is written to ``audit_log`` with who did it, in the same transaction as the
change when the change is made here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from perfrules.engine.errors import PerfRulesError
from perfrules.storage.db import Database
from perfrules.storage.evaluation import Adjustment, Finding
from perfrules.storage.models import Department, Employee, FactGeneration, Sku
from perfrules.storage.sqlutil import to_date
from perfrules.storage.types import UTCDateTime
from sqlalchemy import JSON, Column, Connection, Index, bindparam, delete, insert, or_, select, true, update
from sqlmodel import Field, Session, SQLModel

ROLES = ("hr", "manager", "staff", "payroll", "system")


class UnknownRole(PerfRulesError, ValueError):
    """Raised when a user or token is given a role perfrules does not know."""

    def __init__(self, role: str):
        super().__init__(f"unknown role {role!r} (expected one of {', '.join(ROLES)})")
        self.role = role


class UserExists(PerfRulesError, ValueError):
    """Raised by :func:`add_user` when the user name is taken."""

    def __init__(self, username: str):
        super().__init__(f"user {username!r} already exists")
        self.username = username


class UnknownUser(PerfRulesError, LookupError):
    """Raised when a command names a user that does not exist."""

    def __init__(self, username: str):
        super().__init__(f"no user named {username!r}")
        self.username = username


class TokenExists(PerfRulesError, ValueError):
    """Raised by :func:`create_token` when an active token already has that name."""

    def __init__(self, name: str):
        super().__init__(f"an API token named {name!r} already exists")
        self.name = name


class UnknownToken(PerfRulesError, LookupError):
    """Raised by :func:`revoke_token` when no active token has that name."""

    def __init__(self, name: str):
        super().__init__(f"no active API token named {name!r}")
        self.name = name


class NeedsEmployee(PerfRulesError, ValueError):
    """Raised when a manager or staff user is created without an employee on file to anchor what they see."""

    def __init__(self, role: str, employee_id: str | None):
        what = "no employee given" if employee_id is None else f"no employee with id {employee_id!r}"
        super().__init__(f"role {role!r} needs an employee on file (--employee): {what}")
        self.role = role
        self.employee_id = employee_id


class WebUser(SQLModel, table=True):
    """A person who signs in to the dashboard: role and, for managers and staff, the employee they are."""

    __tablename__ = "web_users"
    username: str = Field(primary_key=True, max_length=100)
    display_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=300)
    role: str = Field(max_length=16)
    employee_id: str | None = Field(default=None, foreign_key="employees.id", max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class WebSession(SQLModel, table=True):
    """A signed-in browser: the SHA-256 of the cookie value, whose it is and until when."""

    __tablename__ = "web_sessions"
    digest: str = Field(primary_key=True, max_length=64)
    username: str = Field(foreign_key="web_users.username", index=True, max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ApiToken(SQLModel, table=True):
    """A bearer token for a system: its name, role, the SHA-256 of the secret and whether it is revoked."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_name_active", "name", "revoked_at"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    digest: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)  # first characters of the secret, to recognise it in lists
    role: str = Field(max_length=16)
    employee_id: str | None = Field(default=None, foreign_key="employees.id", max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_by: str = Field(max_length=200)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)  # None: never


class AuditEntry(SQLModel, table=True):
    """One recorded change or export: when, who (``user:NAME``, ``token:NAME``, ``cli:LOGIN``), what."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=64)
    target: str = Field(default="", max_length=500)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


_TOKENS = ApiToken.__table__
_AUDIT = AuditEntry.__table__
# Statements of the per-request path, built once (building and keying a statement costs more than running it)
_INSERT_AUDIT = insert(_AUDIT)
_ACTIVE_TOKEN = select(
    _TOKENS.c.id,
    _TOKENS.c.name,
    _TOKENS.c.prefix,
    _TOKENS.c.role,
    _TOKENS.c.employee_id,
    _TOKENS.c.created_at,
    _TOKENS.c.created_by,
    _TOKENS.c.revoked_at,
    _TOKENS.c.expires_at,
).where(_TOKENS.c.digest == bindparam("digest"), _TOKENS.c.revoked_at.is_(None))


@dataclass(frozen=True)
class UserRecord:
    """A dashboard user without the password hash."""

    username: str
    display_name: str
    role: str
    employee_id: str | None
    created_at: datetime
    disabled: bool


@dataclass(frozen=True)
class TokenRecord:
    """An API token without its digest."""

    id: int
    name: str
    prefix: str
    role: str
    employee_id: str | None
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    expires_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@dataclass(frozen=True)
class AuditRecord:
    """A read-only copy of one audit-log entry."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


def _user(row: WebUser) -> UserRecord:
    return UserRecord(
        row.username, row.display_name, row.role, row.employee_id, row.created_at, row.disabled_at is not None
    )


def _token(row: ApiToken) -> TokenRecord:
    return TokenRecord(
        row.id,
        row.name,
        row.prefix,
        row.role,
        row.employee_id,
        row.created_at,
        row.created_by,
        row.revoked_at,
        row.expires_at,
    )


def _check_role(session: Session, role: str, employee_id: str | None) -> None:
    if role not in ROLES:
        raise UnknownRole(role)
    if employee_id is not None and session.get(Employee, employee_id) is None:
        raise NeedsEmployee(role, employee_id)
    if role in ("manager", "staff") and employee_id is None:
        raise NeedsEmployee(role, None)


def _audit(
    session: Session, *, now: datetime, actor: str, action: str, target: str, detail: dict[str, Any] | None = None
) -> None:
    session.add(AuditEntry(at=now, actor=actor, action=action, target=target, detail=detail or {}))


def record(
    db: Database, *, now: datetime, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None
) -> None:
    """Write one audit-log entry (for changes and exports made outside this module)."""
    with db.session() as session:
        _audit(session, now=now, actor=actor, action=action, target=target, detail=detail)


def record_in(
    conn: Connection, *, now: datetime, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None
) -> None:
    """Write one audit-log entry in the caller's open transaction (committed or rolled back with its change)."""
    conn.execute(_INSERT_AUDIT, {"at": now, "actor": actor, "action": action, "target": target, "detail": detail or {}})


def audit_entries(db: Database, *, limit: int = 200, action: str | None = None) -> list[AuditRecord]:
    """The newest audit-log entries first, optionally only one action."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    with db.session() as session:
        return [
            AuditRecord(r.id, r.at, r.actor, r.action, r.target, dict(r.detail))
            for r in session.execute(stmt).scalars()
        ]


# --- users and sessions ---------------------------------------------------------------------------------


def add_user(
    db: Database,
    *,
    username: str,
    display_name: str,
    password_hash: str,
    role: str,
    employee_id: str | None,
    now: datetime,
    actor: str,
) -> UserRecord:
    """Create a dashboard user; raises :class:`UserExists`, :class:`UnknownRole`, :class:`NeedsEmployee`."""
    with db.session() as session:
        _check_role(session, role, employee_id)
        if session.get(WebUser, username) is not None:
            raise UserExists(username)
        row = WebUser(
            username=username,
            display_name=display_name,
            password_hash=password_hash,
            role=role,
            employee_id=employee_id,
            created_at=now,
        )
        session.add(row)
        _audit(
            session,
            now=now,
            actor=actor,
            action="user.add",
            target=username,
            detail={"role": role, "employee_id": employee_id},
        )
        session.flush()
        return _user(row)


def list_users(db: Database) -> list[UserRecord]:
    with db.session() as session:
        return [_user(r) for r in session.execute(select(WebUser).order_by(WebUser.username)).scalars()]


def get_user(db: Database, username: str) -> UserRecord | None:
    with db.session() as session:
        row = session.get(WebUser, username)
        return None if row is None else _user(row)


def password_hash_of(db: Database, username: str) -> str | None:
    """The stored hash of an enabled user (None for an unknown or disabled one): for sign-in only."""
    with db.session() as session:
        row = session.get(WebUser, username)
        return None if row is None or row.disabled_at is not None else row.password_hash


def start_session(db: Database, *, digest: str, username: str, now: datetime, expires_at: datetime) -> None:
    with db.session() as session:
        session.add(WebSession(digest=digest, username=username, created_at=now, expires_at=expires_at))
        _audit(session, now=now, actor=f"user:{username}", action="sign_in", target=username)


def session_user(db: Database, digest: str, *, now: datetime) -> UserRecord | None:
    """The enabled user whose unexpired session has this digest, or None."""
    with db.session() as session:
        row = session.execute(
            select(WebUser)
            .join(WebSession, WebSession.username == WebUser.username)
            .where(WebSession.digest == digest, WebSession.expires_at > now, WebUser.disabled_at.is_(None))
        ).scalar_one_or_none()
        return None if row is None else _user(row)


def end_session(db: Database, digest: str) -> None:
    with db.session() as session:
        session.execute(delete(WebSession).where(WebSession.digest == digest))


# --- API tokens -----------------------------------------------------------------------------------------


def create_token(
    db: Database,
    *,
    name: str,
    digest: str,
    prefix: str,
    role: str,
    employee_id: str | None,
    now: datetime,
    actor: str,
    expires_at: datetime | None = None,
) -> TokenRecord:
    """Store a new token (its digest only), valid until ``expires_at`` (None: until revoked); raises
    :class:`TokenExists` when an active one has the name."""
    with db.session() as session:
        _check_role(session, role, employee_id)
        taken = session.execute(select(ApiToken.id).where(ApiToken.name == name, ApiToken.revoked_at.is_(None))).first()
        if taken is not None:
            raise TokenExists(name)
        row = ApiToken(
            name=name,
            digest=digest,
            prefix=prefix,
            role=role,
            employee_id=employee_id,
            created_at=now,
            created_by=actor,
            expires_at=expires_at,
        )
        session.add(row)
        expiry = None if expires_at is None else expires_at.isoformat()
        _audit(
            session, now=now, actor=actor, action="token.create", target=name, detail={"role": role, "expires": expiry}
        )
        session.flush()
        return _token(row)


def revoke_token(db: Database, *, name: str, now: datetime, actor: str) -> int:
    """Revoke the active token(s) named ``name``; raises :class:`UnknownToken` when there is none."""
    with db.session() as session:
        count = session.execute(
            update(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
        ).rowcount
        if not count:
            raise UnknownToken(name)
        _audit(session, now=now, actor=actor, action="token.revoke", target=name)
        return count


def token_by_digest(db: Database, digest: str) -> TokenRecord | None:
    """The unrevoked token with this digest (expired or not: the caller compares with its clock), or None.
    One Core query, nothing cached: a revoked token fails on its next request."""
    with db.engine.connect() as conn:
        row = conn.execute(_ACTIVE_TOKEN, {"digest": digest}).one_or_none()
    return None if row is None else TokenRecord(*row)


def list_tokens(db: Database, *, include_revoked: bool = False) -> list[TokenRecord]:
    stmt = select(ApiToken).order_by(ApiToken.name, ApiToken.id)
    if not include_revoked:
        stmt = stmt.where(ApiToken.revoked_at.is_(None))
    with db.session() as session:
        return [_token(r) for r in session.execute(stmt).scalars()]


# --- who may see whom ------------------------------------------------------------------------------------


def team_of(db: Database, manager_id: str) -> frozenset[str]:
    """The manager and every employee whose manager chain includes them (cycles in bad data are cut)."""
    with db.session() as session:
        pairs = session.execute(select(Employee.id, Employee.manager_id)).all()
    reports: dict[str, list[str]] = {}
    for emp, mgr in pairs:
        if mgr is not None:
            reports.setdefault(mgr, []).append(emp)
    seen = {manager_id}
    stack = [manager_id]
    while stack:
        for emp in reports.get(stack.pop(), ()):
            if emp not in seen:
                seen.add(emp)
                stack.append(emp)
    return frozenset(seen)


@dataclass(frozen=True)
class EmployeeRef:
    """An employee as the dashboard lists them."""

    id: str
    name_en: str
    name_zh: str
    department: str
    role: str
    manager_id: str | None
    locale: str


def employees_of(db: Database, ids: Iterable[str] | None = None) -> list[EmployeeRef]:
    """Employees, all or only ``ids``, by id."""
    stmt = select(Employee).order_by(Employee.id)
    if ids is not None:
        stmt = stmt.where(Employee.id.in_(list(ids)))
    with db.session() as session:
        return [
            EmployeeRef(e.id, e.name_en, e.name_zh, e.department, e.role, e.manager_id, e.locale)
            for e in session.execute(stmt).scalars()
        ]


def sku_exists(db: Database, sku: str) -> bool:
    with db.session() as session:
        return session.get(Sku, sku) is not None


# --- visibility-filtered reads for the dashboard ------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentRef:
    code: str
    name_en: str
    name_zh: str


@dataclass(frozen=True)
class FindingView:
    """A finding as the dashboard shows it."""

    id: int
    rule_id: str
    subject: str
    subject_kind: str
    period: str
    quarter: str
    kind: str
    kpi: str | None
    value: str | None
    threshold: str | None
    comparison: str | None
    message: str
    rule_file: str
    rule_version: str
    charged_to: tuple[str, ...]
    facts: dict[str, Any]


@dataclass(frozen=True)
class AdjustmentView:
    """A bonus adjustment as the dashboard shows it (the amount in force: override, frozen or computed)."""

    id: int
    rule_id: str
    employee_id: str
    period: str
    quarter: str
    kind: str
    status: str
    share: Decimal
    base: Decimal
    amount: Decimal
    reason_code: str
    rule_file: str
    rule_version: str
    computation: str
    finding_ids: tuple[int, ...]


def departments(db: Database) -> list[DepartmentRef]:
    with db.session() as session:
        return [
            DepartmentRef(d.code, d.name_en, d.name_zh)
            for d in session.execute(select(Department).order_by(Department.code)).scalars()
        ]


def _visible_filter(column: Any, visible: frozenset[str] | None) -> Any:
    return true() if visible is None else column.in_(sorted(visible))


def findings_for(
    db: Database,
    *,
    visible: frozenset[str] | None,
    period: str | None = None,
    quarter: str | None = None,
    kinds: Iterable[str] | None = None,
    limit: int = 500,
) -> list[FindingView]:
    """Active findings that concern someone in ``visible`` (None = everyone): about them, charged to them
    (a company or department finding carried by role or attribution), answered for by them (escalations),
    or priced by one of their bonus lines."""
    stmt = select(Finding).where(Finding.status == "active").order_by(Finding.period.desc(), Finding.id)
    if visible is None:
        stmt = stmt.limit(limit)
    if period is not None:
        stmt = stmt.where(Finding.period == period)
    if quarter is not None:
        stmt = stmt.where(Finding.quarter == quarter)
    if kinds is not None:
        stmt = stmt.where(Finding.kind.in_(list(kinds)))
    with db.session() as session:
        found = list(session.execute(stmt).scalars())
        if visible is not None:
            lines = select(Adjustment.finding_ids).where(Adjustment.employee_id.in_(sorted(visible)))
            if quarter is not None:
                lines = lines.where(Adjustment.quarter == quarter)
            priced = {i for ids in session.execute(lines).scalars() for i in ids or ()}
            found = [f for f in found if f.id in priced or _concerns(f, visible)][:limit]
        return [
            FindingView(
                f.id,
                f.rule_id,
                f.subject,
                f.subject_kind,
                f.period,
                f.quarter,
                f.kind,
                f.kpi,
                f.value,
                f.threshold,
                f.comparison,
                f.message,
                f.rule_file,
                f.rule_version,
                tuple(f.charged_to or ()),
                dict(f.facts or {}),
            )
            for f in found
        ]


def _concerns(finding: Finding, people: frozenset[str]) -> bool:
    if finding.subject_kind == "employee" and finding.subject in people:
        return True
    entries = (*(finding.charged_to or ()), *(finding.answerable or ()))
    return any(isinstance(t, dict) and t.get("employee") in people for t in entries)


def adjustments_for(
    db: Database, *, visible: frozenset[str] | None, quarter: str | None = None, limit: int = 2000
) -> list[AdjustmentView]:
    """Bonus adjustments in force (active, or overridden by HR: shown at the override) of employees in
    ``visible`` (None = everyone)."""
    stmt = (
        select(Adjustment)
        .where(Adjustment.status.in_(("active", "overridden")), _visible_filter(Adjustment.employee_id, visible))
        .order_by(Adjustment.employee_id, Adjustment.period, Adjustment.id)
        .limit(limit)
    )
    if quarter is not None:
        stmt = stmt.where(Adjustment.quarter == quarter)
    with db.session() as session:
        out = []
        for a in session.execute(stmt).scalars():
            amount = _in_force(a.override_amount, a.frozen_amount, a.amount)
            out.append(
                AdjustmentView(
                    a.id,
                    a.rule_id,
                    a.employee_id,
                    a.period,
                    a.quarter,
                    a.kind,
                    a.status,
                    a.share,
                    a.base,
                    amount,
                    a.reason_code,
                    a.rule_file,
                    a.rule_version,
                    a.computation,
                    tuple(a.finding_ids or ()),
                )
            )
        return out


def _in_force(override: Decimal | None, frozen: Decimal | None, amount: Decimal) -> Decimal:
    """The amount a line pays: HR's override, else what its closed quarter froze, else the computed one."""
    return next(x for x in (override, frozen, amount) if x is not None)


def quarter_amounts(db: Database, *, quarter: str, visible: frozenset[str] | None) -> list[tuple[str, str, Decimal]]:
    """(department, employee id, amount in force) of every bonus line of ``quarter`` that pays (neither void
    nor withdrawn) of employees in ``visible`` (None = everyone), by the quarter index; the department is
    the employee's."""
    stmt = (
        select(
            Employee.department, Adjustment.employee_id, Adjustment.override_amount, Adjustment.frozen_amount,
            Adjustment.amount,
        )
        .join(Employee, Employee.id == Adjustment.employee_id)
        .where(
            Adjustment.quarter == quarter,
            Adjustment.status.not_in(("void", "withdrawn")),  # an overridden line pays its override
            _visible_filter(Adjustment.employee_id, visible),
        )
    )  # fmt: skip
    with db.session() as session:
        return [(dept, emp, _in_force(o, f, a)) for dept, emp, o, f, a in session.execute(stmt)]


def facts_generation(db: Database, until: date | None = None) -> int:
    """The newest import batch that changed facts (of a month up to ``until``, or master data): it moves on
    whenever the KPI values of a period ending on or after ``until`` may have changed (cache key for them).
    ``until`` None: any change at all."""
    return fact_generations(db).until(until)


@dataclass(frozen=True)
class FactGenerations:
    """The ``fact_generations`` table as read once: month → newest import batch that changed its facts."""

    months: tuple[tuple[date, int], ...]

    def until(self, day: date | None) -> int:
        """The newest batch of a month up to ``day`` (None: of any month), master data included; 0: none."""
        return max((g for m, g in self.months if day is None or m <= day), default=0)


def fact_generations(db: Database) -> FactGenerations:
    """Read ``fact_generations`` (one row per month with facts, and one for master data)."""
    table = FactGeneration.__table__
    with db.engine.connect() as conn:
        rows = conn.execute(select(table.c.month, table.c.generation)).all()
    return FactGenerations(tuple((to_date(m), g) for m, g in rows))


# --- sign-in throttling -------------------------------------------------------------------------------------

SIGNIN_FAILURE = "sign_in.failure"
SIGNIN_UNLOCK = "sign_in.unlock"


@dataclass(frozen=True)
class SigninFailures:
    """Failed sign-ins in a window: of one account (since HR last unlocked it) and from one client address."""

    account: tuple[datetime, ...]
    address: tuple[datetime, ...]


def signin_failures(db: Database, *, username: str, address: str, since: datetime) -> SigninFailures:
    """The failures (audit entries ``sign_in.failure``: actor ``ip:ADDRESS``, target the user name) since
    ``since``; an account's failures before its latest ``sign_in.unlock`` do not count."""
    stmt = (
        select(AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.target)
        .where(AuditEntry.at >= since, AuditEntry.action.in_((SIGNIN_FAILURE, SIGNIN_UNLOCK)))
        .where(or_(AuditEntry.target == username, AuditEntry.actor == f"ip:{address}"))
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    account: list[datetime] = []
    address_: list[datetime] = []
    with db.session() as session:
        for at, actor, action, target in session.execute(stmt):
            if action == SIGNIN_UNLOCK and target == username:
                account.clear()
            elif action == SIGNIN_FAILURE:
                if target == username:
                    account.append(at)
                if actor == f"ip:{address}":
                    address_.append(at)
    return SigninFailures(tuple(account), tuple(address_))
