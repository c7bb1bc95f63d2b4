"""What the engine needs from the host: the app's orchestrators and entities, and a way to run its
activities."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

OrchestratorFunction = Callable[[str], str]
ActivityFunction = Callable[[str | None], Awaitable[str]]
# An entity function: the batch context JSON in, the SDK's EntityState JSON out.
EntityFunction = Callable[[str], str]


class ActivityNotFound(LookupError):
    pass


@dataclass
class FunctionCatalog:
    """Orchestrators by name (context JSON in, state JSON out) and a way to run an activity by name
    (input JSON in, result JSON out)."""

    orchestrators: dict[str, OrchestratorFunction]
    run_activity: Callable[[str, str | None], Awaitable[str]]
    activity_names: set[str] = field(default_factory=set)
    # Entity functions by name in lower case: entity names are case-insensitive (scheduler ids).
    entities: dict[str, EntityFunction] = field(default_factory=dict)
    # host.json durableTask.defaultVersion: the version of instances started without one.
    default_version: str = ""
