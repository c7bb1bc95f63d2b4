"""Every durable function and external event name, in one place: replay finds functions by name, so
these are API (renaming one breaks instances in flight). A test checks them against the app."""

# Orchestrators: nouns for the life they track.
SESSION = "session"

# Activities: verb phrases for the one effect each has.
SEND_TO_SESSION = "send_to_session"
READ_INBOX = "read_session_inbox"
TRANSCRIBE_UTTERANCE = "transcribe_utterance"
RUN_MODEL_TURN = "run_model_turn"
CALL_FUNCTION_ENDPOINT = "call_function_endpoint"
END_SESSION = "end_session"

# External events raised into a session: "something is in your inbox" (see shared/sessions/inbox.py).
INBOX_EVENT = "inbox"
