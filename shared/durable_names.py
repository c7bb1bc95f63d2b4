"""Every durable function and external event name, in one place: replay finds functions by name, so
these are API (renaming one breaks instances in flight). A test checks them against the app."""

# Orchestrators: nouns for the life they track.
SESSION = "session"
INGEST_KNOWLEDGE_FILE = "ingest_knowledge_file"
PREPARE_AVATAR_SILHOUETTE = "prepare_avatar_silhouette"

# Activities: verb phrases for the one effect each has.
SEND_TO_SESSION = "send_to_session"
RUN_MODEL_TURN = "run_model_turn"
CALL_FUNCTION_ENDPOINT = "call_function_endpoint"
TRANSFER_CALL = "transfer_call"  # a phone call to a person (human handoff)
END_SESSION = "end_session"
PREPARE_KNOWLEDGE_FILE = "prepare_knowledge_file"
EMBED_KNOWLEDGE_BATCH = "embed_knowledge_batch"
INDEX_KNOWLEDGE_FILE = "index_knowledge_file"
FAIL_KNOWLEDGE_FILE = "fail_knowledge_file"
CUT_OUT_AVATAR_SILHOUETTE = "cut_out_avatar_silhouette"

# External events raised into a session: "something is in your inbox"; the payload names the entry
# (see shared/sessions/inbox.py).
INBOX_EVENT = "inbox"
