"""Run one measured step in a child process: its own peak RSS, wall and CPU time, the load average around it.

A parent calls :func:`run` with a Python interpreter (the venv's, or another checkout's to compare code) and a
script plus arguments; the script does the work in :func:`measured` and prints one JSON line, which
:func:`run` returns as a dict.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

MARK = "@@bench "


def load() -> str:
    """The 1-, 5- and 15-minute load averages (the machine is shared: figures mean little without them)."""
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def peak_rss_mib() -> float:
    """This process's peak RSS. Linux: ``VmHWM`` of /proc/self/status, the high-water mark of this program's
    own memory (``ru_maxrss`` would also count the parent's, which the child was spawned from before exec)."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def measured(work: Callable[[], dict[str, Any] | None]) -> None:
    """Run ``work`` in this (child) process and print its figures for the parent."""
    before = load()
    wall, cpu = time.perf_counter(), time.process_time()
    extra = work() or {}
    figures = {
        "seconds": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "rss_mib": peak_rss_mib(),
        "load": f"{before} → {load()}",
        **extra,
    }
    print(MARK + json.dumps(figures), flush=True)


def run(python: str, script: str, *args: str) -> dict[str, Any]:
    """Run ``python script args…`` and return the figures it printed (stderr passes through)."""
    done = subprocess.run([python, script, *args], stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode:
        sys.stdout.write(done.stdout)
        raise SystemExit(f"{script} {' '.join(args)} failed with exit code {done.returncode}")
    line = next(line for line in done.stdout.splitlines() if line.startswith(MARK))
    return json.loads(line[len(MARK) :])
