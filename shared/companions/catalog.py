"""Built-in data of companions: the accepted ethnicities and our small stock catalog.

The published ``GET /public/companions/napster-stock`` lists Napster's stock companions; ours is a
small built-in set with the same item shape. Stock companions belong to no project, are usable by
every project (``companionId`` of an agent) and cannot be edited or deleted.
"""

from __future__ import annotations

from datetime import UTC, datetime

from shared.companions.models import STOCK_PREFIX, CompanionRecord

# The published examples use "Asian" and "Caucasian"; the full published list is not documented.
ETHNICITIES: tuple[str, ...] = (
    "African",
    "African American",
    "Asian",
    "Black",
    "Caucasian",
    "East Asian",
    "Hispanic",
    "Latino",
    "Middle Eastern",
    "Mixed",
    "Native American",
    "Pacific Islander",
    "South Asian",
    "Southeast Asian",
    "White",
    "Other",
)
_ETHNICITY_BY_KEY = {value.casefold(): value for value in ETHNICITIES}


def canonical_ethnicity(value: str) -> str | None:
    """The accepted spelling of ``value`` (matched case-insensitively), or None if not accepted."""
    return _ETHNICITY_BY_KEY.get(value.strip().casefold())


_STOCK_CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def _stock(
    slug: str, first: str, last: str, gender: str, ethnicity: str, headline: str, description: str
) -> CompanionRecord:
    return CompanionRecord(
        id=STOCK_PREFIX + slug,
        first_name=first,
        last_name=last,
        gender=gender,
        ethnicity=ethnicity,
        headline=headline,
        description=description,
        tags={"catalog": "stock"},
        created=_STOCK_CREATED,
    )


STOCK_COMPANIONS: tuple[CompanionRecord, ...] = (
    _stock(
        "ava", "Ava", "Morgan", "female", "Caucasian", "Customer Support Specialist",
        "A patient, upbeat support specialist. Listens first, asks one clarifying question at a time and "
        "explains solutions in plain language, step by step.",
    ),
    _stock(
        "kenji", "Kenji", "Sato", "male", "East Asian", "Technical Product Guide",
        "A calm, precise product expert who loves walking people through features. Concise, friendly, "
        "and always checks that the user is following along.",
    ),
    _stock(
        "amara", "Amara", "Okafor", "female", "African", "Wellness Coach",
        "A warm and encouraging coach. Asks about goals, celebrates small wins and keeps advice practical "
        "and kind.",
    ),
    _stock(
        "mateo", "Mateo", "Alvarez", "male", "Hispanic", "Sales Concierge",
        "An energetic, honest sales concierge who helps people find the right option without pressure and "
        "summarises choices clearly.",
    ),
    _stock(
        "river", "River", "Quinn", "nonBinary", "Mixed", "Learning Companion",
        "A curious, playful tutor who explains ideas with everyday examples and adapts to the learner's "
        "pace.",
    ),
)  # fmt: skip
_STOCK_BY_ID = {companion.id: companion for companion in STOCK_COMPANIONS}


def stock_companion(companion_id: str) -> CompanionRecord | None:
    """The built-in companion with this id, or None."""
    return _STOCK_BY_ID.get(companion_id)


def is_stock_id(companion_id: str) -> bool:
    return companion_id in _STOCK_BY_ID
