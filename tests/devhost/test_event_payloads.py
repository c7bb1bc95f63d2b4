"""Issue 17, defect 2: an event raised through the event URL is decoded once, as the extension does:
the JSON string "9361" arrives as the string, the number 9361 as the number (human interaction)."""

from __future__ import annotations

import requests

from tests.devhost.helpers import event_url, wait_for_status, wait_for_terminal
from tests.devhost.named_app_client import start


def _waiting_for(attempt: int):
    return lambda status: (status.get("customStatus") or {}).get("waitingForAttempt") == attempt


def test_a_code_raised_as_a_json_string_arrives_as_the_string(named_host):
    started = start(named_host, "sms_verification", {"code": "9361"})
    url = started["statusQueryGetUri"]

    wait_for_status(url, _waiting_for(1), "the first attempt", host=named_host)
    wrong = requests.post(event_url(started, "SmsChallengeResponse"), json=9361, timeout=30)
    assert wrong.status_code == 202, wrong.text
    wait_for_status(url, _waiting_for(2), "the second attempt", host=named_host)
    right = requests.post(event_url(started, "SmsChallengeResponse"), data='"9361"', timeout=30)
    assert right.status_code == 202, right.text

    status = wait_for_terminal(url, host=named_host)
    assert status["output"] == {"verified": True, "answers": [9361, "9361"]}, status


def test_an_event_body_that_is_not_json_is_refused(named_host):
    started = start(named_host, "sms_verification", {"code": "0042"})
    wait_for_status(started["statusQueryGetUri"], _waiting_for(1), "the first attempt", host=named_host)

    response = requests.post(event_url(started, "SmsChallengeResponse"), data="0042x", timeout=30)

    assert response.status_code == 400, response.text
    requests.post(started["terminatePostUri"].replace("{text}", "done"), timeout=30)
