"""``perfrules import``: exit 0 with a summary per file, 1 with every error, 2 for usage errors."""

from __future__ import annotations

from perfrules.engine.cli import cli

from tests.importing.conftest import DEPARTMENTS, write


def invoke(runner, url, *args):
    return runner.invoke(cli, ["--database-url", url, "--timezone", "Asia/Shanghai", "import", *args])


def test_ok_prints_a_summary_per_file(runner, database_url):
    write("d.csv", DEPARTMENTS)
    write("d2.csv", "code,name_en,name_zh\nfinance,Finance,财务\n")
    result = invoke(runner, database_url, "departments", "d.csv", "d2.csv", "--user", "hr-admin")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "d.csv: 2 rows: 2 inserted, 0 updated, 0 unchanged\nd2.csv: 1 rows: 1 inserted, 0 updated, 0 unchanged\n"
    )
    again = invoke(runner, database_url, "departments", "d.csv")
    assert again.output == "d.csv: 2 rows: 0 inserted, 0 updated, 2 unchanged\n"


def test_bad_data_exits_1_with_every_error(runner, database_url):
    write("d.csv", "code,name_en,name_zh,size\npurchasing,,采购,1\n")
    result = invoke(runner, database_url, "departments", "d.csv")
    assert result.exit_code == 1
    assert result.stderr == (
        "d.csv:1: size: unknown column (expected: code, name_en, name_zh)\n"
        "d.csv:2: name_en: required value is missing\n"
        "nothing imported: 2 errors\n"
    )
    assert "Traceback" not in result.output


def test_encoding_and_format_options(runner, database_url):
    write("d.txt", DEPARTMENTS.encode("gb18030"))
    result = invoke(runner, database_url, "departments", "d.txt", "--format", "csv", "--encoding", "gb18030")
    assert result.exit_code == 0, result.output
    write("d.data", '{"code": "hr", "name_en": "HR", "name_zh": "人事"}\n')
    result = invoke(runner, database_url, "departments", "d.data", "--format", "jsonl")
    assert result.output == "d.data: 1 rows: 1 inserted, 0 updated, 0 unchanged\n"


def test_usage_errors_exit_2(runner, database_url):
    write("d.csv", DEPARTMENTS)
    assert invoke(runner, database_url, "department", "d.csv").exit_code == 2  # unknown kind
    assert invoke(runner, database_url, "departments", "missing.csv").exit_code == 2
    assert invoke(runner, database_url, "departments").exit_code == 2
    bad_codec = invoke(runner, database_url, "departments", "d.csv", "--encoding", "klingon")
    assert bad_codec.exit_code == 2 and "unknown encoding 'klingon'" in bad_codec.output
    assert invoke(runner, database_url, "departments", "d.csv", "--max-errors", "0").exit_code == 2
