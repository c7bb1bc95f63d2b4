"""Request bodies are bounded before they are parsed (issue 16, defect 1), over HTTP against the devhost.

An 89 MB ``{"name": "x", "faqs": [{}, {}, …]}`` once took the host from 171 MB to 2.46 GB: ``json.loads``
ran before any size rule. Now every operation refuses a body over its limit with 413 naming the limit
(1 MiB unless it takes an upload), the devhost refuses one over the host's limit before buffering it,
and the host's peak memory stays near its size.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from shared.body_limits import DEFAULT_MAX_BODY_BYTES, HOST_MAX_BODY_BYTES, MAX_JSON_BODY_BYTES
from tests.e2e.conftest import error_of

T = 60
MIB = 1024 * 1024


def amplifying_json(size: int) -> bytes:
    """A JSON object of ``size`` to ``size + 2`` bytes that costs the most to parse: a list of ``{}``."""
    head, tail = b'{"name":"x","faqs":[', b"{}]}"
    return head + b"{}," * max(0, -(-(size - len(head) - len(tail)) // 3)) + tail


def in_chunks(data: bytes, size: int = MIB) -> Iterator[bytes]:
    """A body without Content-Length: requests sends a generator chunked."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def count(platform: Any, path: str, headers: dict[str, str]) -> int:
    listed = requests.get(platform.url(path), headers=headers, timeout=T)
    assert listed.status_code == 200, listed.text
    return len(listed.json()["items"])


def assert_refused(response: requests.Response, limit: int) -> None:
    assert response.status_code == 413, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/json")
    error = error_of(response)
    assert error["code"] == "PayloadTooLarge"
    assert str(limit) in error["description"], error


@pytest.mark.parametrize("path", ["/public/agents", "/public/faqs", "/public/functions"])
def test_an_over_limit_json_body_is_a_413_naming_the_limit_and_stores_nothing(platform, project_key, path):
    before = count(platform, path, project_key.headers)
    body = amplifying_json(DEFAULT_MAX_BODY_BYTES + 1)
    sized = requests.post(
        platform.url(path),
        data=body,
        headers={**project_key.headers, "Content-Type": "application/json"},
        timeout=T,
    )
    assert_refused(sized, DEFAULT_MAX_BODY_BYTES)
    chunked = requests.post(
        platform.url(path),
        data=in_chunks(body),
        headers={**project_key.headers, "Content-Type": "application/json"},
        timeout=T,
    )
    assert "Content-Length" not in chunked.request.headers
    assert_refused(chunked, DEFAULT_MAX_BODY_BYTES)
    assert count(platform, path, project_key.headers) == before
    # At the limit the body is parsed as ever (here: a 400 for the fields, not a 413).
    at_limit = requests.post(
        platform.url(path),
        data=amplifying_json(DEFAULT_MAX_BODY_BYTES - 3),
        headers={**project_key.headers, "Content-Type": "application/json"},
        timeout=T,
    )
    assert at_limit.status_code == 400, at_limit.text[:500]


def test_a_manage_route_refuses_an_over_limit_body_too(platform, user_token):
    headers = {"Authorization": f"Bearer {user_token('body-limits@example.com')}"}
    before = count(platform, "/manage/organizations", headers)
    refused = requests.post(
        platform.url("/manage/organizations"),
        data=amplifying_json(DEFAULT_MAX_BODY_BYTES + 1),
        headers={**headers, "Content-Type": "application/json"},
        timeout=T,
    )
    assert_refused(refused, DEFAULT_MAX_BODY_BYTES)
    assert count(platform, "/manage/organizations", headers) == before


def test_the_upload_route_parses_no_json_over_the_json_limit(platform, project_key):
    """The knowledge upload takes 50 MB documents, but never parses more than 1 MiB of JSON."""
    kb = requests.post(
        platform.url("/public/knowledge-bases"),
        json={"name": "limits"},
        headers=project_key.headers,
        timeout=T,
    )
    assert kb.status_code == 201, kb.text
    files = f"/public/knowledge-bases/{kb.json()['id']}/files"
    body = json.dumps({"text": "word " * (MAX_JSON_BODY_BYTES // 5 + 1), "name": "big.md"}).encode()
    refused = requests.post(
        platform.url(files),
        data=body,
        headers={**project_key.headers, "Content-Type": "application/json"},
        timeout=T,
    )
    assert_refused(refused, MAX_JSON_BODY_BYTES)
    assert count(platform, files, project_key.headers) == 0


def test_the_devhost_refuses_a_body_over_the_host_limit_before_reading_it(platform):
    """Headers only, a 60 MB Content-Length and no body sent: the 413 comes back anyway."""
    with socket.create_connection(("127.0.0.1", platform.host.port), timeout=T) as connection:
        connection.sendall(
            b"POST /public/faqs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(60 * MIB).encode() + b"\r\n\r\n"
        )
        answer = b""
        while b"\r\n\r\n" not in answer or not _complete(answer):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    assert b"application/json" in head.lower()
    error = json.loads(body)
    assert error["code"] == "PayloadTooLarge" and str(HOST_MAX_BODY_BYTES) in error["description"]


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    length = re.search(rb"(?i)content-length:\s*(\d+)", head)
    return length is not None and len(body) >= int(length.group(1))


def _memory_kib(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"{field}:\s+(\d+) kB", status)
    assert match, status
    return int(match.group(1))


def test_the_hosts_peak_memory_stays_near_the_body_size(platform, project_key):
    """Bodies of 20 MB (sized and chunked: the route refuses them) and 60 MB (the devhost refuses it
    while it streams in) raise the devhost's peak RSS by far less than parsing them would: parsing
    the 20 MB list alone costs over 400 MB (6.9 million dicts)."""
    assert platform.host.process is not None
    pid = platform.host.process.pid
    headers = {**project_key.headers, "Content-Type": "application/json"}
    warm = requests.get(platform.url("/public/faqs"), headers=project_key.headers, timeout=T)
    assert warm.status_code == 200
    baseline = _memory_kib(pid, "VmRSS")
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak (VmHWM) starts again from now
    body = amplifying_json(20 * MIB)
    sized = requests.post(platform.url("/public/faqs"), data=body, headers=headers, timeout=T)
    chunked = requests.post(platform.url("/public/faqs"), data=in_chunks(body), headers=headers, timeout=T)
    huge = requests.post(
        platform.url("/public/faqs"), data=in_chunks(amplifying_json(60 * MIB)), headers=headers, timeout=T
    )
    growth_mib = (_memory_kib(pid, "VmHWM") - baseline) / 1024
    assert growth_mib < 200, f"the devhost's peak RSS grew by {growth_mib:.0f} MiB"
    assert_refused(sized, MIB)
    assert_refused(chunked, MIB)
    assert_refused(huge, HOST_MAX_BODY_BYTES)
