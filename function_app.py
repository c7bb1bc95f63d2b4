"""The Functions app: a table of contents of blueprints, no logic (see docs/architecture.md)."""

import azure.durable_functions as df
import azure.functions as func

from activities.avatar_silhouette import bp as avatar_silhouette_activities
from activities.function_calls import bp as function_call_activities
from activities.knowledge import bp as knowledge_activities
from activities.model_turn import bp as model_turn_activities
from activities.phone_transfer import bp as phone_transfer_activities
from activities.session import bp as session_activities
from api.agents import bp as agents
from api.api_keys import bp as api_keys
from api.companions import bp as companions
from api.connections import bp as connections
from api.dev_tokens import bp as dev_tokens
from api.faqs import bp as faqs
from api.functions import bp as functions
from api.health import bp as health
from api.knowledge_bases import bp as knowledge_bases
from api.knowledge_files import bp as knowledge_files
from api.marketplace import bp as marketplace
from api.memory import bp as memory
from api.openapi_docs import bp as openapi_docs
from api.organizations import bp as organizations
from api.projects import bp as projects
from api.sessions import bp as sessions
from api.sip_agents import bp as sip_agents
from api.sip_connections import bp as sip_connections
from api.stock_avatars import bp as stock_avatars
from api.usage import bp as usage
from api.voices import bp as voices
from api.web_assets import bp as web_assets
from api.web_config import bp as web_config
from channels.acs_phone import bp as phone_channel
from channels.tool_sockets import bp as tool_sockets_channel
from channels.webpubsub import bp as webpubsub_channel
from orchestrators.avatar_silhouette import bp as avatar_silhouette_preparation
from orchestrators.knowledge_ingestion import bp as knowledge_ingestion
from orchestrators.session import bp as session_orchestrator
from timers.metering import bp as metering_timer

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)

app.register_functions(health)
# Management API (/manage)
app.register_functions(organizations)
app.register_functions(projects)
app.register_functions(api_keys)
app.register_functions(dev_tokens)
# Customer API (/public)
app.register_functions(companions)
app.register_functions(stock_avatars)
app.register_functions(voices)
app.register_functions(functions)
app.register_functions(faqs)
app.register_functions(knowledge_bases)
app.register_functions(knowledge_files)
app.register_functions(agents)
app.register_functions(memory)
app.register_functions(connections)
app.register_functions(sip_agents)
app.register_functions(sip_connections)
app.register_functions(sessions)
app.register_functions(usage)
# Browser code: the Web SDK (/sdk/v1) and the Playground (/playground)
app.register_functions(web_assets)
app.register_functions(web_config)
# Azure Marketplace (landing page, webhook)
app.register_functions(marketplace)
# Channels and the session's durable functions
app.register_functions(webpubsub_channel)
app.register_functions(tool_sockets_channel)
app.register_functions(phone_channel)
app.register_functions(session_orchestrator)
app.register_functions(session_activities)
app.register_functions(model_turn_activities)
app.register_functions(function_call_activities)
app.register_functions(phone_transfer_activities)
# Knowledge ingestion's durable functions
app.register_functions(knowledge_ingestion)
app.register_functions(knowledge_activities)
# Avatar silhouettes' durable functions
app.register_functions(avatar_silhouette_preparation)
app.register_functions(avatar_silhouette_activities)
# Timers
app.register_functions(metering_timer)
# Keep last: the OpenAPI document lists every endpoint registered above.
app.register_functions(openapi_docs)
