"""The published live protocol: commands parsed from ``{type, data}``, events built as ``{event, data}``,
and the inbox rule that cuts a read at the first entry that asks for an answer."""

import json

import pytest

from shared.sessions import protocol
from shared.sessions.inbox import InboxEntry, new_entry, split_at_turn


def _command(name: str, data: object) -> str:
    return json.dumps({"type": name, "data": data})


def test_send_message_takes_the_published_fields_with_their_defaults():
    command = protocol.parse_command(_command("send_message", {"role": "user", "text": "Hi"}))
    assert command == protocol.SendMessage(role="user", text="Hi", trigger_response=True, delay=False)
    silent = protocol.parse_command(
        _command("send_message", {"role": "system", "text": "page=billing", "trigger_response": False})
    )
    assert isinstance(silent, protocol.SendMessage) and silent.trigger_response is False


def test_send_function_output_accepts_an_object_or_a_json_string():
    as_object = protocol.parse_command(
        _command("send_function_output", {"call_id": "c1", "output": {"ok": 1}})
    )
    as_text = protocol.parse_command(
        _command("send_function_output", {"call_id": "c1", "output": '{"ok": 1}'})
    )
    assert isinstance(as_object, protocol.SendFunctionOutput) and as_object.output == {"ok": 1}
    assert isinstance(as_text, protocol.SendFunctionOutput) and as_text.output == '{"ok": 1}'


def test_set_settings_validates_turn_detection():
    command = protocol.parse_command(
        _command("set_settings", {"turn_detection": {"silence_duration_ms": 800}})
    )
    assert isinstance(command, protocol.SetSettings)
    assert command.turn_detection is not None and command.turn_detection.silence_duration_ms == 800
    with pytest.raises(protocol.BadCommand, match=r"turn_detection\.threshold"):
        protocol.parse_command(_command("set_settings", {"turn_detection": {"threshold": 3}}))


@pytest.mark.parametrize(
    ("raw", "code", "says"),
    [
        ("{not json", "InvalidJson", "not valid JSON"),
        ('["send_message"]', "InvalidCommand", '"type"'),
        (_command("user.message", {"text": "old"}), "UnknownCommand", "user.message"),
        (_command("send_message", {"role": "user"}), "InvalidCommand", "data.text"),
        (_command("send_message", {"role": "robot", "text": "x"}), "InvalidCommand", "data.role"),
        (_command("send_message", "hello"), "InvalidCommand", '"data"'),
        (_command("send_audio", {"audio": 5}), "InvalidCommand", "data.audio"),
        (_command("send_function_output", {"output": {}}), "InvalidCommand", "data.call_id"),
        ("x" * (protocol.MAX_FRAME_BYTES + 1), "FrameTooLarge", str(protocol.MAX_FRAME_BYTES)),
        ("[" * 50000, "InvalidJson", "nested too deeply"),
        ('{"a": ' * 10000, "InvalidJson", "nested too deeply"),
        # issue 16, defect 9: one JSON rule for bodies and frames
        ('{"type": "send_message", "type": "end_session", "data": {}}', "InvalidJson", "'type' twice"),
        (_command("send_message", {"role": "user", "text": "x", "delay": 1}), "InvalidCommand", "data.delay"),
        (_command("send_message", {"role": "user", "text": "x", "trigger_response": "no"}), "InvalidCommand",
         "must be a JSON boolean"),
    ],
)
def test_a_bad_command_names_what_is_wrong(raw: str, code: str, says: str):
    with pytest.raises(protocol.BadCommand) as refused:
        protocol.parse_command(raw)
    assert refused.value.code == code
    assert says in str(refused.value)


def test_events_are_published_envelopes_with_message_fields_under_data_message():
    item = protocol.ConversationItem(role="assistant", action="delta", content="Hi", item_id="i1")
    assert protocol.message(item) == {
        "event": "message_received",
        "data": {
            "message": {
                "type": "message",
                "role": "assistant",
                "action": "delta",
                "content": "Hi",
                "item_id": "i1",
            }
        },
    }
    assert protocol.avatar_state("ready") == {"event": "avatar_state_changed", "data": {"state": "ready"}}
    assert protocol.speech_started() == {"event": "speech_started", "data": {}}
    marker = protocol.session_marker("sess_1", "2026-12-01T00:00:00.000Z")["data"]["message"]
    assert marker["type"] == "session" and "role" not in marker


def test_every_event_and_command_has_a_data_model():
    assert set(protocol.COMMANDS) >= {"send_message", "send_audio", "send_function_output", "set_settings"}
    assert set(protocol.EVENTS) >= {
        "avatar_state_changed",
        "talk_state_changed",
        "message_received",
        "audio_received",
        "speech_started",
        "function_implicitly_called",
        "function_call_timeout",
        "ui_update",
    }


def _entries(*specs: tuple[str, dict]) -> list[InboxEntry]:
    return [new_entry(kind, **fields) for kind, fields in specs]  # type: ignore[arg-type]


def test_a_read_is_cut_at_the_first_entry_that_asks_for_an_answer():
    entries = _entries(
        ("connected", {}),
        ("message", {"role": "system", "text": "ctx", "trigger_response": False}),
        ("message", {"role": "user", "text": "first"}),
        ("utterance", {"utterance_id": "u1"}),
    )
    read = split_at_turn(entries, "")
    assert [e.kind for e in read.before] == ["connected", "message"]
    assert read.turn is entries[2] and read.cursor == entries[2].id and read.more
    rest = split_at_turn(entries[3:], read.cursor)
    assert rest.turn is entries[3] and not rest.more


def test_nothing_after_the_clients_end_is_taken():
    entries = _entries(("end", {}), ("message", {"role": "user", "text": "too late"}))
    read = split_at_turn(entries, "c0")
    assert read.turn is None and read.end_reason == "client" and not read.more
    assert split_at_turn([], "c0").cursor == "c0"


def test_delayed_messages_do_not_interrupt_a_reply_and_speech_does():
    delayed, spoken = _entries(
        ("message", {"role": "user", "text": "x", "delay": True}), ("speech_start", {})
    )
    assert not delayed.interrupts() and spoken.interrupts()
