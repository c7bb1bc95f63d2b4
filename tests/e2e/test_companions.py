"""/public/companions through devhost: the published shapes, validation, isolation, ETags, avatars."""

from __future__ import annotations

import io
import json
import time

import pytest
import requests
from azure.storage.blob import BlobServiceClient
from PIL import Image

from shared.catalog.tables import AGENTS
from shared.storage import table_service
from tests.e2e.builders import patch_at_once
from tests.e2e.conftest import error_of

LIST_ITEM_FIELDS = {
    "id",
    "firstName",
    "lastName",
    "previewUrl",
    "videoLoopUrl",
    "ethnicity",
    "gender",
    "headline",
    "tags",
    "status",
}
ALEX = {
    "firstName": "Alex",
    "lastName": "Chen",
    "description": "A senior tech support specialist. Warm, patient, and detail-oriented.",
    "pictureUrl": "https://example.com/images/alex-avatar.png",
    "gender": "male",
    "ethnicity": "Asian",
}


def image_bytes(width: int, height: int, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, format=fmt)
    return buffer.getvalue()


def create(platform, key, body=None) -> dict:
    response = requests.post(
        platform.url("/public/companions"), json=body or ALEX, headers=key.headers, timeout=30
    )
    assert response.status_code == 201, response.text
    return response.json()


def listed(platform, key, query: str = "") -> dict:
    response = requests.get(platform.url(f"/public/companions{query}"), headers=key.headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def put_avatar(platform, key, companion_id: str, data: bytes, content_type: str, **headers):
    return requests.put(
        platform.url(f"/public/companions/{companion_id}/avatar"),
        data=data,
        headers={**key.headers, "Content-Type": content_type, **headers},
        timeout=60,
    )


def avatar_blobs(platform, project_id: str) -> list[str]:
    service = BlobServiceClient.from_connection_string(platform.settings.storage.connection_string)
    container = service.get_container_client("avatars")
    if not container.exists():
        return []
    return [blob.name for blob in container.list_blobs(name_starts_with=f"{project_id}/")]


def wait_until_prepared(platform, key, companion_id: str, timeout: float = 60) -> dict:
    """The companion once its silhouette is no longer `preparing` (a durable activity prepares it)."""
    url = platform.url(f"/public/companions/{companion_id}")
    deadline = time.monotonic() + timeout
    while True:
        companion = requests.get(url, headers=key.headers, timeout=30).json()
        if companion["avatar"]["silhouette"] != "preparing" or time.monotonic() > deadline:
            return companion
        time.sleep(0.2)


# ---------------------------------------------------------------------------------------------- create


def test_create_answers_the_companion_pending_with_the_published_fields(platform, project_key):
    response = requests.post(
        platform.url("/public/companions"), json=ALEX, headers=project_key.headers, timeout=30
    )
    assert response.status_code == 201
    companion = response.json()
    assert set(companion) >= LIST_ITEM_FIELDS
    assert companion["id"].startswith("comp_")
    assert companion["status"] == "pending"
    assert (companion["firstName"], companion["lastName"], companion["gender"], companion["ethnicity"]) == (
        "Alex",
        "Chen",
        "male",
        "Asian",
    )
    assert companion["previewUrl"] is None and companion["videoLoopUrl"] is None
    assert companion["defaultView"] == "rectangle"
    assert companion["tags"] == {} and companion["headline"] is None
    assert response.headers["ETag"]
    assert response.headers["Location"] == f"/public/companions/{companion['id']}"


def test_extensions_instructions_default_view_and_tags_round_trip(platform, project_key):
    body = {
        **ALEX,
        "instructions": "Never promise refunds.",
        "defaultView": "silhouette",
        "tags": {"team": "a"},
    }
    created = create(platform, project_key, body)
    fetched = requests.get(
        platform.url(f"/public/companions/{created['id']}"), headers=project_key.headers, timeout=30
    ).json()
    assert (fetched["instructions"], fetched["defaultView"], fetched["tags"]) == (
        "Never promise refunds.",
        "silhouette",
        {"team": "a"},
    )
    assert fetched["description"] == ALEX["description"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in ALEX.items() if k != "description"}, "description"),
        ({**ALEX, "description": "   "}, "description"),
        ({**ALEX, "gender": "robot"}, "gender"),
        ({**ALEX, "ethnicity": "Martian"}, "ethnicity"),
        ({**ALEX, "defaultView": "square"}, "defaultView"),
        ({**ALEX, "pictureUrl": "ftp://example.com/a.png"}, "pictureUrl"),
        ({**ALEX, "tags": {"k": "v" * 65}}, "tags"),
        ({**ALEX, "tags": {f"k{i}": "v" for i in range(17)}}, "tags"),
        ({**ALEX, "firstName": "x" * 101}, "firstName"),
    ],
)
def test_invalid_create_is_400_naming_the_field_and_writes_nothing(platform, project_key, body, field):
    response = requests.post(
        platform.url("/public/companions"), json=body, headers=project_key.headers, timeout=30
    )
    assert response.status_code == 400
    error = error_of(response)
    assert any(d["field"] == field for d in error["details"]), error
    assert listed(platform, project_key)["totalCount"] == 0


def test_non_json_and_empty_bodies_are_400(platform, project_key):
    for data in (b"", b"{not json"):
        response = requests.post(
            platform.url("/public/companions"),
            data=data,
            headers={**project_key.headers, "Content-Type": "application/json"},
            timeout=30,
        )
        assert response.status_code == 400
        error_of(response)
    assert listed(platform, project_key)["totalCount"] == 0


def test_ethnicity_is_matched_case_insensitively_and_stored_canonically(platform, project_key):
    ethnicities = requests.get(
        platform.url("/public/companions/ethnicities"), headers=project_key.headers, timeout=30
    ).json()["items"]
    assert {"Asian", "Caucasian"} <= set(ethnicities)
    assert create(platform, project_key, {**ALEX, "ethnicity": "caucasian"})["ethnicity"] == "Caucasian"


# ---------------------------------------------------------------------------------------------- list


def test_list_is_the_published_envelope_with_filters_search_and_paging(platform, project_key):
    first = create(platform, project_key)
    second = create(
        platform, project_key, {**ALEX, "firstName": "Bea", "gender": "female", "tags": {"tier": "gold"}}
    )
    third = create(platform, project_key, {**ALEX, "firstName": "Cy", "gender": "nonBinary"})

    everything = listed(platform, project_key)
    assert set(everything) == {"items", "filteredCount", "totalCount", "pageIndex", "pageSize", "search"}
    assert [c["id"] for c in everything["items"]] == [first["id"], second["id"], third["id"]]
    assert (everything["totalCount"], everything["filteredCount"], everything["pageIndex"]) == (3, 3, 0)
    assert all(set(item) >= LIST_ITEM_FIELDS for item in everything["items"])

    females = listed(platform, project_key, "?gender=female")
    assert [c["id"] for c in females["items"]] == [second["id"]]
    assert (females["filteredCount"], females["totalCount"]) == (1, 3)
    assert [c["id"] for c in listed(platform, project_key, "?search=cy")["items"]] == [third["id"]]
    assert [c["id"] for c in listed(platform, project_key, "?tags=tier:gold")["items"]] == [second["id"]]
    assert listed(platform, project_key, "?statuses=readyToUse")["filteredCount"] == 0
    assert listed(platform, project_key, "?statuses=pending,readyToUse")["filteredCount"] == 3

    page = listed(platform, project_key, "?pageIndex=1&pageSize=2")
    assert [c["id"] for c in page["items"]] == [third["id"]]
    assert (page["pageIndex"], page["pageSize"], page["totalCount"]) == (1, 2, 3)


def test_bad_list_queries_are_400(platform, project_key):
    for query in ("?statuses=bogus", "?gender=robot", "?pageSize=0", "?pageIndex=-1", "?tags=novalue"):
        response = requests.get(
            platform.url(f"/public/companions{query}"), headers=project_key.headers, timeout=30
        )
        assert response.status_code == 400, query
        error_of(response)


def test_napster_stock_lists_the_built_in_catalog_on_both_paths(platform, project_key):
    stock = listed(platform, project_key, "/napster-stock?pageSize=1")
    assert stock["pageSize"] == 1 and len(stock["items"]) == 1 and stock["totalCount"] >= 3
    item = stock["items"][0]
    assert set(item) >= LIST_ITEM_FIELDS and item["firstName"]
    assert item["status"] == "readyToUse" and item["isStock"] is True
    assert item["previewUrl"].startswith(platform.url("/static/stock-avatars/"))
    older = requests.get(platform.url("/public/napster-companions"), headers=project_key.headers, timeout=30)
    assert older.status_code == 200 and older.json()["totalCount"] == stock["totalCount"]
    fetched = requests.get(
        platform.url(f"/public/companions/{item['id']}"), headers=project_key.headers, timeout=30
    )
    assert fetched.status_code == 200 and fetched.json()["id"] == item["id"]
    # stock companions are not the project's: they are not in its list and cannot be changed
    assert listed(platform, project_key)["totalCount"] == 0
    patched = requests.patch(
        platform.url(f"/public/companions/{item['id']}"),
        json={"headline": "x"},
        headers=project_key.headers,
        timeout=30,
    )
    assert patched.status_code == 404


# ---------------------------------------------------------------------------------------------- isolation


def test_another_projects_key_gets_404_for_every_companion_route(platform, project_key, project_key_factory):
    companion = create(platform, project_key)
    other = project_key_factory()
    url = platform.url(f"/public/companions/{companion['id']}")
    png = image_bytes(1280, 720, "PNG")
    answers = [
        requests.get(url, headers=other.headers, timeout=30),
        requests.patch(url, json={"headline": "stolen"}, headers=other.headers, timeout=30),
        requests.delete(url, headers=other.headers, timeout=30),
        put_avatar(platform, other, companion["id"], png, "image/png"),
    ]
    for response in answers:
        assert response.status_code == 404
        assert error_of(response)["code"] == "CompanionNotFound"
    assert listed(platform, other)["totalCount"] == 0
    mine = requests.get(url, headers=project_key.headers, timeout=30).json()
    assert mine["headline"] is None and mine["status"] == "pending"
    assert (
        avatar_blobs(platform, other.project_id) == []
        and avatar_blobs(platform, project_key.project_id) == []
    )


def test_unknown_and_malformed_ids_are_404(platform, project_key):
    for companion_id in ("comp_doesnotexist", "comp%23x", "%3F"):
        response = requests.get(
            platform.url(f"/public/companions/{companion_id}"), headers=project_key.headers, timeout=30
        )
        assert response.status_code == 404
        error_of(response)


# ---------------------------------------------------------------------------------------------- update


def test_patch_changes_only_the_fields_sent_and_sets_headline(platform, project_key):
    companion = create(platform, project_key, {**ALEX, "instructions": "Be brief."})
    url = platform.url(f"/public/companions/{companion['id']}")
    response = requests.patch(
        url, json={"headline": "Senior Tech Support Specialist"}, headers=project_key.headers, timeout=30
    )
    assert response.status_code == 200
    patched = response.json()
    assert patched["headline"] == "Senior Tech Support Specialist"
    for field in (
        "firstName",
        "lastName",
        "description",
        "instructions",
        "gender",
        "ethnicity",
        "pictureUrl",
    ):
        assert patched[field] == companion[field]
    cleared = requests.patch(
        url, json={"instructions": None, "defaultView": "round"}, headers=project_key.headers, timeout=30
    )
    assert cleared.status_code == 200
    assert cleared.json()["instructions"] is None and cleared.json()["defaultView"] == "round"
    assert cleared.json()["headline"] == "Senior Tech Support Specialist"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": None}, "description"),
        ({"description": ""}, "description"),
        ({"gender": "robot"}, "gender"),
        ({"ethnicity": "Martian"}, "ethnicity"),
        ({"defaultView": "oval"}, "defaultView"),  # null resets it: tests/e2e/test_request_rules.py
        ({"headline": "h" * 201}, "headline"),
    ],
)
def test_invalid_patch_is_400_and_changes_nothing(platform, project_key, body, field):
    companion = create(platform, project_key)
    url = platform.url(f"/public/companions/{companion['id']}")
    response = requests.patch(url, json=body, headers=project_key.headers, timeout=30)
    assert response.status_code == 400
    assert any(d["field"] == field for d in error_of(response)["details"])
    after = requests.get(url, headers=project_key.headers, timeout=30)
    assert {k: after.json()[k] for k in companion} == companion


def test_stale_if_match_is_412_and_the_first_update_is_kept(platform, project_key):
    companion = create(platform, project_key)
    url = platform.url(f"/public/companions/{companion['id']}")
    etag = requests.get(url, headers=project_key.headers, timeout=30).headers["ETag"]

    first = requests.patch(
        url, json={"headline": "First"}, headers={**project_key.headers, "If-Match": etag}, timeout=30
    )
    assert first.status_code == 200 and first.headers["ETag"] != etag
    second = requests.patch(
        url, json={"headline": "Second"}, headers={**project_key.headers, "If-Match": etag}, timeout=30
    )
    assert second.status_code == 412
    assert error_of(second)["code"] == "PreconditionFailed"
    assert requests.get(url, headers=project_key.headers, timeout=30).json()["headline"] == "First"

    fresh = requests.patch(
        url,
        json={"headline": "Third"},
        headers={**project_key.headers, "If-Match": first.headers["ETag"]},
        timeout=30,
    )
    assert fresh.status_code == 200 and fresh.json()["headline"] == "Third"
    stale_delete = requests.delete(url, headers={**project_key.headers, "If-Match": etag}, timeout=30)
    assert stale_delete.status_code == 412
    assert requests.get(url, headers=project_key.headers, timeout=30).status_code == 200


def test_concurrent_patches_of_different_fields_are_all_kept(platform, project_key):
    companion = create(platform, project_key)
    url = platform.url(f"/public/companions/{companion['id']}")
    changes = [
        {"firstName": "Zed"},
        {"lastName": "Quill"},
        {"headline": "Concurrency Expert"},
        {"instructions": "Stay calm."},
        {"gender": "female"},
        {"defaultView": "round"},
        {"tags": {"a": "b"}},
        {"ethnicity": "Hispanic"},
    ]
    statuses = patch_at_once(url, project_key.headers, changes)
    assert statuses == [200] * len(changes)
    final = requests.get(url, headers=project_key.headers, timeout=30).json()
    for change in changes:
        for field, value in change.items():
            assert final[field] == value, field


# ---------------------------------------------------------------------------------------------- delete


def test_delete_is_204_then_404_and_removes_the_avatar(platform, project_key):
    companion = create(platform, project_key)
    assert (
        put_avatar(
            platform, project_key, companion["id"], image_bytes(1280, 720, "PNG"), "image/png"
        ).status_code
        == 200
    )
    assert avatar_blobs(platform, project_key.project_id)
    url = platform.url(f"/public/companions/{companion['id']}")
    assert requests.delete(url, headers=project_key.headers, timeout=30).status_code == 204
    assert requests.get(url, headers=project_key.headers, timeout=30).status_code == 404
    assert requests.delete(url, headers=project_key.headers, timeout=30).status_code == 404
    assert avatar_blobs(platform, project_key.project_id) == []
    assert listed(platform, project_key)["totalCount"] == 0


def test_delete_of_a_companion_an_agent_uses_is_409(platform, project_key):
    companion = create(platform, project_key)
    agents = table_service(platform.settings.storage).create_table_if_not_exists(AGENTS)
    agents.create_entity(
        {
            "PartitionKey": project_key.project_id,
            "RowKey": "agent_usescompanion",
            "companion_id": companion["id"],
            "functions": json.dumps([]),
        }
    )
    url = platform.url(f"/public/companions/{companion['id']}")
    response = requests.delete(url, headers=project_key.headers, timeout=30)
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "CompanionInUse" and "agent_usescompanion" in error["description"]
    assert requests.get(url, headers=project_key.headers, timeout=30).status_code == 200
    agents.delete_entity(project_key.project_id, "agent_usescompanion")
    assert requests.delete(url, headers=project_key.headers, timeout=30).status_code == 204


# ---------------------------------------------------------------------------------------------- avatar


def test_png_avatar_makes_the_companion_ready_and_its_preview_url_serves_the_same_bytes(
    platform, project_key
):
    companion = create(platform, project_key)
    png = image_bytes(1280, 720, "PNG")
    response = put_avatar(platform, project_key, companion["id"], png, "image/png")
    assert response.status_code == 200, response.text
    answered = response.json()
    # an opaque image: its silhouette is cut out in the background, pending until then
    assert answered["status"] == "pending"
    assert answered["avatar"] == {
        "contentType": "image/png",
        "width": 1280,
        "height": 720,
        "sizeBytes": len(png),
        "silhouette": "preparing",
        "silhouetteUrl": None,
    }
    ready = wait_until_prepared(platform, project_key, companion["id"])
    assert ready["status"] == "readyToUse"
    assert ready["avatar"]["silhouette"] == "none"  # a plain colour has no person to cut out
    assert response.headers["ETag"]
    preview = requests.get(answered["previewUrl"], timeout=30)
    assert preview.status_code == 200 and preview.content == png
    assert preview.headers["Content-Type"] == "image/png"
    assert "se=" in answered["previewUrl"]  # a signed, expiring link
    assert avatar_blobs(platform, project_key.project_id) == [
        f"{project_key.project_id}/{companion['id']}/avatar.png"
    ]

    listed_item = listed(platform, project_key, "?statuses=readyToUse")["items"][0]
    assert requests.get(listed_item["previewUrl"], timeout=30).content == png


def test_jpeg_avatar_replaces_a_png_one(platform, project_key):
    companion = create(platform, project_key)
    png_answer = put_avatar(
        platform, project_key, companion["id"], image_bytes(1280, 720, "PNG"), "image/png"
    ).json()
    jpeg = image_bytes(1920, 1080, "JPEG")
    response = put_avatar(platform, project_key, companion["id"], jpeg, "image/jpeg")
    assert response.status_code == 200
    answered = response.json()
    assert answered["avatar"]["contentType"] == "image/jpeg" and answered["avatar"]["width"] == 1920
    assert requests.get(answered["previewUrl"], timeout=30).content == jpeg
    assert requests.get(png_answer["previewUrl"], timeout=30).status_code == 404  # the old file is gone
    assert avatar_blobs(platform, project_key.project_id) == [
        f"{project_key.project_id}/{companion['id']}/avatar.jpg"
    ]


def test_a_png_sent_as_jpeg_is_judged_by_its_bytes(platform, project_key):
    companion = create(platform, project_key)
    png = image_bytes(1280, 720, "PNG")
    response = put_avatar(platform, project_key, companion["id"], png, "image/jpeg")
    assert response.status_code == 200
    assert response.json()["avatar"]["contentType"] == "image/png"
    assert requests.get(response.json()["previewUrl"], timeout=30).headers["Content-Type"] == "image/png"


def test_webp_avatar_is_accepted(platform, project_key):
    companion = create(platform, project_key)
    response = put_avatar(
        platform, project_key, companion["id"], image_bytes(1280, 720, "WEBP"), "image/webp"
    )
    assert response.status_code == 200 and response.json()["avatar"]["contentType"] == "image/webp"


@pytest.mark.parametrize(
    ("data", "content_type", "status", "fragments"),
    [
        (image_bytes(1600, 1200, "PNG"), "image/png", 400, ["1600x1200", "16:9"]),
        (image_bytes(1000, 562, "JPEG"), "image/jpeg", 400, ["1000x562", "1280x720"]),
        (
            b"this is a text file renamed avatar.png\n" * 10,
            "image/png",
            415,
            ["image/jpeg", "image/png", "image/webp"],
        ),
        (image_bytes(1280, 720, "GIF"), "image/gif", 415, ["image/jpeg", "image/png", "image/webp"]),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024), "image/png", 413, ["10485760"]),
    ],
    ids=["four-by-three", "too-small", "text-renamed-png", "gif", "over-10-mb"],
)
def test_bad_avatar_uploads_are_refused_and_write_nothing(
    platform, project_key, data, content_type, status, fragments
):
    companion = create(platform, project_key)
    response = put_avatar(platform, project_key, companion["id"], data, content_type)
    assert response.status_code == status
    description = error_of(response)["description"]
    for fragment in fragments:
        assert fragment in description
    after = requests.get(
        platform.url(f"/public/companions/{companion['id']}"), headers=project_key.headers, timeout=30
    )
    assert after.json()["status"] == "pending" and after.json()["avatar"] is None
    assert (
        after.headers["ETag"]
        == requests.get(
            platform.url(f"/public/companions/{companion['id']}"), headers=project_key.headers, timeout=30
        ).headers["ETag"]
    )
    assert avatar_blobs(platform, project_key.project_id) == []


def test_a_refused_upload_keeps_the_previous_avatar(platform, project_key):
    companion = create(platform, project_key)
    png = image_bytes(1280, 720, "PNG")
    put_avatar(platform, project_key, companion["id"], png, "image/png")
    refused = put_avatar(
        platform, project_key, companion["id"], image_bytes(1280, 720, "JPEG")[:500], "image/jpeg"
    )
    assert refused.status_code in (400, 415)
    after = requests.get(
        platform.url(f"/public/companions/{companion['id']}"), headers=project_key.headers, timeout=30
    )
    assert requests.get(after.json()["previewUrl"], timeout=30).content == png


def test_avatar_upload_with_a_stale_if_match_is_412_and_writes_nothing(platform, project_key):
    created = requests.post(
        platform.url("/public/companions"), json=ALEX, headers=project_key.headers, timeout=30
    )
    companion, etag = created.json(), created.headers["ETag"]
    url = platform.url(f"/public/companions/{companion['id']}")
    requests.patch(url, json={"headline": "changed"}, headers=project_key.headers, timeout=30)
    response = put_avatar(
        platform,
        project_key,
        companion["id"],
        image_bytes(1280, 720, "PNG"),
        "image/png",
        **{"If-Match": etag},
    )
    assert response.status_code == 412
    error_of(response)
    assert avatar_blobs(platform, project_key.project_id) == []
    assert requests.get(url, headers=project_key.headers, timeout=30).json()["status"] == "pending"
