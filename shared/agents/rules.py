"""The rules an agent or channel config must meet beyond its field types, as plain functions.

Storage is reached only through the callables passed in, so every rule is testable without a host.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from shared.agents.models import AgentFields, ChannelConfigFields
from shared.api_errors import ApiError, FieldError, validation_failed
from shared.catalog.references import Reference
from shared.phone.numbers import address_errors

# Fields that PATCH replaces whole even though they are objects (published: `mcp` "replaced
# wholesale"; `tags` is a set of labels, like the arrays).
REPLACED_WHOLE = frozenset({"tags", "mcp"})
MAX_TAG_KEY_LENGTH = 64
MAX_TAG_VALUE_LENGTH = 256

KnownVoice = Callable[[str, str], bool]
MissingReferences = Callable[[list[Reference]], list[FieldError]]


def merge_patch(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``current`` (wire form) updated with the fields sent in ``patch``: arrays and the fields of
    ``REPLACED_WHOLE`` are replaced, other objects merged field by field (RFC 7396), and ``null``
    removes a field so that its default applies again."""
    merged = copy.deepcopy(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif key in REPLACED_WHOLE:
            merged[key] = copy.deepcopy(value)
        else:
            merged[key] = _merge_value(merged.get(key), value)
    return merged


def _merge_value(current: Any, value: Any) -> Any:
    if not isinstance(value, dict) or not isinstance(current, dict):
        return copy.deepcopy(value)
    merged = dict(current)
    for key, item in value.items():
        if item is None:
            merged.pop(key, None)
        else:
            merged[key] = _merge_value(merged.get(key), item)
    return merged


def agent_references(fields: AgentFields) -> list[Reference]:
    references = [Reference("companionId", "companion", fields.companion_id)]
    references += _shared_references(fields.functions, fields.faq_collections, fields.knowledge_base_id)
    return references


def channel_references(fields: ChannelConfigFields) -> list[Reference]:
    return _shared_references(fields.functions or [], fields.faq_collections or [], fields.knowledge_base_id)


def _shared_references(
    functions: list[str], faq_collections: list[str], knowledge_base_id: str | None
) -> list[Reference]:
    references = [Reference(f"functions[{i}]", "function", id) for i, id in enumerate(functions)]
    references += [
        Reference(f"faqCollections[{i}]", "faqCollection", id) for i, id in enumerate(faq_collections)
    ]
    if knowledge_base_id is not None:
        references.append(Reference("knowledgeBaseId", "knowledgeBase", knowledge_base_id))
    return references


def duplicate_errors(name: str, ids: Iterable[str]) -> list[FieldError]:
    seen: dict[str, int] = {}
    errors = []
    for index, id in enumerate(ids):
        if id in seen:
            errors.append(FieldError(f"{name}[{index}]", f"repeats {name}[{seen[id]}] ('{id}')"))
        else:
            seen[id] = index
    return errors


def tag_errors(tags: dict[str, str]) -> list[FieldError]:
    errors = []
    for key, value in tags.items():
        if not key.strip() or len(key) > MAX_TAG_KEY_LENGTH:
            errors.append(FieldError(f"tags.{key}", f"a tag name has 1-{MAX_TAG_KEY_LENGTH} characters"))
        elif len(value) > MAX_TAG_VALUE_LENGTH:
            errors.append(
                FieldError(f"tags.{key}", f"a tag value has at most {MAX_TAG_VALUE_LENGTH} characters")
            )
    return errors


def agent_rule_errors(fields: AgentFields, provider_type: str, known_voice: KnownVoice) -> list[FieldError]:
    """Every rule of an agent that needs no storage, in field order."""
    errors = []
    if not known_voice(provider_type, fields.voice_id):
        errors.append(
            FieldError(
                "voiceId", f"'{fields.voice_id}' is not a voice of this key's provider ({provider_type})"
            )
        )
    errors += duplicate_errors("functions", fields.functions)
    errors += duplicate_errors("faqCollections", fields.faq_collections)
    errors += tag_errors(fields.tags)
    if fields.mcp is not None:
        errors += duplicate_errors("mcp.servers", fields.mcp.servers)
        errors += duplicate_errors("mcp.connectors", fields.mcp.connectors)
    if fields.inactivity.countdown_seconds >= fields.inactivity.timeout_seconds:
        errors.append(
            FieldError(
                "inactivity.countdownSeconds",
                f"must be less than inactivity.timeoutSeconds ({fields.inactivity.timeout_seconds})",
            )
        )
    return errors


# Channel-specific fields (published per-channel PUT bodies) and the channels that take them.
CHANNEL_ONLY_FIELDS: dict[str, tuple[str, frozenset[str]]] = {
    "human_handoff": ("humanHandoff", frozenset({"sip"})),
    "phone_numbers": ("phoneNumbers", frozenset({"sip"})),
    "video_policy": ("videoPolicy", frozenset({"webrtc", "kiosk"})),
    "use_green_video": ("useGreenVideo", frozenset({"webrtc", "kiosk"})),
    "theme": ("theme", frozenset({"kiosk"})),
    "url": ("url", frozenset({"kiosk"})),
    "initial_speech": ("initialSpeech", frozenset({"kiosk"})),
    "use_web_search": ("useWebSearch", frozenset({"kiosk"})),
    "idle_timeout_seconds": ("idleTimeoutSeconds", frozenset({"kiosk"})),
}


def channel_rule_errors(channel_type: str, fields: ChannelConfigFields) -> list[FieldError]:
    errors = []
    for name, (wire, channels) in CHANNEL_ONLY_FIELDS.items():
        if getattr(fields, name) is not None and channel_type not in channels:
            allowed = " and ".join(sorted(channels)) + (" channels" if len(channels) > 1 else " channel")
            errors.append(FieldError(wire, f"applies to the {allowed} only, not {channel_type}"))
    errors += duplicate_errors("functions", fields.functions or [])
    errors += duplicate_errors("faqCollections", fields.faq_collections or [])
    if fields.mcp is not None:
        errors += duplicate_errors("mcp.servers", fields.mcp.servers)
    errors += [FieldError(path, message) for path, message in address_errors(fields.phone_numbers or [])]
    if fields.url is not None and not fields.url.startswith(("https://", "http://")):
        errors.append(FieldError("url", "must be an http(s) URL"))
    return errors


def refuse(errors: list[FieldError]) -> None:
    """Raise the 400 for ``errors`` (nothing is written), if there are any."""
    if errors:
        raise invalid(errors)


def invalid(errors: list[FieldError]) -> ApiError:
    summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
    return validation_failed(f"The request is not valid: {summary}", errors)


def check_agent(
    fields: AgentFields,
    provider_type: str,
    known_voice: KnownVoice,
    missing_references: MissingReferences,
) -> None:
    """400 unless the agent meets every rule and each id it names exists in the project."""
    errors = agent_rule_errors(fields, provider_type, known_voice)
    errors += missing_references(agent_references(fields))
    refuse(errors)


def check_channel_config(
    channel_type: str, fields: ChannelConfigFields, missing_references: MissingReferences
) -> None:
    errors = channel_rule_errors(channel_type, fields)
    errors += missing_references(channel_references(fields))
    refuse(errors)


# What a channel config replaces on the agent for that channel's sessions (the published overrides).
CHANNEL_OVERRIDES = ("functions", "faq_collections", "knowledge_base_id", "provider_settings", "mcp")


def for_channel(agent: AgentFields, config: ChannelConfigFields | None) -> AgentFields:
    """The agent as a channel's sessions see it: the config's fields that are set replace the agent's."""
    if config is None:
        return agent
    changes = {name: getattr(config, name) for name in CHANNEL_OVERRIDES if getattr(config, name) is not None}
    fields = AgentFields.model_validate(agent.model_dump(include=set(AgentFields.model_fields)), by_name=True)
    return fields.model_copy(update=changes) if changes else fields
