"""Dashboard pages (HTML): sign-in, company overview, KPI drill-down, department and employee pages,
payroll exports and the audit log. Every page checks the viewer's role and team before reading data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from perfrules.engine.errors import PerfRulesError
from perfrules.engine.kpi import catalog
from perfrules.engine.notices.templating import make_environment
from perfrules.engine.periods import Period
from perfrules.engine.settings import Settings
from perfrules.engine.vocabulary import LOCALES
from perfrules.engine.web import auth, board, data, figures, i18n, morning, params, sparkline, stored
from perfrules.engine.web.auth import Principal, principal, require, require_employee
from perfrules.engine.web.security import csrf_token, secure_cookies
from perfrules.storage import access

router = APIRouter(include_in_schema=False)
LANG_COOKIE = "perfrules_lang"


@dataclass(frozen=True)
class Viewer:
    """The template's ``recipient``: the language and zone the shared filters render in."""

    locale: str
    zone: str


def make_views(settings: Settings) -> Any:
    env = make_environment(settings.template_overrides_dir or None)
    env.filters["tojson_safe"] = lambda v: json.dumps(v, ensure_ascii=False, default=str).replace("</", "<\\/")
    env.filters["kpival"] = kpi_value
    env.filters["figure"] = finding_figure
    env.filters["legend"] = lambda names, locale: [i18n.TEXT[locale].get(f"legend_{n}", n) for n in names]
    env.filters["spark"] = sparkline.spark
    env.filters["clock"] = lambda moment, zone: moment.astimezone(ZoneInfo(zone)).strftime("%H:%M")
    return env


def kpi_value(value: Decimal | None, unit: str, locale: str = "en") -> str:
    """A KPI value in its unit: ratios and changes as percentages, days and turns with one decimal and the
    unit in the page's language (the catalogue's :data:`~perfrules.engine.kpi.catalog.UNIT_SUFFIX`)."""
    if value is None:
        return "–"
    if unit == "ratio":
        return f"{(value * 100).quantize(Decimal('0.1'))}%"
    if unit == "change":
        return f"{(value * 100).quantize(Decimal('0.1')):+}%"
    suffix = catalog.UNIT_SUFFIX.get(locale, catalog.UNIT_SUFFIX["en"]).get(catalog.Unit(unit), "") if unit else ""
    return f"{value.quantize(Decimal('0.1')):,}{suffix}"


def finding_figure(text: Any, kpi_id: str | None, locale: str = "en") -> str:
    """A value or threshold a finding recorded (as text), in its KPI's unit when it names one."""
    if text is None or text == "":
        return ""
    kpi = catalog.BY_ID.get(kpi_id or "")
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        return str(text)
    return str(text) if kpi is None else kpi_value(value, kpi.unit.value, locale)


def locale_of(request: Request) -> str:
    """The page language: ``?lang=``, else the language cookie, else the default setting."""
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return lang if lang in LOCALES else request.app.state.settings.default_locale


def render(
    request: Request, template: str, who: Principal | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    settings = request.app.state.settings
    locale = locale_of(request)
    reading: stored.Reading | None = context.pop("reading", None)  # the figures' freshness (pages with KPIs)
    html = request.app.state.views.get_template(f"web/{template}.html.j2").render(
        recipient=Viewer(locale, settings.timezone),
        t=i18n.translator(locale),
        who=who,
        locale=locale,
        path=request.url.path,
        csrf=csrf_token(request),
        freshness=_freshness(request, reading),
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    if reading is not None:
        response.headers.update(reading.headers())
    if request.query_params.get("lang") == locale:
        response.set_cookie(LANG_COOKIE, locale, samesite="strict", httponly=True)
    return response


@dataclass(frozen=True)
class Freshness:
    """A page's stale-figures note: when its oldest stale set was computed and how many batches came since."""

    as_of: datetime | None
    newer: int
    other_rules: bool  # computed under the rules in force before the last change


def _freshness(request: Request, reading: stored.Reading | None) -> Freshness | None:
    if reading is None or not reading.stale:
        return None
    return Freshness(reading.as_of, reading.newer_batches(request.app.state.db), reading.other_rules)


def error_page(request: Request, status_code: int, detail: str) -> HTMLResponse:
    """A page that cannot be shown, as a page in the viewer's language (the API answers JSON)."""
    heading = f"error_{status_code}" if status_code in (400, 403, 404, 405) else "error_other"
    who = getattr(request.state, "principal", None) or auth.resolve(request)
    t = i18n.translator(locale_of(request))
    return render(request, "error", who, status_code=status_code, heading=t(heading), status=status_code, detail=detail)


def _period(request: Request, text: str | None) -> Period:
    if not text:
        return board.last_month(request.app.state.clock())
    return params.period(text)


# --- sign-in ---------------------------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login", None, next=_safe_next(next), failed=False, locked=False, wait=0)


@router.post("/login")
def login(request: Request, username: str = Form(...), password: str = Form(...), next: str = Form("/")) -> Response:
    app = request.app
    now = app.state.clock()
    address = request.client.host if request.client else "unknown"
    secret = auth.sign_in(app.state.db, username, password, address=address, now=now)
    if secret is None:
        return render(request, "login", None, status_code=401, next=_safe_next(next), failed=True, locked=False, wait=0)
    if isinstance(secret, auth.Throttled):
        wait = secret.retry_after(now)
        response = render(
            request,
            "login",
            None,
            status_code=429,
            next=_safe_next(next),
            failed=False,
            locked=secret.locked,
            wait=wait,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        auth.SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="strict",
        max_age=int(auth.SESSION_LIFETIME.total_seconds()),
        secure=secure_cookies(request),
    )
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    cookie = request.cookies.get(auth.SESSION_COOKIE)
    if cookie:
        access.end_session(request.app.state.db, auth.credentials.digest(cookie))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE)
    return response


def _safe_next(target: str) -> str:
    # Only local paths: an open redirect after sign-in would be a phishing aid.
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/")
def home(who: Principal = Depends(principal)) -> Response:
    if who.can("overview"):
        return RedirectResponse("/dashboard", status_code=303)
    if who.role == "staff" and who.employee_id:
        return RedirectResponse("/me", status_code=303)
    if who.can("export"):
        return RedirectResponse("/exports", status_code=303)
    raise HTTPException(403, "this role has no pages; use the API")


# --- overview and drill-down -------------------------------------------------------------------------------


@router.get("/dashboard")
def dashboard(
    request: Request, period: str | None = None, who: Principal = Depends(require("overview"))
) -> HTMLResponse:
    db, settings, now = request.app.state.db, request.app.state.settings, request.app.state.clock()
    p = _period(request, period)
    with stored.serving() as reading:
        shown = board.dashboard_figures(db, settings, p, _today(request))
    quarter = data.quarter_of(p)
    items = board.due_items(db, settings, now)  # read once: the deadlines table and the at-risk list
    top = morning.morning(
        db, settings, period=p, quarter=quarter, cells=shown.cells, now=now, visible=who.visible, items=items
    )
    return render(
        request,
        "dashboard",
        who,
        period=p,
        cells=shown.cells,
        trends={s.extra["kpi"]: s for s in shown.trends},
        morning=top,
        classes=shown.classes,
        slow=shown.slow,
        forecast=shown.forecast,
        deadlines=board.deadlines(db, settings, now=now, visible=who.visible, items=items),
        warnings=data.warnings(db, period=p, visible=who.visible),
        adjustments=data.adjustments(db, quarter=quarter, visible=who.visible),
        quarter=quarter,
        departments=data.departments(db),
        reading=reading,
    )


@router.get("/kpis/{kpi_id}")
def kpi_detail(
    request: Request,
    kpi_id: str,
    scope_kind: str = "company",
    scope: str = "company",
    period: str | None = None,
    who: Principal = Depends(require("people")),
) -> HTMLResponse:
    kpi = _kpi(kpi_id)
    db, settings = request.app.state.db, request.app.state.settings
    params.check_scope(db, who, scope_kind, scope, kpi)
    p = _period(request, period)
    with stored.serving() as reading:
        shown = figures.kpi_figures(
            db, settings, kpi, scope_kind, scope, p, _today(request), access.fact_generations(db)
        )
    return render(
        request,
        "kpi",
        who,
        kpi=kpi,
        cell=shown.cell,
        period=p,
        scope_kind=scope_kind,
        scope=scope,
        trend=shown.trend,
        table=shown.table,
        reading=reading,
    )


@router.get("/slow-movers")
def slow_mover_list(
    request: Request, period: str | None = None, who: Principal = Depends(require("overview"))
) -> HTMLResponse:
    p = _period(request, period)
    *_, table = board.slow_movers(request.app.state.db, request.app.state.settings, p)
    return render(
        request, "table", who, title=i18n.translator(locale_of(request))("slow_movers"), period=p, table=table
    )


def _kpi(kpi_id: str) -> catalog.KpiDef:
    try:
        return catalog.get(kpi_id)
    except (KeyError, PerfRulesError):
        raise HTTPException(404, f"no KPI {kpi_id!r}") from None


# --- departments and people --------------------------------------------------------------------------------


@router.get("/departments/{code}")
def department(
    request: Request, code: str, period: str | None = None, who: Principal = Depends(require("overview"))
) -> HTMLResponse:
    db, settings = request.app.state.db, request.app.state.settings
    dept = data.department(db, code)
    if dept is None:
        raise HTTPException(404, f"no department {code!r}")
    p = _period(request, period)
    with stored.serving() as reading:
        shown = figures.department_figures(db, settings, code, p, _today(request), access.fact_generations(db))
    members = [e for e in access.employees_of(db) if e.department == code and who.may_see(e.id)]
    quarter = data.quarter_of(p)
    return render(
        request,
        "department",
        who,
        dept=dept,
        period=p,
        cells=shown.cells,
        members=members,
        trends=shown.trends,
        adjustments=data.adjustments(db, quarter=quarter, visible=_in(who, members)),
        quarter=quarter,
        reading=reading,
    )


def _in(who: Principal, members: list[access.EmployeeRef]) -> frozenset[str]:
    return frozenset(e.id for e in members if who.may_see(e.id))


@router.get("/people")
def people(request: Request, who: Principal = Depends(require("people"))) -> HTMLResponse:
    members = [e for e in access.employees_of(request.app.state.db) if who.may_see(e.id)]
    return render(request, "people", who, members=members)


@router.get("/employees/{employee_id}")
def employee(
    request: Request, employee_id: str, period: str | None = None, who: Principal = Depends(require("people"))
) -> HTMLResponse:
    require_employee(who, employee_id)
    db, settings = request.app.state.db, request.app.state.settings
    found = access.employees_of(db, [employee_id])
    if not found:
        raise HTTPException(404, "no such employee")
    p = _period(request, period)
    with stored.serving() as reading:
        shown = figures.employee_figures(
            db, settings, employee_id, found[0].department, p, _today(request), access.fact_generations(db)
        )
    quarter = data.quarter_of(p)
    mine = frozenset({employee_id})
    return render(
        request,
        "employee",
        who,
        person=found[0],
        period=p,
        cells=shown.cells,
        quarter=quarter,
        trends=shown.trends,
        findings=data.findings(db, period=None, quarter=quarter, visible=mine),
        adjustments=data.adjustments(db, quarter=quarter, visible=mine),
        deadlines=board.deadlines(db, settings, now=request.app.state.clock(), visible=mine),
        reading=reading,
    )


# --- exports and audit -------------------------------------------------------------------------------------


@router.get("/exports")
def exports(request: Request, who: Principal = Depends(require("export"))) -> HTMLResponse:
    now = request.app.state.clock()
    quarters = data.recent_quarters(now.date(), 4)
    return render(request, "exports", who, quarters=quarters, history=data.export_history(request.app.state.db))


@router.get("/exports/payroll")
def export_download(
    request: Request,
    quarter: str,
    format: str = "csv",
    part: str = "employees",
    who: Principal = Depends(require("export")),
) -> Response:
    return data.payroll_response(request, quarter=quarter, fmt=format, part=part, who=who)


@router.get("/audit")
def audit(request: Request, who: Principal = Depends(require("admin"))) -> HTMLResponse:
    return render(
        request,
        "audit",
        who,
        entries=access.audit_entries(request.app.state.db, limit=300),
        zone=ZoneInfo(request.app.state.settings.timezone),
    )


def _today(request: Request):
    return request.app.state.clock().date()
