"""The tool-socket worker: a long-lived process (Container Apps; locally a subprocess of ``./dev up``
and of the e2e platform) that holds, per session, the sockets to its WebSocket tool servers.

A Functions app cannot keep a socket open across invocations, so the app talks to this worker over
an internal HTTP API (``server``), and the worker posts what tool servers push back to the app
(``/runtime/tool-sockets/{sessionId}/events``, see channels/tool_sockets.py).
"""
