"""The AsyncAPI document of the live session protocol, served beside the OpenAPI one and linked from /docs."""

from urllib.parse import urlsplit

import requests

from shared.sessions import protocol
from tests.e2e.builders import new_agent
from tests.e2e.session_client import open_connection, token_of

T = 30


def test_asyncapi_document_is_served_as_json_and_documented(platform):
    response = requests.get(platform.url("/public/asyncapi.json"), timeout=T)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["X-Request-Id"]
    document = response.json()
    assert document["asyncapi"] == "3.0.0"
    assert set(document["components"]["messages"]) == set(protocol.COMMANDS) | set(protocol.EVENTS)
    openapi = requests.get(platform.url("/public/openapi.json"), timeout=T).json()
    assert "get" in openapi["paths"]["/public/asyncapi.json"]


def test_the_documented_server_is_where_a_connection_token_points(platform, project_key):
    document = requests.get(platform.url("/public/asyncapi.json"), timeout=T).json()
    answer = open_connection(platform, project_key, new_agent(platform, project_key)["id"])
    url = urlsplit(token_of(answer)["url"])
    server = document["servers"]["session"]
    assert (server["protocol"], server["host"], server["pathname"]) == (url.scheme, url.netloc, url.path)


def test_docs_page_links_the_asyncapi_document(platform):
    page = requests.get(platform.url("/docs"), timeout=T)
    assert page.status_code == 200
    assert 'href="/public/asyncapi.json"' in page.text
    assert "AsyncAPI" in page.text
