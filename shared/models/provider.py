"""The one interface every model sits behind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from shared.models.events import ModelEvent
from shared.models.messages import TurnRequest


@runtime_checkable
class ModelProvider(Protocol):
    def stream_turn(self, request: TurnRequest) -> Iterator[ModelEvent]:
        """Answer one turn: ``TextDelta``s, then ``ToolCallRequest``s, then one ``TurnFinished``.
        Raises ``ProviderError`` (possibly after some text, when the stream breaks mid-answer)."""
        ...
