"""Memory of end users at /public/companions/{companionId}/clients/{externalClientId}, end to end on
devhost. Sessions fold their conversation in at their end; here the memory is seeded with the store
itself (on the platform's tables) and read, linked and forgotten through the API."""

from __future__ import annotations

from datetime import datetime

import pytest
import requests
from azure.core.exceptions import ResourceNotFoundError

from shared.memory.folding import Summary
from shared.memory.records import MEMORIES_TABLE, ClientMemory
from shared.memory.store import MemoryStore
from shared.storage import table_service
from tests.e2e.builders import new_companion
from tests.e2e.conftest import error_of

T = 30
SARAH = "+14155550123"
CONVERSATION = [
    ("user", "Hi, I'm Sarah and I'm vegetarian."),
    ("assistant", "Nice to meet you, Sarah!"),
]


class FixedSummarizer:
    def summarize(self, previous: ClientMemory | None, conversation: object) -> Summary:
        return Summary("Sarah is vegetarian.", ("Name: Sarah", "Vegetarian"))


@pytest.fixture
def store(platform) -> MemoryStore:
    return MemoryStore.on(table_service(platform.settings.storage))


def memory_url(platform, companion_id: str, client_id: str) -> str:
    return platform.url(f"/public/companions/{companion_id}/clients/{client_id}/memory")


def client_url(platform, companion_id: str, client_id: str) -> str:
    return platform.url(f"/public/companions/{companion_id}/clients/{client_id}")


def remember(store: MemoryStore, project_id: str, companion_id: str, client_id: str = "sarah-001") -> None:
    written = store.save_folded(
        project_id, companion_id, client_id, CONVERSATION, FixedSummarizer(), session_id="sess_1"
    )
    assert written is not None


def test_get_shows_what_is_remembered_of_the_end_user(platform, project_key, store):
    companion = new_companion(platform, project_key)
    remember(store, project_key.project_id, companion)
    response = requests.get(
        memory_url(platform, companion, "sarah-001"), headers=project_key.headers, timeout=T
    )
    assert response.status_code == 200, response.text
    assert response.headers["ETag"]
    body = response.json()
    assert body["companionId"] == companion and body["externalClientId"] == "sarah-001"
    assert body["summary"] == "Sarah is vegetarian."
    assert body["facts"] == ["Name: Sarah", "Vegetarian"]
    assert body["recentExchanges"] == [{"role": r, "text": t} for r, t in CONVERSATION]
    assert body["sessionsCount"] == 1 and body["phoneNumbers"] == []
    assert datetime.fromisoformat(body["updatedAt"]).tzinfo is not None


def test_memory_of_an_end_user_of_a_stock_companion_is_shown_too(platform, project_key, store):
    remember(store, project_key.project_id, "comp_stock_ava")
    response = requests.get(
        memory_url(platform, "comp_stock_ava", "sarah-001"), headers=project_key.headers, timeout=T
    )
    assert response.status_code == 200 and response.json()["companionId"] == "comp_stock_ava"


def test_nothing_remembered_is_404(platform, project_key):
    companion = new_companion(platform, project_key)
    response = requests.get(memory_url(platform, companion, "nobody"), headers=project_key.headers, timeout=T)
    assert response.status_code == 404
    assert error_of(response)["code"] == "MemoryNotFound"


def test_memory_never_crosses_companions(platform, project_key, store):
    first, second = new_companion(platform, project_key), new_companion(platform, project_key)
    remember(store, project_key.project_id, first)
    response = requests.get(memory_url(platform, second, "sarah-001"), headers=project_key.headers, timeout=T)
    assert response.status_code == 404 and error_of(response)["code"] == "MemoryNotFound"


def test_another_projects_key_gets_404_and_changes_nothing(platform, project_key, project_key_factory, store):
    companion = new_companion(platform, project_key)
    remember(store, project_key.project_id, companion)
    stranger = project_key_factory()
    for method, url, body in (
        ("GET", memory_url(platform, companion, "sarah-001"), None),
        ("DELETE", memory_url(platform, companion, "sarah-001"), None),
        ("PUT", client_url(platform, companion, "sarah-001"), {"phoneNumbers": [SARAH]}),
    ):
        response = requests.request(method, url, json=body, headers=stranger.headers, timeout=T)
        assert response.status_code == 404, (method, response.text)
        assert error_of(response)["code"] == "CompanionNotFound"
    assert store.load(project_key.project_id, companion, "sarah-001") is not None
    assert store.client_for_phone(project_key.project_id, companion, SARAH) is None
    assert store.client_for_phone(stranger.project_id, companion, SARAH) is None


def test_an_unknown_companion_is_404(platform, project_key):
    response = requests.get(
        memory_url(platform, "comp_nope", "sarah-001"), headers=project_key.headers, timeout=T
    )
    assert response.status_code == 404 and error_of(response)["code"] == "CompanionNotFound"


def test_a_linked_phone_number_resolves_to_that_end_user(platform, project_key, store):
    companion = new_companion(platform, project_key)
    remember(store, project_key.project_id, companion)
    response = requests.put(
        client_url(platform, companion, "sarah-001"),
        json={"phoneNumbers": ["+14155550124", SARAH, SARAH]},
        headers=project_key.headers,
        timeout=T,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "companionId": companion,
        "externalClientId": "sarah-001",
        "phoneNumbers": [SARAH, "+14155550124"],
    }
    assert store.client_for_phone(project_key.project_id, companion, SARAH) == "sarah-001"
    read = requests.get(memory_url(platform, companion, "sarah-001"), headers=project_key.headers, timeout=T)
    assert read.json()["phoneNumbers"] == [SARAH, "+14155550124"]

    relinked = requests.put(
        client_url(platform, companion, "sarah-001"),
        json={"phoneNumbers": []},
        headers=project_key.headers,
        timeout=T,
    )
    assert relinked.status_code == 200 and relinked.json()["phoneNumbers"] == []
    assert store.client_for_phone(project_key.project_id, companion, SARAH) is None


def test_a_number_linked_to_another_end_user_is_409(platform, project_key, store):
    companion = new_companion(platform, project_key)
    url = client_url(platform, companion, "sarah-001")
    assert (
        requests.put(url, json={"phoneNumbers": [SARAH]}, headers=project_key.headers, timeout=T).status_code
        == 200
    )
    response = requests.put(
        client_url(platform, companion, "bob"),
        json={"phoneNumbers": ["+14155550999", SARAH]},
        headers=project_key.headers,
        timeout=T,
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "PhoneNumberTaken" and SARAH in error_of(response)["description"]
    assert store.client_for_phone(project_key.project_id, companion, SARAH) == "sarah-001"
    assert store.client_for_phone(project_key.project_id, companion, "+14155550999") is None


def test_delete_forgets_the_end_user_for_real(platform, project_key, store):
    companion = new_companion(platform, project_key)
    remember(store, project_key.project_id, companion)
    url = memory_url(platform, companion, "sarah-001")
    response = requests.delete(url, headers=project_key.headers, timeout=T)
    assert response.status_code == 204 and not response.content
    raw = table_service(platform.settings.storage).get_table_client(MEMORIES_TABLE)
    with pytest.raises(ResourceNotFoundError):
        raw.get_entity(project_key.project_id, f"{companion}.sarah-001")
    assert requests.get(url, headers=project_key.headers, timeout=T).status_code == 404
    again = requests.delete(url, headers=project_key.headers, timeout=T)
    assert again.status_code == 404 and error_of(again)["code"] == "MemoryNotFound"


def test_delete_with_a_stale_etag_is_412_and_forgets_nothing(platform, project_key, store):
    companion = new_companion(platform, project_key)
    remember(store, project_key.project_id, companion)
    url = memory_url(platform, companion, "sarah-001")
    etag = requests.get(url, headers=project_key.headers, timeout=T).headers["ETag"]
    store.save_folded(
        project_key.project_id, companion, "sarah-001", [("user", "More.")], None, session_id="s2"
    )
    response = requests.delete(url, headers={**project_key.headers, "If-Match": etag}, timeout=T)
    assert response.status_code == 412 and error_of(response)["code"] == "PreconditionFailed"
    assert store.load(project_key.project_id, companion, "sarah-001") is not None


@pytest.mark.parametrize("client_id", ["a" * 33, "dot.ted", "semi;colon"])
def test_a_malformed_external_client_id_is_400(platform, project_key, client_id):
    companion = new_companion(platform, project_key)
    for method, url, body in (
        ("GET", memory_url(platform, companion, client_id), None),
        ("DELETE", memory_url(platform, companion, client_id), None),
        ("PUT", client_url(platform, companion, client_id), {"phoneNumbers": [SARAH]}),
    ):
        response = requests.request(method, url, json=body, headers=project_key.headers, timeout=T)
        assert response.status_code == 400, (method, response.text)
        assert error_of(response)["details"] == [
            {"field": "externalClientId", "message": "must match ^[A-Za-z0-9_-]{1,32}$"}
        ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phoneNumbers": [SARAH, "4155550123"]}, "phoneNumbers[1]"),
        ({"phoneNumbers": ["+1 415 555 0123"]}, "phoneNumbers[0]"),
        ({"phoneNumbers": [f"+1415555{i:04d}" for i in range(11)]}, "phoneNumbers"),
        ({}, "phoneNumbers"),
        ({"phoneNumbers": [SARAH], "name": "Sarah"}, "name"),
    ],
)
def test_a_body_that_is_not_a_set_of_e164_numbers_is_400_naming_the_field(platform, project_key, body, field):
    companion = new_companion(platform, project_key)
    response = requests.put(
        client_url(platform, companion, "sarah-001"), json=body, headers=project_key.headers, timeout=T
    )
    assert response.status_code == 400
    assert field in [detail["field"] for detail in error_of(response)["details"]]
