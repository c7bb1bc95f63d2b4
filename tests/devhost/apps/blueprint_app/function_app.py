"""Function app composed from a Durable Functions blueprint defined in a sibling module."""

import azure.durable_functions as df
import azure.functions as func
from bp_orders import bp

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(bp)
