"""What the engine needs from the host: the app's orchestrators and a way to run its activities."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

OrchestratorFunction = Callable[[str], str]
ActivityFunction = Callable[[str | None], Awaitable[str]]


class ActivityNotFound(LookupError):
    pass


@dataclass
class FunctionCatalog:
    """Orchestrators by name (context JSON in, state JSON out) and a way to run an activity by name
    (input JSON in, result JSON out)."""

    orchestrators: dict[str, OrchestratorFunction]
    run_activity: Callable[[str, str | None], Awaitable[str]]
    activity_names: set[str] = field(default_factory=set)
