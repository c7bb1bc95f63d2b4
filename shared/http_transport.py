"""The HTTP transport of the Azure SDK clients (storage, Web PubSub, ACS).

The SDK's default transport asks ``requests`` to trust the environment on every request: it reads
the proxy variables and looks for a ``.netrc`` file each time, about a quarter of the CPU an Azurite
point read costs here (``benchmarks/turn_overhead.py`` counts several such calls per turn). When the
environment sets no proxy and no ``.netrc``, nothing it holds can change from one request to the next
that matters, so the clients get a transport that reads it once: the certificate bundle that
``requests`` would take from ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` is passed as the clients'
``connection_verify``. Otherwise the SDK's default applies unchanged.
"""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path
from typing import Any

from azure.core.pipeline.transport import RequestsTransport


def environment_configures_http() -> bool:
    """Whether the environment holds proxy or ``.netrc`` settings, which ``requests`` applies per
    request (the SDK's default transport is kept for them)."""
    if urllib.request.getproxies() or os.environ.get("NETRC"):
        return True
    home = Path(os.path.expanduser("~"))
    return any((home / name).exists() for name in (".netrc", "_netrc"))


def certificate_bundle() -> str | bool:
    """What ``requests`` verifies server certificates with when it trusts the environment."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def sdk_transport_options() -> dict[str, Any]:
    """Keyword arguments for an Azure SDK client: a transport of its own that does not read the
    environment per request, or nothing (the SDK's default) when the environment configures HTTP."""
    if environment_configures_http():
        return {}
    return {"transport": RequestsTransport(use_env_settings=False, connection_verify=certificate_bundle())}
