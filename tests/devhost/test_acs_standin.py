"""The devhost's ACS stand-in, driven as the platform will drive Azure Communication Services.

The app side is the official ``CallAutomationClient`` (built from endpoint and key by
``shared.phone.acs_client``); callbacks and the IncomingCall event land on a loopback receiver, and
every callback's JWT goes through ``shared.phone.callback_auth``. The caller is the control API.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from azure.communication.callautomation import (
    CallAutomationClient,
    PhoneNumberIdentifier,
    RecognizeInputType,
    SsmlSource,
    TextSource,
)
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

from shared.phone.acs_client import call_automation_client
from shared.phone.callback_auth import CallbackTokenError, CallbackTokenVerifier
from tests.devhost.acs_world import (
    AGENT_NUMBER,
    CALLER,
    EVENT_TYPE,
    AcsControl,
    Receiver,
    answered_call,
    context_of,
    running_receiver,
    types,
)
from tests.devhost.helpers import BLUEPRINT_APP, DevHost

VOICE = "en-US-JennyNeural"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture(scope="module")
def acs(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[AcsControl]:
    root = tmp_path_factory.mktemp("acs-standin")
    host = DevHost(
        app_dir=BLUEPRINT_APP,
        data_dir=root / "data",
        log_dir=root / "logs",
        # The app does not import the Call Automation SDK, so its settings name the stand-in.
        environment={
            "ACS_CONNECTION_STRING": "devhost",
            "DEVHOST_ACS_INCOMING_CALL_URL": receiver.url("/eventgrid"),
        },
    )
    with host:
        yield AcsControl(host)


@pytest.fixture(scope="module")
def client(acs: AcsControl) -> CallAutomationClient:
    return call_automation_client(acs.connection_string)


@pytest.fixture(scope="module")
def verifier(acs: AcsControl) -> CallbackTokenVerifier:
    return CallbackTokenVerifier(acs.host.url("/calling/keys"), acs.identity["resourceId"])


# -- IncomingCall --------------------------------------------------------------------------------


def test_a_dialled_number_produces_the_published_incoming_call_event(
    acs: AcsControl, receiver: Receiver
) -> None:
    placed = acs.place("+15559870002", AGENT_NUMBER, callerDisplayName="Grace")
    context_of(receiver, placed["correlationId"])
    item = next(
        i
        for i in receiver.matching("/eventgrid")
        if i.body[0]["data"]["correlationId"] == placed["correlationId"]
    )
    assert item.headers["aeg-event-type"] == "Notification"
    assert item.headers["content-type"].startswith("application/json")
    assert (
        "authorization" not in item.headers
    )  # Event Grid signs nothing; the subscription's URL is the secret
    [event] = item.body
    assert set(event) == {
        "id",
        "topic",
        "subject",
        "data",
        "eventType",
        "dataVersion",
        "metadataVersion",
        "eventTime",
    }
    assert event["eventType"] == "Microsoft.Communication.IncomingCall"
    assert (event["dataVersion"], event["metadataVersion"]) == ("1.0", "1")
    assert event["subject"] == f"/caller/4:+15559870002/recipient/4:{AGENT_NUMBER}"
    assert "/providers/Microsoft.Communication/communicationServices/" in event["topic"]
    data = event["data"]
    assert set(data) == {
        "to",
        "from",
        "serverCallId",
        "callerDisplayName",
        "incomingCallContext",
        "correlationId",
    }
    assert data["to"] == {
        "kind": "phoneNumber",
        "rawId": f"4:{AGENT_NUMBER}",
        "phoneNumber": {"value": AGENT_NUMBER},
    }
    assert data["from"] == {
        "kind": "phoneNumber",
        "rawId": "4:+15559870002",
        "phoneNumber": {"value": "+15559870002"},
    }
    assert data["callerDisplayName"] == "Grace"
    assert data["serverCallId"] == placed["serverCallId"]
    assert data["incomingCallContext"] == placed["incomingCallContext"]
    record = acs.wait_for_call(
        placed["id"], lambda c: c["events"][0]["status"] == 200, "the delivery's status"
    )
    assert record["state"] == "ringing"


# -- a whole call ---------------------------------------------------------------------------------


def test_answer_play_recognise_and_transfer_with_signed_callbacks(
    acs: AcsControl, client: CallAutomationClient, receiver: Receiver, verifier: CallbackTokenVerifier
) -> None:
    placed, path = answered_call(acs, client, receiver, "whole")
    connection = client.get_call_connection(placed["id"])
    properties = connection.get_call_properties()
    assert properties.call_connection_state == "connected"
    assert properties.server_call_id == placed["serverCallId"]

    connection.play_media(
        TextSource(text="Hello, how can I help?", voice_name=VOICE), operation_context="greet"
    )
    completed = receiver.wait_for_type(path, EVENT_TYPE + "PlayCompleted")
    assert completed["data"]["operationContext"] == "greet"
    assert completed["data"]["resultInformation"] == {
        "code": 200,
        "subCode": 0,
        "message": "Action completed successfully.",
    }

    caller = PhoneNumberIdentifier(CALLER)
    connection.start_recognizing_media(
        RecognizeInputType.SPEECH,
        caller,
        # Seconds (typed int), sent as endSilenceTimeoutInMs = seconds * 1000: 800 ms takes a float.
        end_silence_timeout=0.8,  # type: ignore[arg-type]
        interrupt_prompt=True,
        operation_context="turn-1",
    )
    acs.say(placed["id"], "When are you open?")
    recognized = receiver.wait_for_type(path, EVENT_TYPE + "RecognizeCompleted")
    assert recognized["data"]["recognitionType"] == "speech"
    assert recognized["data"]["speechResult"]["speech"] == "When are you open?"
    assert recognized["data"]["operationContext"] == "turn-1"
    assert recognized["data"]["resultInformation"]["code"] == 200

    connection.transfer_call_to_participant(
        PhoneNumberIdentifier("+14445550199"), operation_context="handoff"
    )
    accepted = receiver.wait_for_type(path, EVENT_TYPE + "CallTransferAccepted")
    assert accepted["data"]["operationContext"] == "handoff"
    assert accepted["data"]["transferTarget"]["phoneNumber"]["value"] == "+14445550199"
    receiver.wait_for_type(path, EVENT_TYPE + "CallDisconnected")

    assert types(receiver, path) == [
        "CallConnected",
        "ParticipantsUpdated",
        "PlayCompleted",
        "RecognizeCompleted",
        "CallTransferAccepted",
        "CallDisconnected",
    ]
    for item in receiver.matching(path):
        assert item.path == path  # the per-call secret in the callback URL comes back as given
        claims = verifier.verify(item.headers.get("authorization"))
        assert claims["iss"] == "https://acscallautomation.communication.azure.com"
        assert claims["exp"] - claims["iat"] == 300
        [event] = item.body
        assert event["specversion"] == "1.0"
        assert event["source"] == event["subject"] == f"calling/callConnections/{placed['id']}"
        for name in ("callConnectionId", "serverCallId", "correlationId"):
            assert event["data"][name] == placed[{"callConnectionId": "id"}.get(name, name)]
        assert event["data"]["publicEventType"] == event["type"]

    record = acs.call(placed["id"])
    assert record["state"] == "disconnected"
    assert [(p["text"], p["voiceName"], p["outcome"]) for p in record["played"]] == [
        ("Hello, how can I help?", VOICE, "completed")
    ]
    [recognition] = record["recognitions"]
    assert recognition["endSilenceTimeoutInMs"] == 800
    assert recognition["interruptPrompt"] is True
    assert recognition["outcome"] == "recognized"
    assert record["cognitiveServicesEndpoint"] == "https://speech.example"
    with pytest.raises(ResourceNotFoundError):
        connection.get_call_properties()  # an ended call is gone, as on the service


def test_nothing_said_before_the_timeout_is_the_published_silence_failure(
    acs: AcsControl, client: CallAutomationClient, receiver: Receiver
) -> None:
    placed, path = answered_call(acs, client, receiver, "silence")
    connection = client.get_call_connection(placed["id"])
    caller = PhoneNumberIdentifier(CALLER)
    connection.start_recognizing_media(RecognizeInputType.SPEECH, caller, initial_silence_timeout=1)
    failed = receiver.wait_for_type(path, EVENT_TYPE + "RecognizeFailed")  # the timer ran out
    assert failed["data"]["resultInformation"] == {
        "code": 400,
        "subCode": 8510,
        "message": "Action failed, initial silence timeout reached.",
    }
    # The control API's silence ends the next recognition the same way, without waiting.
    assert acs.act(placed["id"], "silence").status_code == 202
    connection.start_recognizing_media(RecognizeInputType.SPEECH, caller, initial_silence_timeout=20)
    receiver.wait_for(path, 4, "the second RecognizeFailed")
    assert types(receiver, path)[-2:] == ["RecognizeFailed", "RecognizeFailed"]
    assert [r["outcome"] for r in acs.call(placed["id"])["recognitions"]] == ["silence", "silence"]


def test_barge_in_stops_the_prompt_and_interrupting_media_cancels_what_plays(
    acs: AcsControl, client: CallAutomationClient, receiver: Receiver
) -> None:
    placed, path = answered_call(acs, client, receiver, "barge", playback="held")
    connection = client.get_call_connection(placed["id"])
    connection.play_media(TextSource(text="A long answer, sentence one.", voice_name=VOICE))
    connection.play_media(SsmlSource(ssml_text="<speak>Sentence two.</speak>"))
    assert acs.act(placed["id"], "finish-playback").status_code == 200  # the first sentence was heard
    receiver.wait_for_type(path, EVENT_TYPE + "PlayCompleted")

    # The next turn interrupts the second sentence and prompts; the caller speaks over the prompt.
    connection.start_recognizing_media(
        RecognizeInputType.SPEECH,
        PhoneNumberIdentifier(CALLER),
        play_prompt=TextSource(text="Anything else?", voice_name=VOICE),
        interrupt_prompt=True,
        interrupt_call_media_operation=True,
    )
    acs.say(placed["id"], "Stop, I have a question")
    receiver.wait_for_type(path, EVENT_TYPE + "RecognizeCompleted")
    assert types(receiver, path)[2:] == ["PlayCompleted", "PlayCanceled", "RecognizeCompleted"]
    canceled = receiver.events(path)[3]["data"]["resultInformation"]
    assert (canceled["code"], canceled["subCode"]) == (400, 8508)
    played = acs.call(placed["id"])["played"]
    assert [(p["kind"], p["via"], p["outcome"]) for p in played] == [
        ("text", "play", "completed"),
        ("ssml", "play", "canceled"),
        ("text", "recognizePrompt", "interrupted"),
    ]

    # A play that interrupts: what plays is canceled and the new one plays at once.
    connection.play_media(TextSource(text="Held.", voice_name=VOICE))
    connection.play_media(TextSource(text="Urgent.", voice_name=VOICE), interrupt_call_media_operation=True)
    receiver.wait_for(path, 6, "the held play's PlayCanceled")
    assert [(p["text"], p["outcome"]) for p in acs.call(placed["id"])["played"][-2:]] == [
        ("Held.", "canceled"),
        ("Urgent.", "playing"),
    ]
    # cancel_all_media_operations: what plays is canceled, and a finish has nothing left to end.
    connection.cancel_all_media_operations()
    receiver.wait_for(path, 7, "the urgent play's PlayCanceled")
    assert types(receiver, path)[-2:] == ["PlayCanceled", "PlayCanceled"]
    assert acs.act(placed["id"], "finish-playback").status_code == 409


def test_a_text_source_without_a_voice_fails_to_play(
    acs: AcsControl, client: CallAutomationClient, receiver: Receiver
) -> None:
    placed, path = answered_call(acs, client, receiver, "novoice")
    client.get_call_connection(placed["id"]).play_media(TextSource(text="Who am I?"))
    failed = receiver.wait_for_type(path, EVENT_TYPE + "PlayFailed")
    assert failed["data"]["resultInformation"]["code"] == 400


def test_failed_transfer_keeps_the_call(
    acs: AcsControl, client: CallAutomationClient, receiver: Receiver
) -> None:
    placed, path = answered_call(acs, client, receiver, "transfer-fails", transfers="fail")
    connection = client.get_call_connection(placed["id"])
    connection.transfer_call_to_participant(PhoneNumberIdentifier("+14445550199"))
    receiver.wait_for_type(path, EVENT_TYPE + "CallTransferFailed")
    assert connection.get_call_properties().call_connection_state == "connected"


def test_hang_ups_reject_and_an_outbound_call(
    acs: AcsControl, client: CallAutomationClient, receiver: Receiver, verifier: CallbackTokenVerifier
) -> None:
    agent_ends, path = answered_call(acs, client, receiver, "agent-hangs-up")
    client.get_call_connection(agent_ends["id"]).hang_up(is_for_everyone=True)
    receiver.wait_for_type(path, EVENT_TYPE + "CallDisconnected")

    caller_ends, path = answered_call(acs, client, receiver, "caller-hangs-up")
    assert acs.act(caller_ends["id"], "hang-up").status_code == 200
    receiver.wait_for_type(path, EVENT_TYPE + "CallDisconnected")
    assert acs.act(caller_ends["id"], "say", {"text": "hello?"}).status_code == 409

    rejected = acs.place(CALLER, "+14445550404")
    client.reject_call(context_of(receiver, rejected["correlationId"]), call_reject_reason="busy")
    assert (acs.call(rejected["id"])["state"], acs.call(rejected["id"])["rejectReason"]) == (
        "rejected",
        "busy",
    )
    with pytest.raises(HttpResponseError) as answered_late:
        client.answer_call(rejected["incomingCallContext"], receiver.url("/callbacks/late"))
    assert answered_late.value.status_code == 400

    outbound = client.create_call(
        PhoneNumberIdentifier("+15557770003"),
        receiver.url("/callbacks/outbound"),
        source_caller_id_number=PhoneNumberIdentifier(AGENT_NUMBER),
        operation_context="call-back",
    )
    assert outbound.call_connection_state == "connecting"
    outbound_id = str(outbound.call_connection_id)
    assert acs.call(outbound_id)["state"] == "ringing"
    assert acs.act(outbound_id, "answer").status_code == 200
    connected = receiver.wait_for_type("/callbacks/outbound", EVENT_TYPE + "CallConnected")
    assert connected["data"]["operationContext"] == "call-back"
    verifier.verify(receiver.matching("/callbacks/outbound")[0].headers["authorization"])
    client.get_call_connection(outbound_id).play_media(TextSource(text="Hi!", voice_name=VOICE))
    receiver.wait_for_type("/callbacks/outbound", EVENT_TYPE + "PlayCompleted")


# -- security and bad input -------------------------------------------------------------------------


def test_a_wrong_key_or_no_signature_gets_401_with_the_service_body(acs: AcsControl) -> None:
    wrong = CallAutomationClient(
        acs.host.base_url, AzureKeyCredential("d3Jvbmcta2V5LW9mLXRoZS1yaWdodC1sZW5ndGg=")
    )
    with pytest.raises(ClientAuthenticationError) as refused:
        wrong.get_call_connection("any").get_call_properties()
    assert refused.value.status_code == 401
    unsigned = requests.post(
        acs.host.url("/calling/callConnections:answer?api-version=2026-03-12"), json={}, timeout=10
    )
    assert unsigned.status_code == 401
    assert unsigned.json() == {"error": {"code": "7509", "message": "HMAC-SHA256 validation failed"}}


def test_the_stand_in_tokens_are_for_its_resource_only(
    acs: AcsControl, client: CallAutomationClient, receiver: Receiver, verifier: CallbackTokenVerifier
) -> None:
    keys = requests.get(acs.host.url("/calling/keys"), timeout=10).json()
    assert [(k["kty"], k["alg"], k["use"]) for k in keys["keys"]] == [("RSA", "RS256", "sig")]
    configuration = requests.get(
        acs.host.url("/calling/.well-known/acsopenidconfiguration"), timeout=10
    ).json()
    assert configuration == {
        "issuer": "https://acscallautomation.communication.azure.com",
        "jwks_uri": acs.host.url("/calling/keys"),
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    _placed, path = answered_call(acs, client, receiver, "audience")
    authorization = receiver.matching(path)[0].headers["authorization"]
    assert verifier.verify(authorization)["aud"] == acs.identity["resourceId"]
    other_resource = CallbackTokenVerifier(acs.host.url("/calling/keys"), "another-resource-id")
    with pytest.raises(CallbackTokenError, match=r"[Aa]udience"):
        other_resource.verify(authorization)
    with pytest.raises(CallbackTokenError):
        verifier.verify(None)


def test_bad_requests_get_400_and_the_control_api_needs_the_master_key(
    acs: AcsControl, client: CallAutomationClient
) -> None:
    with pytest.raises(HttpResponseError) as unknown_context:
        client.answer_call("no-such-context", "http://127.0.0.1:9/cb")
    assert unknown_context.value.status_code == 400
    with pytest.raises(ResourceNotFoundError):
        client.get_call_connection("00000000-0000-0000-0000-000000000000").get_call_properties()
    bad_number = requests.post(
        acs.host.url("/devhost/acs/calls"),
        json={"from": "555", "to": AGENT_NUMBER},
        headers=acs.host.admin_headers(),
        timeout=10,
    )
    assert bad_number.status_code == 400
    assert bad_number.json()["error"]["code"] == "BadRequest"
    no_key = requests.post(
        acs.host.url("/devhost/acs/calls"), json={"from": CALLER, "to": AGENT_NUMBER}, timeout=10
    )
    assert no_key.status_code == 401
