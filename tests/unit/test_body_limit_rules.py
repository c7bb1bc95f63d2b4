"""The body limits every operation declares, the document that states them, and the host settings that
must let the largest through (issue 16, defect 1)."""

from __future__ import annotations

import json
import re

import pytest

import function_app  # noqa: F401  (registers every endpoint)
from api.endpoint import ENDPOINTS
from shared.api_errors import ApiError
from shared.body_limits import (
    AVATAR_BODY_BYTES,
    DEFAULT_MAX_BODY_BYTES,
    HOST_LIMIT_SETTING,
    HOST_MAX_BODY_BYTES,
    KNOWLEDGE_UPLOAD_BODY_BYTES,
    check_body_size,
)
from shared.openapi import build_document
from tests.devhost.helpers import REPO_ROOT


def test_only_the_uploads_take_more_than_the_default():
    larger = {
        (s.method, s.route): s.max_body_bytes for s in ENDPOINTS if s.max_body_bytes != DEFAULT_MAX_BODY_BYTES
    }
    assert larger == {
        ("PUT", "public/companions/{companionId}/avatar"): AVATAR_BODY_BYTES,
        ("POST", "public/knowledge-bases/{knowledgeBaseId}/files"): KNOWLEDGE_UPLOAD_BODY_BYTES,
    }
    assert max(s.max_body_bytes for s in ENDPOINTS) == HOST_MAX_BODY_BYTES


def test_every_operation_with_a_body_states_its_limit_and_the_413():
    document = build_document(ENDPOINTS, "t", "1")
    with_body = [op for path in document["paths"].values() for op in path.values() if "requestBody" in op]
    assert len(with_body) == len([s for s in ENDPOINTS if s.body is not None]) > 20
    for operation in with_body:
        assert operation["x-omniagent-max-body-bytes"] >= DEFAULT_MAX_BODY_BYTES, operation["operationId"]
        assert "413" in operation["responses"], operation["operationId"]


def test_the_hosts_let_the_largest_upload_through_and_no_more():
    settings = json.loads((REPO_ROOT / "local.settings.json").read_text())["Values"]
    assert int(settings[HOST_LIMIT_SETTING]) == HOST_MAX_BODY_BYTES
    bicep = (REPO_ROOT / "infra" / "main.bicep").read_text()
    [value] = re.findall(rf"{HOST_LIMIT_SETTING}: '(\d+)'", bicep)
    assert int(value) == HOST_MAX_BODY_BYTES


@pytest.mark.parametrize(
    ("headers", "body", "refused_size"),
    [
        ({"Content-Length": "1025"}, None, 1025),  # by the declared length, nothing read
        ({"content-length": "1025"}, b"", 1025),
        ({}, b"x" * 1025, 1025),  # chunked: by what arrived
        ({"Content-Length": "10"}, b"x" * 1025, 1025),  # a length that lies
        ({"Content-Length": "1024"}, b"x" * 1024, None),
        ({"Content-Length": "not a number"}, b"x" * 10, None),
    ],
)
def test_the_check_reads_the_declared_length_then_the_body(headers, body, refused_size):
    if refused_size is None:
        check_body_size(headers, body, 1024)
        return
    with pytest.raises(ApiError) as refused:
        check_body_size(headers, body, 1024)
    assert refused.value.status == 413 and refused.value.code == "PayloadTooLarge"
    assert (
        f"{refused_size} bytes" in refused.value.description
        and "at most 1024 bytes" in refused.value.description
    )
