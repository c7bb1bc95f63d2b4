"""The Functions app: a table of contents of blueprints, no logic (see docs/architecture.md)."""

import azure.durable_functions as df
import azure.functions as func

from api.agents import bp as agents
from api.api_keys import bp as api_keys
from api.companions import bp as companions
from api.dev_tokens import bp as dev_tokens
from api.faqs import bp as faqs
from api.functions import bp as functions
from api.health import bp as health
from api.knowledge_bases import bp as knowledge_bases
from api.openapi_docs import bp as openapi_docs
from api.organizations import bp as organizations
from api.projects import bp as projects
from api.voices import bp as voices

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)

app.register_functions(health)
app.register_functions(companions)
app.register_functions(voices)
app.register_functions(functions)
app.register_functions(organizations)
app.register_functions(projects)
app.register_functions(api_keys)
app.register_functions(dev_tokens)
app.register_functions(faqs)
app.register_functions(knowledge_bases)
app.register_functions(agents)
# Keep last: the OpenAPI document lists every endpoint registered above.
app.register_functions(openapi_docs)
