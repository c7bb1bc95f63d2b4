"""FAQ collections at /public/faqs, end to end on devhost (published shapes: docs/omniagent-public-api.md
section 4)."""

from __future__ import annotations

import requests

from tests.e2e.builders import new_agent
from tests.e2e.conftest import error_of

T = 30
RETURN_POLICY = {
    "name": "Return Policy",
    "faqs": [
        {"question": "What is your return policy?", "answer": "30 days, full refund."},
        {"question": "How long do refunds take?", "answer": "5-7 business days."},
    ],
}


def _create(platform, key, body=None) -> dict:
    response = requests.post(
        platform.url("/public/faqs"), json=body or RETURN_POLICY, headers=key.headers, timeout=T
    )
    assert response.status_code == 201, response.text
    return response.json()


def _count(platform, key) -> int:
    return requests.get(platform.url("/public/faqs"), headers=key.headers, timeout=T).json()["totalCount"]


def test_create_answers_the_published_shape_with_the_seeded_items_in_order(platform, project_key):
    created = _create(platform, project_key)
    assert set(created) == {"id", "name", "created", "items"}
    assert created["id"].startswith("faq_") and not created["id"].startswith("faq_item_")
    assert created["name"] == "Return Policy" and isinstance(created["created"], int)
    assert [i["question"] for i in created["items"]] == [f["question"] for f in RETURN_POLICY["faqs"]]
    for item in created["items"]:
        assert set(item) == {"id", "question", "answer", "createdAt", "updatedAt"}
        assert item["id"].startswith("faq_item_")
        assert isinstance(item["createdAt"], int) and item["updatedAt"] is None
    read = requests.get(platform.url(f"/public/faqs/{created['id']}"), headers=project_key.headers, timeout=T)
    assert read.status_code == 200 and read.headers["ETag"]
    assert read.json() == created


def test_a_collection_can_start_empty_and_be_filled_item_by_item(platform, project_key):
    created = _create(platform, project_key, {"name": "Shipping"})
    assert created["items"] == []
    url = platform.url(f"/public/faqs/{created['id']}/items")
    first = requests.post(
        url, json={"question": "Abroad?", "answer": "Yes."}, headers=project_key.headers, timeout=T
    )
    second = requests.post(
        url, json={"question": "Cost?", "answer": "Free."}, headers=project_key.headers, timeout=T
    )
    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["id"].startswith("faq_item_") and first.json()["updatedAt"] is None
    read = requests.get(
        platform.url(f"/public/faqs/{created['id']}"), headers=project_key.headers, timeout=T
    ).json()
    assert [i["id"] for i in read["items"]] == [first.json()["id"], second.json()["id"]]


def test_an_item_can_be_read_changed_and_deleted_within_its_collection(platform, project_key):
    created = _create(platform, project_key)
    item = created["items"][0]
    url = platform.url(f"/public/faqs/{created['id']}/items/{item['id']}")
    read = requests.get(url, headers=project_key.headers, timeout=T)
    assert read.status_code == 200 and read.json() == item
    changed = requests.patch(url, json={"answer": "60 days now."}, headers=project_key.headers, timeout=T)
    assert changed.status_code == 200
    assert changed.json()["answer"] == "60 days now." and changed.json()["question"] == item["question"]
    assert isinstance(changed.json()["updatedAt"], int)
    stale = requests.patch(
        url,
        json={"answer": "x"},
        headers={**project_key.headers, "If-Match": read.headers["ETag"]},
        timeout=T,
    )
    assert stale.status_code == 412 and error_of(stale)["code"] == "PreconditionFailed"
    other = _create(platform, project_key, {"name": "Other"})
    wrong = platform.url(f"/public/faqs/{other['id']}/items/{item['id']}")
    assert requests.get(wrong, headers=project_key.headers, timeout=T).status_code == 404
    assert requests.delete(url, headers=project_key.headers, timeout=T).status_code == 204
    assert requests.get(url, headers=project_key.headers, timeout=T).status_code == 404
    left = requests.get(
        platform.url(f"/public/faqs/{created['id']}"), headers=project_key.headers, timeout=T
    ).json()
    assert [i["id"] for i in left["items"]] == [created["items"][1]["id"]]


def test_invalid_bodies_answer_400_with_details_and_write_nothing(platform, project_key):
    cases = [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "A", "faqs": [{"question": "Q?"}]}, "faqs[0].answer"),
        ({"name": "A", "faqs": [{"question": "", "answer": "A"}]}, "faqs[0].question"),
        ({"name": "A", "faqs": "not a list"}, "faqs"),
        ({"name": "A", "color": "red"}, "color"),
    ]
    for body, field in cases:
        response = requests.post(
            platform.url("/public/faqs"), json=body, headers=project_key.headers, timeout=T
        )
        assert response.status_code == 400, body
        error = error_of(response)
        assert field in [d["field"] for d in error["details"]], (body, error)
    assert _count(platform, project_key) == 0
    created = _create(platform, project_key, {"name": "Kept"})
    bad_item = requests.post(
        platform.url(f"/public/faqs/{created['id']}/items"),
        json={"question": "Q"},
        headers=project_key.headers,
        timeout=T,
    )
    assert bad_item.status_code == 400 and error_of(bad_item)["details"][0]["field"] == "answer"
    read = requests.get(
        platform.url(f"/public/faqs/{created['id']}"), headers=project_key.headers, timeout=T
    ).json()
    assert read["items"] == []


def test_list_uses_the_published_envelope_with_search_and_zero_based_pages(platform, project_key):
    for name in ("Returns", "Shipping", "Return windows"):
        _create(platform, project_key, {"name": name, "faqs": [{"question": "Q", "answer": "A"}]})
    page = requests.get(
        platform.url("/public/faqs"),
        params={"search": "return", "pageSize": 1},
        headers=project_key.headers,
        timeout=T,
    ).json()
    assert set(page) == {"items", "filteredCount", "totalCount", "pageIndex", "pageSize", "search"}
    assert (page["filteredCount"], page["totalCount"], page["pageIndex"], page["pageSize"]) == (2, 3, 0, 1)
    assert page["items"][0]["name"] == "Returns" and len(page["items"][0]["items"]) == 1
    second = requests.get(
        platform.url("/public/faqs"),
        params={"search": "return", "pageSize": 1, "pageIndex": 1},
        headers=project_key.headers,
        timeout=T,
    ).json()
    assert [c["name"] for c in second["items"]] == ["Return windows"]


def test_rename_honours_if_match(platform, project_key):
    created = _create(platform, project_key)
    url = platform.url(f"/public/faqs/{created['id']}")
    etag = requests.get(url, headers=project_key.headers, timeout=T).headers["ETag"]
    renamed = requests.patch(
        url, json={"name": "Returns"}, headers={**project_key.headers, "If-Match": etag}, timeout=T
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Returns"
    assert renamed.json()["items"] == created["items"]
    stale = requests.patch(
        url, json={"name": "Lost"}, headers={**project_key.headers, "If-Match": etag}, timeout=T
    )
    assert stale.status_code == 412
    assert requests.get(url, headers=project_key.headers, timeout=T).json()["name"] == "Returns"


def test_another_projects_key_finds_nothing(platform, project_key, project_key_factory):
    created = _create(platform, project_key)
    other = project_key_factory()
    item = created["items"][0]["id"]
    base = f"/public/faqs/{created['id']}"
    answers = [
        requests.get(platform.url(base), headers=other.headers, timeout=T),
        requests.patch(platform.url(base), json={"name": "Mine"}, headers=other.headers, timeout=T),
        requests.delete(platform.url(base), headers=other.headers, timeout=T),
        requests.post(
            platform.url(f"{base}/items"),
            json={"question": "Q", "answer": "A"},
            headers=other.headers,
            timeout=T,
        ),
        requests.get(platform.url(f"{base}/items/{item}"), headers=other.headers, timeout=T),
        requests.patch(
            platform.url(f"{base}/items/{item}"), json={"answer": "x"}, headers=other.headers, timeout=T
        ),
        requests.delete(platform.url(f"{base}/items/{item}"), headers=other.headers, timeout=T),
    ]
    assert [a.status_code for a in answers] == [404] * len(answers)
    assert error_of(answers[0])["code"] == "FaqCollectionNotFound"
    assert _count(platform, other) == 0
    assert requests.get(platform.url(base), headers=project_key.headers, timeout=T).json() == created


def test_a_collection_used_by_an_agent_cannot_be_deleted_until_the_agent_is_gone(platform, project_key):
    collection = _create(platform, project_key)
    agent = new_agent(platform, project_key, **{"faqCollections": [collection["id"]]})
    url = platform.url(f"/public/faqs/{collection['id']}")
    refused = requests.delete(url, headers=project_key.headers, timeout=T)
    assert refused.status_code == 409
    error = error_of(refused)
    assert error["code"] == "FaqCollectionInUse" and agent["id"] in error["description"]
    assert requests.get(url, headers=project_key.headers, timeout=T).status_code == 200
    assert (
        requests.delete(
            platform.url(f"/public/agents/{agent['id']}"), headers=project_key.headers, timeout=T
        ).status_code
        == 204
    )
    assert requests.delete(url, headers=project_key.headers, timeout=T).status_code == 204
    assert requests.get(url, headers=project_key.headers, timeout=T).status_code == 404
    item = collection["items"][0]["id"]
    assert requests.get(f"{url}/items/{item}", headers=project_key.headers, timeout=T).status_code == 404
