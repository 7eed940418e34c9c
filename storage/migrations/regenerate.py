"""Regenerate the initial migration from the models (pre-release only: the schema has not shipped yet).

Run ``make migration``. Once 0.1.0 is released, new schema changes get their own revision instead:
``alembic -c storage/alembic.ini revision --autogenerate -m '…'``.
"""

import sys
import tempfile
from pathlib import Path

from alembic import command
from perfrules.storage.db import alembic_config

VERSIONS = Path(__file__).resolve().parent / "versions"


def main() -> int:
    for old in VERSIONS.glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = alembic_config(f"sqlite:///{tmp}/empty.db")
        command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
    for path in VERSIONS.glob("0001_*.py"):
        path.rename(VERSIONS / "0001_initial_schema.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
