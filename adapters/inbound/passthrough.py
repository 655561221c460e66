"""Requests in the upstream's own dialect, forwarded without a detour via Responses.

An Anthropic client talking to an Anthropic upstream, or a chat client to a chat upstream,
gets its request forwarded with the target's model name and credentials, and the answer
back with the model name the client asked for. Everything else is left as the client
sent it, including fields this proxy does not know (an Anthropic client's betas travel in
`anthropic-beta`, which is forwarded too).

Two things are changed on purpose:
- thinking blocks that another provider's answer produced (`FOREIGN_SIGNATURE`) are left
  out before a request reaches Anthropic, which rejects signatures it did not make;
- a streamed chat request always asks for usage (for the routing log); the usage-only
  chunk is not passed on to a client that did not ask for it.

The stream is decoded event by event to read usage and rewrite the model name; event
payloads other than the first and last are passed on without being parsed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any

import httpx

from adapters import jsonfast
from adapters.anthropic.adapter import messages_url, request_headers
from adapters.base import (
    Answer,
    Outcome,
    Target,
    UpstreamStream,
    anthropic_error,
    openai_error,
    requested_model,
)
from adapters.chat.adapter import DONE_MARKER, chat_headers
from adapters.http import join_url, open_stream, post_json, stream_failure
from adapters.inbound.anthropic_out import FOREIGN_SIGNATURE, error_type_for
from adapters.inbound.chat_out import DONE
from adapters.sse import SSEDecoder, SSEEvent, encode_named, encode_unnamed, frame
from adapters.transport import UpstreamClient
from adapters.usage import from_anthropic as usage_from_anthropic
from adapters.usage import from_chat as usage_from_chat

CUT_OFF = "the upstream stream was cut off before it ended"
MALFORMED = "the upstream sent an event that is not valid JSON"
FORWARDED_ANTHROPIC_HEADERS = ("anthropic-beta",)
"""Client headers an Anthropic passthrough forwards (the router puts them in
`target.client_headers`)."""


def anthropic_request(body: Mapping[str, Any], target: Target) -> dict[str, Any]:
    """The body sent upstream: the target's model, foreign thinking blocks left out."""
    out = dict(body)
    out["model"] = target.model
    messages = body.get("messages")
    if isinstance(messages, list):
        out["messages"] = [_without_foreign_thinking(m) for m in messages]
    return out


def _without_foreign_thinking(message: Any) -> Any:
    content = message.get("content") if isinstance(message, Mapping) else None
    if message.get("role") != "assistant" or not isinstance(content, list):
        return message
    kept = [
        block
        for block in content
        if not (
            isinstance(block, Mapping)
            and block.get("type") == "thinking"
            and block.get("signature") == FOREIGN_SIGNATURE
        )
    ]
    return message if len(kept) == len(content) else {**message, "content": kept}


def chat_request(body: Mapping[str, Any], target: Target) -> dict[str, Any]:
    out = dict(body)
    out["model"] = target.model
    if body.get("stream"):
        options = body.get("stream_options")
        out["stream_options"] = {
            **(options if isinstance(options, Mapping) else {}),
            "include_usage": True,
        }
    return out


class AnthropicPassthrough:
    """Forwards Messages requests to an Anthropic target (the passthrough for `anthropic`).

    `request` is the client's own body (its `model` is the name the client asked for);
    `target.client_headers` carries the client's `anthropic-beta`.
    """

    kind = "anthropic"

    def __init__(self, client: UpstreamClient) -> None:
        self._client = client

    async def stream(self, request: Mapping[str, Any], target: Target) -> UpstreamStream[bytes]:
        response = await open_stream(
            self._client,
            messages_url(target.base_url),
            {**anthropic_request(request, target), "stream": True},
            _anthropic_headers(target, stream=True),
            target,
            upstream=_anthropic_name(target),
        )
        frames = _AnthropicFrames(requested_model(request, target), _anthropic_name(target))
        return UpstreamStream(
            frames.read(response), response, headers=response.headers, outcome=frames.outcome
        )

    async def complete(self, request: Mapping[str, Any], target: Target) -> Answer:
        answer = await post_json(
            self._client,
            messages_url(target.base_url),
            {**anthropic_request(request, target), "stream": False},
            _anthropic_headers(target, stream=False),
            target,
            upstream=_anthropic_name(target),
        )
        answer["model"] = requested_model(request, target)
        usage = answer.get("usage")
        return Answer(answer, usage_from_anthropic(usage) if isinstance(usage, Mapping) else None)


def _anthropic_name(target: Target) -> str:
    return f"{target.slug} (anthropic)"


def _anthropic_headers(target: Target, *, stream: bool) -> dict[str, str]:
    headers = request_headers(target, stream=stream)
    configured = {name.lower() for name in target.extra_headers}
    for name in FORWARDED_ANTHROPIC_HEADERS:
        value = target.client_headers.get(name)
        if value and name not in configured:
            headers[name] = value
    return headers


class _AnthropicFrames:
    """An Anthropic upstream's stream with the model name and usage read on the way."""

    def __init__(self, model: str, upstream: str) -> None:
        self._model = model
        self._upstream = upstream
        self._usage: dict[str, Any] = {}
        self.outcome = Outcome()

    async def read(self, response: httpx.Response) -> AsyncGenerator[bytes, None]:
        decoder = SSEDecoder()
        try:
            async for raw in response.aiter_raw():
                data = b"".join(self._frame(event) for event in decoder.feed(raw))
                if data:
                    yield data
            tail = b"".join(self._frame(event) for event in decoder.close())
        except httpx.HTTPError as exc:
            _, message = stream_failure(exc, self._upstream)
            yield self._failure("server_error", message)
            return
        except (ValueError, KeyError, TypeError, AttributeError):
            yield self._failure("server_error", MALFORMED)
            return
        if self.outcome.status == "lost":
            tail += self._failure("server_error", CUT_OFF)
        if tail:
            yield tail

    def _frame(self, event: SSEEvent) -> bytes:
        name = event.event or ""
        data = event.data
        if name in ("message_start", "message_delta", "error"):
            parsed = jsonfast.loads(data)
            if name == "message_start":
                parsed["message"]["model"] = self._model
                self._read_usage(parsed["message"].get("usage"))
            elif name == "message_delta":
                self._read_usage(parsed.get("usage"))
            else:
                self.outcome.status = "failed"
                self.outcome.error = str((parsed.get("error") or {}).get("type") or "error")
            return encode_named([(name, parsed)])
        if name == "message_stop":
            self.outcome.status = "completed"
        return frame(name, data)

    def _read_usage(self, usage: Any) -> None:
        if isinstance(usage, Mapping):
            self._usage.update({k: v for k, v in usage.items() if isinstance(v, int)})
            self.outcome.usage = usage_from_anthropic(self._usage)

    def _failure(self, code: str, message: str) -> bytes:
        self.outcome.status = "failed"
        self.outcome.error = code
        return encode_named([("error", anthropic_error(error_type_for(500, code), message))])


class ChatPassthrough:
    """Forwards chat-completions requests to a chat target (the passthrough for `chat`)."""

    kind = "chat"

    def __init__(self, client: UpstreamClient) -> None:
        self._client = client

    async def stream(self, request: Mapping[str, Any], target: Target) -> UpstreamStream[bytes]:
        options = request.get("stream_options")
        wants_usage = isinstance(options, Mapping) and bool(options.get("include_usage"))
        response = await open_stream(
            self._client,
            join_url(target.base_url, "chat/completions"),
            chat_request({**request, "stream": True}, target),
            chat_headers(target, stream=True),
            target,
            upstream=target.slug,
        )
        chunks = _ChatChunks(requested_model(request, target), target.slug, wants_usage=wants_usage)
        return UpstreamStream(
            chunks.read(response), response, headers=response.headers, outcome=chunks.outcome
        )

    async def complete(self, request: Mapping[str, Any], target: Target) -> Answer:
        answer = await post_json(
            self._client,
            join_url(target.base_url, "chat/completions"),
            chat_request({**request, "stream": False}, target),
            chat_headers(target, stream=False),
            target,
            upstream=target.slug,
        )
        answer["model"] = requested_model(request, target)
        usage = answer.get("usage")
        return Answer(answer, usage_from_chat(usage) if isinstance(usage, Mapping) else None)


class _ChatChunks:
    """A chat upstream's stream with the model name rewritten and usage read."""

    def __init__(self, model: str, upstream: str, *, wants_usage: bool) -> None:
        self._model = model
        self._upstream = upstream
        self._wants_usage = wants_usage
        self._finished = False
        self.outcome = Outcome()

    async def read(self, response: httpx.Response) -> AsyncGenerator[bytes, None]:
        decoder = SSEDecoder()
        try:
            async for raw in response.aiter_raw():
                data = b"".join(self._chunk(event) for event in decoder.feed(raw))
                if data:
                    yield data
            tail = b"".join(self._chunk(event) for event in decoder.close())
        except httpx.HTTPError as exc:
            _, message = stream_failure(exc, self._upstream)
            yield self._failure(message)
            return
        except ValueError:
            yield self._failure(MALFORMED)
            return
        if self.outcome.status == "lost":
            # Compatibles that omit [DONE] still ended the answer with a finish_reason.
            tail += DONE if self._finished else self._failure(CUT_OFF)
            if self._finished:
                self.outcome.status = "completed"
        if tail:
            yield tail

    def _chunk(self, event: SSEEvent) -> bytes:
        if event.data == DONE_MARKER:
            if self.outcome.status == "lost":
                self.outcome.status = "completed"
            return DONE
        chunk = jsonfast.loads(event.data)
        if not isinstance(chunk, dict):
            return b""
        if chunk.get("error"):
            self.outcome.status = "failed"
            self.outcome.error = "upstream_error"
        usage = chunk.get("usage")
        if isinstance(usage, Mapping):
            self.outcome.usage = usage_from_chat(usage)
            if not chunk.get("choices") and not self._wants_usage:
                return b""
        for choice in chunk.get("choices") or ():
            if isinstance(choice, Mapping) and choice.get("finish_reason"):
                self._finished = True
        if "model" in chunk:
            chunk["model"] = self._model
        return encode_unnamed([chunk])

    def _failure(self, message: str) -> bytes:
        self.outcome.status = "failed"
        self.outcome.error = "server_error"
        error = openai_error(message, "server_error", "server_error")
        return encode_unnamed([error])
