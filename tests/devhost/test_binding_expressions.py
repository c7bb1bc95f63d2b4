"""Binding expressions, blob path patterns and the queue settings of host.json (pure, no processes)."""

from __future__ import annotations

import re
import uuid

import pytest

from devhost.bindings.expressions import ExpressionError, compile_blob_pattern, resolve, resolve_settings
from devhost.bindings.queue_trigger import QueueSettings, timespan_seconds


def test_app_settings_resolve_at_load_and_an_unset_one_is_named() -> None:
    assert resolve_settings("%PREFIX%-orders", {"PREFIX": "eu"}) == "eu-orders"
    with pytest.raises(ExpressionError, match="no app setting named 'MISSING'"):
        resolve_settings("%MISSING%", {})


def test_parameters_resolve_case_insensitively_and_walk_into_json() -> None:
    data = {"Id": "o-1", "customer": {"Address": {"city": "Oslo"}}, "count": 3, "paid": True}
    assert resolve("orders/{id}/{Customer.address.CITY}/{count}-{paid}", data) == "orders/o-1/Oslo/3-True"


def test_a_parameter_without_a_value_fails_with_the_hosts_words() -> None:
    with pytest.raises(ExpressionError) as missing:
        resolve("files/{name}", {"other": "x"})
    assert str(missing.value) == "No value for named parameter 'name'."


def test_new_guids_and_the_current_time() -> None:
    first, second = resolve("{rand-guid}", {}), resolve("{sys.randguid}", {})
    assert uuid.UUID(first) and uuid.UUID(second) and first != second
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}", resolve("{DateTime:yyyy/MM/dd}", {}))


def test_blob_patterns_match_names_with_folders_and_suffixes() -> None:
    pattern = compile_blob_pattern("uploads/{name}.txt")
    assert (pattern.container, pattern.prefix) == ("uploads", "")
    assert pattern.match("a.txt") == {"name": "a"}
    assert pattern.match("folder/b.txt") == {"name": "folder/b"}
    assert pattern.match("a.bin") is None
    two = compile_blob_pattern("images/in-{year}/{file}.png")
    assert two.prefix == "in-"
    assert two.match("in-2026/cat.png") == {"year": "2026", "file": "cat"}
    with pytest.raises(ExpressionError, match="must start with a container name"):
        compile_blob_pattern("{container}/x")


def test_queue_settings_from_host_json() -> None:
    assert QueueSettings.from_host_json({}) == QueueSettings()
    settings = QueueSettings.from_host_json(
        {
            "extensions": {
                "queues": {
                    "maxPollingInterval": "00:00:10",
                    "visibilityTimeout": "00:00:30",
                    "batchSize": 64,
                    "maxDequeueCount": 3,
                    "messageEncoding": "None",
                }
            }
        }
    )
    assert settings == QueueSettings(
        batch_size=32,
        max_dequeue_count=3,
        visibility_timeout_s=30.0,
        max_polling_interval_s=10.0,
        message_encoding="none",
    )
    assert timespan_seconds(2000, 0) == 2.0  # milliseconds, as host.json also takes
    assert timespan_seconds("00:00:00.250", 0) == 0.25
    assert timespan_seconds("garbage", 7.0) == 7.0
