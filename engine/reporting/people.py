"""Who reports and alerts go to: the holders of roles on a day, and the words rule files use for them.

Rule files name recipients by role word (``employee``, ``manager``, ``hr``, ``department``,
``general_manager``); reports go to fixed audiences (the operations team, management). Everyone comes back
as a :class:`~storage.outbox.PersonRecord` and becomes a notice :class:`Recipient` in their own language.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo

from engine.notices.contexts import Named, Person, Recipient
from engine.rulebook.model import DEPARTMENTS, ROLES
from storage import Database
from storage.outbox import PersonRecord, find_person
from storage.schedule import role_holders

# (department, role) pairs of each audience
OPERATIONS_TEAM = tuple(("operations", role) for role in ROLES if role.startswith("operations_"))
DEPARTMENT_MANAGERS = tuple((d, f"{d}_manager") for d in DEPARTMENTS if f"{d}_manager" in ROLES)
GENERAL_MANAGERS = tuple((d, "general_manager") for d in DEPARTMENTS)
MANAGEMENT = GENERAL_MANAGERS + DEPARTMENT_MANAGERS
HR = tuple(("hr", role) for role in ROLES if role.startswith("hr_"))


def holders(db: Database, pairs: Iterable[tuple[str, str]], day: date) -> list[PersonRecord]:
    """Everyone employed on ``day`` in one of the (department, role) ``pairs``, once each, by id."""
    found: dict[str, PersonRecord] = {}
    for department, role in pairs:
        for person in role_holders(db, department, role, day):
            found.setdefault(person.id, person)
    return [found[k] for k in sorted(found)]


def department_members(db: Database, department: str, day: date) -> list[PersonRecord]:
    return holders(db, ((department, role) for role in ROLES), day)


def manager_of(db: Database, person: PersonRecord) -> PersonRecord | None:
    return find_person(db, person.manager_id) if person.manager_id else None


def by_word(db: Database, word: str, responsible: list[PersonRecord], department: str,
            day: date) -> list[PersonRecord]:
    """The people a rule file's recipient word names, given who is responsible."""
    if word == "employee":
        return responsible
    if word == "manager":
        managers = (manager_of(db, p) for p in responsible)
        return list({m.id: m for m in managers if m is not None}.values())
    if word == "hr":
        return holders(db, HR, day)
    if word == "department":
        return department_members(db, department, day)
    if word == "general_manager":
        return holders(db, GENERAL_MANAGERS, day)
    raise ValueError(f"unknown recipient word {word!r}")


def recipient_of(person: PersonRecord, zone: ZoneInfo) -> Recipient:
    return Recipient(id=person.id, name_zh=person.name_zh, name_en=person.name_en, email=person.email,
                     locale=person.locale if person.locale in ("zh-CN", "en") else "zh-CN", zone=zone.key)


def person_of(person: PersonRecord) -> Person:
    return Person(id=person.id, name_zh=person.name_zh, name_en=person.name_en, email=person.email,
                  department=Named(code=person.department, name_zh=person.department_zh,
                                   name_en=person.department_en))
