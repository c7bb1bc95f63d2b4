"""The Functions app: a table of contents of blueprints, no logic (see docs/architecture.md)."""

import azure.durable_functions as df
import azure.functions as func

from api.health import bp as health
from api.openapi_docs import bp as openapi_docs

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)

app.register_functions(health)
# Keep last: the OpenAPI document lists every endpoint registered above.
app.register_functions(openapi_docs)
