"""Who reports go to (fixed audiences: the operations team, management), and people as notices name them.

Everyone comes back as a :class:`~storage.outbox.PersonRecord` and becomes a notice :class:`Recipient` in
their own language. Who an *alert* goes to — the words of a rule's ``notify`` — is not decided here but by
:func:`perfrules.engine.evaluation.intents.recipients`, the same function HR's rule tests run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo

from perfrules.engine.notices.contexts import Named, Person, Recipient
from perfrules.engine.vocabulary import DEPARTMENTS, LOCALES, ROLES
from perfrules.storage import Database
from perfrules.storage.outbox import PersonRecord
from perfrules.storage.schedule import role_holders

# (department, role) pairs of each audience
OPERATIONS_TEAM = tuple(("operations", role) for role in ROLES if role.startswith("operations_"))
DEPARTMENT_MANAGERS = tuple((d, f"{d}_manager") for d in DEPARTMENTS if f"{d}_manager" in ROLES)
GENERAL_MANAGERS = tuple((d, "general_manager") for d in DEPARTMENTS)
MANAGEMENT = GENERAL_MANAGERS + DEPARTMENT_MANAGERS


def holders(db: Database, pairs: Iterable[tuple[str, str]], day: date) -> list[PersonRecord]:
    """Everyone employed on ``day`` in one of the (department, role) ``pairs``, once each, by id."""
    found: dict[str, PersonRecord] = {}
    for department, role in pairs:
        for person in role_holders(db, department, role, day):
            found.setdefault(person.id, person)
    return [found[k] for k in sorted(found)]


def recipient_of(person: PersonRecord, zone: ZoneInfo) -> Recipient:
    return Recipient(
        id=person.id,
        name_zh=person.name_zh,
        name_en=person.name_en,
        email=person.email,
        locale=person.locale if person.locale in LOCALES else LOCALES[0],
        zone=zone.key,
    )


def person_of(person: PersonRecord) -> Person:
    return Person(
        id=person.id,
        name_zh=person.name_zh,
        name_en=person.name_en,
        email=person.email,
        department=Named(code=person.department, name_zh=person.department_zh, name_en=person.department_en),
    )
