"""Codex's input items as chat-completions messages (see `adapters.chat.request` for the
rules and what is left out), before `adapters.chat.strict` tidies the sequence."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from adapters import computer
from adapters.base import Target
from adapters.chat.reasoning import decode_reasoning
from adapters.thinking import origin_of
from adapters.tools import custom_arguments_from_input, wire_name

INTERRUPTED_OUTPUT = "(no output: the call was interrupted)"
EMPTY_OUTPUT = "(no output)"
IMAGE_OMITTED = "(image omitted: this model does not accept images)"
COMPACTION_PROMPT = (
    "Summarize the conversation so far as a handoff for another model that will "
    "continue the task: the goal, what was done, the current state and the next steps."
)

_IMAGE_DETAILS = frozenset({"auto", "low", "high"})
_CALL_TYPES = frozenset(
    {"function_call", "custom_tool_call", "local_shell_call", computer.CALL_TYPE}
)
_OUTPUT_TYPES = frozenset(
    {
        "function_call_output",
        "custom_tool_call_output",
        "local_shell_call_output",
        computer.OUTPUT_TYPE,
    }
)


def build_messages(request: Mapping[str, Any], target: Target) -> list[dict[str, Any]]:
    return _Messages(request, target).build()


def _join_text(parts: list[str], sep: str) -> str:
    return sep.join(part for part in parts if part)


def _output_text(output: Any) -> tuple[str, list[dict[str, Any]]]:
    """A tool output's text and the image parts it carried (as chat `image_url` parts)."""
    if isinstance(output, str):
        return output, []
    if isinstance(output, Mapping):
        image = _image_part(output)
        if image is not None:  # a computer_call_output's screenshot
            return "", [image]
        # An older payload shape: {"content": ..., "success": ...}.
        content = output.get("content")
        if isinstance(content, str | list):
            return _output_text(content)
        return json.dumps(output, ensure_ascii=False), []
    if isinstance(output, list):
        texts: list[str] = []
        images: list[dict[str, Any]] = []
        for part in output:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, Mapping):
                if isinstance(part.get("text"), str):
                    texts.append(part["text"])
                else:
                    image = _image_part(part)
                    if image is not None:
                        images.append(image)
        return "\n".join(texts), images
    return ("" if output is None else json.dumps(output, ensure_ascii=False)), []


def _image_part(part: Mapping[str, Any]) -> dict[str, Any] | None:
    url = computer.screenshot_url(part)
    if url is None:
        return None
    image: dict[str, Any] = {"url": url}
    if part.get("detail") in _IMAGE_DETAILS:
        image["detail"] = part["detail"]
    return {"type": "image_url", "image_url": image}


def _kind(item: Mapping[str, Any]) -> str | None:
    """An item's `type`, or None when it has none or one that is not a string (a JSON
    list there must not reach a set lookup)."""
    kind = item.get("type")
    return kind if isinstance(kind, str) else None


class _Messages:
    """One pass over the input items, keeping tool calls and their outputs together."""

    def __init__(self, request: Mapping[str, Any], target: Target) -> None:
        self.request = request
        self.supports_images = target.supports_images
        self.replay = target.replay_reasoning
        self.origin = origin_of(target.base_url) if self.replay else ""
        self.reasoning: list[str] = []
        """Reasoning waiting for the tool calls it led to (with `replay` only)."""
        self.messages: list[dict[str, Any]] = []
        self.group: list[str] = []
        """Call ids of the assistant message being filled with consecutive tool calls."""
        self.outputs: dict[str, Mapping[str, Any]] = {}
        """Outputs not placed yet, by call id."""
        self.placed: set[int] = set()
        """Identities of the output items already placed after their call."""

    def build(self) -> list[dict[str, Any]]:
        instructions = self.request.get("instructions")
        if isinstance(instructions, str) and instructions:
            self._system(instructions)
        items = self.request.get("input")
        if isinstance(items, str):
            items = [{"type": "message", "role": "user", "content": items}]
        if not isinstance(items, list):
            items = []
        for item in items:
            if isinstance(item, Mapping) and _kind(item) in _OUTPUT_TYPES:
                self.outputs.setdefault(str(item.get("call_id")), item)
        for item in items:
            if isinstance(item, Mapping):
                self._item(item)
        self._close_group()
        if self.replay:
            for message in self.messages:
                if message.get("tool_calls") and not message.get("reasoning_content"):
                    message["reasoning_content"] = _no_reasoning_note(message["tool_calls"])
        return self.messages

    # -- items -------------------------------------------------------------------------

    def _item(self, item: Mapping[str, Any]) -> None:
        kind = _kind(item)
        if kind is None and "role" in item:
            kind = "message"  # the easy-input shape: {"role", "content"}
        if kind in _CALL_TYPES:
            self._call(item)
            return
        self._close_group()
        if kind == "message":
            self._message(item)
        elif kind in _OUTPUT_TYPES:
            self._orphan_output(item)
        elif kind == "reasoning":
            if self.replay:
                self._reasoning(item)
        elif kind == "compaction":
            return  # see the module docstring
        elif kind == "compaction_trigger":
            # Remote compaction needs OpenAI's backend; the closest a chat model can do
            # is write the handoff summary itself.
            self._user_text(COMPACTION_PROMPT)
        elif kind == "web_search_call":
            action = item.get("action")
            query = action.get("query") if isinstance(action, Mapping) else None
            self._assistant_text(f"(searched the web for: {query})" if query else "")
        else:
            # An item type this adapter does not know: show it rather than lose it.
            visible = {k: v for k, v in item.items() if k not in ("id", "encrypted_content")}
            self._user_text(f"[{kind} item]\n{json.dumps(visible, ensure_ascii=False)}")

    def _reasoning(self, item: Mapping[str, Any]) -> None:
        text = decode_reasoning(item.get("encrypted_content"), self.origin)
        if text is None:
            # Another origin's reasoning, or none recorded: its summary is what we have.
            text = _join_text(self._texts(item.get("summary")), "\n\n")
        # Whitespace or NULs alone would reach DeepSeek as the empty text it refuses.
        text = text.replace("\x00", "")
        if text.strip():
            self.reasoning.append(text)

    def _message(self, item: Mapping[str, Any]) -> None:
        role = item.get("role")
        content = item.get("content")
        if role in ("system", "developer"):
            self._system(_join_text(self._texts(content), "\n\n"))
        elif role == "assistant":
            self._assistant_text(_join_text(self._texts(content), ""))
        else:
            # Reasoning is only carried to the calls of its own turn.
            self.reasoning.clear()
            self._user(content)

    def _texts(self, content: Any) -> list[str]:
        if isinstance(content, str):
            return [content]
        texts: list[str] = []
        for part in content if isinstance(content, list) else ():
            if isinstance(part, Mapping):
                if isinstance(part.get("text"), str):
                    texts.append(part["text"])
                elif isinstance(part.get("refusal"), str):
                    texts.append(part["refusal"])
        return texts

    def _user(self, content: Any) -> None:
        if isinstance(content, str):
            self._user_text(content)
            return
        parts: list[dict[str, Any]] = []
        has_image = False
        for part in content if isinstance(content, list) else ():
            if not isinstance(part, Mapping):
                continue
            if isinstance(part.get("text"), str):
                if part["text"]:
                    parts.append({"type": "text", "text": part["text"]})
            elif part.get("type") in ("input_image", "image_url", "image"):
                image = _image_part(part) if self.supports_images else None
                if image is not None:
                    parts.append(image)
                    has_image = True
                else:
                    parts.append({"type": "text", "text": IMAGE_OMITTED})
            elif part.get("type") == "input_file":
                name = part.get("filename") or part.get("file_id") or "file"
                parts.append({"type": "text", "text": f"(attached file {name} not sent)"})
            else:
                # Audio and other parts chat compatibles cannot take: say so, don't hide it.
                parts.append({"type": "text", "text": f"({part.get('type')} content not sent)"})
        if has_image:
            self.messages.append({"role": "user", "content": parts})
        else:
            self._user_text(_join_text([p["text"] for p in parts], "\n\n"))

    def _system(self, text: str) -> None:
        if not text:
            return
        last = self.messages[-1] if self.messages else None
        if last is not None and last["role"] == "system":
            last["content"] += "\n\n" + text
        else:
            self.messages.append({"role": "system", "content": text})

    def _user_text(self, text: str) -> None:
        if text:
            self.messages.append({"role": "user", "content": text})

    def _assistant_text(self, text: str) -> None:
        if text:
            self.messages.append({"role": "assistant", "content": text})

    # -- tool calls ----------------------------------------------------------------------

    def _call(self, item: Mapping[str, Any]) -> None:
        call_id = str(item.get("call_id") or item.get("id") or f"call_{len(self.messages)}")
        kind = item.get("type")
        name = wire_name(str(item.get("name") or ""), item.get("namespace"))
        if kind == "custom_tool_call":
            arguments = custom_arguments_from_input(str(item.get("input") or ""))
        elif kind == "local_shell_call":
            name = "local_shell"
            arguments = json.dumps(item.get("action") or {}, ensure_ascii=False)
        elif kind == computer.CALL_TYPE:
            name = computer.TOOL_NAME
            arguments = json.dumps(computer.call_arguments(item), ensure_ascii=False)
        else:
            raw = item.get("arguments")
            arguments = raw if isinstance(raw, str) else json.dumps(raw or {}, ensure_ascii=False)
        call = {
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": arguments or "{}"},
        }
        last = self.messages[-1] if self.messages else None
        if self.group and last is not None:
            last["tool_calls"].append(call)
        elif last is not None and last["role"] == "assistant" and "tool_calls" not in last:
            # The text the model wrote just before its calls belongs to the same turn.
            last["tool_calls"] = [call]
        else:
            self.messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        if self.reasoning:
            message = self.messages[-1]
            earlier = message.get("reasoning_content")
            message["reasoning_content"] = _join_text([earlier or "", *self.reasoning], "\n\n")
            self.reasoning.clear()
        self.group.append(call_id)

    def _close_group(self) -> None:
        """Answer every call of the current group, right after it."""
        if not self.group:
            return
        follow_up: list[dict[str, Any]] = []
        for call_id in self.group:
            output = self.outputs.pop(call_id, None)
            if output is None:
                self.messages.append(
                    {"role": "tool", "tool_call_id": call_id, "content": INTERRUPTED_OUTPUT}
                )
                continue
            self.placed.add(id(output))
            if output.get("type") == computer.OUTPUT_TYPE:
                self._screenshot(call_id, output, follow_up)
                continue
            text, images = _output_text(output.get("output"))
            self.messages.append(
                {"role": "tool", "tool_call_id": call_id, "content": text or EMPTY_OUTPUT}
            )
            if images:
                # Most compatibles accept only text in a tool message; the images go in
                # a user message once every call of the group is answered.
                follow_up.append({"type": "text", "text": f"Images returned by call {call_id}:"})
                if self.supports_images:
                    follow_up.extend(images)
                else:
                    follow_up.append({"type": "text", "text": IMAGE_OMITTED})
        self.group = []
        if follow_up:
            self.messages.append({"role": "user", "content": follow_up})

    def _screenshot(
        self, call_id: str, output: Mapping[str, Any], follow_up: list[dict[str, Any]]
    ) -> None:
        url = computer.screenshot_url(output.get("output"))
        if url is None:
            note = computer.NO_SCREENSHOT
        elif self.supports_images:
            note = computer.SCREENSHOT_FOLLOWS
            follow_up.append({"type": "text", "text": f"Screenshot after call {call_id}:"})
            follow_up.append({"type": "image_url", "image_url": {"url": url}})
        else:
            note = computer.SCREENSHOT_OMITTED
        self.messages.append({"role": "tool", "tool_call_id": call_id, "content": note})

    def _orphan_output(self, item: Mapping[str, Any]) -> None:
        if id(item) in self.placed:
            return
        call_id = str(item.get("call_id"))
        if self.outputs.get(call_id) is item:
            del self.outputs[call_id]
        text, images = _output_text(item.get("output"))
        header = f"Output of tool call {call_id}:\n{text or EMPTY_OUTPUT}"
        if images and self.supports_images:
            self.messages.append(
                {"role": "user", "content": [{"type": "text", "text": header}, *images]}
            )
        else:
            self._user_text(header)


def _no_reasoning_note(calls: list[dict[str, Any]]) -> str:
    """The `reasoning_content` of a tool-call turn with no reasoning on record (another
    model took it, or the history was edited): the API refuses an empty one, and a text
    that is the same on every turn is one the model learns to echo."""
    names = ", ".join(call["function"]["name"] for call in calls)
    first = calls[0]["id"]
    return f"(No reasoning was recorded for this step; it called {names}, first call {first}.)"
