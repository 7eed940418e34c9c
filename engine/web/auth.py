"""Who is asking and what they may see: session cookies for people, bearer tokens for systems, roles.

Roles (storage.access.ROLES): ``hr`` sees and does everything; ``manager`` sees the company's aggregate
KPIs and their team (every employee whose manager chain includes them); ``staff`` sees only themselves;
``payroll`` only downloads exports; ``system`` only pushes facts and triggers evaluations.
Every capability a route needs is named in ``CAPABILITIES`` so the role matrix is one table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from fastapi import Depends, HTTPException, Request, status
from perfrules.engine.web import credentials
from perfrules.storage import access

SESSION_COOKIE = "perfrules_session"
SESSION_LIFETIME = timedelta(hours=12)

# capability -> roles that have it
CAPABILITIES: dict[str, frozenset[str]] = {
    "overview": frozenset({"hr", "manager"}),  # company and department aggregates, stock analyses
    "people": frozenset({"hr", "manager", "staff"}),  # employee pages, findings, adjustments (filtered)
    "export": frozenset({"hr", "payroll"}),  # payroll export download
    "push": frozenset({"hr", "system"}),  # fact push
    "evaluate": frozenset({"hr", "system"}),  # trigger an evaluation
    "admin": frozenset({"hr"}),  # audit log
    "metrics": frozenset({"hr", "system"}),  # GET /metrics (a Prometheus scraper holds a system token)
    "rules": frozenset({"hr"}),  # the rule editor, drafts, previews and four-eyes publishing (/rules)
}


@dataclass(frozen=True)
class Principal:
    """The signed-in person or the calling system, with the employees they may see (None = all)."""

    kind: Literal["user", "token"]
    name: str
    display_name: str
    role: str
    employee_id: str | None
    visible: frozenset[str] | None

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.name}"

    def can(self, capability: str) -> bool:
        return self.role in CAPABILITIES[capability]

    def may_see(self, employee_id: str) -> bool:
        return self.visible is None or employee_id in self.visible


class NotSignedIn(Exception):
    """Raised by the principal dependency when a request carries no valid session or token."""

    def __init__(self, *, api: bool):
        super().__init__("not signed in")
        self.api = api


def _visible(db: access.Database, role: str, employee_id: str | None) -> frozenset[str] | None:
    if role == "hr":
        return None
    if role == "manager" and employee_id:
        return access.team_of(db, employee_id)
    if role == "staff" and employee_id:
        return frozenset({employee_id})
    return frozenset()


MACHINE_PATHS = ("/api/", "/metrics")  # answered 401, never redirected to the sign-in page


def is_api(request: Request) -> bool:
    """Whether ``request`` is a machine's call (answered 401, never redirected to the sign-in page)."""
    return request.url.path.startswith(MACHINE_PATHS)


def bearer(request: Request) -> str | None:
    """The secret of an ``Authorization: Bearer …`` header, or None (no header, or another scheme)."""
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


def resolve(request: Request) -> Principal | None:
    """The principal of ``request`` from its bearer token or session cookie, or None."""
    db = request.app.state.db
    secret = bearer(request)
    if secret is not None:
        token = access.token_by_digest(db, credentials.digest(secret))
        if token is None or token.expired(request.app.state.clock()):
            return None
        return Principal(
            "token", token.name, token.name, token.role, token.employee_id, _visible(db, token.role, token.employee_id)
        )
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    user = access.session_user(db, credentials.digest(cookie), now=request.app.state.clock())
    if user is None:
        return None
    return Principal(
        "user", user.username, user.display_name, user.role, user.employee_id, _visible(db, user.role, user.employee_id)
    )


def principal(request: Request) -> Principal:
    """Dependency: the principal, or :class:`NotSignedIn` (401 for the API, redirect to sign-in for pages)."""
    found = getattr(request.state, "principal", None) or resolve(request)
    if found is None:
        raise NotSignedIn(api=is_api(request))
    request.state.principal = found
    return found


def require(capability: str) -> Callable[[Principal], Awaitable[Principal]]:
    """Dependency factory: the principal, or 403 unless their role has ``capability``."""

    async def check(who: Principal = Depends(principal)) -> Principal:  # pure: no thread-pool hop
        return _allowed(who, capability)

    return check


def authorized(request: Request, capability: str) -> Principal:
    """What ``Depends(require(capability))`` gives, for a route that resolves its caller in the worker thread
    doing its work (the fact push: one thread hop per request instead of two)."""
    return _allowed(principal(request), capability)


def _allowed(who: Principal, capability: str) -> Principal:
    if not who.can(capability):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {who.role!r} may not use this ({capability})")
    return who


def require_employee(who: Principal, employee_id: str) -> None:
    """403 unless ``who`` may see ``employee_id`` (same answer for unknown ids: nothing leaks)."""
    if not who.can("people") or not who.may_see(employee_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "you may not see this employee")


# Sign-in throttling: after FREE_FAILURES failures in WINDOW an account waits a growing delay (1 s, 2 s,
# 4 s … up to MAX_DELAY) after each failure, and LOCK_FAILURES lock it for LOCK_TIME (HR lifts it earlier
# with ``perfrules users unlock``). A client address gets the same treatment with higher counts (an office
# shares one address). While waiting or locked, even the right password does not sign in.
WINDOW = timedelta(minutes=15)
FREE_FAILURES, LOCK_FAILURES = 5, 10
ADDRESS_FREE_FAILURES, ADDRESS_LOCK_FAILURES = 20, 50
MAX_DELAY = timedelta(seconds=60)
LOCK_TIME = timedelta(minutes=15)


@dataclass(frozen=True)
class Throttled:
    """Why a sign-in is refused before its password is checked, and until when."""

    until: datetime
    locked: bool  # a lock (HR can lift it) rather than a short delay

    def retry_after(self, now: datetime) -> int:
        return max(1, int((self.until - now).total_seconds() + 0.999))


def _hold(failures: tuple[datetime, ...], free: int, lock_at: int) -> Throttled | None:
    if len(failures) >= lock_at:
        return Throttled(failures[-1] + LOCK_TIME, locked=True)
    if len(failures) >= free:
        delay = min(timedelta(seconds=2 ** (len(failures) - free)), MAX_DELAY)
        return Throttled(failures[-1] + delay, locked=False)
    return None


def throttled(db: access.Database, username: str, address: str, *, now: datetime) -> Throttled | None:
    """The hold on signing in as ``username`` from ``address`` at ``now``, or None."""
    failures = access.signin_failures(db, username=username, address=address, since=now - WINDOW)
    account = _hold(failures.account, FREE_FAILURES, LOCK_FAILURES)
    address_ = _hold(failures.address, ADDRESS_FREE_FAILURES, ADDRESS_LOCK_FAILURES)
    holds = [h for h in (account, address_) if h is not None]
    holds = [h for h in holds if h.until > now]
    return max(holds, key=lambda h: h.until) if holds else None


def sign_in(
    db: access.Database, username: str, password: str, *, address: str, now: datetime
) -> str | Throttled | None:
    """Check the password and start a session: the cookie value (the secret) on success, a :class:`Throttled`
    when the account or address must wait (the password is not even checked), None for a wrong password.
    Every failure, refusal and new lock is in the audit log (actor ``ip:ADDRESS``, target the user name)."""
    actor = f"ip:{address}"
    hold = throttled(db, username, address, now=now)
    if hold is not None:
        access.record(
            db, now=now, actor=actor, action="sign_in.refused", target=username,
            detail={"until": hold.until.isoformat(), "locked": hold.locked},
        )  # fmt: skip
        return hold
    if not credentials.verify_password(access.password_hash_of(db, username), password):
        access.record(db, now=now, actor=actor, action=access.SIGNIN_FAILURE, target=username)
        after = throttled(db, username, address, now=now)
        if after is not None and after.locked:
            access.record(
                db,
                now=now,
                actor=actor,
                action="sign_in.lock",
                target=username,
                detail={"until": after.until.isoformat()},
            )
        return None
    secret = credentials.new_session_id()
    access.start_session(
        db, digest=credentials.digest(secret), username=username, now=now, expires_at=now + SESSION_LIFETIME
    )
    return secret
