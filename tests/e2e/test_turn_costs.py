"""What a text turn costs the platform, counted (never timed): durable episodes of the session's
orchestrator and storage operations, both flat as the session grows; the prompt stays bounded."""

from __future__ import annotations

from collections import Counter

from shared.models.window import MAX_WINDOW_MESSAGES
from shared.sessions.lifecycle import TURNS_PER_EXECUTION
from tests.e2e.builders import new_agent
from tests.e2e.session_client import SessionClient, open_connection
from tests.fakes.storage_counter import StorageCounter, episodes_of, settled

T = 30
EARLY, LATE = range(3, 8), range(26, 31)  # TURNS_PER_EXECUTION turns each


def test_a_text_turn_takes_two_episodes_and_the_same_storage_operations_at_turn_5_and_turn_30(
    azurite, own_platform_factory, model, model_key
):
    assert len(EARLY) == len(LATE) == TURNS_PER_EXECUTION  # each window holds one new execution
    model.always_text("Noted.")
    with StorageCounter(azurite) as counter:
        host = own_platform_factory(OMNI_STORAGE_CONNECTION_STRING=counter.connection_string)
        agent = new_agent(host, model_key, inactivity={"timeoutSeconds": 3600, "countdownSeconds": 10})
        answer = open_connection(host, model_key, agent["id"], modality="text")
        episodes: dict[int, int] = {}
        invocations: dict[int, int] = {}
        operations: dict[int, Counter] = {}
        with SessionClient(answer) as client:
            client.receive_until("avatar_state_changed", state="ready")
            before = settled(host, client.session_id, counter)
            invoked = episodes_of(host, client.session_id, "invocations")
            for turn in range(1, LATE.stop):
                assert client.ask(f"Message number {turn}. " + "Some detail. " * 50) == "Noted."
                after = settled(host, client.session_id, counter)
                episodes[turn] = after[0] - before[0]
                operations[turn] = after[1] - before[1]
                runs = episodes_of(host, client.session_id, "invocations")
                invocations[turn], invoked = runs - invoked, runs
                before = after
            client.end()
    # Two episodes a turn, also on the turn that starts the next execution: the new execution's first
    # run shares the old one's last work item (one more orchestrator run, no more episodes).
    for window in (EARLY, LATE):
        assert [episodes[turn] for turn in window] == [2] * TURNS_PER_EXECUTION, (window, episodes)
        runs = sorted(invocations[turn] for turn in window)
        assert runs == [2] * (TURNS_PER_EXECUTION - 1) + [3], (window, invocations)
    early_ops = [sum(operations[t].values()) for t in EARLY]
    late_ops = [sum(operations[t].values()) for t in LATE]
    assert late_ops == early_ops, (operations[EARLY.start], operations[LATE.start])
    # channel state read, inbox write and read, the context blob written (the worker that wrote it
    # holds that version: no read), the transcript lines of the user and the agent in one transaction:
    assert max(late_ops) <= 5, operations[LATE.start]
    assert operations[LATE.start][("blob", "sessioncontext")] == 1, operations[LATE.start]
    # The prompt holds a window of recent turns and a summary of the others, not the whole conversation.
    messages = model.chat_requests[-1].messages
    assert len(messages) < 2 * LATE.stop
    assert len(messages) <= MAX_WINDOW_MESSAGES + 1
    assert "Earlier in this conversation" in messages[0]["content"]
    assert "Message number 1." not in " ".join(str(m.get("content")) for m in messages[1:])
