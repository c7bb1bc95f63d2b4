"""Turn hop marks are written only when OMNI_TURN_TRACE names a file (shared/turn_trace.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.turn_trace import TRACE_SETTING, mark, read_trace


def test_marks_are_written_in_order_when_the_setting_names_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    trace = tmp_path / "turns.trace"
    monkeypatch.setenv(TRACE_SETTING, str(trace))
    mark("frame_received", "s1")
    mark("inbox_written", "s1")
    marks = read_trace(str(trace))
    assert [(session, hop) for _, session, hop in marks] == [
        ("s1", "frame_received"),
        ("s1", "inbox_written"),
    ]
    assert marks[0][0] <= marks[1][0]


def test_nothing_is_written_without_the_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(TRACE_SETTING, raising=False)
    monkeypatch.chdir(tmp_path)
    mark("frame_received", "s1")
    assert list(tmp_path.iterdir()) == []
