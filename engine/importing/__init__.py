"""Fact import: CSV / JSON Lines exports from ERP, WMS and finance into the fact store.

``import_files(db, kind, paths, zone=…, now=…, user=…)`` checks every cell, key and reference of every
file, then loads them in one transaction or not at all (:class:`ImportRejected` lists the errors as
``file:line: column: message``). The kinds and their columns are in :mod:`perfrules.engine.importing.kinds`.
"""

from perfrules.engine.importing.errors import ImportRejected, RowError
from perfrules.engine.importing.kinds import KINDS, Kind
from perfrules.engine.importing.run import FileResult, UnknownKind, import_files

__all__ = ["KINDS", "FileResult", "ImportRejected", "Kind", "RowError", "UnknownKind", "import_files"]
