"""The words the rule files, the import files and the store share: departments, roles, deliverables and
locales. One home, so that a role HR may name in a rule is exactly a role an employee file may carry."""

from __future__ import annotations

DEPARTMENTS = ("purchasing", "finance", "operations", "planning", "warehouse", "hr", "management")
ROLES = (
    "purchaser",
    "purchasing_manager",
    "finance_analyst",
    "finance_manager",
    "operations_specialist",
    "operations_manager",
    "planner",
    "planning_manager",
    "warehouse_keeper",
    "warehouse_manager",
    "hr_specialist",
    "hr_manager",
    "general_manager",
)
DELIVERABLES = ("slow_mover_list", "disposal_tracking", "capital_report", "improvement_plan")
LOCALES = ("zh-CN", "en")  # the languages of notices, pages and contract clauses; the first is the default
