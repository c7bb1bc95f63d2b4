"""Explicit WebSocket tools: one request frame, one answer frame, within the tool's time budget.

Per call the platform opens a connection (the handshake carries the function's headers and the
signature headers, computed over the request frame), sends the same JSON an HTTP tool receives as one
text frame, and waits for a frame whose ``callId`` is the call's: its ``result`` is the tool's result, an
``error`` (or ``isError: true``) makes it a failure. Frames for other call ids, and frames that are not
JSON objects, are ignored until the budget ends.

The connection goes to the addresses the address rule approved (a socket opened here is handed to
``websockets``, which then follows no redirect and uses no proxy). A failure to connect (refused, 5xx
or 429 handshake, timeout) is retried within the budget; once the request frame is sent, the call is
never sent again (the tool may be running it), so a lost connection then ends the call.
"""

from __future__ import annotations

import functools
import json
import random
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from shared.functions.addresses import HostPort, Resolver, UnsafeEndpoint
from shared.tools.connections import SocketFactory, Target, checked_target, open_socket, request_headers
from shared.tools.records import DEFAULT_TIMEOUT_SECONDS, ToolCall, ToolOutcome, failed, outcome_from_answer
from shared.tools.retries import Budget, Clock, backoff_seconds
from shared.tools.signing import signature_headers

MAX_FRAME_BYTES = 1024 * 1024
USER_AGENT = "Omniagent-Tools/1"
_RESERVED_HEADERS = frozenset(
    {"host", "connection", "upgrade", "content-length", "transfer-encoding", "user-agent"}
)
_RETRIED_STATUSES = frozenset({408, 429})
_CLOSE_TIMEOUT_SECONDS = 1.0


class _RetryableConnectFailure(Exception):
    """Connecting failed in a way worth another try."""


def call_websocket_tool(
    call: ToolCall,
    endpoint_url: str,
    headers: Mapping[str, str] | None,
    signing_secret: str | None,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    allow_private: bool = False,
    *,
    own_host: HostPort | None = None,
    clock: Clock = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    now: Clock = time.time,
    rng: random.Random | None = None,
    resolve: Resolver = socket.getaddrinfo,
    create_connection: SocketFactory = socket.create_connection,
    tls: ssl.SSLContext | None = None,
) -> ToolOutcome:
    """Send the call to a ``ws``/``wss`` endpoint and wait for its answer frame. Never raises for anything
    the endpoint or the network does; ``ValueError`` only for a non-positive ``timeout_seconds``."""
    budget = Budget(timeout_seconds, clock)
    frame = call.request_body()
    timed_out = f"timed out after {timeout_seconds:g} s"
    attempts = 0
    while True:
        try:
            target = checked_target(
                endpoint_url, allow_private=allow_private, own_host=own_host, resolve=resolve
            )
        except UnsafeEndpoint as error:
            return failed(call, f"the endpoint URL is refused: it {error}", budget.elapsed_ms(), attempts)
        if target.scheme not in ("ws", "wss"):
            return failed(call, "a WebSocket tool needs a ws:// or wss:// URL", budget.elapsed_ms(), attempts)
        signed = signature_headers(signing_secret, str(int(now())), frame)
        outgoing = request_headers(headers, signed, _RESERVED_HEADERS)
        remaining = budget.remaining()
        if remaining <= 0:
            return failed(call, timed_out, budget.elapsed_ms(), attempts)
        attempts += 1
        try:
            connection = _open(endpoint_url, target, outgoing, remaining, create_connection, tls)
        except _RetryableConnectFailure as failure:
            pause = backoff_seconds(attempts, rng)
            if not budget.allows_retry_after(pause):
                message = timed_out if isinstance(failure.__cause__, TimeoutError) else str(failure)
                return failed(call, _with_attempts(message, attempts), budget.elapsed_ms(), attempts)
            sleep(pause)
            continue
        except _FinalConnectFailure as failure:
            return failed(call, _with_attempts(str(failure), attempts), budget.elapsed_ms(), attempts)
        with connection:
            return _exchange(call, connection, frame, budget, timed_out, attempts)


class _FinalConnectFailure(Exception):
    """Connecting failed in a way another try would not change."""


def _open(
    url: str,
    target: Target,
    headers: Mapping[str, str],
    timeout: float,
    create_connection: SocketFactory,
    tls: ssl.SSLContext | None,
) -> ClientConnection:
    try:
        sock = open_socket(target, timeout, create_connection)
    except TimeoutError as error:
        raise _RetryableConnectFailure("could not connect to the endpoint in time") from error
    except OSError as error:
        raise _RetryableConnectFailure(f"could not reach the endpoint ({type(error).__name__})") from error
    try:
        return connect(
            url.strip(),
            sock=sock,  # our socket: no second DNS lookup, no proxy, redirects refused
            ssl=(tls or _default_tls()) if target.scheme == "wss" else None,
            additional_headers=dict(headers),
            user_agent_header=USER_AGENT,
            open_timeout=timeout,
            close_timeout=_CLOSE_TIMEOUT_SECONDS,
            ping_interval=None,
            max_size=MAX_FRAME_BYTES,
            proxy=None,
        )
    except BaseException as error:
        sock.close()
        raise _connect_failure(error) from error


@functools.cache
def _default_tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def _connect_failure(error: BaseException) -> Exception:
    status_error = error if isinstance(error, InvalidStatus) else error.__cause__
    if isinstance(status_error, InvalidStatus):
        status = status_error.response.status_code
        if 300 <= status < 400:
            return _FinalConnectFailure(
                f"the endpoint answered a redirect (HTTP {status}); redirects are not followed"
            )
        message = f"the endpoint refused the WebSocket connection (HTTP {status})"
        if status in _RETRIED_STATUSES or 500 <= status < 600:
            return _RetryableConnectFailure(message)
        return _FinalConnectFailure(message)
    if isinstance(error, ssl.SSLCertVerificationError):
        return _FinalConnectFailure(f"the endpoint's TLS certificate is not valid ({error.verify_message})")
    if isinstance(error, ssl.SSLError):
        return _FinalConnectFailure("the TLS handshake with the endpoint failed")
    if isinstance(error, TimeoutError):
        return _RetryableConnectFailure("the WebSocket handshake timed out")
    if isinstance(error, InvalidHandshake | OSError | EOFError):
        return _RetryableConnectFailure(f"the WebSocket handshake failed ({type(error).__name__})")
    if isinstance(error, ValueError):  # never the text: it may quote a header value (a credential)
        return _FinalConnectFailure("the function's headers or URL cannot be used for a WebSocket")
    if isinstance(error, Exception):
        return _FinalConnectFailure(f"could not open the WebSocket ({type(error).__name__})")
    raise error  # KeyboardInterrupt, SystemExit: not ours to turn into an outcome


def _exchange(
    call: ToolCall,
    connection: ClientConnection,
    frame: bytes,
    budget: Budget,
    timed_out: str,
    attempts: int,
) -> ToolOutcome:
    try:
        connection.send(frame.decode())
        while True:
            remaining = budget.remaining()
            if remaining <= 0:
                return failed(call, timed_out, budget.elapsed_ms(), attempts)
            answer = _answer_for(call, connection.recv(timeout=remaining))
            if answer is not None:
                return outcome_from_answer(call, answer, budget.elapsed_ms(), attempts)
    except TimeoutError:
        return failed(call, timed_out, budget.elapsed_ms(), attempts)
    except ConnectionClosed as closed:
        reason = f" (close code {closed.rcvd.code})" if closed.rcvd is not None else ""
        message = f"the endpoint closed the connection before answering{reason}"
        return failed(call, message, budget.elapsed_ms(), attempts)


def _answer_for(call: ToolCall, message: str | bytes) -> dict[str, Any] | None:
    """The frame as an answer to ``call``, or None (not JSON, not an object, another call's)."""
    try:
        answer = json.loads(message)
    except ValueError:
        return None
    if isinstance(answer, dict) and answer.get("callId") == call.call_id:
        return answer
    return None


def _with_attempts(message: str, attempts: int) -> str:
    return message if attempts <= 1 else f"{message} (after {attempts} attempts)"
