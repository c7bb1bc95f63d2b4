"""What an agent gets when a field is left out, and how its fields are checked."""

import pytest
from pydantic import ValidationError

from shared.agents.models import AgentFields, AgentPatch, AgentRecord

MINIMAL = {"companionId": "comp_1", "voiceId": "alloy", "providerSettings": {}}


def test_a_minimal_agent_takes_the_published_and_extension_defaults():
    fields = AgentFields.model_validate(MINIMAL)
    wire = fields.model_dump(mode="json", by_alias=True)
    assert wire["functions"] == [] and wire["faqCollections"] == []
    assert wire["knowledgeBaseId"] is None and wire["language"] is None
    assert wire["useWebSearch"] is True  # published default
    assert wire["disableIdleTimeout"] is False
    assert wire["tags"] == {}
    assert wire["inactivity"] == {"timeoutSeconds": 120, "countdownSeconds": 15}
    assert wire["disclaimer"] == {"enabled": True, "text": "This is an AI-generated avatar"}
    assert wire["memory"] == {"enabled": True}
    assert wire["greeting"] is None


@pytest.mark.parametrize("missing", ["companionId", "voiceId", "providerSettings"])
def test_create_requires_companion_voice_and_provider_settings(missing):
    body = {key: value for key, value in MINIMAL.items() if key != missing}
    with pytest.raises(ValidationError) as error:
        AgentFields.model_validate(body)
    assert [e["loc"] for e in error.value.errors()] == [(missing,)]


def test_language_is_stored_as_the_code_and_a_bad_one_names_the_field():
    assert AgentFields.model_validate({**MINIMAL, "language": "French"}).language == "fr"
    with pytest.raises(ValidationError) as error:
        AgentFields.model_validate({**MINIMAL, "language": "Frenglish"})
    (problem,) = error.value.errors()
    assert problem["loc"] == ("language",)
    assert "ISO 639-1" in problem["msg"]


@pytest.mark.parametrize(
    ("settings", "path"),
    [
        ({"temperature": 2.5}, ("providerSettings", "temperature")),
        ({"temperature": -0.1}, ("providerSettings", "temperature")),
        ({"turnDetection": {"threshold": 1.5}}, ("providerSettings", "turnDetection", "threshold")),
        ({"noiseReduction": {"type": "loud"}}, ("providerSettings", "noiseReduction", "type")),
        ({"model": "gpt"}, ("providerSettings", "model")),
    ],
)
def test_provider_settings_are_checked_field_by_field(settings, path):
    with pytest.raises(ValidationError) as error:
        AgentFields.model_validate({**MINIMAL, "providerSettings": settings})
    assert [e["loc"] for e in error.value.errors()] == [path]


def test_published_provider_settings_round_trip_with_their_wire_names():
    settings = {
        "instructions": "Be brief.",
        "temperature": 0.7,
        "turnDetection": {"threshold": 0.9, "prefix_padding_ms": 400, "silence_duration_ms": 500},
        "noiseReduction": {"type": "nearField"},
    }
    fields = AgentFields.model_validate({**MINIMAL, "providerSettings": settings})
    wire = fields.model_dump(mode="json", by_alias=True, exclude_none=True)["providerSettings"]
    assert wire == settings


def test_unknown_fields_are_refused_by_name():
    with pytest.raises(ValidationError) as error:
        AgentFields.model_validate({**MINIMAL, "voice": "alloy"})
    assert [e["loc"] for e in error.value.errors()] == [("voice",)]


def test_the_patch_body_accepts_any_subset_and_remembers_what_was_sent():
    patch = AgentPatch.model_validate({"name": "New", "inactivity": {"countdownSeconds": 5}})
    assert patch.model_dump(mode="json", by_alias=True, exclude_unset=True) == {
        "name": "New",
        "inactivity": {"countdownSeconds": 5},
    }


def test_the_stored_agent_keeps_references_under_the_catalog_field_names():
    record = AgentRecord.model_validate(
        {**MINIMAL, "functions": ["fn_1"], "id": "agent_1", "organization_id": "org_1", "created": 1},
        by_name=True,
    )
    stored = record.model_dump()
    assert stored["companion_id"] == "comp_1"
    assert stored["functions"] == ["fn_1"]
    assert stored["faq_collections"] == []
    assert stored["knowledge_base_id"] is None
    assert "organization_id" not in record.to_wire().model_dump(by_alias=True)


def test_only_the_published_camel_case_names_are_accepted_on_the_wire():
    with pytest.raises(ValidationError) as error:
        AgentFields.model_validate({**MINIMAL, "knowledge_base_id": "kb_1"})
    assert [e["loc"] for e in error.value.errors()] == [("knowledge_base_id",)]
