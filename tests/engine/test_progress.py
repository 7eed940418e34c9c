"""Progress of long commands: plain lines on a pipe (count, rate, time left), nothing for a quick run."""

from __future__ import annotations

import io

from perfrules.engine.cli.progress import PlainLines, meter


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_plain_lines_tell_count_rate_and_time_left_every_interval():
    out, clock = io.StringIO(), Clock()
    lines = PlainLines("import movements", 1000, "rows", out, clock=clock, every=10)
    clock.now = 5
    lines.advance(100)
    assert out.getvalue() == ""  # not yet ten seconds
    clock.now = 10
    lines.advance(150)
    assert out.getvalue() == "import movements: 250 of 1,000 rows (25 rows/s, about 30 s left)\n"


def test_a_quick_run_prints_nothing_on_a_pipe():
    out = io.StringIO()
    with meter("import", None, "rows", stream=out) as advance:
        advance(10)
    assert out.getvalue() == ""
