"""Who carries a finding: the employee it names, or whoever held the rule's role in its department on the
reference day; and, under cross-department attribution, the department the rule names.

The result is the ``charged_to`` list stored with the finding: ``{"employee", "department", "weight"}``
where ``weight`` is the part of the consequence that employee carries (1 = all of it).

Attribution moves money only. The rule's **owners** (:func:`owners`: the employee the finding names, or
whoever held the rule's role in its department) answer for the breach whoever pays: their streaks decide
the rule's escalations (:mod:`perfrules.engine.evaluation.streaks`), e.g. finance's written improvement
plan after two months of capital occupation above 30 % even when purchasing carried a month's deduction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from perfrules.engine.evaluation.observations import Observation
from perfrules.engine.evaluation.people import Person, holders

ONE = Decimal(1)


def responsible(people: Sequence[Person], department: str, role: str, day) -> list[Person]:
    """Who held ``role`` in ``department`` on ``day`` (anyone in the department when nobody held it)."""
    return holders(people, department, day, frozenset({role})) or holders(people, department, day)


def _owners(obs: Observation, people: Sequence[Person], by_id: Mapping[str, Person]) -> list[Person]:
    day = obs.reference_day
    if obs.subject_kind == "employee":
        person = by_id.get(obs.subject)
        stint = person.stint_on(day) if person else None
        return [person] if person and stint and not person.on_leave(day) else []
    return responsible(people, obs.department, obs.role, day)


def owners(obs: Observation, people: Sequence[Person], by_id: Mapping[str, Person]) -> list[dict[str, Any]]:
    """Who answers for ``obs`` (escalations), attribution or not: ``{"employee", "department"}`` each."""
    out = []
    for person in _owners(obs, people, by_id):
        target = _target(person, obs.reference_day, ONE)
        out.append({"employee": target["employee"], "department": target["department"]})
    return out


def targets(obs: Observation, people: Sequence[Person], by_id: Mapping[str, Person]) -> list[dict[str, Any]]:
    """The employees charged with ``obs`` and the weight each carries; [] when nobody can be charged."""
    day = obs.reference_day
    owners = _owners(obs, people, by_id)
    if obs.carry is None:
        return [_target(p, day, ONE) for p in owners]
    carriers = responsible(people, obs.carry.department, obs.carry.role, day)
    kept = ONE - obs.carry.share
    result = [_target(p, day, kept) for p in owners] if kept > 0 else []
    result += [_target(p, day, obs.carry.share) for p in carriers]
    return result


def _target(person: Person, day, weight: Decimal) -> dict[str, Any]:
    stint = person.stint_on(day)
    return {
        "employee": person.id,
        "department": stint.department if stint else person.department,
        "weight": str(weight),
    }


def attribution_text(obs: Observation, charged: list[dict[str, Any]]) -> str | None:
    if obs.carry is None:
        return None
    names = ", ".join(t["employee"] for t in charged if t["department"] == obs.carry.department) or "nobody"
    moved = "moved to" if obs.carry.share >= ONE else f"shared ({obs.carry.share * 100:.0f}%) with"
    return f"consequence {moved} {obs.carry.department}/{obs.carry.role} ({names}) because {obs.carry.because}"
