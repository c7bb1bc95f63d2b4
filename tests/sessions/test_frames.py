"""Client frames: the contract's and the published commands; bad frames are refused with a code."""

import json

import pytest

from shared.sessions.frames import (
    MAX_FRAME_BYTES,
    BadFrame,
    EndSession,
    ToolResult,
    UserMessage,
    parse_client_frame,
)


@pytest.mark.parametrize(
    ("frame", "parsed"),
    [
        ({"type": "user.message", "text": " hi "}, UserMessage("hi")),
        ({"type": "send_message", "role": "user", "text": "hello"}, UserMessage("hello")),
        ({"type": "tool.result", "callId": "c1", "result": {"ok": 1}}, ToolResult("c1", {"ok": 1})),
        ({"type": "send_function_output", "call_id": "c2", "output": "x"}, ToolResult("c2", "x")),
        (
            {"type": "tool.result", "callId": "c3", "result": "boom", "isError": True},
            ToolResult("c3", "boom", True),
        ),
        ({"type": "session.end"}, EndSession()),
    ],
)
def test_known_frames_parse(frame, parsed):
    assert parse_client_frame(json.dumps(frame)) == parsed


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "InvalidJson"),
        ("[1, 2]", "InvalidFrame"),
        ('{"type": "user.message"}', "InvalidFrame"),
        ('{"type": "tool.result", "result": 1}', "InvalidFrame"),
        ('{"type": "dance"}', "UnknownFrameType"),
        ("x" * (MAX_FRAME_BYTES + 1), "FrameTooLarge"),
    ],
)
def test_bad_frames_are_refused_with_a_code(raw, code):
    with pytest.raises(BadFrame) as refused:
        parse_client_frame(raw)
    assert refused.value.code == code
