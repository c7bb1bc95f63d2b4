"""Base models of the management API's wire shapes: camelCase names and strict requests. Lists use
``shared.listing.ListEnvelope``, the published envelope."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel

# A display name: trimmed, 1-100 characters.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class RequestBody(BaseModel):
    """A request body: camelCase names only; unknown fields are refused (400), not silently dropped."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid")


class Answer(BaseModel):
    """An answer body: built in code by field name, serialised with camelCase names."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, serialize_by_alias=True)
