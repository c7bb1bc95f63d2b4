"""Route templates as the Functions host reads them, without a host."""

import pytest

from devhost.durable.management_api import BadInput, payload_json
from devhost.durable.scheduling import retry_delay
from devhost.routes import RouteTable, RouteTemplateError, compile_route


def _table(*templates: str) -> RouteTable[str]:
    table: RouteTable[str] = RouteTable()
    for template in templates:
        table.add(template, template)
    return table


def test_literal_route_wins_over_parameter_route_whatever_the_registration_order():
    table = _table("api/items/{id}", "api/items/special")
    assert table.match("/api/items/special")[0][0] == "api/items/special"
    assert table.match("/api/items/42") == [("api/items/{id}", {"id": "42"})]


def test_literals_match_case_insensitively_and_a_trailing_slash_is_ignored():
    assert _table("api/Health").match("/API/health/") == [("api/Health", {})]


def test_optional_parameter_may_be_absent():
    table = _table("orchestrators/{name}/{instanceId?}")
    assert table.match("/orchestrators/chain") == [("orchestrators/{name}/{instanceId?}", {"name": "chain"})]
    assert table.match("/orchestrators/chain/abc")[0][1] == {"name": "chain", "instanceId": "abc"}


def test_int_constraint_refuses_non_numbers():
    table = _table("products/{id:int}")
    assert table.match("/products/12")[0][1] == {"id": "12"}
    assert table.match("/products/twelve") == []


def test_catch_all_takes_the_rest_of_the_path_including_slashes():
    assert _table("files/{*path}").match("/files/a/b/c.txt")[0][1] == {"path": "a/b/c.txt"}


def test_catch_all_must_be_the_last_segment():
    with pytest.raises(RouteTemplateError):
        compile_route("files/{*path}/more")


def test_empty_route_prefix_and_root_route():
    assert _table("").match("/") == [("", {})]


def test_sdk_double_encoded_payload_is_unwrapped_once():
    # The SDK posts json=df_dumps(value): a JSON string that holds the JSON text.
    assert payload_json('"{\\"a\\": 1}"') == '{"a": 1}'
    assert payload_json('"\\"hello\\""') == '"hello"'


def test_plain_client_payload_is_taken_as_is():
    assert payload_json('{"a": 1}') == '{"a": 1}'
    assert payload_json('"just text"') == '"just text"'
    assert payload_json("   ") is None


def test_payload_that_is_not_json_is_refused():
    with pytest.raises(BadInput):
        payload_json("{not json")


def test_retry_delay_grows_by_the_backoff_coefficient_up_to_the_maximum_interval():
    options = {
        "firstRetryIntervalInMilliseconds": 100,
        "backoffCoefficient": 2,
        "maxRetryIntervalInMilliseconds": 350,
    }
    assert [retry_delay(options, n).total_seconds() for n in (1, 2, 3, 4)] == [0.1, 0.2, 0.35, 0.35]
