"""The complete table metadata: importing this module registers every table.

Each table module of ``storage`` is imported here, so Alembic and tests see the whole schema.
"""

import perfrules.storage.access  # (dashboard users, sessions, API tokens, audit log)
import perfrules.storage.acknowledgements  # (contract acknowledgements)
import perfrules.storage.appeals  # (appeals against findings and bonus lines)
import perfrules.storage.drafts  # (rule-file drafts under review)
import perfrules.storage.evaluation  # (evaluation runs, findings, adjustments, escalations, closes)
import perfrules.storage.kpi_store  # (stored KPI figure sets per period, scope and facts generation)
import perfrules.storage.models  # (registers the fact tables)
import perfrules.storage.outbox  # (the notice outbox)
import perfrules.storage.rollup  # (per-SKU monthly rollup for the KPIs)
import perfrules.storage.schedule  # noqa: F401  (scheduler slots and state)
from sqlmodel import SQLModel

metadata = SQLModel.metadata
