"""Filtering of companion lists by the published query (statuses, gender, ethnicity, tags, search)."""

from __future__ import annotations

from collections.abc import Sequence

from shared.api_errors import invalid_field
from shared.companions.models import CompanionListQuery, CompanionRecord

STATUSES = ("pending", "generationCompleted", "readyToUse", "completed")


def parse_tag_filter(raw: str | None) -> dict[str, str]:
    """``key:value,key2:value2`` as a dict (400 on a pair without ':')."""
    pairs: dict[str, str] = {}
    for part in (raw or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition(":")
        if not sep or not key.strip():
            raise invalid_field("tags", "use comma-separated key:value pairs")
        pairs[key.strip()] = value.strip()
    return pairs


def parse_statuses(raw: str | None) -> set[str]:
    wanted = {part.strip() for part in (raw or "").split(",") if part.strip()}
    unknown = wanted - set(STATUSES)
    if unknown:
        raise invalid_field("statuses", f"unknown status {sorted(unknown)[0]!r}; use {', '.join(STATUSES)}")
    return wanted


def filter_companions(records: Sequence[CompanionRecord], query: CompanionListQuery) -> list[CompanionRecord]:
    """The records that pass the query's filters (not ``search``: the envelope applies that)."""
    statuses = parse_statuses(query.statuses)
    tags = parse_tag_filter(query.tags)
    ethnicity = query.ethnicity.strip().casefold() if query.ethnicity else None
    kept = []
    for record in records:
        if statuses and record.status not in statuses:
            continue
        if query.gender and record.gender != query.gender:
            continue
        if ethnicity and (record.ethnicity or "").casefold() != ethnicity:
            continue
        if any(record.tags.get(key) != value for key, value in tags.items()):
            continue
        kept.append(record)
    return kept


def searchable_text(record: CompanionRecord) -> str:
    parts = [
        record.first_name,
        record.last_name,
        record.headline,
        record.description,
        record.ethnicity,
        *record.tags.values(),
    ]
    return " ".join(part for part in parts if part)
