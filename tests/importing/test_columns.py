"""Column parsing: the fast column-wise path and the per-cell path agree; the docs list every column."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from perfrules.engine.importing import KINDS
from perfrules.engine.importing.columns import Amount, Context, Timestamp, WholeNumber, convert

ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    minutes=st.lists(st.integers(0, 3 * 366 * 24 * 60), min_size=1, max_size=30),
    sep=st.sampled_from("T "),
)
def test_fast_timestamps_agree_with_one_by_one(zone, minutes, sep):
    """Across DST changes, half-hour offsets and 30-minute DST (Lord Howe) the by-the-hour shortcut is exact."""
    start = datetime(2025, 1, 1)
    values = [(start + timedelta(minutes=m)).isoformat(sep) for m in minutes]
    kind = Timestamp(day=True)
    fast = kind.fast(values, Context(ZoneInfo(zone)))
    slow = [kind.one(v, Context(ZoneInfo(zone))) for v in values]
    assert fast == [list(col) for col in zip(*slow, strict=True)]


@pytest.mark.parametrize(
    ("kind", "values", "out", "bad"),
    [
        (WholeNumber(0), ["1", "", "2"], [1, None, 2], [(1, "required value is missing")]),
        (WholeNumber(), ["1_0", "+3"], [None, 3], [(0, "'1_0' is not a whole number")]),
        (
            Amount(),
            ["1,234.50", "7", "1,23"],
            ["1234.50", "7", None],
            [(2, "'1,23' is not an amount (expected decimal text such as 1,234.50)")],
        ),
        (
            Amount(),
            ["nan", "1e3"],
            [None, None],
            [
                (0, "'nan' is not an amount (expected decimal text such as 1,234.50)"),
                (1, "'1e3' is not an amount (expected decimal text such as 1,234.50)"),
            ],
        ),
    ],
)
def test_cells_that_the_fast_path_must_not_accept(kind, values, out, bad):
    assert convert(kind, values, True, Context(ZoneInfo("Asia/Shanghai"))) == ([out], bad)


def test_docs_describe_every_kind_and_column():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "importing.md").read_text(encoding="utf-8")
    for kind in KINDS.values():
        section = docs.split(f"### `{kind.name}`\n", 1)[1].split("\n### ", 1)[0]
        for f in kind.fields:
            row = f"| `{f.name}` | {f.type.describe()} | {'yes' if f.required else ''} |"
            assert row in section, (kind.name, f.name)
