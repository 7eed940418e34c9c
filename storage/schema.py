"""The complete table metadata: importing this module registers every table.

Each table module of ``storage`` is imported here, so Alembic and tests see the whole schema.
"""

from sqlmodel import SQLModel

import storage.access  # (dashboard users, sessions, API tokens, audit log)
import storage.evaluation  # (evaluation runs, findings, adjustments, escalations, closes)
import storage.models  # (registers the fact tables)
import storage.outbox  # (the notice outbox)
import storage.rollup  # (per-SKU monthly rollup for the KPIs)
import storage.schedule  # noqa: F401  (scheduler slots and state)

metadata = SQLModel.metadata
