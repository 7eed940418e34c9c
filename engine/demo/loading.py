"""Load generated export files through the real importer, kind by kind, in dependency order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from perfrules.engine.demo.files import IMPORT_ORDER
from perfrules.engine.demo.generator import GenerationReport
from perfrules.engine.importing import import_files
from perfrules.engine.settings import Settings
from perfrules.storage import Database

USER = "perfrules demo"


@dataclass(frozen=True)
class ImportSummary:
    """Rows of one kind that went into the database."""

    kind: str
    rows: int


def import_generated(
    database: Database, report: GenerationReport, settings: Settings, now: datetime
) -> list[ImportSummary]:
    """Import every file of ``report`` in :data:`IMPORT_ORDER`, one transaction per kind."""
    files = dict(report.files)
    done = []
    for kind in IMPORT_ORDER:
        results = import_files(database, kind, [files[kind]], zone=settings.zone, now=now, user=USER)
        done.append(ImportSummary(kind, sum(r.rows for r in results)))
    return done
