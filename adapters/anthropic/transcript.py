"""Codex's `input` items as an Anthropic `system` prompt and alternating `messages`.

The Messages API is stricter than the Responses API about the shape of a conversation,
and each rule below answers one of its 400 errors:
- roles alternate, so consecutive items of the same role are merged into one message;
- every `tool_use` must be answered by a `tool_result` at the START of the very next
  (user) message. Results are therefore placed right after the assistant turn that made
  the calls, even when Codex recorded them later (a user message may have come in
  between); a call without any result gets a synthesized one saying it was interrupted;
  a result whose call is nowhere before it becomes plain text;
- text blocks must contain non-whitespace text, so empty text is never sent;
- thinking blocks are only valid as sent by the API (see `adapters.thinking`), and they
  belong at the start of the assistant turn they preceded. Some endpoints (DeepSeek,
  Kimi, MiniMax, GLM, and Claude models that think by default) send them although the
  request did not ask for thinking, and reject the next request of a tool loop without
  them, so they are replayed whenever they are there, whatever the request's thinking.

What becomes of each input item:
- `message` from `developer`/`system` -> a `system` text block (in order, after
  `instructions`); from `user` -> user content; from `assistant` -> assistant text.
  Images and files in an assistant or system message, which the API does not accept
  there, become a short text note;
- `function_call` / `custom_tool_call` -> an assistant `tool_use` (see `tool_input`);
- `function_call_output` / `custom_tool_call_output` -> a user `tool_result`; image
  parts of the output become image blocks inside the `tool_result`;
- `computer_call` -> a `tool_use` of `computer` whose input is the action, and its
  `computer_call_output` -> a `tool_result` holding the screenshot as an image block
  (a short note for a text-only model; see `adapters.computer`);
- `reasoning` -> the original thinking blocks when its `encrypted_content` is ours and
  for this endpoint, byte-identical. Anything else is dropped on purpose: reasoning from
  another provider family is unreadable to Claude, and an unsigned or foreign thinking
  block makes the API reject the whole request. Thinking that preceded nothing (no text
  or tool call followed it in its turn) is dropped too, since an assistant message made
  only of thinking is not valid;
- `compaction` -> a text note: its summary is encrypted for OpenAI's backend only;
- any other item type -> user text holding the item's JSON, so nothing vanishes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from adapters import computer
from adapters.base import Target
from adapters.thinking import decode_blocks
from adapters.tools import CUSTOM_TOOL_ARGUMENT, wire_name

INTERRUPTED_OUTPUT = "(no output: the call was interrupted)"
EMPTY_OUTPUT = "(no output)"
IMAGE_UNSUPPORTED = "(image omitted: this model does not support image input)"
COMPACTED_HISTORY = (
    "(Earlier conversation history was compacted into a summary that this model cannot read.)"
)
CONTINUE_PROMPT = "Continue."
RAW_ARGUMENTS_KEY = "raw_arguments"
"""Where `tool_input` keeps arguments that are not a JSON object."""

SUPPORTED_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
THINKING_TYPES = frozenset({"thinking", "redacted_thinking"})
CALL_TYPES = frozenset({"function_call", "custom_tool_call", computer.CALL_TYPE})
OUTPUT_TYPES = frozenset({"function_call_output", "custom_tool_call_output", computer.OUTPUT_TYPE})

_TOOL_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_NOT_TOOL_ID = re.compile(r"[^A-Za-z0-9_-]")
_DATA_URL = re.compile(r"^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$", re.DOTALL)


def tool_id(call_id: str) -> str:
    """A `tool_use` id the API accepts (`^[A-Za-z0-9_-]+$`) for a Codex `call_id`.

    Ids made by other upstreams can hold other characters (`functions.run:0`); those get
    a stable rewrite, so a call and its result still match.
    """
    if _TOOL_ID.match(call_id):
        return call_id
    digest = hashlib.sha256(call_id.encode()).hexdigest()[:8]
    return f"{_NOT_TOOL_ID.sub('_', call_id)}_{digest}"


def tool_input(arguments: Any) -> dict[str, Any]:
    """A function call's `arguments` string as a `tool_use` input object.

    Empty arguments are `{}`. Arguments that are not a JSON object (a truncated or
    malformed call from another model) are kept as `{"raw_arguments": <text>}` rather
    than dropped, so the model still sees what was attempted; the API only accepts an
    object here.
    """
    if isinstance(arguments, Mapping):
        return dict(arguments)
    if not isinstance(arguments, str) or not arguments.strip():
        return {}
    try:
        parsed = json.loads(arguments)
    except ValueError:
        return {RAW_ARGUMENTS_KEY: arguments}
    return parsed if isinstance(parsed, dict) else {RAW_ARGUMENTS_KEY: arguments}


def text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def thinking_can_continue(messages: list[dict[str, Any]]) -> bool:
    """Whether thinking may be on for a request ending with these messages.

    A tool loop is one assistant turn, and with thinking on the API requires that turn
    to start with a thinking block. The turn is the trailing run of assistant messages
    and the tool_result messages answering them.
    """
    first_assistant: dict[str, Any] | None = None
    for message in reversed(messages):
        if message["role"] == "user":
            if not _starts_with(message, ("tool_result",)):
                break
        else:
            first_assistant = message
    return first_assistant is None or _starts_with(first_assistant, THINKING_TYPES)


def _starts_with(message: Mapping[str, Any], types: Iterable[str]) -> bool:
    content = message["content"]
    return bool(content) and content[0].get("type") in set(types)


def _kind(item: Mapping[str, Any]) -> str | None:
    """An item's `type`, or None when it has none or one that is not a string (a JSON
    list there must not reach a set lookup)."""
    kind = item.get("type")
    return kind if isinstance(kind, str) else None


@dataclass(slots=True)
class Transcript:
    system: list[dict[str, Any]]
    messages: list[dict[str, Any]]

    @classmethod
    def build(cls, request: Mapping[str, Any], target: Target, *, origin: str) -> Transcript:
        items = request.get("input")
        if isinstance(items, str):
            items = [{"type": "message", "role": "user", "content": items}]
        elif not isinstance(items, list):
            items = []
        builder = _Builder(target, origin, _answered_calls(items))
        instructions = request.get("instructions")
        if isinstance(instructions, str) and instructions.strip():
            builder.system.append(text_block(instructions))
        for item in items:
            # The server validated the body; a non-object item carries nothing to send.
            if isinstance(item, Mapping):
                builder.add_item(item)
        return cls(builder.system, builder.finish())


def _answered_calls(items: list[Any]) -> dict[str, Mapping[str, Any]]:
    """The output item answering each call, for outputs that come after their call."""
    seen: set[str] = set()
    answers: dict[str, Mapping[str, Any]] = {}
    for item in items:
        if not isinstance(item, Mapping):
            continue
        call_id = item.get("call_id")
        if not isinstance(call_id, str):
            continue
        kind = _kind(item)
        if kind in CALL_TYPES:
            seen.add(call_id)
        elif kind in OUTPUT_TYPES and call_id in seen:
            answers.setdefault(call_id, item)
    return answers


class _Builder:
    def __init__(
        self,
        target: Target,
        origin: str,
        answers: dict[str, Mapping[str, Any]],
    ) -> None:
        self.target = target
        self.origin = origin
        self.answers = answers
        self.system: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self._open_calls: list[str] = []
        self._pending_thinking: list[dict[str, Any]] = []

    # -- items ------------------------------------------------------------------------

    def add_item(self, item: Mapping[str, Any]) -> None:
        kind = _kind(item)
        if kind == "message" or (kind is None and "role" in item):
            self._message(item)
        elif kind in CALL_TYPES:
            self._call(item)
        elif kind in OUTPUT_TYPES:
            self._output(item)
        elif kind == "reasoning":
            self._pending_thinking.extend(decode_blocks(item.get("encrypted_content"), self.origin))
        elif kind == "compaction":
            self._user([text_block(COMPACTED_HISTORY)])
        else:
            self._user([text_block(_item_as_text(item))])

    def _message(self, item: Mapping[str, Any]) -> None:
        role = item.get("role")
        content = item.get("content")
        if role in ("developer", "system"):
            self.system.extend(self._blocks(content, images=False))
        elif role == "assistant":
            self._assistant(self._blocks(content, images=False))
        else:
            self._user(self._blocks(content, images=True))

    def _call(self, item: Mapping[str, Any]) -> None:
        call_id = item.get("call_id")
        if not isinstance(call_id, str) or not call_id:
            call_id = f"call_{len(self.messages)}_{len(self._open_calls)}"
        namespace = item.get("namespace")
        name = wire_name(
            str(item.get("name") or "unknown_tool"),
            namespace if isinstance(namespace, str) else None,
        )
        if item.get("type") == computer.CALL_TYPE:
            name = computer.TOOL_NAME
            tool_args: dict[str, Any] = computer.call_arguments(item)
        elif item.get("type") == "custom_tool_call":
            raw = item.get("input")
            tool_args = {CUSTOM_TOOL_ARGUMENT: raw if isinstance(raw, str) else ""}
        else:
            tool_args = tool_input(item.get("arguments"))
        block = {"type": "tool_use", "id": tool_id(call_id), "name": name, "input": tool_args}
        self._assistant([block])
        self._open_calls.append(call_id)

    def _output(self, item: Mapping[str, Any]) -> None:
        call_id = item.get("call_id")
        if isinstance(call_id, str) and self.answers.get(call_id) is item:
            # Already placed right after its call; its position still ends the turn.
            self._close_assistant_turn()
            return
        label = call_id if isinstance(call_id, str) and call_id else "unknown"
        content = self._tool_content(item.get("output"))
        heading = f"Output of tool call {label}:"
        if isinstance(content, str):
            self._user([text_block(f"{heading}\n{content}")])
        else:
            self._user([text_block(heading), *content])

    # -- turns --------------------------------------------------------------------------

    def _assistant(self, blocks: list[dict[str, Any]]) -> None:
        if not blocks:
            return
        if self._pending_thinking:
            blocks = [*self._pending_thinking, *blocks]
            self._pending_thinking = []
        self._append("assistant", blocks)

    def _user(self, blocks: list[dict[str, Any]]) -> None:
        if not blocks:
            return
        self._close_assistant_turn()
        self._append("user", blocks)

    def _close_assistant_turn(self) -> None:
        self._pending_thinking = []
        if not self._open_calls:
            return
        results = [self._result_for(call_id) for call_id in self._open_calls]
        self._open_calls = []
        self._append("user", results)

    def _result_for(self, call_id: str) -> dict[str, Any]:
        answer = self.answers.get(call_id)
        content: str | list[dict[str, Any]] = (
            self._tool_content(answer.get("output")) if answer is not None else INTERRUPTED_OUTPUT
        )
        return {"type": "tool_result", "tool_use_id": tool_id(call_id), "content": content}

    def _append(self, role: str, blocks: list[dict[str, Any]]) -> None:
        if self.messages and self.messages[-1]["role"] == role:
            self.messages[-1]["content"].extend(blocks)
        else:
            self.messages.append({"role": role, "content": list(blocks)})

    def finish(self) -> list[dict[str, Any]]:
        self._close_assistant_turn()
        if not self.messages or self.messages[0]["role"] != "user":
            # The API wants the conversation to open with a user message.
            self.messages.insert(0, {"role": "user", "content": [text_block(CONTINUE_PROMPT)]})
        return self.messages

    # -- content --------------------------------------------------------------------------

    def _blocks(self, content: Any, *, images: bool) -> list[dict[str, Any]]:
        if isinstance(content, str):
            return [text_block(content)] if content.strip() else []
        blocks: list[dict[str, Any]] = []
        for part in content if isinstance(content, list) else ():
            if isinstance(part, Mapping):
                block = self._part(part, images=images)
                if block is not None:
                    blocks.append(block)
        return blocks

    def _part(self, part: Mapping[str, Any], *, images: bool) -> dict[str, Any] | None:
        kind = part.get("type")
        if kind in ("input_text", "output_text", "text", "summary_text", "reasoning_text"):
            text = part.get("text")
            return text_block(text) if isinstance(text, str) and text.strip() else None
        if kind == "refusal":
            refusal = part.get("refusal")
            return text_block(refusal) if isinstance(refusal, str) and refusal.strip() else None
        if kind in ("input_image", "computer_screenshot"):
            if not images:
                return text_block("(image omitted: images are only accepted in user messages)")
            return self._image(part)
        if kind == "input_file":
            return self._file(part) if images else text_block(_file_note(part))
        return text_block(_item_as_text(part))

    def _image(self, part: Mapping[str, Any]) -> dict[str, Any]:
        if not self.target.supports_images:
            return text_block(IMAGE_UNSUPPORTED)
        url = part.get("image_url")
        if isinstance(url, Mapping):
            url = url.get("url")
        if not isinstance(url, str) or not url:
            return text_block("(image omitted: only inline or http(s) images can be sent)")
        if url.startswith(("http://", "https://")):
            return {"type": "image", "source": {"type": "url", "url": url}}
        match = _DATA_URL.match(url)
        if match is None:
            return text_block("(image omitted: the image URL could not be read)")
        media_type = match.group(1).lower()
        if media_type == "image/jpg":
            media_type = "image/jpeg"
        if media_type not in SUPPORTED_IMAGE_TYPES:
            return text_block(f"(image omitted: {media_type} images are not supported)")
        return {
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": match.group(2)},
        }

    def _file(self, part: Mapping[str, Any]) -> dict[str, Any]:
        data = part.get("file_data")
        match = _DATA_URL.match(data) if isinstance(data, str) else None
        if match is not None and match.group(1).lower() == "application/pdf":
            return {
                "type": "document",
                "source": {
                    "type": "base64",
                    "media_type": "application/pdf",
                    "data": match.group(2),
                },
            }
        return text_block(_file_note(part))

    def _tool_content(self, output: Any) -> str | list[dict[str, Any]]:
        if isinstance(output, str):
            return output if output.strip() else EMPTY_OUTPUT
        if isinstance(output, list):
            # Text, image and document blocks are all valid inside a tool_result.
            return self._blocks(output, images=True) or EMPTY_OUTPUT
        if output is None:
            return EMPTY_OUTPUT
        if isinstance(output, Mapping) and computer.screenshot_url(output):
            # A computer_call_output's screenshot: an image, never its base64 as text.
            if not self.target.supports_images:
                return computer.SCREENSHOT_OMITTED
            image = self._image(output)
            if image["type"] != "image":
                return f"{computer.SCREENSHOT_OMITTED} {image['text']}"
            return [text_block(computer.SCREENSHOT_ATTACHED), image]
        return json.dumps(output, ensure_ascii=False)


def _file_note(part: Mapping[str, Any]) -> str:
    name = part.get("filename") or part.get("file_id") or "file"
    return f"(file {name} omitted: only PDF files can be sent to this model)"


def _item_as_text(item: Mapping[str, Any]) -> str:
    """An item this translator has no mapping for, as text the model can still read."""
    shown = {key: value for key, value in item.items() if key != "id"}
    return f"[{item.get('type', 'item')}] {json.dumps(shown, ensure_ascii=False, default=str)}"
