"""The complete table metadata: importing this module registers every table.

Each table module of ``storage`` is imported here, so Alembic and tests see the whole schema.
"""

from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the fact tables)

metadata = SQLModel.metadata
