"""GET /public/voices through devhost: the key's provider's voices in the list envelope."""

from __future__ import annotations

import requests

from tests.e2e.conftest import error_of

REALTIME = {"alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar"}


def voices(platform, key, query: str = "") -> dict:
    response = requests.get(platform.url(f"/public/voices{query}"), headers=key.headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_voices_of_a_hosted_key_are_the_realtime_voices_in_the_list_envelope(platform, project_key):
    page = voices(platform, project_key, "?pageSize=100")
    assert set(page) == {"items", "filteredCount", "totalCount", "pageIndex", "pageSize", "search"}
    assert {v["id"] for v in page["items"]} == REALTIME
    assert page["totalCount"] == page["filteredCount"] == len(REALTIME)
    alloy = next(v for v in page["items"] if v["id"] == "alloy")
    assert set(alloy) == {"id", "name", "provider", "languages", "sampleUrl"}
    assert alloy["name"] == "Alloy" and alloy["provider"] == "hosted"
    assert {"en", "es", "fr", "de", "ja"} <= set(alloy["languages"])


def test_voices_follow_the_keys_provider(platform, project_key_factory):
    azure = project_key_factory(provider={"type": "azure-openai", "endpoint": "https://x", "deployment": "d"})
    compatible = project_key_factory(
        provider={"type": "openai-compatible", "baseUrl": "https://x", "model": "m"}
    )
    azure_ids = {v["id"] for v in voices(platform, azure, "?pageSize=100")["items"]}
    compatible_page = voices(platform, compatible, "?pageSize=100")
    assert azure_ids == REALTIME
    assert {v["id"] for v in compatible_page["items"]} == REALTIME | {"fable", "onyx", "nova"}
    assert {v["provider"] for v in compatible_page["items"]} == {"openai-compatible"}


def test_search_language_and_paging(platform, project_key):
    assert [v["id"] for v in voices(platform, project_key, "?search=shim")["items"]] == ["shimmer"]
    assert voices(platform, project_key, "?language=fr")["filteredCount"] == len(REALTIME)
    nothing = voices(platform, project_key, "?language=xx")
    assert (nothing["items"], nothing["filteredCount"], nothing["totalCount"]) == ([], 0, len(REALTIME))
    page = voices(platform, project_key, "?pageIndex=1&pageSize=4")
    assert len(page["items"]) == 4 and page["pageIndex"] == 1
    assert (
        requests.get(
            platform.url("/public/voices?pageSize=0"), headers=project_key.headers, timeout=30
        ).status_code
        == 400
    )


def test_voices_need_a_key(platform):
    response = requests.get(platform.url("/public/voices"), timeout=30)
    assert response.status_code == 401
    error_of(response)
