"""Explicit HTTP tools: the signed POST of the contract, retried within the tool's time budget.

The transport is the standard library's ``http.client`` (no new runtime dependency): it never follows
redirects, never reads proxy settings from the environment, and lets each attempt connect to the exact
addresses the address rule approved (see ``connections``). Redirects are refused, not followed: a 3xx
could send the call to an address the rule forbids.

Outcomes: a 2xx answer is the result (its JSON, or its text when it is not JSON); 408, 429, 5xx,
timeouts and connection failures are retried with exponential backoff and jitter while the budget lasts
(each attempt gets what is left of it; a ``Retry-After`` in seconds is honoured when it fits); any other
status, a refused address or an invalid certificate ends the call at once. Whatever happens, the answer
is a ``ToolOutcome``, never an exception.
"""

from __future__ import annotations

import functools
import http.client
import json
import random
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from shared.functions.addresses import HostPort, Resolver, UnsafeEndpoint
from shared.tools.connections import SocketFactory, Target, checked_target, open_socket, request_headers
from shared.tools.records import DEFAULT_TIMEOUT_SECONDS, ToolCall, ToolOutcome, failed, succeeded
from shared.tools.retries import Budget, Clock, backoff_seconds
from shared.tools.signing import signature_headers

MAX_ANSWER_BYTES = 1024 * 1024  # a larger 2xx answer is an error: it is meant for a model's context
USER_AGENT = "Omniagent-Tools/1"
_RESERVED_HEADERS = frozenset(
    {"host", "content-length", "content-type", "transfer-encoding", "connection", "te", "upgrade"}
)
_RETRIED_STATUSES = frozenset({408, 429})
_EXCERPT_CHARS = 300


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes
    truncated: bool = False  # the body was longer than the client reads


class HttpClient(Protocol):
    """Sends one POST to ``target`` within ``timeout`` seconds. Raises ``TimeoutError`` when the time runs
    out, ``OSError`` / ``http.client.HTTPException`` when the connection fails, ``ValueError`` for
    headers that HTTP cannot carry."""

    def post(
        self, target: Target, path: str, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> HttpAnswer: ...


class StdlibHttpClient:
    """``HttpClient`` over ``http.client``, connecting only to the target's approved addresses."""

    def __init__(
        self,
        *,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        tls: ssl.SSLContext | None = None,
        create_connection: SocketFactory = socket.create_connection,
    ) -> None:
        self._max = max_answer_bytes
        self._tls = tls or ssl.create_default_context()
        self._create_connection = create_connection

    def post(
        self, target: Target, path: str, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> HttpAnswer:
        return self.send("POST", target, path, body, headers, timeout)

    def send(
        self,
        method: str,
        target: Target,
        path: str,
        body: bytes | None,
        headers: Mapping[str, str],
        timeout: float,
    ) -> HttpAnswer:
        """One request; the answer's body is read up to ``max_answer_bytes`` (``truncated`` beyond)."""
        deadline = time.monotonic() + timeout
        connection = _PinnedConnection(target, timeout, self._tls, self._create_connection)
        try:
            connection.request(method, path, body=body, headers=dict(headers))
            sock = connection.sock  # kept: a closing answer detaches it from the connection
            _set_deadline(sock, deadline)
            response = connection.getresponse()
            chunks: list[bytes] = []
            size = 0
            while size <= self._max and not response.isclosed():  # closed: the whole body was read
                _set_deadline(sock, deadline)
                chunk = response.read(min(64 * 1024, self._max + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            data = b"".join(chunks)
            answer_headers = {name.lower(): value for name, value in response.getheaders()}
            return HttpAnswer(response.status, answer_headers, data[: self._max], size > self._max)
        finally:
            connection.close()


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection whose socket goes to the target's approved addresses (TLS is verified
    against the URL's host name)."""

    def __init__(
        self, target: Target, timeout: float, tls: ssl.SSLContext, create_connection: SocketFactory
    ) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._target = target
        self._tls = tls if target.scheme == "https" else None
        self._connect = create_connection
        self._connect_timeout = timeout

    def connect(self) -> None:
        sock = open_socket(self._target, self._connect_timeout, self._connect)
        if self._tls is not None:
            try:
                sock = self._tls.wrap_socket(sock, server_hostname=self._target.host)
            except BaseException:
                sock.close()
                raise
        self.sock = sock


@functools.cache
def _default_client() -> StdlibHttpClient:
    """Made on first use (loading the CA store takes a moment), then shared: it holds no connection."""
    return StdlibHttpClient()


def _set_deadline(sock: Any, deadline: float) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("the time budget ran out")
    if sock is not None and sock.fileno() != -1:
        sock.settimeout(remaining)


@dataclass(frozen=True)
class _Failure:
    message: str
    retry: bool
    retry_after: float | None = None


def call_http_tool(
    call: ToolCall,
    endpoint_url: str,
    headers: Mapping[str, str] | None,
    signing_secret: str | None,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    allow_private: bool = False,
    *,
    own_host: HostPort | None = None,
    http: HttpClient | None = None,
    clock: Clock = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    now: Clock = time.time,
    rng: random.Random | None = None,
    resolve: Resolver = socket.getaddrinfo,
) -> ToolOutcome:
    """POST the call to ``endpoint_url`` (signed when there is a secret) and read the tool's answer,
    retrying transient failures within ``timeout_seconds``. Never raises for anything the endpoint or the
    network does; ``ValueError`` only for a non-positive ``timeout_seconds``."""
    budget = Budget(timeout_seconds, clock)
    client = http or _default_client()
    body = call.request_body()
    attempts = 0
    while True:
        try:  # again before each attempt: DNS answers change
            target = checked_target(
                endpoint_url, allow_private=allow_private, own_host=own_host, resolve=resolve
            )
        except UnsafeEndpoint as error:
            return failed(call, f"the endpoint URL is refused: it {error}", budget.elapsed_ms(), attempts)
        signed = signature_headers(signing_secret, str(int(now())), body)
        outgoing = {"User-Agent": USER_AGENT, **request_headers(headers, signed, _RESERVED_HEADERS)}
        outgoing["Content-Type"] = "application/json"
        remaining = budget.remaining()
        if remaining <= 0:  # the address check used it up
            failure = _Failure(f"timed out after {timeout_seconds:g} s", retry=False)
        else:
            attempts += 1
            path = _path_of(endpoint_url)
            failure_or_result = _attempt(client, target, path, body, outgoing, remaining, timeout_seconds)
            if not isinstance(failure_or_result, _Failure):
                return succeeded(call, failure_or_result.value, budget.elapsed_ms(), attempts)
            failure = failure_or_result
        pause = max(backoff_seconds(attempts, rng), failure.retry_after or 0.0)
        if not failure.retry or not budget.allows_retry_after(pause):
            return failed(call, _final_message(failure, attempts), budget.elapsed_ms(), attempts)
        sleep(pause)


@dataclass(frozen=True)
class _Result:
    value: Any


def _attempt(
    client: HttpClient,
    target: Target,
    path: str,
    body: bytes,
    headers: Mapping[str, str],
    timeout: float,
    budget_seconds: float,
) -> _Result | _Failure:
    try:
        answer = client.post(target, path, body, headers, timeout)
    except TimeoutError:
        return _Failure(f"timed out after {budget_seconds:g} s", retry=True)
    except ssl.SSLCertVerificationError as error:
        return _Failure(f"the endpoint's TLS certificate is not valid ({error.verify_message})", retry=False)
    except ssl.SSLError:
        return _Failure("the TLS handshake with the endpoint failed", retry=False)
    except (OSError, http.client.HTTPException) as error:
        return _Failure(f"could not reach the endpoint ({type(error).__name__})", retry=True)
    except ValueError:  # never the text: it would quote the header value (often a credential)
        return _Failure("the function's headers cannot be sent over HTTP", retry=False)
    return _read_answer(answer)


def _read_answer(answer: HttpAnswer) -> _Result | _Failure:
    status = answer.status
    if 200 <= status < 300:
        if answer.truncated:
            return _Failure(f"the endpoint's answer is larger than {MAX_ANSWER_BYTES} bytes", retry=False)
        return _Result(_parse_body(answer.body))
    if 300 <= status < 400:
        location = answer.headers.get("location")
        where = f" to {location}" if location else ""
        return _Failure(
            f"the endpoint answered a redirect (HTTP {status}{where}); redirects are not followed",
            retry=False,
        )
    message = f"the endpoint answered HTTP {status}{_excerpt(answer.body)}"
    if status in _RETRIED_STATUSES or 500 <= status < 600:
        return _Failure(message, retry=True, retry_after=_retry_after(answer.headers))
    return _Failure(message, retry=False)


def _parse_body(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", errors="replace")


def _excerpt(body: bytes) -> str:
    text = " ".join(body.decode("utf-8", errors="replace").split())
    if not text:
        return ""
    return ": " + (text if len(text) <= _EXCERPT_CHARS else text[:_EXCERPT_CHARS] + "…")


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after", "").strip()
    return float(value) if value.isdigit() else None


def _final_message(failure: _Failure, attempts: int) -> str:
    return failure.message if attempts <= 1 else f"{failure.message} (after {attempts} attempts)"


def _path_of(url: str) -> str:
    parts = urlsplit(url.strip())
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
