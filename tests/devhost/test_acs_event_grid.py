"""The ACS stand-in with a real app on the devhost: IncomingCall reaches the app's Event Grid trigger,
the app answers with the official client and checks callbacks with ``shared.phone.callback_auth``,
reading only the settings the devhost set. And an app that does not use ACS gets none of its routes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.devhost.acs_world import AGENT_NUMBER, CALLER, EVENT_TYPE, WAIT_S, AcsControl
from tests.devhost.helpers import APPS_DIR, DevHost


@pytest.fixture(scope="module")
def phone_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AcsControl]:
    root = tmp_path_factory.mktemp("acs-phone-app")
    with DevHost(app_dir=APPS_DIR / "acs_phone", data_dir=root / "data", log_dir=root / "logs") as host:
        yield AcsControl(host)


def test_an_app_answers_through_its_event_grid_trigger_and_checks_callbacks(phone_app: AcsControl) -> None:
    """With nothing configured, IncomingCall reaches the app's Event Grid trigger (with the webhook's
    key), the app's verifier finds the stand-in's keys and audience in its settings, and a forged
    callback is refused."""
    placed = phone_app.place(CALLER, AGENT_NUMBER)
    record = phone_app.wait_for_call(
        placed["id"],
        lambda call: any(p["outcome"] == "completed" for p in call["played"]),
        "the app's greeting",
    )
    assert record["events"][0]["type"] == "Microsoft.Communication.IncomingCall"
    assert record["events"][0]["status"] == 202  # the Event Grid webhook ran the function
    assert [p["text"] for p in record["played"]] == ["Hello from the app."]

    def seen() -> list[dict[str, Any]]:
        return requests.get(phone_app.host.url("/api/acs/seen"), timeout=10).json()

    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline and {"event": EVENT_TYPE + "PlayCompleted"} not in seen():
        time.sleep(0.05)
    assert seen()[:4] == [
        {"incomingCall": CALLER},
        {"event": EVENT_TYPE + "CallConnected"},
        {"event": EVENT_TYPE + "ParticipantsUpdated"},
        {"event": EVENT_TYPE + "PlayCompleted"},
    ]
    delivered = phone_app.wait_for_call(
        placed["id"], lambda call: all(e["status"] for e in call["events"]), "every delivery's answer"
    )
    assert [e["status"] for e in delivered["events"]] == [202, 200, 200, 200]

    forged_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stand_in_kid = requests.get(phone_app.host.url("/calling/keys"), timeout=10).json()["keys"][0]["kid"]
    claims = {
        "iss": "https://acscallautomation.communication.azure.com",
        "aud": phone_app.identity["resourceId"],
        "exp": int(time.time()) + 300,
    }
    forged = jwt.encode(claims, forged_key, algorithm="RS256", headers={"kid": stand_in_kid})
    answer = requests.post(
        phone_app.host.url("/api/acs/callbacks"),
        json=[{"type": EVENT_TYPE + "CallConnected", "data": {"callConnectionId": placed["id"]}}],
        headers={"Authorization": f"Bearer {forged}"},
        timeout=10,
    )
    assert answer.status_code == 401
    assert "refused" in seen()[-1]
    assert len(phone_app.call(placed["id"])["played"]) == 1  # nothing more was played


def test_an_incoming_call_the_trigger_fails_is_delivered_again(phone_app: AcsControl) -> None:
    placed = phone_app.place("+15550000009", AGENT_NUMBER)  # the app's trigger fails it once
    record = phone_app.wait_for_call(placed["id"], lambda call: call["state"] == "connected", "the answer")
    incoming = record["events"][0]
    assert (incoming["attempts"], incoming["status"]) == (2, 202)


def test_an_app_that_does_not_use_acs_gets_none_of_its_routes(samples_host: DevHost) -> None:
    assert requests.get(samples_host.url("/calling/keys"), timeout=10).status_code == 404
    listing = requests.get(
        samples_host.url("/devhost/acs/calls"), headers=samples_host.admin_headers(), timeout=10
    )
    assert listing.status_code == 404
