"""What a failed ``openai`` SDK request means for us, and the retry loop around such requests; shared by
chat (``openai_chat``) and speech (``speech``).

- ``OpenAIFailures.classify`` turns an SDK error into a ``Failure``: a ``ProviderError`` with its code,
  a message written for the user (naming the provider by its label, never quoting a secret, a URL or a
  key-like string) and whether it may be retried, plus the wait the server asked for. 408/409/429/5xx,
  timeouts and broken connections are retryable; refusals (400/401/403/404/422) are not;
  ``x-should-retry`` overrides either way, except for 401/403. A token provider that could not get a
  token is a non-retryable ``auth_failed``.
- ``RetryLoop`` runs a request (``call``) or a stream (``stream``) again after a retryable failure,
  waiting as ``RetryPolicy`` says (or as ``retry-after-ms`` / ``Retry-After`` asked) until the attempts
  or the total wait run out; a stream is never run again once it has yielded an event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import TypeVar

import openai

from shared.models import events
from shared.models.events import ProviderError
from shared.models.retry import RetryPolicy, is_retryable_status, server_retry_after

MAX_QUOTED = 300  # characters of a provider's own error message quoted to the user
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
KEY_LIKE = re.compile(r"\b(?:sk|pk|rk|key|oa)[-_.][A-Za-z0-9_.*-]{6,}|\b[A-Za-z0-9+/_-]{32,}={0,2}")

_T = TypeVar("_T")
_E = TypeVar("_E")


@dataclass
class Failure:
    """A failed attempt: the error to raise if it is not tried again, and the wait the server asked
    for (None: the policy's backoff)."""

    error: ProviderError
    retry_after: float | None = None


@dataclass(frozen=True)
class OpenAIFailures:
    """The classification of SDK errors for one provider and model.

    ``label`` names the provider in messages ("Azure OpenAI"); ``model_kind`` ("model", "deployment")
    and ``model`` name what a 404 did not find; ``secrets`` are strings never to appear in a message;
    ``timeout`` is the seconds a timeout message speaks of; with ``content_filter``, a 400 whose code is
    ``content_filter`` is ``model_content_filtered`` rather than ``model_bad_request``."""

    label: str
    model_kind: str
    model: str
    secrets: tuple[str, ...]
    timeout: float
    content_filter: bool = False

    def classify(self, error: Exception) -> Failure | None:
        """The failure ``error`` stands for, or None when it is none of the SDK's (nor a credential
        failure) and must propagate as it is."""
        if isinstance(error, openai.APIStatusError):
            return self.status_failure(error)
        if isinstance(error, openai.APITimeoutError):
            return Failure(
                ProviderError(
                    events.TIMEOUT,
                    f"{self.label} did not answer within {self.timeout:g} seconds; try again shortly.",
                    retryable=True,
                )
            )
        if isinstance(error, openai.APIError):  # connection failures, error events, unreadable answers
            return self.unavailable()
        if is_credential_failure(error):
            return Failure(
                ProviderError(
                    events.AUTH_FAILED,
                    f"{self.label} could not be reached with the platform's identity: no token "
                    "could be obtained. Give the API key a provider key, or grant the identity "
                    "access to the resource.",
                    retryable=False,
                )
            )
        return None

    def unavailable(self, status: int | None = None) -> Failure:
        suffix = f" ({status})" if status else ""
        return Failure(
            ProviderError(
                events.UNAVAILABLE,
                f"{self.label} is unavailable{suffix}; try again shortly.",
                retryable=True,
                status=status,
            )
        )

    def status_failure(self, error: openai.APIStatusError) -> Failure:
        status = error.status_code
        headers = dict(error.response.headers)
        should_retry = headers.get("x-should-retry", "").lower()
        retry_after = server_retry_after(headers)
        if status == 429:
            failure = Failure(
                ProviderError(
                    events.RATE_LIMITED,
                    f"{self.label} is receiving too many requests (429); try again shortly.",
                    retryable=True,
                    status=status,
                ),
                retry_after,
            )
        elif is_retryable_status(status):
            failure = self.unavailable(status)
            failure.retry_after = retry_after
        elif status in (401, 403):
            failure = Failure(
                ProviderError(
                    events.AUTH_FAILED,
                    f"{self.label} refused the credentials ({status}). Check the API key's model "
                    "provider settings: its key, or the platform identity's access.",
                    retryable=False,
                    status=status,
                )
            )
        elif status == 404:
            failure = Failure(
                ProviderError(
                    events.NOT_FOUND,
                    f"{self.label} has no {self.model_kind} named '{self.model}' (404). Check the API "
                    "key's model provider settings.",
                    retryable=False,
                    status=status,
                )
            )
        elif self.content_filter and status == 400 and error_code(error) == "content_filter":
            failure = Failure(
                ProviderError(
                    events.CONTENT_FILTERED,
                    f"{self.label}'s content filter blocked this request.",
                    retryable=False,
                    status=status,
                )
            )
        else:
            quoted = self.quote(error)
            detail = f": {quoted}" if quoted else "."
            failure = Failure(
                ProviderError(
                    events.BAD_REQUEST,
                    f"{self.label} refused the request ({status}){detail}",
                    retryable=False,
                    status=status,
                )
            )
        if should_retry in ("true", "false") and status not in (401, 403):
            failure.error.retryable = should_retry == "true"
        return failure

    def quote(self, error: openai.APIStatusError) -> str:
        """The provider's own explanation, made safe to show: secrets, URLs and key-like strings
        removed, shortened."""
        body = error.body
        text = body.get("message") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            return ""
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        text = URL.sub("[url]", text)
        text = KEY_LIKE.sub("[redacted]", text)
        text = " ".join(text.split())
        return text if len(text) <= MAX_QUOTED else text[: MAX_QUOTED - 1].rstrip() + "…"


def error_code(error: openai.APIStatusError) -> str | None:
    """The error body's ``code`` (or its ``innererror``'s, as Azure's content filter answers)."""
    body = error.body
    if isinstance(body, dict):
        code = body.get("code")
        inner = body.get("innererror")
        if code is None and isinstance(inner, dict):
            code = inner.get("code")
        return str(code) if code is not None else None
    return None


def is_credential_failure(error: Exception) -> bool:
    """A token provider that could not get a token (azure-identity's ``ClientAuthenticationError``,
    or its ``CredentialUnavailableError`` subclass)."""
    try:
        from azure.core.exceptions import ClientAuthenticationError
    except ImportError:  # pragma: no cover - azure-core comes with azure-identity
        return False
    return isinstance(error, ClientAuthenticationError)


@dataclass(frozen=True)
class RetryLoop:
    """Our retry loop (the SDK's ``max_retries`` is 0). ``classify`` callables say what an exception
    means (None: not ours, it propagates); ``sleep`` and ``random`` are injectable so tests drive the
    policy without waiting."""

    policy: RetryPolicy
    sleep: Callable[[float], None]
    random: Callable[[], float]

    def call(self, request: Callable[[], _T], classify: Callable[[Exception], Failure | None]) -> _T:
        """What ``request`` returns, trying it again after retryable failures."""
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            try:
                return request()
            except Exception as error:
                failure = classify(error)
                if failure is None:
                    raise
            waited += self._wait(failure, attempt, waited)

    def stream(
        self,
        attempt_stream: Callable[[], Generator[_E, None, None]],
        classify: Callable[[Exception], Failure | None],
        interrupted: Callable[[Failure], ProviderError],
    ) -> Iterator[_E]:
        """The events of ``attempt_stream()``, started again after retryable failures as long as none
        has been yielded; a failure after that raises ``interrupted(failure)``."""
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            emitted = False
            try:
                with closing(attempt_stream()) as stream:
                    for event in stream:
                        emitted = True
                        yield event
                return
            except Exception as error:
                failure = classify(error)
                if failure is None:
                    raise
            if emitted:
                raise interrupted(failure)
            waited += self._wait(failure, attempt, waited)

    def next_delay(self, failure: Failure, attempt: int, waited: float) -> float | None:
        """How long to wait before trying again, or None to give up with the failure."""
        if not failure.error.retryable or attempt >= self.policy.max_attempts:
            return None
        delay = failure.retry_after
        if delay is None:
            delay = self.policy.backoff(attempt, self.random)
        if waited + delay > self.policy.max_total_wait:
            return None
        return delay

    def _wait(self, failure: Failure, attempt: int, waited: float) -> float:
        """Sleeps before the next attempt and answers how long; raises the failure's error instead
        when it is not to be tried again."""
        delay = self.next_delay(failure, attempt, waited)
        if delay is None:
            raise failure.error
        self.sleep(delay)
        return delay
