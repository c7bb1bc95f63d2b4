"""Loopback stand-ins for cloud services, spoken to by the official SDKs over real HTTP."""

from tests.fakes.scripted_openai import (
    ErrorReply,
    RecordedRequest,
    Reply,
    ScriptedOpenAI,
    TextReply,
    ToolCall,
    ToolCallsReply,
)

__all__ = [
    "ErrorReply",
    "RecordedRequest",
    "Reply",
    "ScriptedOpenAI",
    "TextReply",
    "ToolCall",
    "ToolCallsReply",
]
