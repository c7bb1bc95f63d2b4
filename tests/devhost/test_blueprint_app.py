"""An app built from a df.Blueprint in a sibling module, with routePrefix "" in host.json."""

from __future__ import annotations

import requests

from tests.devhost.helpers import wait_for_terminal


def _order() -> dict:
    return {
        "orderId": "order-1001",
        "lines": [
            {"sku": "apple", "quantity": 4, "unitPrice": 0.5},
            {"sku": "pear", "quantity": 2, "unitPrice": 1.25},
        ],
    }


def test_blueprint_functions_are_registered_and_served_without_route_prefix(blueprint_host):
    response = requests.post(blueprint_host.url("/orders"), json=_order(), timeout=30)

    assert response.status_code == 202, response.text
    started = response.json()
    assert response.headers["Location"] == started["statusQueryGetUri"]
    status = wait_for_terminal(started["statusQueryGetUri"], host=blueprint_host)
    assert status["runtimeStatus"] == "Completed", status
    assert status["name"] == "process_order"
    # ORDER_TAX_RATE=0.25 comes from the app's local.settings.json; pricing.py is a sibling module.
    assert status["output"] == {"orderId": "order-1001", "linePrices": [2.5, 3.12], "total": 5.62}


def test_blueprint_status_route_uses_the_durable_client(blueprint_host):
    started = requests.post(blueprint_host.url("/orders"), json=_order(), timeout=30).json()
    wait_for_terminal(started["statusQueryGetUri"], host=blueprint_host)

    response = requests.get(blueprint_host.url(f"/orders/{started['id']}"), timeout=30)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "runtimeStatus": "Completed",
        "output": {"orderId": "order-1001", "linePrices": [2.5, 3.12], "total": 5.62},
    }


def test_empty_route_prefix_means_api_prefix_is_not_served(blueprint_host):
    assert requests.post(blueprint_host.url("/api/orders"), json=_order(), timeout=30).status_code == 404
