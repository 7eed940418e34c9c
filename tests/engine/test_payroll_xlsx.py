"""The xlsx payroll file is byte-stable: every zip entry carries the fixed timestamp, worksheets included
(openpyxl writes them from temporary files whose mtime would otherwise leak into the archive)."""

import io
import zipfile

from perfrules.engine.payroll import Payroll, xlsx_bytes


def test_every_zip_entry_has_the_fixed_timestamp():
    archive = zipfile.ZipFile(io.BytesIO(xlsx_bytes(Payroll("x", "2026Q3", True, (), ()))))
    stamps = {info.filename: info.date_time for info in archive.infolist()}
    assert "xl/worksheets/sheet1.xml" in stamps
    assert set(stamps.values()) == {(2000, 1, 1, 0, 0, 0)}
