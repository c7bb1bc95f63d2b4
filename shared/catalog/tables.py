"""Table names of the project-scoped resources (partition = project id, row = resource id).

Names are API: renaming one orphans stored data. Agents store their references under the fields
named here, which ``usage`` reads to refuse deleting what an agent still uses.
"""

COMPANIONS = "companions"
FUNCTIONS = "functions"
FAQ_COLLECTIONS = "faqcollections"
KNOWLEDGE_BASES = "knowledgebases"
AGENTS = "agents"
CHANNEL_CONFIGS = "channelconfigs"

# Fields of the stored agent entity (the AgentRecord model) that hold references.
AGENT_COMPANION_FIELD = "companion_id"  # str
AGENT_FUNCTIONS_FIELD = "functions"  # list[str], stored as JSON text
AGENT_FAQ_COLLECTIONS_FIELD = "faq_collections"  # list[str], stored as JSON text
AGENT_KNOWLEDGE_BASE_FIELD = "knowledge_base_id"  # str | None
KNOWLEDGE_FILES = "knowledgefiles"
