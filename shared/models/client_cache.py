"""A small cache of OpenAI-backed providers (chat in ``selection``, speech in ``speech``), and the
helpers that read a key's provider settings.

Same settings and secret, same provider: a provider holds a client, a client a connection pool, and a
new one per turn would pay a TLS handshake each time. The secret is kept in a key only as its SHA-256;
the least recently used entry goes once there are more than ``size``.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from shared.models import events
from shared.models.events import ProviderError

DEFAULT_CACHE_SIZE = 32

_P = TypeVar("_P")


class ClientCache(Generic[_P]):
    """Providers by settings and secret, the least recently used dropped beyond ``size``."""

    def __init__(self, size: int = DEFAULT_CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[Any, ...], _P] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self,
        settings: tuple[str | None, ...],
        secret: str | None,
        cacheable: bool,
        build: Callable[[], _P],
    ) -> _P:
        """The cached provider for ``settings`` and ``secret``, else ``build()`` (kept when
        ``cacheable``; built fresh every time when not)."""
        if not cacheable:
            return build()
        key = (*settings, hashlib.sha256((secret or "").encode()).hexdigest())
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        provider = build()
        with self._lock:
            self._entries[key] = provider
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return provider

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def required(config: Mapping[str, Any], name: str, kind: str) -> str:
    """The setting ``name`` of a ``kind`` provider, stripped; a non-retryable ``ProviderError``
    (``model_config_invalid``) when it is missing or blank."""
    value = text(config.get(name))
    if not value:
        raise ProviderError(
            events.INVALID_CONFIG,
            f"The API key's {kind} model provider has no '{name}'; set it on the key.",
            retryable=False,
        )
    return value


def text(value: Any) -> str | None:
    """``value`` stripped when it is a string with something in it, else None."""
    return value.strip() if isinstance(value, str) and value.strip() else None
