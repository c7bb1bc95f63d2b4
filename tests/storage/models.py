"""A model shaped like the app's own: camelCase aliases, nested models, lists, dicts, datetimes, enums."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Status(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class Voice(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False)

    provider: str
    voice_name: str
    speed: float = 1.0


class Agent(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel)

    id: str
    name: str
    status: Status = Status.ACTIVE
    created_at: datetime
    turn_count: int = 0
    total_tokens: int = 0
    description: str | None = None
    voice: Voice | None = None
    tool_ids: list[str] = Field(default_factory=list)
    settings: dict[str, int | str] = Field(default_factory=dict)
    last_session_at: datetime | None = None
