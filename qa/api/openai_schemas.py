"""Bodies of the OpenAI-compatible routes (/v1/chat/completions, /v1/models), as OpenAI's
clients send and read them, plus the `qa` field they ignore (the structured citations)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from qa.api.asking import QaAnswer

DEFAULT_MODEL = "qa"


class ContentPart(BaseModel):
    """One part of a message's content; only `{"type": "text", "text": …}` is read."""

    model_config = ConfigDict(extra="allow")  # image_url, input_audio, …: refused by the route
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls, …: accepted and not read
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None


class ChatCompletionRequest(BaseModel):
    # OpenAI clients send sampling options (temperature, max_tokens, …) that mean nothing to an
    # extractive answer: accepted and ignored, so any client works unchanged.
    model_config = ConfigDict(extra="allow")
    model: str = Field(
        description=f"A model of GET /v1/models (`{DEFAULT_MODEL}`: the default index).", examples=[DEFAULT_MODEL]
    )
    messages: list[ChatMessage] = Field(
        min_length=1,
        description="The conversation, oldest first: the last user message is the "
        "question, the earlier user messages its context (`history` of /v1/ask).",
        examples=[[{"role": "user", "content": "全国碳市场覆盖了多少碳排放量？"}]],
    )
    stream: bool = Field(False, description="Send `chat.completion.chunk` events and `data: [DONE]`.")


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    qa: QaAnswer = Field(description="Structured citations, support and confidence (not OpenAI's).")


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    qa: QaAnswer | None = Field(None, description="On the last chunk only.")


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = Field(description="When its index was built (Unix seconds).")
    owned_by: str = "qa"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIErrorBody(BaseModel):
    error: OpenAIErrorDetail
