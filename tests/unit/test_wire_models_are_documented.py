"""Every field of the companion, voice and function models carries a description (the OpenAPI
document is generated from them) and the wire names are camelCase."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel

from api import companions as companions_api
from api import voices as voices_api
from shared.companions import models as companion_models
from shared.functions import models as function_models

MODELS = [
    getattr(module, name)
    for module in (companion_models, function_models, voices_api, companions_api)
    for name in dir(module)
    if isinstance(getattr(module, name), type)
    and issubclass(getattr(module, name), BaseModel)
    and getattr(module, name).__module__ == module.__name__
    and getattr(module, name).__name__ == name
    and name != "WireModel"
    and "[" not in name  # parametrized generics pydantic adds to the module
]
_SHARED_ENVELOPE_FIELDS = {"items", "filteredCount", "totalCount", "pageIndex", "pageSize", "search"}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_has_a_description(model):
    undocumented = [
        name
        for name, field in model.model_fields.items()
        if not field.description and name not in _SHARED_ENVELOPE_FIELDS
    ]
    assert undocumented == []


@pytest.mark.parametrize(
    "model",
    [m for m in MODELS if not m.__name__.endswith("Record")],
    ids=lambda m: m.__name__,
)
def test_wire_names_are_camel_case(model):
    for name, field in model.model_fields.items():
        wire = field.alias or name
        assert re.fullmatch(r"[a-z][A-Za-z0-9]*", wire), wire


def test_published_list_item_names_are_exact():
    names = {field.alias or name for name, field in companion_models.Companion.model_fields.items()}
    assert {
        "id", "firstName", "lastName", "previewUrl", "videoLoopUrl",
        "ethnicity", "gender", "headline", "tags", "status",
    } <= names  # fmt: skip
