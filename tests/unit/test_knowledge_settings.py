"""Which knowledge index the settings choose, and the errors a wrong choice gets."""

from __future__ import annotations

import pytest

from shared.settings import SettingsError, load_settings

BASE = {"OMNI_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true"}


def test_the_local_index_unless_a_search_endpoint_is_configured():
    assert load_settings(BASE).knowledge_index == "local"
    azure = load_settings({**BASE, "OMNI_SEARCH_ENDPOINT": "https://s.search.windows.net"})
    assert azure.knowledge_index == "azure-search" and azure.search_index_name == "omniagent-knowledge"
    forced = load_settings(
        {**BASE, "OMNI_SEARCH_ENDPOINT": "https://s.search.windows.net", "OMNI_KNOWLEDGE_INDEX": "local"}
    )
    assert forced.knowledge_index == "local"


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"OMNI_KNOWLEDGE_INDEX": "elastic"}, "must be 'local' or 'azure-search'"),
        ({"OMNI_KNOWLEDGE_INDEX": "azure-search"}, "needs OMNI_SEARCH_ENDPOINT"),
        ({"OMNI_SEARCH_VECTOR_DIMENSIONS": "-3"}, "positive whole number"),
    ],
)
def test_wrong_knowledge_settings_say_what_is_wrong(environment, message):
    with pytest.raises(SettingsError, match=message):
        load_settings({**BASE, **environment})


def test_vector_dimensions_are_read():
    settings = load_settings({**BASE, "OMNI_SEARCH_VECTOR_DIMENSIONS": "1536"})
    assert settings.search_vector_dimensions == 1536
