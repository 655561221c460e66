"""A chat-completions answer (stream chunks or one JSON body) as Responses events.

Upstreams differ in where they put reasoning: `delta.reasoning_content` (DeepSeek, vLLM,
llama.cpp), `delta.reasoning` (OpenRouter, newer vLLM) or a `<think>...</think>` block at
the start of the content (some Ollama and llama.cpp models). All three become a reasoning
summary item. A `<think>` tag is only recognised at the very start of the answer, so a
model that writes about the tag later is not misread. For upstreams that need their
reasoning back (`reasoning_origin` given), the item also carries it in
`encrypted_content` (see `adapters.chat.reasoning`).

Tool calls arrive as fragments keyed by `index`; id and name may come in separate
fragments. A call is opened once its name and id are known and closed as soon as it is
complete (a higher index starts, text follows, or the choice finishes), because Codex acts
only on closed items. Custom tools (apply_patch) are offered upstream as a function taking
JSON `{"input": ...}`, but Codex needs the raw text: their arguments are collected, not
streamed, and unwrapped when the call closes.

The terminal event waits for `finish()`: usage arrives in a chunk after the one carrying
`finish_reason`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from adapters.base import Event, UpstreamError
from adapters.chat.reasoning import encode_reasoning
from adapters.errors import scrub, stream_error_code
from adapters.responses.builder import ResponseStreamBuilder
from adapters.responses.objects import collect_response, new_id
from adapters.tools import ToolMap, custom_input_from_arguments
from adapters.usage import from_chat as usage_from_chat

UPSTREAM = "chat upstream"

_OPEN_TAG = "<think>"
_CLOSE_TAG = "</think>"

_INCOMPLETE_REASONS = {"length": "max_output_tokens", "content_filter": "content_filter"}

# States of the content scanner.
_START, _THINK, _TEXT = 0, 1, 2

_TEXT_ONLY_KEYS = frozenset({"content", "role"})
"""A delta with no other key carries text only (or nothing)."""


class _Call:
    """One upstream tool call being assembled from fragments."""

    __slots__ = ("args", "call_id", "custom", "name", "opened")

    def __init__(self) -> None:
        self.call_id = ""
        self.name = ""
        self.args: list[str] = []
        self.custom = False
        self.opened = False


def _error_message(error: Any) -> str:
    if isinstance(error, Mapping):
        message = error.get("message")
        if isinstance(message, str) and message:
            return message
        return str(error.get("type") or error.get("code") or "unknown error")
    return str(error)


class ChatStreamTranslator:
    """Chat-completions stream chunks in, Responses events out (pure, no I/O).

    Call `start()` once, `feed()` per decoded chunk, then `finish()` when the upstream
    ended normally or `fail()` when it broke. Exactly one terminal event is ever produced;
    after it every call returns an empty list.
    """

    __slots__ = (
        "_builder",
        "_calls",
        "_closed_calls",
        "_finish_reason",
        "_pending",
        "_secrets",
        "_state",
        "_strip",
        "_tool_map",
        "_usage",
    )

    def __init__(
        self,
        model: str,
        tool_map: ToolMap,
        response_id: str | None = None,
        *,
        secrets: Iterable[str | None] = (),
        reasoning_origin: str | None = None,
    ) -> None:
        self._builder = ResponseStreamBuilder(model, response_id)
        if reasoning_origin is not None:
            # The upstream needs its reasoning back on tool-call turns (see
            # `adapters.chat.reasoning`); Codex will replay it from encrypted_content.
            self._builder.reasoning_seal = partial(encode_reasoning, origin=reasoning_origin)
        self._tool_map = tool_map
        self._secrets = tuple(secrets)
        self._calls: dict[int, _Call] = {}
        self._closed_calls: set[int] = set()
        self._finish_reason: str | None = None
        self._usage: dict[str, Any] | None = None
        self._state = _START
        self._pending = ""
        self._strip = False

    @property
    def response_id(self) -> str:
        return self._builder.response_id

    @property
    def terminated(self) -> bool:
        return self._builder.terminated

    def start(self) -> list[Event]:
        return self._builder.start()

    # -- chunks ------------------------------------------------------------------------

    def feed(self, chunk: dict[str, Any]) -> list[Event]:
        """The events of one decoded chunk. A chunk comes from JSON, so its objects are
        dicts: checking for `dict` costs a tenth of an `isinstance` against the
        `Mapping` ABC, a few of which every chunk would pay."""
        if self._builder.terminated:
            return []
        error = chunk.get("error")
        if error:
            message = scrub(_error_message(error), self._secrets)
            return self.fail(stream_error_code(error), f"{UPSTREAM} error: {message}")
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self._usage = usage_from_chat(usage)
        choices = chunk.get("choices")
        if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
            return []
        choice = choices[0]
        delta = choice.get("delta")
        if (
            self._state == _TEXT
            and not self._strip
            and not self._calls
            and isinstance(delta, dict)
            and delta.keys() <= _TEXT_ONLY_KEYS
            and not choice.get("finish_reason")
        ):
            # Most chunks of an answer: more of the text, nothing else to look at.
            content = delta.get("content")
            return self._builder.text_delta(content) if isinstance(content, str) else []
        out: list[Event] = []
        if delta and isinstance(delta, dict):
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if reasoning and isinstance(reasoning, str):
                out.extend(self._builder.reasoning_delta(reasoning))
            content = delta.get("content")
            if content and isinstance(content, str):
                self._content(content, out)
            refusal = delta.get("refusal")
            if refusal and isinstance(refusal, str):
                self._text(refusal, out)
            tool_calls = delta.get("tool_calls")
            if tool_calls and isinstance(tool_calls, list):
                for position, fragment in enumerate(tool_calls):
                    if isinstance(fragment, dict):
                        self._tool_fragment(fragment, position, out)
        finish_reason = choice.get("finish_reason")
        if finish_reason:
            if finish_reason == "error":
                return out + self.fail("server_error", f"{UPSTREAM} ended the answer with an error")
            self._finish_reason = finish_reason
            self._flush_content(out)
            self._close_calls(out)
            out.extend(self._builder.close_all())
        return out

    # -- content: text, and reasoning inside <think> -------------------------------------

    def _content(self, text: str, out: list[Event]) -> None:
        if self._state == _TEXT and not self._strip:
            self._text(text, out)
            return
        buffer = self._pending + text
        self._pending = ""
        if self._state == _START:
            stripped = buffer.lstrip()
            if stripped.startswith(_OPEN_TAG):
                self._state = _THINK
                buffer = stripped[len(_OPEN_TAG) :]
            elif not stripped or _OPEN_TAG.startswith(stripped):
                self._pending = buffer  # cannot tell yet
                return
            else:
                self._state = _TEXT
                self._text(stripped, out)
                return
        if self._state == _THINK:
            end = buffer.find(_CLOSE_TAG)
            if end < 0:
                keep = _partial_suffix(buffer, _CLOSE_TAG)
                if keep:
                    self._pending = buffer[-keep:]
                    buffer = buffer[:-keep]
                out.extend(self._builder.reasoning_delta(buffer))
                return
            out.extend(self._builder.reasoning_delta(buffer[:end]))
            out.extend(self._builder.close_reasoning())
            self._state = _TEXT
            self._strip = True
            buffer = buffer[end + len(_CLOSE_TAG) :]
        if self._strip:
            buffer = buffer.lstrip()
            if not buffer:
                return
            self._strip = False
        self._text(buffer, out)

    def _text(self, text: str, out: list[Event]) -> None:
        if self._calls:
            self._close_calls(out)
        out.extend(self._builder.text_delta(text))

    def _flush_content(self, out: list[Event]) -> None:
        """Deliver what the scanner held back, once no more content can follow it."""
        pending, self._pending = self._pending, ""
        if self._state == _THINK:
            out.extend(self._builder.reasoning_delta(pending))
        elif pending.strip():
            self._state = _TEXT
            self._text(pending.lstrip(), out)

    # -- tool calls ------------------------------------------------------------------------

    def _tool_fragment(self, fragment: dict[str, Any], position: int, out: list[Event]) -> None:
        index = fragment.get("index")
        if not isinstance(index, int):
            index = self._index_without_index(fragment, position)
        if index in self._closed_calls:
            # Compatibles stream one call after the other; a fragment for a call that
            # was already handed to Codex cannot be added any more.
            return
        call = self._calls.get(index)
        if call is None:
            # A new call: the ones before it are complete.
            self._flush_content(out)
            self._close_calls(out)
            call = self._calls[index] = _Call()
        call_id = fragment.get("id")
        if call_id and not call.call_id:
            call.call_id = str(call_id)
        function = fragment.get("function")
        if not isinstance(function, dict):
            function = {}
        name = function.get("name")
        if name and not call.name:
            call.name = str(name)
        arguments = function.get("arguments")
        if isinstance(arguments, dict):
            # A few servers send the arguments as an object rather than a JSON string.
            arguments = json.dumps(arguments, ensure_ascii=False)
        if not call.opened and call.name and call.call_id:
            self._open_call(index, call, out)
        if arguments and isinstance(arguments, str):
            call.args.append(arguments)
            if call.opened and not call.custom:
                out.extend(self._builder.tool_call_delta(index, arguments))

    def _index_without_index(self, fragment: dict[str, Any], position: int) -> int:
        """Some compatibles omit `index`: a fragment with a new id, or a second name,
        starts a new call; anything else continues the latest one."""
        call_id = fragment.get("id")
        if call_id:
            for index, call in self._calls.items():
                if call.call_id == call_id:
                    return index
        elif self._calls:
            latest = max(self._calls)
            function = fragment.get("function")
            named = isinstance(function, dict) and bool(function.get("name"))
            if not (named and self._calls[latest].name):
                return latest
        known = self._calls.keys() | self._closed_calls
        return max(known) + 1 if known else position

    def _open_call(self, index: int, call: _Call, out: list[Event]) -> None:
        tool = self._tool_map.lookup(call.name)
        call.custom = tool.custom
        call.opened = True
        out.extend(
            self._builder.start_tool_call(
                index,
                call.call_id,
                tool.name,
                custom=tool.custom,
                namespace=tool.namespace,
                computer_use=tool.computer,
            )
        )
        if call.args and not call.custom:
            out.extend(self._builder.tool_call_delta(index, "".join(call.args)))

    def _close_calls(self, out: list[Event]) -> None:
        for index in sorted(self._calls):
            call = self._calls[index]
            if not call.opened:
                if not call.name:
                    continue  # a fragment that never named its tool carries no call
                call.call_id = call.call_id or new_id("call")
                self._open_call(index, call, out)
            arguments = "".join(call.args)
            if call.custom:
                final = custom_input_from_arguments(arguments)
            else:
                # Codex parses the arguments as JSON; a call without any means `{}`.
                final = arguments if arguments.strip() else "{}"
            out.extend(self._builder.finish_tool_call(index, final_text=final))
        self._closed_calls.update(self._calls)
        self._calls.clear()

    # -- the end ----------------------------------------------------------------------------

    def finish(self, *, saw_done: bool = True) -> list[Event]:
        """The upstream ended. `saw_done` says whether it sent `data: [DONE]`; a stream
        without it and without any `finish_reason` was cut off."""
        if self._builder.terminated:
            return []
        if self._finish_reason is None and not saw_done:
            return self.fail("server_error", f"{UPSTREAM} stream cut off before the answer ended")
        out: list[Event] = []
        self._flush_content(out)
        self._close_calls(out)
        reason = _INCOMPLETE_REASONS.get(self._finish_reason or "")
        if reason is not None:
            out.extend(self._builder.incomplete(reason, usage=self._usage))
        else:
            out.extend(self._builder.completed(usage=self._usage))
        return out

    def fail(self, code: str, message: str) -> list[Event]:
        """The stream broke: `response.failed`. Items not closed yet are abandoned."""
        self._calls.clear()
        self._pending = ""
        return self._builder.failed(code, message, usage=self._usage)


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that could be the start of `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0


def chat_completion_to_response(
    body: Mapping[str, Any],
    model: str,
    tool_map: ToolMap,
    *,
    secrets: Iterable[str | None] = (),
    reasoning_origin: str | None = None,
) -> dict[str, Any]:
    """A non-streaming chat completion as a Responses `response` object.

    The message goes through the stream translator as one big delta, so the items have
    exactly the shapes a stream would have produced.
    """
    error = body.get("error")
    if error:
        raise _error_from_body(error, secrets)
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        raise UpstreamError(
            502, "server_error", f"{UPSTREAM} answered without any choice", fallback_ok=True
        )
    choice = choices[0]
    message = choice.get("message") or {}
    delta = {
        key: message.get(key)
        for key in ("content", "reasoning_content", "reasoning", "refusal")
        if message.get(key)
    }
    tool_calls = message.get("tool_calls")
    if isinstance(tool_calls, list):
        delta["tool_calls"] = [
            {**call, "index": position}
            for position, call in enumerate(tool_calls)
            if isinstance(call, Mapping)
        ]
    translator = ChatStreamTranslator(
        model, tool_map, secrets=secrets, reasoning_origin=reasoning_origin
    )
    events = translator.feed(
        {
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
            "usage": body.get("usage"),
        }
    )
    events.extend(
        translator.feed({"choices": [{"delta": {}, "finish_reason": choice.get("finish_reason")}]})
    )
    events.extend(translator.finish())
    response = collect_response(events)
    failure = response.get("error")
    if response["status"] == "failed" and isinstance(failure, Mapping):
        raise UpstreamError(502, failure["code"], failure["message"], fallback_ok=True)
    return response


def _error_from_body(error: Any, secrets: Iterable[str | None]) -> UpstreamError:
    code = stream_error_code(error)
    message = f"{UPSTREAM} error: {scrub(_error_message(error), secrets)}"
    if code == "context_length_exceeded":
        return UpstreamError(400, code, message)
    if code in ("rate_limit_exceeded", "insufficient_quota"):
        return UpstreamError(429, code, message, fallback_ok=True)
    return UpstreamError(502, "server_error", message, fallback_ok=True)
