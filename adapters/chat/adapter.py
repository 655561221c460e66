"""The adapter for OpenAI chat completions and every compatible endpoint.

The request is translated by `adapters.chat.request`, the answer by
`adapters.chat.stream`; this module only moves bytes: it sends the request through
`adapters.http` (which raises `UpstreamError` for anything before the first byte), decodes
the SSE body read by read, and ends the event stream with exactly one terminal event
whatever happens to the upstream.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any

import httpx
import structlog

from adapters import jsonfast
from adapters.base import EventBatch, Target, UpstreamStream, requested_model
from adapters.chat.request import responses_to_chat
from adapters.chat.stream import UPSTREAM, ChatStreamTranslator, chat_completion_to_response
from adapters.http import BodyReader, join_url, open_stream, post_json, stream_failure
from adapters.responses.objects import ResponsesStream
from adapters.sse import SSEDecoder, SSEEvent
from adapters.thinking import origin_of
from adapters.tools import ToolMap, flatten_tools
from adapters.transport import UpstreamClient

log = structlog.get_logger(__name__)

DONE_MARKER = "[DONE]"
MALFORMED_CHUNK = f"{UPSTREAM} sent a malformed chunk (not JSON)"


def chat_headers(target: Target, *, stream: bool) -> dict[str, str]:
    headers = {
        "content-type": "application/json",
        "accept": "text/event-stream" if stream else "application/json",
    }
    if target.api_key:
        headers["authorization"] = f"Bearer {target.api_key}"
    # Last, so a target can replace the auth header (e.g. Azure's `api-key`).
    headers.update(target.extra_headers)
    return headers


def _reasoning_origin(target: Target) -> str | None:
    """Where the reasoning of this target's answers is recorded as coming from, for
    targets that need it back; None leaves it out of `encrypted_content`."""
    return origin_of(target.base_url) if target.replay_reasoning else None


class ChatCompletionsAdapter:
    """`Adapter` for `kind = "chat"` targets; borrows the application's HTTP client."""

    kind = "chat"

    def __init__(self, client: UpstreamClient) -> None:
        self._client = client

    async def stream(
        self, request: Mapping[str, Any], target: Target
    ) -> UpstreamStream[EventBatch]:
        tools = flatten_tools(request.get("tools"))
        body = responses_to_chat(request, target, stream=True, tools=tools)
        response = await open_stream(
            self._client,
            join_url(target.base_url, "chat/completions"),
            body,
            chat_headers(target, stream=True),
            target,
            upstream=target.slug,
        )
        translator = ChatStreamTranslator(
            requested_model(request, target),
            ToolMap(tools),
            secrets=[target.api_key],
            reasoning_origin=_reasoning_origin(target),
        )
        reader = BodyReader(response)
        return ResponsesStream(
            _events(reader, translator, target), reader, headers=response.headers
        )

    async def complete(self, request: Mapping[str, Any], target: Target) -> dict[str, Any]:
        tools = flatten_tools(request.get("tools"))
        answer = await post_json(
            self._client,
            join_url(target.base_url, "chat/completions"),
            responses_to_chat(request, target, stream=False, tools=tools),
            chat_headers(target, stream=False),
            target,
            upstream=target.slug,
        )
        return chat_completion_to_response(
            answer,
            requested_model(request, target),
            ToolMap(tools),
            secrets=[target.api_key],
            reasoning_origin=_reasoning_origin(target),
        )


class _Reader:
    """Decoded SSE events to translator calls; remembers whether `[DONE]` was seen."""

    __slots__ = ("done", "translator")

    def __init__(self, translator: ChatStreamTranslator) -> None:
        self.translator = translator
        self.done = False

    @property
    def stop(self) -> bool:
        return self.done or self.translator.terminated

    def read(self, events: list[SSEEvent], batch: EventBatch) -> None:
        if self.stop:
            return
        translator = self.translator
        for event in events:
            data = event.data
            if data == DONE_MARKER:
                self.done = True
                return
            if not data:
                continue
            try:
                chunk = jsonfast.loads(data)
            except ValueError:
                chunk = None
            if not isinstance(chunk, dict):
                batch.extend(translator.fail("server_error", MALFORMED_CHUNK))
                return
            if event.event == "error" and "error" not in chunk:
                chunk = {"error": chunk}
            batch.extend(translator.feed(chunk))
            if translator.terminated:
                return


async def _events(
    body: BodyReader, translator: ChatStreamTranslator, target: Target
) -> AsyncGenerator[EventBatch, None]:
    decoder = SSEDecoder()
    reader = _Reader(translator)
    try:
        yield translator.start()
        while raw := await body.read():
            batch: EventBatch = []
            reader.read(decoder.feed(raw), batch)
            if batch:
                yield batch
            if reader.stop:
                break
        else:
            batch = []
            reader.read(decoder.close(), batch)
            if batch:
                yield batch
        finish = translator.finish(saw_done=reader.done)
        if finish:
            yield finish
    except (httpx.HTTPError, httpx.StreamError) as exc:
        code, message = stream_failure(exc, target.slug)
        failed = translator.fail(code, message)
        if failed:
            log.warning("upstream_stream_failed", target=target.slug, code=code, reason=message)
            yield failed
    finally:
        # Also runs when the consumer closes this iterator early or is cancelled: the
        # upstream response is closed and its connection released.
        await body.aclose()
