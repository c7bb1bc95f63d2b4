"""Storage bindings (queue, blob, table) on Azurite, and the queue, blob and Event Grid triggers.

``spec`` reads and checks a function's bindings when the app is loaded (refusing the ones devhost does
not serve), ``invocation`` reads inputs and writes outputs around a call, ``queue_trigger``,
``blob_trigger`` and ``event_grid`` serve the triggers, and ``runtime`` ties them to the host.
"""
