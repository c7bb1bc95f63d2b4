"""Tool calls of a session: explicit HTTP and WebSocket tools, signatures, outcomes (see ``calls``)."""
