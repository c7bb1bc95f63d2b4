"""The OpenAPI document and its viewer."""

import requests


def test_openapi_document_is_openapi_3_1_with_the_api_key_scheme(platform):
    response = requests.get(platform.url("/public/openapi.json"), timeout=30)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
        "description": "API key for authentication. Passed as a header on every request.",
    }


def test_docs_page_loads_swagger_ui_from_this_server(platform):
    page = requests.get(platform.url("/docs"), timeout=30)
    assert page.status_code == 200
    assert "/public/openapi.json" in page.text
    script = requests.get(platform.url("/docs/assets/swagger-ui-bundle.js"), timeout=30)
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.text
    assert requests.get(platform.url("/docs/assets/..%2Fsecrets"), timeout=30).status_code == 404
