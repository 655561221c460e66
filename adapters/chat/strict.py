"""The last pass over chat messages, for providers that enforce the textbook sequence.

Several OpenAI-compatible servers answer 400 to things OpenAI itself accepts: two
consecutive messages of the same role, a system message after the first turn, an empty
content string, or a NUL character anywhere in the text. Codex produces all of these (two
developer messages then two user messages open every conversation; a developer message
may come mid-thread; a tool may print NULs). So, in this order:
- NUL characters are removed from every text, tool call arguments included;
- a message left without content (and without tool calls) is dropped; an assistant
  message with tool calls gets `null` content instead of an empty string, a tool
  message the "(no output)" note;
- with `merge` on: every system text goes, in order, into one leading system message, and
  consecutive user or assistant messages are merged into one. Tool messages are never
  merged, and an assistant message's tool calls keep their order (text before them stays
  in front of them). With `merge` off the sequence is left as it is.
"""

from __future__ import annotations

from typing import Any

from adapters.chat.messages import EMPTY_OUTPUT

NUL = "\x00"


def clean(text: str) -> str:
    return text.replace(NUL, "") if NUL in text else text


def _clean_content(content: Any) -> Any:
    if isinstance(content, str):
        return clean(content)
    if isinstance(content, list):
        parts = []
        for part in content:
            if part.get("type") == "text":
                text = clean(part["text"])
                if not text:
                    continue
                part = {**part, "text": text}
            parts.append(part)
        return parts
    return content


def _clean(message: dict[str, Any]) -> dict[str, Any] | None:
    """The message without NULs, or None when nothing is left to send."""
    content = message.get("content")
    # Most contents are strings without a NUL: checked without a call.
    if type(content) is not str or NUL in content:
        message["content"] = _clean_content(content)
    calls = message.get("tool_calls")
    if calls:
        for call in calls:
            function = call["function"]
            function["arguments"] = clean(function["arguments"]) or "{}"
        if not message["content"]:
            message["content"] = None
    elif not message["content"]:
        if message["role"] != "tool":
            return None
        message["content"] = EMPTY_OUTPUT  # every call needs its answer

    reasoning = message.get("reasoning_content")
    if isinstance(reasoning, str):
        message["reasoning_content"] = clean(reasoning)
    return message


def _as_parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, list):
        return content
    return [{"type": "text", "text": content}] if content else []


def _join(first: Any, second: Any) -> Any:
    if not first:
        return second
    if not second:
        return first
    if isinstance(first, str) and isinstance(second, str):
        return f"{first}\n\n{second}"
    return [*_as_parts(first), *_as_parts(second)]


def _mergeable(previous: dict[str, Any], message: dict[str, Any]) -> bool:
    role = message["role"]
    if role != previous["role"] or role not in ("user", "assistant"):
        return False
    # An answered tool call must stay right before its tool messages.
    return not previous.get("tool_calls")


def _merge_into(previous: dict[str, Any], message: dict[str, Any]) -> None:
    previous["content"] = _join(previous.get("content"), message.get("content"))
    if message.get("tool_calls"):
        previous["tool_calls"] = message["tool_calls"]
        if previous["content"] == "":
            previous["content"] = None
    reasoning = message.get("reasoning_content")
    if reasoning:
        earlier = previous.get("reasoning_content")
        previous["reasoning_content"] = f"{earlier}\n\n{reasoning}" if earlier else reasoning


def normalize(messages: list[dict[str, Any]], *, merge: bool) -> list[dict[str, Any]]:
    kept = [m for m in (_clean(message) for message in messages) if m is not None]
    if not merge:
        return kept
    system = [m["content"] for m in kept if m["role"] == "system"]
    out: list[dict[str, Any]] = []
    if system:
        text = "\n\n".join(s if isinstance(s, str) else _parts_text(s) for s in system)
        out.append({"role": "system", "content": text})
    for message in kept:
        if message["role"] == "system":
            continue
        if out and _mergeable(out[-1], message):
            _merge_into(out[-1], message)
        else:
            out.append(message)
    return out


def _parts_text(parts: list[dict[str, Any]]) -> str:
    return "\n\n".join(part["text"] for part in parts if part.get("type") == "text")
