"""Write the next migration from the difference between the models and the newest revision.

Run ``make migration NAME='what changed'``. The initial schema (0001) has shipped: it is never regenerated;
each schema change gets its own numbered revision (0002, 0003 …), generated against a scratch SQLite
database migrated to the current head, then reviewed by hand.
"""

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from perfrules.storage.db import alembic_config

VERSIONS = Path(__file__).resolve().parent / "versions"


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].strip():
        print("usage: python -m perfrules.storage.migrations.regenerate 'what changed'", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        cfg = alembic_config(f"sqlite:///{tmp}/scratch.db")
        head = ScriptDirectory.from_config(cfg).get_current_head()
        command.upgrade(cfg, "head")
        command.revision(cfg, message=argv[0], autogenerate=True, rev_id=f"{int(head or '0') + 1:04d}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
