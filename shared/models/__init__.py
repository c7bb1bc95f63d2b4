"""Model providers: one interface (``ModelProvider.stream_turn``) over Chat Completions (Azure OpenAI,
OpenAI-compatible APIs) and the embedded offline model, plus the prompt every turn is built from."""

from shared.models.events import (
    Citation,
    ModelEvent,
    ProviderError,
    TextDelta,
    ToolCallRequest,
    TurnFinished,
    Usage,
)
from shared.models.messages import (
    AssistantMessage,
    FaqEntry,
    KnowledgePassage,
    Message,
    SystemMessage,
    ToolMessage,
    ToolSpec,
    TurnRequest,
    UserMessage,
)
from shared.models.offline import EmbeddedOfflineModel
from shared.models.openai_chat import OpenAIChatProvider
from shared.models.prompt import (
    AgentPrompt,
    CompanionPrompt,
    MemoryNotes,
    build_messages,
    build_turn_request,
    cited_passages,
)
from shared.models.provider import ModelProvider
from shared.models.retry import RetryPolicy
from shared.models.selection import HostedSettings, provider_for

__all__ = [
    "AgentPrompt",
    "AssistantMessage",
    "Citation",
    "CompanionPrompt",
    "EmbeddedOfflineModel",
    "FaqEntry",
    "HostedSettings",
    "KnowledgePassage",
    "MemoryNotes",
    "Message",
    "ModelEvent",
    "ModelProvider",
    "OpenAIChatProvider",
    "ProviderError",
    "RetryPolicy",
    "SystemMessage",
    "TextDelta",
    "ToolCallRequest",
    "ToolMessage",
    "ToolSpec",
    "TurnFinished",
    "TurnRequest",
    "Usage",
    "UserMessage",
    "build_messages",
    "build_turn_request",
    "cited_passages",
    "provider_for",
]

from shared.models.sentences import split_sentences
from shared.models.speech import HostedSpeechSettings, OpenAISpeech, SpeechProvider
from shared.models.speech_selection import speech_for

__all__ += ["HostedSpeechSettings", "OpenAISpeech", "SpeechProvider", "speech_for", "split_sentences"]
