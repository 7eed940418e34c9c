"""What the dashboard shows, gathered from the KPI library, the evaluation store and the rulebook.

This is the web layer's one adapter onto the engine: pages and API routes call these functions and
render the frozen results; nothing here computes a KPI or a due date itself.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from perfrules.engine.evaluation.upcoming import DueItem, upcoming
from perfrules.engine.kpi import catalog
from perfrules.engine.kpi import values as kpi_values
from perfrules.engine.kpi.catalog import KpiDef, ScopeKind
from perfrules.engine.kpi.status import GENERIC_BAND
from perfrules.engine.kpi.values import KpiValue
from perfrules.engine.periods import Period, month_of
from perfrules.engine.reporting.verdicts import judge
from perfrules.engine.rulebook.checker import load_rulebook
from perfrules.engine.rulebook.deadlines import RuleDeadlines
from perfrules.engine.rulebook.rulebook import Rulebook
from perfrules.engine.settings import Settings
from perfrules.engine.web import stored
from perfrules.engine.web.i18n import TEXT
from perfrules.storage import Database, access
from perfrules.storage.kpi_store import SetKey


@dataclass(frozen=True)
class KpiCell:
    """One KPI for one scope and period: value, target, achievement rate (actual ÷ target) and status."""

    kpi: KpiDef
    scope_kind: str
    scope: str
    period: str
    value: Decimal | None
    target: Decimal
    achievement: Decimal | None
    status: str  # met, warning, not_met, no_data, not_applicable (the scope produces no such facts)
    band: str | None = None
    judged_by: str = GENERIC_BAND  # the rule in force that judges the KPI here ("id@version"), or the generic band

    @property
    def by_rule(self) -> bool:
        return self.judged_by != GENERIC_BAND

    @property
    def shown_status(self) -> str:
        """The status word to show: a rule's ``not_met`` is a breach (it costs money)."""
        return "breach" if self.by_rule and self.status == "not_met" else self.status


@dataclass(frozen=True)
class Table:
    """Rows behind a figure: column names and plain values, with a title."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Series:
    """A named chart: labels on the x axis and one or more data sets of (possibly missing) numbers."""

    title: str
    labels: tuple[str, ...]
    datasets: tuple[tuple[str, tuple[float | None, ...]], ...]
    kind: str = "line"
    link: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    title_zh: str | None = None  # the title in Chinese, where it has one
    unit: str | None = None  # the KPI unit of the values (ratio and change: the axis shows percentages)


def months_back(end: Period, count: int) -> list[Period]:
    """The ``count`` calendar months ending with the month that holds ``end``'s last day, oldest first."""
    last = month_of(end.last_day)
    out = [last]
    while len(out) < count:
        out.append(month_of(out[-1].start.replace(day=1) - _ONE_DAY))
    return list(reversed(out))


_ONE_DAY = date(2000, 1, 2) - date(2000, 1, 1)
_ZH = TEXT["zh-CN"]  # chart titles in Chinese


def kpi_defs(department: str | None = None) -> list[KpiDef]:
    return [k for k in catalog.CATALOG if department is None or k.department == department]


_CACHE: dict[tuple[Any, ...], tuple[float, Any]] = {}
CACHE_SECONDS = 600.0  # also keyed by the newest import batch, so new facts show at once


@dataclass(frozen=True)
class Codec:
    """How a figure set goes into the KPI value store and comes back: ``key`` says what it is of."""

    key: SetKey
    dump: Callable[[Any], str]
    load: Callable[[str], Any]


def _cached(
    db: Database,
    what: tuple[Any, ...],
    compute: Callable[[], Any],
    until: date,
    generations: access.FactGenerations | None = None,
    codec: Codec | None = None,
) -> Any:
    """``compute()`` for ``what`` — figures of a period ending on ``until`` — kept briefly per database and
    facts generation up to ``until`` (the newest import batch that changed facts of a month up to then, or
    master data): a push of today's movements recomputes this month's figures, not last year's. With a
    ``codec`` the set also goes through the KPI value store (:func:`perfrules.engine.web.stored.through_store`):
    read from it when stored, and in a page view served stale from it while the filler computes it again.

    The generation is read before computing: a push that lands meanwhile moves it on, so the next request
    computes again and never keeps a figure that misses committed facts. ``generations``: the table as a
    caller that asks for many periods read it once (a trend's twelve months)."""
    generation = (generations or access.fact_generations(db)).until(until)
    hit = _held((db.url, generation, *what))
    if hit is not None:
        if codec is not None:
            stored.note(codec.key, generation)
        return hit
    if codec is None:
        out = compute()
    else:
        generation, out = stored.through_store(
            db,
            codec.key,
            generation,
            compute,
            codec.dump,
            codec.load,
            lambda held: _held((db.url, held, *what)),
        )
    if generation is None:  # computed under other rules: shown once while the filler draws it up again
        return out
    if len(_CACHE) > 4096:
        _CACHE.clear()
    _CACHE[(db.url, generation, *what)] = (time.monotonic(), out)  # a stale set: kept as of its generation
    return out


def page_figures(
    db: Database,
    settings: Settings,
    what: tuple[Any, ...],
    period: Period,
    today: date | None,
    generations: access.FactGenerations,
    compute: Callable[[], Any],
) -> Any:
    """A page's figures (``compute()`` draws them up from the figure sets) held in memory as a whole while
    the facts generation up to the period's end and the rules stay the same — only when every set it read
    was current: a page that served a stale set draws itself up again on its next view."""
    as_of = period.last_day if today is None else min(period.last_day, today)
    key = (db.url, generations.until(period.last_day), "page", *what, period.label, as_of, rulebook_of(settings).digest)
    hit = _held(key)
    if hit is not None:
        stored.replay(hit[1])
        return hit[0]
    with stored.nested() as reading:
        out = compute()
    if not reading.stale:
        _CACHE[key] = (time.monotonic(), (out, tuple(reading.served)))
    return out


def _held(key: tuple[Any, ...]) -> Any | None:
    hit = _CACHE.get(key)
    return hit[1] if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS else None


class ValueSet(dict):
    """A set's KPI values keyed (kpi, scope kind, scope key), with the verdicts drawn from them kept beside
    (a dashboard view judges the same twelve months for 25 trends; held in memory with the set)."""

    def __init__(self, *args: Any):
        super().__init__(*args)
        self.verdicts: dict[tuple[Any, ...], Any] = {}


def _judged(values: ValueSet, value: KpiValue, rulebook: Rulebook, department: str | None) -> Any:
    """``judge(value, rulebook, department)``, once per set, value, rulebook and department."""
    key = (value.kpi, value.scope, department, rulebook.digest)
    verdict = values.verdicts.get(key)
    if verdict is None:
        verdict = values.verdicts[key] = judge(value, rulebook, department)
    return verdict


def _set_key(figures: str, scope_kind: str, scope: str, period: Period, as_of: date, rulebook: str) -> SetKey:
    return SetKey(figures, scope_kind, scope, period.label, period.last_day, as_of, rulebook)


def _dump_kpis(values: dict[tuple[str, str, str | None], KpiValue]) -> str:
    return kpi_values.dumps(list(values.values()))


def _load_kpis(text: str) -> ValueSet:
    return ValueSet({(v.kpi, v.scope.kind.value, v.scope.key): v for v in kpi_values.loads(text)})


def _dump_figure(figure: Any) -> str:
    """Series and tables (or a tuple of them) as exact JSON text."""
    parts = figure if isinstance(figure, tuple) else (figure,)
    return json.dumps([[type(p).__name__, kpi_values.encode(asdict(p))] for p in parts], ensure_ascii=False)


def _load_figure(text: str) -> Any:
    parts = tuple(_FIGURES[name](**kpi_values.decode(data)) for name, data in json.loads(text))
    return parts[0] if len(parts) == 1 else parts


def _values(
    db: Database,
    settings: Settings,
    scope_kind: str,
    scope: str,
    period: Period,
    today: date | None,
    generations: access.FactGenerations | None = None,
    rulebook: Rulebook | None = None,
) -> ValueSet:
    """Every KPI value of the scope and period, keyed (kpi, scope kind, scope key); cached briefly.
    ``rulebook``: the rules in force, when the caller read them already (a trend asks for twelve months)."""
    from perfrules.engine.kpi import library
    from perfrules.engine.kpi.scope import COMPANY, Scope

    as_of = period.last_day if today is None else min(period.last_day, today)

    rulebook = rulebook or rulebook_of(settings)

    def compute() -> ValueSet:
        if period.start > as_of:
            return ValueSet()
        target = COMPANY if scope_kind == "company" else Scope(ScopeKind(scope_kind), scope)
        values = library.compute_all(
            db, period, scope=target, as_of=as_of, zone=settings.zone, deadlines=RuleDeadlines(rulebook)
        )
        return ValueSet({(v.kpi, v.scope.kind.value, v.scope.key): v for v in values})

    digest = rulebook.digest
    what = ("kpis", scope_kind, scope, period.label, as_of, digest)  # due moments: the rules in force
    codec = Codec(_set_key("kpis", scope_kind, scope, period, as_of, digest), _dump_kpis, _load_kpis)
    return _cached(db, what, compute, period.last_day, generations, codec)


def _cell(
    kpi: KpiDef,
    values: ValueSet,
    scope_kind: str,
    scope: str,
    period: Period,
    rulebook: Rulebook,
    department: str | None,
) -> KpiCell:
    """One KPI's cell, judged by the rule in force that judges it there (else the generic band)."""
    key = None if scope_kind == "company" else scope
    value = values.get((kpi.id, scope_kind, key))
    if value is None:
        target = catalog.target_for(kpi.id, scope_kind, key)
        return KpiCell(kpi, scope_kind, scope, period.label, None, target, None, "no_data")
    judged = _judged(values, value, rulebook, department if scope_kind == "employee" else None)
    state = "no_data" if judged.status.value == "not_applicable" else judged.status.value
    band = None if judged.band is None else judged.band.label_en
    return KpiCell(
        kpi,
        scope_kind,
        scope,
        period.label,
        value.value,
        judged.target,
        judged.achievement,
        state,
        band,
        judged.judged_by,
    )


FIXED_SCOPES = {"abc_class": ("A", "B", "C"), "xyz_class": ("X", "Y", "Z"), "segment": ("active", "slow", "dead")}


def scope_problem(db: Database, scope_kind: str, scope: str, kpi: KpiDef | None = None) -> tuple[int, str] | None:
    """Why ``scope_kind``/``scope`` cannot be shown — (400, …) for a malformed request, (404, …) for a scope
    that does not exist — naming the parameter; None when it can."""
    from perfrules.storage.kpi import categories

    kinds = [k.value for k in ScopeKind]
    if scope_kind not in kinds:
        return 400, f"scope_kind: unknown scope kind {scope_kind!r} (expected one of {', '.join(kinds)})"
    if kpi is not None and ScopeKind(scope_kind) not in kpi.scopes:
        allowed = ", ".join(k.value for k in kpi.scopes)
        return 400, f"scope_kind: {kpi.id} is not computed per {scope_kind} (only per {allowed})"
    members: Callable[[], Any] | None = {
        "company": lambda: ("company",),
        "department": lambda: [d.code for d in access.departments(db)],
        "employee": lambda: [e.id for e in access.employees_of(db, [scope])],
        "category": lambda: categories(db),
        "sku": lambda: (scope,) if access.sku_exists(db, scope) else (),
        **{kind: (lambda values=values: values) for kind, values in FIXED_SCOPES.items()},
    }.get(scope_kind)
    if members is not None and scope not in members():
        return 404, f"scope: no {scope_kind} {scope!r}"
    return None


def people_of(db: Database, scope_kind: str, scope: str) -> str | None:
    """The department whose people a department or employee scope holds (None for other scopes)."""
    if scope_kind == "department":
        return scope
    if scope_kind == "employee":
        found = access.employees_of(db, [scope])
        return found[0].department if found else None
    return None


def kpi_table(
    db: Database,
    settings: Settings,
    *,
    scope_kind: str,
    scope: str,
    period: Period,
    department: str | None = None,
    today: date | None = None,
    generations: access.FactGenerations | None = None,
    people_of: str | None = None,
) -> list[KpiCell]:
    """Every KPI computed for the scope kind, with value, target, achievement and status. ``people_of``: the
    department of a department or employee scope — a KPI its people produce no facts for is
    ``not_applicable`` (:func:`perfrules.engine.kpi.catalog.applies_to`), never a 0 % failure."""
    rulebook = rulebook_of(settings)
    values = _values(db, settings, scope_kind, scope, period, today, generations, rulebook)
    key = None if scope_kind == "company" else scope
    person = access.employees_of(db, [scope]) if scope_kind == "employee" else []
    role = person[0].role if person else None
    cells = []
    for kpi in kpi_defs(department):
        if ScopeKind(scope_kind) not in kpi.scopes:
            continue
        owed = _owes(rulebook, kpi.id, people_of, role, period.last_day)
        if people_of is not None and (not catalog.applies_to(kpi.id, people_of) or not owed):
            target = catalog.target_for(kpi.id, scope_kind, key)
            cells.append(KpiCell(kpi, scope_kind, scope, period.label, None, target, None, "not_applicable"))
        else:
            cells.append(_cell(kpi, values, scope_kind, scope, period, rulebook, people_of))
    return cells


# KPIs that measure one deliverable: a person whose role owes none (a purchasing manager: the lists are the
# purchasers') has no such KPI, never a 0 % failure
DELIVERABLE_KPIS = {"slow_mover_list_timeliness": "slow_mover_list", "disposal_tracking_rate": "disposal_tracking"}


def _owes(rulebook: Rulebook, kpi_id: str, department: str | None, role: str | None, day: date) -> bool:
    """Whether a person of ``role`` in ``department`` owes the deliverable ``kpi_id`` measures (True for
    other KPIs, other scopes, and deliverables no rule in force owns)."""
    deliverable = DELIVERABLE_KPIS.get(kpi_id)
    if deliverable is None or department is None or role is None:
        return True
    return RuleDeadlines(rulebook).owes(deliverable, department, role, day) is not False


def month_sets(
    db: Database,
    settings: Settings,
    *,
    scope_kind: str,
    scope: str,
    end: Period,
    months: int = 12,
    today: date | None = None,
    generations: access.FactGenerations | None = None,
    rulebook: Rulebook | None = None,
) -> list[tuple[Period, ValueSet]]:
    """The KPI value sets of the scope for the ``months`` months up to ``end``, oldest first: what every trend
    of a page is drawn from (read once for all of them)."""
    generations = generations or access.fact_generations(db)
    rulebook = rulebook or rulebook_of(settings)
    return [
        (p, _values(db, settings, scope_kind, scope, p, today, generations, rulebook)) for p in months_back(end, months)
    ]


def trend(
    db: Database,
    settings: Settings,
    kpi: KpiDef,
    *,
    scope_kind: str,
    scope: str,
    end: Period,
    months: int = 12,
    today: date | None = None,
    generations: access.FactGenerations | None = None,
    rulebook: Rulebook | None = None,
    sets: list[tuple[Period, ValueSet]] | None = None,
) -> Series:
    """The KPI month by month for the twelve months up to ``end``, with its target: the rule's in a month a
    rule in force judges it (as the KPI table's status), else the catalogue's. ``generations``, ``rulebook``,
    ``sets`` (:func:`month_sets`): as the caller read them already (the dashboard's trends read each once)."""
    rulebook = rulebook or rulebook_of(settings)
    if sets is None:
        sets = month_sets(
            db, settings, scope_kind=scope_kind, scope=scope, end=end, months=months, today=today,
            generations=generations, rulebook=rulebook,
        )  # fmt: skip
    key = None if scope_kind == "company" else scope
    department = people_of(db, scope_kind, scope) if scope_kind == "employee" else None
    values: list[float | None] = []
    targets: list[float] = []
    for _, found in sets:
        v = found.get((kpi.id, scope_kind, key))
        values.append(None if v is None or v.value is None else float(v.value))
        target = (
            catalog.target_for(kpi.id, scope_kind, key) if v is None else _judged(found, v, rulebook, department).target
        )
        targets.append(float(target))
    return Series(
        kpi.name_en,
        tuple(p.label for p, _ in sets),
        (("value", tuple(values)), ("target", tuple(targets))),
        link=f"/kpis/{kpi.id}?scope_kind={scope_kind}&scope={scope}&period={end.label}",
        extra={"kpi": kpi.id},
        title_zh=kpi.name_zh,
        unit=kpi.unit.value,
    )


def drill(
    db: Database,
    settings: Settings,
    kpi: KpiDef,
    *,
    scope_kind: str,
    scope: str,
    period: Period,
    limit: int = 200,
    generations: access.FactGenerations | None = None,
) -> Table:
    """The rows behind one KPI figure (largest or earliest first), kept in the KPI value store."""
    from perfrules.engine.kpi import library
    from perfrules.engine.kpi.scope import COMPANY, Scope

    target = COMPANY if scope_kind == "company" else Scope(ScopeKind(scope_kind), scope)
    rulebook = rulebook_of(settings)
    deadlines = RuleDeadlines(rulebook)  # the rows behind the value: the same due moments

    def compute() -> Table:
        rows = library.drill_down(db, kpi.id, target, period, zone=settings.zone, limit=limit, deadlines=deadlines)
        columns = tuple(rows[0]) if rows else ()
        return Table(kpi.name_en, columns, tuple(tuple(r.get(c) for c in columns) for r in rows))

    figures = f"drill:{kpi.id}:{limit}"
    key = _set_key(figures, scope_kind, scope, period, period.last_day, rulebook.digest)
    what = (figures, scope_kind, scope, period.label, rulebook.digest)
    return _cached(db, what, compute, period.last_day, generations, Codec(key, _dump_figure, _load_figure))


def class_comparison(
    db: Database,
    settings: Settings,
    period: Period,
    today: date | None = None,
    generations: access.FactGenerations | None = None,
) -> Series:
    """Turnover per ABC and XYZ class against the class targets."""
    values = _values(db, settings, "company", "company", period, today, generations)
    labels = ("A", "B", "C", "X", "Y", "Z")
    kinds = [("abc_class" if c in "ABC" else "xyz_class", c) for c in labels]
    found = [values.get(("turnover", kind, c)) for kind, c in kinds]
    turns = tuple(None if v is None or v.value is None else float(v.value) for v in found)
    targets = tuple(float(catalog.target_for("turnover", kind, c)) for kind, c in kinds)
    return Series(
        "turnover by class",
        labels,
        (("turnover", turns), ("target", targets)),
        kind="bar",
        link=f"/kpis/turnover?scope_kind=abc_class&scope=A&period={period.label}",
        title_zh=_ZH["abc_xyz"],
    )


def slow_movers(
    db: Database, settings: Settings, period: Period, generations: access.FactGenerations | None = None
) -> tuple[Series, Series, Series, Table]:
    """Slow-mover stock value by category, by age band and by value band, and the list behind them (cached
    like the KPI values: at the medium size the list takes a third of a second to draw up)."""
    return _cached(db, ("slow_movers", period.label), lambda: _slow_movers(db, period), period.last_day, generations)


def slow_mover_charts(
    db: Database, settings: Settings, period: Period, generations: access.FactGenerations | None = None
) -> tuple[Series, Series, Series]:
    """The dashboard's three slow-mover charts (kept in the KPI value store; the list behind them is not)."""
    key = _set_key("slow_movers", "company", "company", period, period.last_day, "")
    return _cached(
        db,
        ("slow_mover_charts", period.label),
        lambda: slow_movers(db, settings, period, generations)[:3],
        period.last_day,
        generations,
        Codec(key, _dump_figure, _load_figure),
    )


def _slow_movers(db: Database, period: Period) -> tuple[Series, Series, Series, Table]:
    from perfrules.engine.kpi.slow_movers import slow_mover_list
    from perfrules.storage.kpi import reading

    with reading(db) as conn:
        items = slow_mover_list(conn, period.last_day).items
    by_cat: dict[str, float] = {}
    by_age: dict[str, float] = {}
    by_value: dict[str, float] = {}
    for it in items:
        by_cat[it.category] = by_cat.get(it.category, 0.0) + float(it.value)
        age = _age_band(it.days_since_sale)
        by_age[age] = by_age.get(age, 0.0) + float(it.value)
        band = _value_band(it.value)
        by_value[band] = by_value.get(band, 0.0) + 1
    rows = tuple((it.sku, it.name, it.category, it.days_since_sale, it.qty, it.value, it.cls) for it in items)
    link = f"/slow-movers?period={period.label}"
    ages = [a for a in _AGES if a in by_age]
    values = [v for v in _VALUES if v in by_value]
    return (
        Series(
            "by category", tuple(by_cat), (("value", tuple(by_cat.values())),), "bar", link, title_zh=_ZH["by_category"]
        ),
        Series(
            "by age", tuple(ages), (("value", tuple(by_age[a] for a in ages)),), "bar", link, title_zh=_ZH["by_age"]
        ),
        Series(
            "by value",
            tuple(values),
            (("count", tuple(by_value[v] for v in values)),),
            "bar",
            link,
            title_zh=_ZH["by_value"],
        ),
        Table("slow movers", ("sku", "name", "category", "days_since_sale", "qty", "value", "class"), rows),
    )


_FIGURES: dict[str, Callable[..., Any]] = {"Series": Series, "Table": Table}
_AGES = ("90–120 d", "120–180 d", "180–365 d", "> 365 d")
_VALUES = ("< 1k", "1k–10k", "10k–100k", "≥ 100k")


def _age_band(days: int) -> str:
    for limit, label in ((120, "90–120 d"), (180, "120–180 d"), (365, "180–365 d")):
        if days < limit:
            return label
    return "> 365 d"


def _value_band(value: Decimal) -> str:
    for limit, label in ((1000, "< 1k"), (10000, "1k–10k"), (100000, "10k–100k")):
        if value < limit:
            return label
    return "≥ 100k"


def forecast_vs_actual(
    db: Database,
    settings: Settings,
    end: Period,
    today: date | None = None,
    generations: access.FactGenerations | None = None,
) -> Series:
    """Forecast and actual quantity per month, twelve months up to ``end`` (the forecast-accuracy inputs)."""
    periods = months_back(end, 12)
    generations = generations or access.fact_generations(db)
    rulebook = rulebook_of(settings)  # read once for the twelve months
    forecast: list[float | None] = []
    actual: list[float | None] = []
    for p in periods:
        v = _values(db, settings, "company", "company", p, today, generations, rulebook).get(
            ("forecast_accuracy", "company", None)
        )
        inputs = {} if v is None else v.inputs
        forecast.append(float(inputs["forecast"]) if inputs.get("forecast") is not None else None)
        actual.append(float(inputs["actual"]) if inputs.get("actual") is not None else None)
    return Series(
        "forecast vs actual",
        tuple(p.label for p in periods),
        (("forecast", tuple(forecast)), ("actual", tuple(actual))),
        link=f"/kpis/forecast_accuracy?scope_kind=company&scope=company&period={end.label}",
        title_zh=_ZH["forecast"],
    )


DEADLINE_COLUMNS = ("deliverable", "period", "employee", "due", "state", "time_left", "rule")


def _left(delta: timedelta) -> str:
    """``2d 04h`` left, or ``-1d 03h`` when overdue by that much (whole minutes dropped)."""
    sign, rest = ("-", -delta) if delta < timedelta(0) else ("", delta)
    hours = rest.days * 24 + rest.seconds // 3600
    return f"{sign}{hours // 24}d {hours % 24:02d}h"


def due_items(db: Database, settings: Settings, now: datetime) -> list[DueItem]:
    """The deliverable instances due around ``now`` (:func:`perfrules.engine.evaluation.upcoming.upcoming`)."""
    return upcoming(db, rulebook_of(settings), now=now)


def deadlines(
    db: Database,
    settings: Settings,
    *,
    now: datetime,
    visible: frozenset[str] | None,
    items: list[DueItem] | None = None,
) -> Table:
    """The deliverables due around now (the rulebook's deadlines, as judged): who owes what, when it is due
    in the company zone, whether it is in, and the time left until it counts as late (negative: overdue).
    ``items``: :func:`due_items` at ``now``, when the caller has them already."""
    rows = tuple(
        (
            d.deliverable,
            d.period,
            d.employee_id,
            d.due_at.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M"),
            d.state,
            _left(d.time_left(now)) if d.state in ("open", "overdue") else "",
            f"{d.rule_id} v{d.rule_version}",
        )
        for d in (due_items(db, settings, now) if items is None else items)
        if visible is None or d.employee_id in visible
    )
    return Table("deadlines", DEADLINE_COLUMNS, rows)


_RULEBOOKS: dict[Path, tuple[tuple[Any, ...], Rulebook]] = {}
_RULEBOOK_LOCK = threading.Lock()


def rulebook_of(settings: Settings) -> Rulebook:
    """The rulebook in force in ``settings.rules_path``, read again only when a rule file changed (its
    name, size or modification time). A broken folder raises: the service does not guess its rules."""
    path = settings.rules_path
    files = sorted(p for p in Path(path).rglob("*.yaml") if p.is_file())
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    with _RULEBOOK_LOCK:
        hit = _RULEBOOKS.get(path)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    rulebook = load_rulebook(path)
    with _RULEBOOK_LOCK:
        _RULEBOOKS[path] = (stamp, rulebook)
    return rulebook


@dataclass(frozen=True)
class DashboardFigures:
    """What the company dashboard of a period shows from the KPI library (cached per facts generation)."""

    cells: list[KpiCell]
    trends: list[Series]
    slow: tuple[Series, Series, Series]
    classes: Series
    forecast: Series


def dashboard_figures(
    db: Database, settings: Settings, period: Period, today: date, generations: access.FactGenerations | None = None
) -> DashboardFigures:
    """The company dashboard's KPI table, trends, slow-mover charts, class comparison and forecast (the facts
    generations read once for all of them, unless given)."""
    g = generations or access.fact_generations(db)
    return page_figures(
        db, settings, ("dashboard",), period, today, g, lambda: _dashboard_figures(db, settings, period, today, g)
    )


def _dashboard_figures(
    db: Database, settings: Settings, period: Period, today: date, g: access.FactGenerations
) -> DashboardFigures:
    cells = kpi_table(db, settings, scope_kind="company", scope="company", period=period, today=today, generations=g)
    rulebook = rulebook_of(settings)
    sets = month_sets(
        db, settings, scope_kind="company", scope="company", end=period, today=today, generations=g, rulebook=rulebook
    )
    trends = [
        trend(db, settings, c.kpi, scope_kind="company", scope="company", end=period, rulebook=rulebook, sets=sets)
        for c in cells
    ]
    return DashboardFigures(
        cells,
        trends,
        slow_mover_charts(db, settings, period, generations=g),
        class_comparison(db, settings, period, today, generations=g),
        forecast_vs_actual(db, settings, period, today, generations=g),
    )


def last_month(now: datetime) -> Period:
    """The last complete month before ``now``: the period pages show when none is asked for."""
    first = now.date().replace(day=1)
    return month_of(first.fromordinal(first.toordinal() - 1))
