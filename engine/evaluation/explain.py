"""``perfrules explain``: every finding and bonus line of one employee in one quarter, with the rule id,
file:line and version, the facts and values seen, the threshold compared, the streak, the amount and how
it was computed, HR's corrections and the escalations."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from perfrules.engine.errors import UnknownEmployee
from perfrules.engine.evaluation.people import Person, load_people
from perfrules.engine.evaluation.streaks import BREACH_KINDS
from perfrules.engine.money import round_cny
from perfrules.engine.periods import Period
from perfrules.storage import Database
from perfrules.storage import evaluation_store as store
from perfrules.storage.appeals import appeals

ZERO = Decimal(0)


def _finding(f: dict[str, Any], employee_id: str) -> list[str]:
    weight = next((t["weight"] for t in f["charged_to"] if t["employee"] == employee_id), None)
    out = [
        f"  finding #{f['id']} {f['period']} {f['kind']}: {f['rule_id']} v{f['rule_version']} "
        f"({f['rule_file']}:{f['rule_line']})",
        f"    {f['message']}",
    ]
    if f["kpi"]:
        scope = " ".join(x for x in (f["facts"].get("scope"), f["facts"].get("scope_id")) if x)
        out.append(
            f"    seen: {f['kpi']} of {scope} = {f['value']}; breach when value {f['comparison']} {f['threshold']}"
        )
    else:
        facts = ", ".join(f"{k}={v}" for k, v in f["facts"].items() if v is not None)
        out.append(f"    seen: {facts}")
    out.extend(_streak(f, employee_id))
    if f["share"] is not None:
        out.append(
            f"    consequence: {f['facts'].get('share_rule', f['share'])}"
            + (f"; carried share {Decimal(weight) * 100:.0f}%" if weight and Decimal(weight) != 1 else "")
        )
    if f["attribution"]:
        out.append(f"    attribution: {f['attribution']}")
    return out


def _months(months: list[str]) -> str:
    return f"{len(months)} month(s) in a row: {', '.join(months)}"


def _streak(f: dict[str, Any], employee_id: str) -> list[str]:
    """The streak behind the rule's escalations as this finding left it: the employee's own when they answer
    for it (exactly the months an escalation of this finding stored), else whose it is."""
    if not f["streak"]:
        return []
    if f["kind"] not in BREACH_KINDS:  # a proportional rule's ``met``: no escalation to decide
        return [f"    streak: {_months(f['streak'])}"]
    out = []
    if f["counts_in"] and f["counts_in"] != f["period"]:
        out.append(
            f"    counts for {f['counts_in']}: the month covered by the deliverable due in {f['period']} "
            "(the late or missing deliverable and this breach are one event)"
        )
    own = next((a for a in f["answerable"] if a["employee"] == employee_id), None)
    if own is not None:
        return [*out, f"    streak: {_months(own['streak'])}"]
    if not f["answerable"]:
        return [*out, f"    streak: {_months(f['streak'])} (nobody answers for it: no escalation)"]
    others = "; ".join(f"{a['employee']} ({a['department']}) {_months(a['streak'])}" for a in f["answerable"])
    return [*out, f"    streak: not counted for {employee_id}; escalations go to the rule's owner: {others}"]


@dataclass(frozen=True)
class _Quarter:
    """What one person's explanation of one quarter is built from."""

    person: Person
    closed: bool
    lines: list[dict[str, Any]]
    paid: list[Decimal]
    findings: list[dict[str, Any]]
    actions: dict[int, list[dict[str, Any]]]


def _gather(db: Database, employee_id: str, quarter: Period) -> _Quarter:
    person = next((p for p in load_people(db) if p.id == employee_id), None)
    if person is None:
        raise UnknownEmployee(employee_id)
    closed = quarter.label in store.closed_quarters(db)
    lines = store.adjustments(db, quarter=quarter.label, employee_id=employee_id)
    paid = [round_cny((a["frozen_amount"] or ZERO) if closed else store.effective(a)) for a in lines]
    findings = [
        f
        for f in store.findings(db, quarter=quarter.label)
        if any(t["employee"] == employee_id for t in (*f["charged_to"], *f["answerable"]))
    ]
    return _Quarter(person, closed, lines, paid, findings, store.actions(db, [a["id"] for a in lines]))


def _line(a: dict[str, Any], amount: Decimal, acts: list[dict[str, Any]]) -> list[str]:
    source = f" ({a['rule_file']}:{a['rule_line']})" if a["rule_file"] else ""
    version = f" v{a['rule_version']}" if a["rule_version"] else ""
    out = [
        f"- line #{a['id']} {a['rule_id']}{version}{source} {a['kind']} {a['period']}: {amount} CNY "
        f"[{a['status']}] reason {a['reason_code']}",
        f"  how: {a['computation']}",
    ]
    for act in acts:
        what = "void" if act["action"] == "void" else f"override to {round_cny(act['amount'])}"
        out.append(f"  HR: {what} by {act['by']} at {act['at']:%Y-%m-%d %H:%M} UTC: {act['reason']}")
    return out


@dataclass(frozen=True)
class LineExplained:
    """One bonus line with what ``explain`` says about it (its computation, HR's corrections, its findings)."""

    id: int
    rule_id: str
    period: str
    kind: str
    status: str
    amount: Decimal  # what it pays: frozen at close in a closed quarter, else the amount in force
    reason_code: str
    finding_ids: tuple[int, ...]
    text: str


@dataclass(frozen=True)
class FindingExplained:
    """One active finding of the person with what ``explain`` says about it."""

    id: int
    rule_id: str
    period: str
    kind: str
    message: str
    text: str


@dataclass(frozen=True)
class Explained:
    """One person's quarter item by item, worded as ``perfrules explain`` words it."""

    closed: bool
    lines: tuple[LineExplained, ...]
    findings: tuple[FindingExplained, ...]


def explain_items(db: Database, employee_id: str, quarter: Period) -> Explained:
    q = _gather(db, employee_id, quarter)
    by_id = {f["id"]: f for f in q.findings}
    lines = []
    for a, amount in zip(q.lines, q.paid, strict=True):
        text = _line(a, amount, q.actions.get(a["id"], []))
        for fid in a["finding_ids"]:
            if fid in by_id:
                text.extend(_finding(by_id[fid], employee_id))
        lines.append(
            LineExplained(
                a["id"],
                a["rule_id"],
                a["period"],
                a["kind"],
                a["status"],
                amount,
                a["reason_code"],
                tuple(a["finding_ids"] or ()),
                "\n".join(text),
            )
        )
    findings = tuple(
        FindingExplained(
            f["id"], f["rule_id"], f["period"], f["kind"], f["message"], "\n".join(_finding(f, employee_id))
        )
        for f in q.findings
    )
    return Explained(q.closed, tuple(lines), findings)


def explain(db: Database, employee_id: str, quarter: Period) -> str:
    q = _gather(db, employee_id, quarter)
    person, lines, paid = q.person, q.lines, q.paid
    base, days = person.base_for(quarter)
    total = sum(paid, ZERO)
    out = [
        f"{person.name_zh} {person.name_en} ({person.id}) — {quarter.label} [{'closed' if q.closed else 'open'}]",
        f"base {round_cny(base)} CNY (bonus base {round_cny(person.bonus_base)}, {days}/{quarter.days} days "
        f"employed); adjustments {total}; final bonus {round_cny(base) + total}",
        "",
    ]
    for run in store.unfinished_runs(db, [m.label for m in quarter.months()]):
        out[-1:-1] = [
            f"WARNING: evaluation run #{run['id']} of {run['period']} did not finish: the figures above may be "
            f"incomplete until `perfrules evaluate --period {run['period']}` runs again (export is refused)."
        ]
    by_id = {f["id"]: f for f in q.findings}
    out.append("Bonus lines" if lines else "Bonus lines: none")
    used: set[int] = set()
    for a, amount in zip(lines, paid, strict=True):
        out.extend(_line(a, amount, q.actions.get(a["id"], [])))
        for fid in a["finding_ids"]:
            if fid in by_id:
                used.add(fid)
                out.extend(_finding(by_id[fid], employee_id))
    rest = [f for f in q.findings if f["id"] not in used]
    if rest:
        out += ["", "Findings without a bonus line"]
        for f in rest:
            out.extend(_finding(f, employee_id))
    escalations = [e for e in store.escalations(db, employee_id) if e["triggered_period"] < quarter.end.isoformat()]
    if escalations:
        out += ["", "Escalations"]
        for e in escalations:
            withdrawn = (
                f" — WITHDRAWN by run #{e['withdrawn_run_id']} (a month of its streak is no longer a breach)"
                if e["status"] == "withdrawn"
                else ""
            )
            out.append(
                f"- {e['kind']} from {e['rule_id']} v{e['rule_version']} ({e['rule_file']}:{e['rule_line']}) "
                f"triggered {e['triggered_period']}: {e['detail']}; streak {', '.join(e['streak'])}{withdrawn}"
            )
    lodged = appeals(db, employee_ids=frozenset({employee_id}), quarter=quarter.label)
    if lodged:
        out += ["", "Appeals"]
        for a in reversed(lodged):  # oldest first, as the lines
            out.append(
                f"- appeal #{a.id} against {a.subject} #{a.subject_id}, lodged {a.filed_at:%Y-%m-%d} by {a.filed_by}"
            )
            out.append(f"  reason: {a.reason}")
            if a.status == "open":
                out.append("  open: HR has not decided yet (money unchanged until then)")
            else:
                carried = f"; carried out as {a.correction} of line(s) {', '.join(f'#{i}' for i in a.adjustment_ids)}"
                done = carried if a.adjustment_ids else ""
                out.append(f"  {a.status} by {a.decided_by} at {a.decided_at:%Y-%m-%d %H:%M} UTC: {a.decision}{done}")
    return "\n".join(out)
