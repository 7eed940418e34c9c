"""Contract acknowledgements: a person confirms they read the clauses of their role in force, and HR sees who
has not.

An acknowledgement names the rulebook digest the clauses were rendered from (the stamp on the contract
document), so it covers exactly those rule files: when a rule file changes, the digest changes and everyone
must acknowledge again. Acknowledging the same clauses twice is one acknowledgement (and one audit entry).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from perfrules.engine.errors import PerfRulesError, UnknownEmployee
from perfrules.engine.evaluation.people import Person, load_people
from perfrules.engine.rulebook.rulebook import Rulebook
from perfrules.storage import Database
from perfrules.storage import acknowledgements as store
from perfrules.storage.acknowledgements import AcknowledgementRecord


class AcknowledgementRefused(PerfRulesError, ValueError):
    """Raised by :func:`acknowledge` when there is nothing (or not this) to acknowledge: the person is not
    employed, no rule in force names their role, or the rules changed since the page they read."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Standing:
    """Where one person stands: the clauses of their role in force and their acknowledgement of them."""

    employee_id: str
    name_en: str
    name_zh: str
    department: str
    role: str
    digest: str
    clauses: tuple[str, ...]  # "rule_id v3", the rules in force for the role
    acknowledged: AcknowledgementRecord | None  # of these clauses (this digest)
    earlier: AcknowledgementRecord | None  # the newest of an earlier rulebook: the rules changed since

    @property
    def done(self) -> bool:
        return self.acknowledged is not None

    def as_dict(self) -> dict[str, object]:
        return {
            "employee_id": self.employee_id,
            "department": self.department,
            "role": self.role,
            "rulebook_digest": self.digest,
            "clauses": list(self.clauses),
            "acknowledged": self.acknowledged.as_dict() if self.acknowledged else None,
            "earlier": self.earlier.as_dict() if self.earlier else None,
        }


def clause_stamps(rulebook: Rulebook, role: str, day: date) -> tuple[str, ...]:
    """The rules in force on ``day`` for ``role``, as ``rule_id vN``, in the contract's order."""
    mine = sorted((r.rule for r in rulebook.in_force(day) if r.rule.role == role), key=lambda r: r.id)
    return tuple(f"{r.id} v{r.version}" for r in mine)


def _person(db: Database, employee_id: str, day: date) -> tuple[Person, str]:
    person = next((p for p in load_people(db) if p.id == employee_id), None)
    if person is None:
        raise UnknownEmployee(employee_id)
    stint = person.stint_on(day)
    if stint is None:
        raise AcknowledgementRefused(f"{employee_id} is not employed on {day}: no clauses in force to acknowledge")
    return person, stint.role


def acknowledge(
    db: Database,
    rulebook: Rulebook,
    employee_id: str,
    *,
    by: str,
    now: datetime,
    day: date,
    digest: str | None = None,
) -> tuple[AcknowledgementRecord, bool]:
    """Record that ``employee_id`` read the clauses of their role in force on ``day``: (the record, whether it
    is new). ``digest``: the rulebook the reader saw; refused when the rules changed since."""
    _, role = _person(db, employee_id, day)
    if digest is not None and digest != rulebook.digest:
        raise AcknowledgementRefused(
            f"the rules changed since (digest {digest[:12]}, now {rulebook.digest[:12]}): read the clauses again"
        )
    stamps = clause_stamps(rulebook, role, day)
    if not stamps:
        raise AcknowledgementRefused(f"no rule in force on {day} applies to role {role!r}: nothing to acknowledge")
    return store.acknowledge(
        db, employee_id=employee_id, role=role, digest=rulebook.digest, clauses=stamps, by=by, now=now
    )


def standings(db: Database, rulebook: Rulebook, *, day: date, visible: frozenset[str] | None) -> list[Standing]:
    """Everyone in ``visible`` (None: all) employed on ``day`` whose role has clauses in force, unacknowledged
    first, then by id."""
    records = store.acknowledgements(db, employee_ids=visible)
    out = []
    for person in load_people(db):
        stint = person.stint_on(day)
        if stint is None or (visible is not None and person.id not in visible):
            continue
        stamps = clause_stamps(rulebook, stint.role, day)
        if not stamps:
            continue
        mine = [r for r in records if r.employee_id == person.id and r.role == stint.role]
        current = next((r for r in mine if r.rulebook_digest == rulebook.digest), None)
        earlier = next((r for r in mine if r.rulebook_digest != rulebook.digest), None)
        out.append(
            Standing(
                person.id,
                person.name_en,
                person.name_zh,
                stint.department,
                stint.role,
                rulebook.digest,
                stamps,
                current,
                earlier,
            )
        )
    return sorted(out, key=lambda s: (s.done, s.employee_id))
