"""A chat conversation in, an assistant message out: what the OpenAI-compatible route reads
from `messages` and the cited reply it writes from a /v1/ask response."""

from __future__ import annotations

from qa.answer.followup import MAX_HISTORY
from qa.api.asking import QaAnswer, quote_text
from qa.api.openai_errors import OpenAIError
from qa.api.openai_schemas import ChatMessage
from qa.api.schemas import AnswerSpan, _trimmed_query

SOURCES_HEADING = {"zh": "来源", "en": "Sources"}
CLOSEST_HEADING = {"zh": "最接近的原文", "en": "Closest passage"}


def _text_of(message: ChatMessage, index: int) -> str:
    """A message's text; a part that is not text (an image, audio…) is refused."""
    content = message.content
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts = []
    for number, part in enumerate(content):
        if part.type != "text" or part.text is None:
            raise OpenAIError(
                400,
                f"messages[{index}].content[{number}] is of type '{part.type[:40]}'; this model reads only text parts",
                "unsupported_content",
                f"messages.{index}.content.{number}",
            )
        texts.append(part.text)
    return "\n".join(texts)


def conversation(messages: list[ChatMessage]) -> tuple[str, list[str]]:
    """(question, history): the last user message, and the earlier user messages, oldest first.

    An earlier message /v1/ask would refuse as a question (empty, over 1,000 characters) is
    left out of the history rather than failing the whole conversation."""
    users = [(i, _text_of(m, i)) for i, m in enumerate(messages) if m.role == "user"]
    if not users:
        raise OpenAIError(400, "the conversation has no user message to answer", "no_user_message", "messages")
    index, text = users[-1]
    try:
        question = _trimmed_query(text)
    except ValueError as exc:
        raise OpenAIError(
            400, f"the last user message {exc}", "invalid_question", f"messages.{index}.content"
        ) from None
    history = []
    for _, earlier in users[:-1]:
        try:
            history.append(_trimmed_query(earlier))
        except ValueError:
            continue
    return question, history[-MAX_HISTORY:]


def _mark(span: AnswerSpan, answer: QaAnswer) -> str:
    """` [n]` for the citation holding the quoted passage (itself or its translation)."""
    for citation in answer.citations:
        if span.passage_id in (citation.passage_id, *(t.passage_id for t in citation.translations)):
            return f" [{citation.rank}]"
    return ""


def reply_text(answer: QaAnswer) -> str:
    """The assistant message: the quote with its mark (or the honest note), then the sources."""
    lang = answer.answer_lang if answer.answer_lang in SOURCES_HEADING else "en"
    if answer.support == "stated" and answer.answer is not None:
        lines = [quote_text(answer.answer) + _mark(answer.answer, answer)]
    else:
        lines = [answer.message or ""]
        if answer.support == "related" and answer.closest is not None:
            lines.append(f"{CLOSEST_HEADING[lang]}: “{quote_text(answer.closest)}”{_mark(answer.closest, answer)}")
    if answer.citations:
        lines += ["", f"{SOURCES_HEADING[lang]}:"]
        lines += [f"[{c.rank}] {c.citation.label}" for c in answer.citations]
    return "\n".join(lines).strip()
