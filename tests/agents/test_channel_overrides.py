"""A channel config's fields replace the agent's for that channel's sessions."""

from shared.agents.models import AgentFields, ChannelConfigFields
from shared.agents.rules import for_channel


def _agent(**fields) -> AgentFields:
    return AgentFields.model_validate(
        {
            "companion_id": "comp_1",
            "voice_id": "alloy",
            "provider_settings": {},
            "functions": ["fn_a"],
            "faq_collections": ["faqc_a"],
            **fields,
        },
        by_name=True,
    )


def test_set_fields_replace_the_agents_and_unset_ones_keep_them():
    agent = _agent(knowledge_base_id="kb_a")
    config = ChannelConfigFields.model_validate(
        {"faq_collections": ["faqc_b"], "functions": []}, by_name=True
    )
    seen = for_channel(agent, config)
    assert (seen.faq_collections, seen.functions, seen.knowledge_base_id) == (["faqc_b"], [], "kb_a")
    assert agent.faq_collections == ["faqc_a"]


def test_no_config_is_the_agent_as_it_is():
    agent = _agent()
    assert for_channel(agent, None) is agent
