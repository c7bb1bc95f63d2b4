"""The agent and channel rules that need no storage, and how reference problems are reported."""

from azure.core.exceptions import ResourceNotFoundError

from shared.agents.models import AgentFields, ChannelConfigFields
from shared.agents.rules import (
    agent_references,
    agent_rule_errors,
    channel_references,
    channel_rule_errors,
    merge_patch,
)
from shared.api_errors import FieldError
from shared.catalog.references import Reference, missing_references

MINIMAL = {"companionId": "comp_1", "voiceId": "alloy", "providerSettings": {}}


def known_voice(provider: str, voice: str) -> bool:
    return voice == "alloy"


def agent(**wire) -> AgentFields:
    return AgentFields.model_validate({**MINIMAL, **wire})


class FakeTables:
    """The two calls ``missing_references`` makes: a table per name, a point read per id."""

    def __init__(self, rows: dict[str, set[tuple[str, str]]]) -> None:
        self.rows = rows
        self.reads: list[tuple[str, str, str]] = []

    def get_table_client(self, name: str) -> "FakeTable":
        return FakeTable(self, name)


class FakeTable:
    def __init__(self, tables: FakeTables, name: str) -> None:
        self.tables, self.name = tables, name

    def get_entity(self, partition: str, row: str, **kwargs):
        self.tables.reads.append((self.name, partition, row))
        if (partition, row) not in self.tables.rows.get(self.name, set()):
            raise ResourceNotFoundError("missing")
        return {"PartitionKey": partition, "RowKey": row}


def test_merge_patch_changes_only_what_is_sent():
    current = {
        "name": "A",
        "functions": ["f1", "f2"],
        "providerSettings": {"instructions": "x", "temperature": 1},
    }
    merged = merge_patch(current, {"providerSettings": {"temperature": 0.5}, "functions": ["f3"]})
    assert merged == {
        "name": "A",
        "functions": ["f3"],
        "providerSettings": {"instructions": "x", "temperature": 0.5},
    }
    assert current["functions"] == ["f1", "f2"]  # the input is not changed


def test_merge_patch_replaces_tags_and_mcp_whole_and_null_resets():
    current = {"tags": {"a": "1", "b": "2"}, "mcp": {"servers": ["s1"], "connectors": ["gmail"]}, "name": "A"}
    merged = merge_patch(current, {"tags": {"c": "3"}, "mcp": {"servers": ["s2"]}, "name": None})
    assert merged == {"tags": {"c": "3"}, "mcp": {"servers": ["s2"]}}


def test_merge_patch_null_inside_an_object_removes_that_field_only():
    current = {"disclaimer": {"enabled": False, "text": "Custom"}}
    assert merge_patch(current, {"disclaimer": {"text": None}}) == {"disclaimer": {"enabled": False}}


def test_an_unknown_voice_is_named_with_the_keys_provider():
    errors = agent_rule_errors(agent(voiceId="nova"), "azure-openai", known_voice)
    assert errors == [FieldError("voiceId", "'nova' is not a voice of this key's provider (azure-openai)")]


def test_repeated_references_name_the_repeat_and_the_first():
    errors = agent_rule_errors(agent(functions=["f1", "f2", "f1"]), "hosted", known_voice)
    assert errors == [FieldError("functions[2]", "repeats functions[0] ('f1')")]


def test_the_inactivity_countdown_must_end_before_the_timeout():
    errors = agent_rule_errors(
        agent(inactivity={"timeoutSeconds": 30, "countdownSeconds": 30}), "h", known_voice
    )
    assert errors == [
        FieldError("inactivity.countdownSeconds", "must be less than inactivity.timeoutSeconds (30)")
    ]
    assert (
        agent_rule_errors(agent(inactivity={"timeoutSeconds": 30, "countdownSeconds": 29}), "h", known_voice)
        == []
    )


def test_an_agent_references_its_companion_each_function_and_collection_by_wire_path():
    fields = agent(functions=["f1", "f2"], faqCollections=["q1"], knowledgeBaseId="kb1")
    assert agent_references(fields) == [
        Reference("companionId", "companion", "comp_1"),
        Reference("functions[0]", "function", "f1"),
        Reference("functions[1]", "function", "f2"),
        Reference("faqCollections[0]", "faqCollection", "q1"),
        Reference("knowledgeBaseId", "knowledgeBase", "kb1"),
    ]


def test_missing_references_name_each_bad_path_and_read_each_id_once():
    tables = FakeTables({"companions": {("proj_a", "comp_1")}, "functions": {("proj_a", "f1")}})
    references = agent_references(agent(functions=["f1", "f9"], faqCollections=["q1"]))
    references.append(Reference("functions[2]", "function", "f9"))
    errors = missing_references(tables, "proj_a", references)  # type: ignore[arg-type]
    assert errors == [
        FieldError("functions[1]", "no function 'f9' exists in this project"),
        FieldError("faqCollections[0]", "no FAQ collection 'q1' exists in this project"),
        FieldError("functions[2]", "no function 'f9' exists in this project"),
    ]
    assert tables.reads.count(("functions", "proj_a", "f9")) == 1


def test_a_reference_is_looked_up_in_the_callers_project_only():
    tables = FakeTables({"companions": {("proj_a", "comp_1")}})
    errors = missing_references(tables, "proj_b", agent_references(agent()))  # type: ignore[arg-type]
    assert errors == [FieldError("companionId", "no companion 'comp_1' exists in this project")]


def test_an_id_that_could_never_be_stored_is_missing_without_a_read():
    tables = FakeTables({})
    references = [Reference("functions[0]", "function", "a/b"), Reference("functions[1]", "function", "")]
    errors = missing_references(tables, "proj_a", references)  # type: ignore[arg-type]
    assert [e.field for e in errors] == ["functions[0]", "functions[1]"]
    assert tables.reads == []


def test_channel_only_fields_are_refused_on_other_channels():
    fields = ChannelConfigFields.model_validate(
        {"humanHandoff": {"enabled": True}, "videoPolicy": "deferred", "theme": "dark"}
    )
    assert channel_rule_errors("voip", fields) == [
        FieldError("humanHandoff", "applies to the sip channel only, not voip"),
        FieldError("videoPolicy", "applies to the kiosk and webrtc channels only, not voip"),
        FieldError("theme", "applies to the kiosk channel only, not voip"),
    ]
    assert (
        channel_rule_errors("sip", ChannelConfigFields.model_validate({"humanHandoff": {"enabled": True}}))
        == []
    )


def test_a_channel_references_only_what_it_overrides():
    assert channel_references(ChannelConfigFields.model_validate({})) == []
    fields = ChannelConfigFields.model_validate({"faqCollections": ["q1"], "knowledgeBaseId": "kb1"})
    assert channel_references(fields) == [
        Reference("faqCollections[0]", "faqCollection", "q1"),
        Reference("knowledgeBaseId", "knowledgeBase", "kb1"),
    ]
