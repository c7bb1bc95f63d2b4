"""Hop times of session turns, for the breakdown that ``benchmarks/turn_overhead.py`` prints.

Off unless ``OMNI_TURN_TRACE`` names a file (the benchmark sets it on its own devhost): then each hop
appends ``<unix time> <session id> <hop>``. When it is off, a mark costs one environment lookup.
"""

from __future__ import annotations

import os
import threading
import time

TRACE_SETTING = "OMNI_TURN_TRACE"

_lock = threading.Lock()


def mark(hop: str, session_id: str) -> None:
    path = os.environ.get(TRACE_SETTING)
    if not path:
        return
    line = f"{time.time():.6f} {session_id} {hop}\n"
    with _lock, open(path, "a", encoding="utf-8") as trace:
        trace.write(line)


def read_trace(path: str) -> list[tuple[float, str, str]]:
    """The marks in ``path``, in time order: (unix time, session id, hop)."""
    marks = []
    with open(path, encoding="utf-8") as trace:
        for line in trace:
            stamp, session_id, hop = line.split()
            marks.append((float(stamp), session_id, hop))
    return sorted(marks)
