"""OpenAIChatProvider: the real ``openai`` SDK over HTTP to the scripted Chat Completions server."""

from __future__ import annotations

import json
import time

import pytest

from shared.models import (
    AssistantMessage,
    OpenAIChatProvider,
    ProviderError,
    RetryPolicy,
    SystemMessage,
    TextDelta,
    ToolCallRequest,
    ToolMessage,
    ToolSpec,
    TurnFinished,
    TurnRequest,
    Usage,
    UserMessage,
)
from shared.models import events as codes
from shared.models.events import ModelEvent
from tests.fakes import ScriptedOpenAI, ToolCall
from tests.fakes.openai_fixtures import API_KEY, FakeSleep
from tests.models.conftest import compatible

WEATHER = ToolSpec(
    name="get_weather",
    description="The weather in a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


def ask(text: str = "Hello?", **fields: object) -> TurnRequest:
    return TurnRequest(messages=(SystemMessage("You are Ada."), UserMessage(text)), **fields)  # type: ignore[arg-type]


def run(provider: OpenAIChatProvider, request: TurnRequest) -> list[ModelEvent]:
    return list(provider.stream_turn(request))


def text_of(events: list[ModelEvent]) -> str:
    return "".join(event.text for event in events if isinstance(event, TextDelta))


def failure(provider: OpenAIChatProvider, request: TurnRequest) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        run(provider, request)
    return caught.value


# ------------------------------------------------------------------------------------------ streaming


def test_text_deltas_arrive_in_order_then_the_turn_finishes_with_usage(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    server.reply_text("The sky is blue because of Rayleigh scattering.", chunks=4, usage=(21, 9))

    events = run(compatible(server, sleep), ask())

    deltas = [event for event in events if isinstance(event, TextDelta)]
    assert len(deltas) == 4
    assert text_of(events) == "The sky is blue because of Rayleigh scattering."
    assert events[-1] == TurnFinished(
        finish_reason="stop", usage=Usage(prompt_tokens=21, completion_tokens=9)
    )
    assert sleep.waits == []


def test_deltas_are_yielded_as_they_stream_not_after_the_answer(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    server.reply_text("one two three four", chunks=4, chunk_delay=0.15)

    started = time.monotonic()
    stream = compatible(server, sleep).stream_turn(ask())
    first = next(stream)
    first_after = time.monotonic() - started
    rest = list(stream)

    assert isinstance(first, TextDelta)
    assert first_after < 0.3  # the whole answer takes about 0.45 s
    assert isinstance(rest[-1], TurnFinished)


def test_the_request_carries_messages_tools_temperature_token_limit_and_usage_option(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    server.reply_text("ok")

    run(
        compatible(server, sleep, token_limit_field="max_tokens"),
        ask("Weather in Oslo?", tools=(WEATHER,), temperature=0.3, max_output_tokens=256),
    )

    body = server.last_request.body
    assert server.last_request.path == "/v1/chat/completions"
    assert server.last_request.headers["authorization"] == f"Bearer {API_KEY}"
    assert body["model"] == "gpt-test"
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == [
        {"role": "system", "content": "You are Ada."},
        {"role": "user", "content": "Weather in Oslo?"},
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "The weather in a city.",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ]
    assert body["temperature"] == 0.3
    assert body["max_tokens"] == 256
    assert "max_completion_tokens" not in body


def test_unset_options_are_not_sent(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    server.reply_text("ok")

    run(compatible(server, sleep), ask())

    body = server.last_request.body
    assert not {"tools", "temperature", "max_tokens", "max_completion_tokens"} & set(body)


# ------------------------------------------------------------------------------------------ tool calls


def test_a_streamed_tool_call_is_assembled_from_its_fragments(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    server.reply_tool_calls(
        [ToolCall("get_weather", {"city": "Paris", "unit": "celsius"}, id="call_abc")], fragments=5
    )

    events = run(compatible(server, sleep), ask("Weather in Paris?", tools=(WEATHER,)))

    assert events == [
        ToolCallRequest(
            call_id="call_abc",
            name="get_weather",
            arguments={"city": "Paris", "unit": "celsius"},
            raw_arguments='{"city": "Paris", "unit": "celsius"}',
        ),
        TurnFinished(finish_reason="tool_calls", usage=events[-1].usage),  # type: ignore[union-attr]
    ]


def test_parallel_tool_calls_with_interleaved_fragments_come_out_whole_in_index_order(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    server.reply_tool_calls(
        [
            ToolCall("get_weather", {"city": "Paris"}, id="call_1"),
            ToolCall("get_weather", {"city": "Tokyo"}, id="call_2"),
            ToolCall("get_time", {"zone": "Asia/Tokyo"}, id="call_3"),
        ],
        fragments=4,
        interleave=True,
    )

    events = run(compatible(server, sleep), ask("Paris and Tokyo?", tools=(WEATHER,)))

    calls = [event for event in events if isinstance(event, ToolCallRequest)]
    assert [(call.call_id, call.name, call.arguments) for call in calls] == [
        ("call_1", "get_weather", {"city": "Paris"}),
        ("call_2", "get_weather", {"city": "Tokyo"}),
        ("call_3", "get_time", {"zone": "Asia/Tokyo"}),
    ]
    assert isinstance(events[-1], TurnFinished) and events[-1].finish_reason == "tool_calls"


def test_text_before_tool_calls_streams_first(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    server.reply_tool_calls([ToolCall("get_weather", {"city": "Rome"})], text="Let me check. ")

    events = run(compatible(server, sleep), ask(tools=(WEATHER,)))

    assert isinstance(events[0], TextDelta) and events[0].text == "Let me check. "
    assert isinstance(events[1], ToolCallRequest) and events[1].arguments == {"city": "Rome"}


def test_invalid_json_arguments_become_a_call_flagged_for_an_error_result(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    server.reply_tool_calls([ToolCall("get_weather", '{"city": "Par', id="call_bad")])

    events = run(compatible(server, sleep), ask(tools=(WEATHER,)))

    call = events[0]
    assert isinstance(call, ToolCallRequest)
    assert call.arguments == {}
    assert call.raw_arguments == '{"city": "Par'
    assert call.arguments_error is not None and "not valid JSON" in call.arguments_error
    result = ToolMessage.invalid_arguments(call)
    assert result.call_id == "call_bad" and result.is_error
    assert "not called" in json.loads(result.content)["error"]


def test_arguments_that_are_json_but_not_an_object_are_flagged(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    server.reply_tool_calls([ToolCall("get_weather", '["Paris"]')])

    call = run(compatible(server, sleep), ask(tools=(WEATHER,)))[0]

    assert isinstance(call, ToolCallRequest)
    assert call.arguments_error == "the arguments were a JSON list, not an object"


def test_a_tool_call_with_no_arguments_has_an_empty_object(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    server.reply_tool_calls([ToolCall("get_time", "")])

    call = run(compatible(server, sleep), ask())[0]

    assert isinstance(call, ToolCallRequest)
    assert call.arguments == {} and call.arguments_error is None


def test_the_transcript_sends_tool_calls_and_results_by_call_id(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    server.reply_text("It is 18 degrees in Paris.")
    call = ToolCallRequest("call_1", "get_weather", {"city": "Paris"}, raw_arguments='{"city":"Paris"}')
    request = TurnRequest(
        messages=(
            SystemMessage("You are Ada."),
            UserMessage("Weather in Paris?"),
            AssistantMessage(content=None, tool_calls=(call,)),
            ToolMessage.result("call_1", {"temperature": 18}),
            AssistantMessage(content="It is 18 degrees."),
            UserMessage("And tomorrow?"),
            AssistantMessage(tool_calls=(ToolCallRequest("call_2", "get_weather", {"city": "Paris"}),)),
            ToolMessage("call_2", "forecast service down", is_error=True),
        ),
        tools=(WEATHER,),
    )

    run(compatible(server, sleep), request)

    messages = server.last_request.messages
    assert messages[2] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
            }
        ],
    }
    assert messages[3] == {"role": "tool", "tool_call_id": "call_1", "content": '{"temperature": 18}'}
    assert messages[4] == {"role": "assistant", "content": "It is 18 degrees."}
    assert json.loads(messages[6]["tool_calls"][0]["function"]["arguments"]) == {"city": "Paris"}
    assert messages[7] == {
        "role": "tool",
        "tool_call_id": "call_2",
        "content": '{"error": "forecast service down"}',
    }


# ------------------------------------------------------------------------------------------ retries


def test_429_with_retry_after_waits_what_the_server_asked_then_succeeds(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    server.reply_error(429, message="Rate limit reached", retry_after=7)
    server.reply_text("Hello after the limit")

    events = run(compatible(server, sleep), ask())

    assert text_of(events) == "Hello after the limit"
    assert sleep.waits == [7.0]
    assert len(server.chat_requests) == 2


def test_retry_after_ms_takes_precedence_over_retry_after(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    server.reply_error(429, retry_after=10, retry_after_ms=1500)
    server.reply_text("ok")

    run(compatible(server, sleep), ask())

    assert sleep.waits == [1.5]


def test_5xx_is_retried_with_exponential_backoff(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    server.reply_error(500)
    server.reply_error(502)
    server.reply_error(503)
    server.reply_text("finally")

    events = run(compatible(server, sleep), ask())

    assert text_of(events) == "finally"
    # base 0.5 s doubling; equal jitter with random() = 0.5 gives three quarters of each ceiling
    assert sleep.waits == [0.375, 0.75, 1.5]


def test_rate_limiting_that_outlasts_the_attempts_is_a_retryable_error(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    for _ in range(3):
        server.reply_error(429, retry_after=1)

    error = failure(compatible(server, sleep, retry=RetryPolicy(max_attempts=3)), ask())

    assert error.code == codes.RATE_LIMITED
    assert error.retryable is True
    assert error.status == 429
    assert "too many requests" in error.message
    assert sleep.waits == [1.0, 1.0]
    assert len(server.chat_requests) == 3


def test_a_retry_after_beyond_the_total_wait_budget_is_not_waited_for(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    server.reply_error(429, retry_after=120)

    error = failure(compatible(server, sleep, retry=RetryPolicy(max_total_wait=30)), ask())

    assert error.code == codes.RATE_LIMITED and error.retryable
    assert sleep.waits == []
    assert len(server.chat_requests) == 1


def test_the_total_wait_is_capped_across_retries(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    for _ in range(3):
        server.reply_error(503, retry_after=4)

    error = failure(compatible(server, sleep, retry=RetryPolicy(max_attempts=10, max_total_wait=10)), ask())

    assert error.code == codes.UNAVAILABLE and error.retryable
    assert sleep.waits == [4.0, 4.0]  # a third wait would pass 10 s
    assert len(server.chat_requests) == 3


def test_x_should_retry_false_stops_retries(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    server.reply_error(503, headers={"x-should-retry": "false"})

    error = failure(compatible(server, sleep), ask())

    assert error.code == codes.UNAVAILABLE and error.retryable is False
    assert sleep.waits == []


def test_a_stream_that_breaks_before_any_text_is_retried(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    server.reply_text("never shown", chunks=2, break_after=0)
    server.reply_text("shown")

    events = run(compatible(server, sleep), ask())

    assert text_of(events) == "shown"
    assert len(sleep.waits) == 1


def test_no_retry_once_text_has_been_yielded(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    server.reply_text("The answer is forty", chunks=3, break_after=1)

    received: list[ModelEvent] = []
    with pytest.raises(ProviderError) as caught:
        for event in compatible(server, sleep).stream_turn(ask()):
            received.append(event)

    assert text_of(received) == "The answer "
    assert caught.value.code == codes.INTERRUPTED
    assert sleep.waits == []
    assert len(server.chat_requests) == 1


def test_a_timeout_is_retried_then_reported(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    server.reply_text("too late", delay=2.0)
    server.reply_text("too late again", delay=2.0)

    started = time.monotonic()
    error = failure(compatible(server, sleep, timeout=0.2, retry=RetryPolicy(max_attempts=2)), ask())

    assert error.code == codes.TIMEOUT and error.retryable
    assert "0.2 seconds" in error.message
    assert len(sleep.waits) == 1
    assert time.monotonic() - started < 1.5


def test_a_connection_refused_is_unavailable_after_retries(sleep: FakeSleep) -> None:
    dead = ScriptedOpenAI().start()
    base_url = dead.base_url
    dead.stop()
    provider = OpenAIChatProvider.compatible(
        base_url=base_url, model="m", sleep=sleep, retry=RetryPolicy(max_attempts=2), random=lambda: 0.5
    )

    error = failure(provider, ask())

    assert error.code == codes.UNAVAILABLE and error.retryable
    assert "127.0.0.1" not in error.message
    assert len(sleep.waits) == 1


# ------------------------------------------------------------------------------------------ refusals


def test_401_is_not_retried_and_its_message_is_clear_and_keyless(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    wrong_key = "sk-wrong-9f8e7d6c5b4a39281706"

    error = failure(compatible(server, sleep, api_key=wrong_key), ask())

    assert error.code == codes.AUTH_FAILED
    assert error.retryable is False
    assert error.status == 401
    assert "refused the credentials" in error.message
    for leaked in (wrong_key, wrong_key[-4:], "sk-", "http"):
        assert leaked not in error.message
    assert error.to_frame() == {
        "event": "error",
        "data": {"code": codes.AUTH_FAILED, "message": error.message},
    }
    assert sleep.waits == [] and len(server.chat_requests) == 1


def test_403_is_an_auth_failure(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    server.reply_error(403, message="Principal does not have access to API/Operation.")

    error = failure(compatible(server, sleep), ask())

    assert (error.code, error.retryable, error.status) == (codes.AUTH_FAILED, False, 403)


def test_404_names_the_missing_model(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    server.reply_error(404, message="The model `gpt-test` does not exist", code="model_not_found")

    error = failure(compatible(server, sleep), ask())

    assert error.code == codes.NOT_FOUND and not error.retryable
    assert "no model named 'gpt-test'" in error.message


def test_400_quotes_the_providers_reason_without_secrets_or_urls(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    server.reply_error(
        400,
        message=f"This model's maximum context length is 8192 tokens. Key {API_KEY} at "
        "https://example.openai.azure.com/openai?sig=abc123 was used.",
        code="context_length_exceeded",
    )

    error = failure(compatible(server, sleep), ask())

    assert error.code == codes.BAD_REQUEST and not error.retryable
    assert "maximum context length is 8192 tokens" in error.message
    assert API_KEY not in error.message
    assert "sig=abc123" not in error.message and "https://" not in error.message
    assert sleep.waits == []


def test_a_content_filter_refusal_says_so(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    server.reply_error(
        400,
        body={
            "error": {
                "message": "The response was filtered due to the prompt triggering Azure OpenAI's content "
                "management policy.",
                "type": None,
                "param": "prompt",
                "code": "content_filter",
                "status": 400,
            }
        },
    )

    error = failure(compatible(server, sleep), ask())

    assert error.code == codes.CONTENT_FILTERED and not error.retryable


# ------------------------------------------------------------------------------------------ Azure


def test_azure_deployment_path_with_api_version_and_key_header(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    server.reply_text("Bonjour from Azure", chunks=2)
    provider = OpenAIChatProvider.azure(
        endpoint=server.azure_endpoint,
        deployment="gpt-4o-prod",
        api_version="2024-10-21",
        api_key=API_KEY,
        sleep=sleep,
    )

    events = run(provider, ask(max_output_tokens=100))

    assert text_of(events) == "Bonjour from Azure"
    request = server.last_request
    assert request.path == "/openai/deployments/gpt-4o-prod/chat/completions"
    assert request.query == {"api-version": "2024-10-21"}
    assert request.headers["api-key"] == API_KEY
    assert request.body["max_completion_tokens"] == 100


def test_azure_without_a_key_sends_the_entra_token(sleep: FakeSleep) -> None:
    with ScriptedOpenAI() as server:  # this one checks no key
        server.reply_text("hi")
        provider = OpenAIChatProvider.azure(
            endpoint=server.azure_endpoint,
            deployment="dep",
            api_version="2024-10-21",
            token_provider=lambda: "entra-token-123",
            sleep=sleep,
        )

        run(provider, ask())

        assert server.last_request.headers["authorization"] == "Bearer entra-token-123"
        assert "api-key" not in server.last_request.headers


def test_azure_identity_that_cannot_get_a_token_is_a_clear_auth_failure(sleep: FakeSleep) -> None:
    from azure.core.exceptions import ClientAuthenticationError

    def no_token() -> str:
        raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")

    provider = OpenAIChatProvider.azure(
        endpoint="http://127.0.0.1:9", deployment="dep", api_version="2024-10-21", token_provider=no_token
    )

    error = failure(provider, ask())

    assert error.code == codes.AUTH_FAILED and not error.retryable
    assert "identity" in error.message


def test_azure_missing_deployment_is_not_found(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    server.reply_error(
        404,
        body={
            "error": {
                "code": "DeploymentNotFound",
                "message": "The API deployment for this resource does not exist.",
            }
        },
    )
    provider = OpenAIChatProvider.azure(
        endpoint=server.azure_endpoint,
        deployment="nope",
        api_version="2024-10-21",
        api_key=API_KEY,
        sleep=sleep,
    )

    error = failure(provider, ask())

    assert error.code == codes.NOT_FOUND
    assert "Azure OpenAI has no deployment named 'nope'" in error.message
