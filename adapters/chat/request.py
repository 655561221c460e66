"""A Responses API request as an OpenAI chat-completions request.

Chat-completions compatibles (OpenAI, OpenRouter, DeepSeek, Ollama, vLLM, llama.cpp, ...)
accept only a subset of what OpenAI itself does, so the request is kept conservative:
- every developer/system item becomes a `system` message (`developer` is OpenAI-only);
  consecutive ones are merged into one, because many local chat templates accept a single
  system message only. Later system messages stay where they are.
- text-only content is sent as a plain string (several compatibles reject content lists);
  a list is used only when an image is present.
- `tools` is omitted when empty (some servers reject `[]`), and with it `tool_choice` and
  `parallel_tool_calls`.
- every assistant `tool_call` is followed by its `tool` message, in one block, because chat
  APIs reject a call without an answer and an answer without a call: an interrupted call
  gets a synthesized answer, an output without its call becomes user text, and images in a
  tool output (which most compatibles refuse in a `tool` message) follow in a user message.
- a `compaction_trigger` item (remote compaction, which only OpenAI's backend performs)
  becomes a request for a handoff summary; any item type not known here becomes a user
  text message showing it, rather than disappearing.

What is not forwarded, and why:
- `store`, `include`, `prompt_cache_key`, `client_metadata`: Responses-API bookkeeping for
  OpenAI's own backend (server-side storage, encrypted reasoning, cache routing, Codex
  telemetry). Chat endpoints have no use for them and strict ones reject unknown fields.
- `text.verbosity`: only a few OpenAI models know it; compatibles reject it.
- `reasoning` input items: a chat upstream cannot use another provider's reasoning (an
  encrypted blob or a signature means nothing to it), and their summaries are not sent
  either: OpenAI and most compatibles reject a `reasoning_content` field in input
  messages, and the Responses API never shows summaries back to the model itself.
- `compaction` items: they carry only `encrypted_content`, produced by OpenAI's backend
  for itself; there is no text to send.
- `web_search` tools: see `adapters.tools`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from adapters.base import Target
from adapters.tools import FlatTool, custom_arguments_from_input, flatten_tools, wire_name

INTERRUPTED_OUTPUT = "(no output: the call was interrupted)"
EMPTY_OUTPUT = "(no output)"
IMAGE_OMITTED = "(image omitted: this model does not accept images)"
COMPACTION_PROMPT = (
    "Summarize the conversation so far as a handoff for another model that will "
    "continue the task: the goal, what was done, the current state and the next steps."
)

MAX_STOP_SEQUENCES = 4
"""OpenAI's limit; most compatibles have the same."""

# Compatibles know at most these four efforts; stronger settings mean "as much as you can".
_EFFORTS = {
    "minimal": "minimal",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "high",
    "max": "high",
}
_IMAGE_DETAILS = frozenset({"auto", "low", "high"})
_CALL_TYPES = frozenset({"function_call", "custom_tool_call", "local_shell_call"})
_OUTPUT_TYPES = frozenset(
    {"function_call_output", "custom_tool_call_output", "local_shell_call_output"}
)


def responses_to_chat(
    request: Mapping[str, Any],
    target: Target,
    *,
    stream: bool,
    tools: Sequence[FlatTool] | None = None,
) -> dict[str, Any]:
    """The chat-completions body for a Responses request (pure). `tools` is
    `flatten_tools(request["tools"])` when the caller has it already."""
    body: dict[str, Any] = {
        "model": target.model,
        "messages": _Messages(request, target.supports_images).build(),
        "stream": stream,
    }
    if stream:
        # Without this most servers never send usage on a stream.
        body["stream_options"] = {"include_usage": True}
    functions: list[dict[str, Any]] = [
        {
            "type": "function",
            "function": {
                "name": tool.wire_name,
                "description": tool.description,
                "parameters": tool.parameters,
            },
        }
        for tool in (flatten_tools(request.get("tools")) if tools is None else tools)
    ]
    if functions:
        body["tools"] = functions
        choice = _tool_choice(
            request.get("tool_choice"), {t["function"]["name"] for t in functions}
        )
        if choice is not None:
            body["tool_choice"] = choice
        if isinstance(request.get("parallel_tool_calls"), bool):
            body["parallel_tool_calls"] = request["parallel_tool_calls"]
    reasoning = request.get("reasoning")
    if isinstance(reasoning, Mapping):
        effort = _EFFORTS.get(str(reasoning.get("effort")))
        if effort:
            body["reasoning_effort"] = effort
    response_format = _response_format(request.get("text"))
    if response_format is not None:
        body["response_format"] = response_format
    max_tokens = request.get("max_output_tokens") or target.max_output_tokens
    if isinstance(max_tokens, int) and max_tokens > 0:
        # OpenAI's own API refuses `max_tokens` for its reasoning models and wants the
        # newer name; most compatibles only know the old one.
        key = "max_completion_tokens" if _is_openai(target.base_url) else "max_tokens"
        body[key] = max_tokens
    for key in ("temperature", "top_p"):
        if isinstance(request.get(key), int | float):
            body[key] = request[key]
    # Not a Responses field: Anthropic and chat clients' stop sequences arrive as `stop`.
    stop = request.get("stop")
    if isinstance(stop, list) and stop:
        body["stop"] = [value for value in stop if isinstance(value, str)][:MAX_STOP_SEQUENCES]
    return body


def _tool_choice(choice: Any, names: set[str]) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, Mapping) and choice.get("type") in ("function", "custom"):
        name = wire_name(str(choice.get("name") or ""), choice.get("namespace"))
        if name in names:
            return {"type": "function", "function": {"name": name}}
    # Hosted-tool choices and names the upstream was not offered: let the model decide.
    return None


def _response_format(text: Any) -> dict[str, Any] | None:
    if not isinstance(text, Mapping) or not isinstance(text.get("format"), Mapping):
        return None
    fmt = text["format"]
    if fmt.get("type") == "json_object":
        return {"type": "json_object"}
    if fmt.get("type") == "json_schema":
        schema: dict[str, Any] = {"name": str(fmt.get("name") or "output")}
        if isinstance(fmt.get("schema"), Mapping):
            schema["schema"] = dict(fmt["schema"])
        if isinstance(fmt.get("strict"), bool):
            schema["strict"] = fmt["strict"]
        if isinstance(fmt.get("description"), str):
            schema["description"] = fmt["description"]
        return {"type": "json_schema", "json_schema": schema}
    return None


def _join_text(parts: list[str], sep: str) -> str:
    return sep.join(part for part in parts if part)


def _output_text(output: Any) -> tuple[str, list[dict[str, Any]]]:
    """A tool output's text and the image parts it carried (as chat `image_url` parts)."""
    if isinstance(output, str):
        return output, []
    if isinstance(output, Mapping):
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
    if part.get("type") not in ("input_image", "image_url", "image"):
        return None
    url = part.get("image_url")
    if isinstance(url, Mapping):  # already chat-shaped
        url = url.get("url")
    if not isinstance(url, str) or not url:
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

    def __init__(self, request: Mapping[str, Any], supports_images: bool) -> None:
        self.request = request
        self.supports_images = supports_images
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
        elif kind in ("reasoning", "compaction"):
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

    def _message(self, item: Mapping[str, Any]) -> None:
        role = item.get("role")
        content = item.get("content")
        if role in ("system", "developer"):
            self._system(_join_text(self._texts(content), "\n\n"))
        elif role == "assistant":
            self._assistant_text(_join_text(self._texts(content), ""))
        else:
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


def _is_openai(base_url: str) -> bool:
    return urlsplit(base_url).hostname == "api.openai.com"
