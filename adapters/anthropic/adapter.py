"""The Anthropic Messages adapter: Claude and every Anthropic-compatible endpoint.

Translation lives in `anthropic_request` (Responses request -> Messages body) and
`anthropic_stream` (Messages events -> Responses events); this module only sends the
request and drives the stream through the shared HTTP layer, so that errors before the
first byte are raised as `UpstreamError` and everything after it ends the event stream.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any

import httpx

from adapters import jsonfast
from adapters.anthropic.request import responses_to_messages
from adapters.anthropic.stream import MessagesStreamTranslator, message_to_response
from adapters.base import EventBatch, Target, UpstreamError, UpstreamStream, requested_model
from adapters.http import BodyReader, open_stream, post_json, stream_failure
from adapters.responses.objects import ResponsesStream
from adapters.sse import SSEDecoder, SSEEvent
from adapters.thinking import origin_of
from adapters.tools import ToolMap, flatten_tools
from adapters.transport import UpstreamClient

ANTHROPIC_VERSION = "2023-06-01"

_FAILED_BODY_STATUS = {
    "context_length_exceeded": 400,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
}
"""The HTTP status for an error that arrived inside a 200 answer (default 502)."""


def messages_url(base_url: str) -> str:
    """The Messages endpoint for a base URL given with or without its `/v1`.

    `https://api.anthropic.com/v1` and `https://api.anthropic.com` both give
    `https://api.anthropic.com/v1/messages`; `https://api.deepseek.com/anthropic` gives
    `https://api.deepseek.com/anthropic/v1/messages`. A URL that already ends in
    `/messages` is used as is.
    """
    base = base_url.rstrip("/")
    if base.endswith("/messages"):
        return base
    if base.endswith("/v1"):
        return f"{base}/messages"
    return f"{base}/v1/messages"


def request_headers(target: Target, *, stream: bool) -> dict[str, str]:
    headers = {
        "anthropic-version": ANTHROPIC_VERSION,
        "content-type": "application/json",
        "accept": "text/event-stream" if stream else "application/json",
    }
    if target.api_key:
        headers["x-api-key"] = target.api_key
    # Configured headers come last so a deployment can override any of the above
    # (an endpoint that wants `Authorization: Bearer`, a beta flag, another version).
    # Names are case-insensitive: an override must replace, not duplicate, a header.
    for name, value in target.extra_headers.items():
        for existing in [key for key in headers if key.lower() == name.lower()]:
            del headers[existing]
        headers[name] = value
    return headers


class AnthropicMessagesAdapter:
    """`Adapter` for `target.kind == "anthropic"`; borrows the application's client."""

    kind = "anthropic"

    def __init__(self, client: UpstreamClient) -> None:
        self._client = client

    async def stream(
        self, request: Mapping[str, Any], target: Target
    ) -> UpstreamStream[EventBatch]:
        tools = flatten_tools(request.get("tools"))
        body = responses_to_messages(request, target, stream=True, tools=tools)
        upstream = _upstream_name(target)
        response = await open_stream(
            self._client,
            messages_url(target.base_url),
            body,
            request_headers(target, stream=True),
            target,
            upstream=upstream,
        )
        translator = MessagesStreamTranslator(
            requested_model(request, target),
            ToolMap(tools),
            origin=origin_of(target.base_url),
        )
        reader = BodyReader(response)
        return ResponsesStream(
            _events(reader, translator, upstream), reader, headers=response.headers
        )

    async def complete(self, request: Mapping[str, Any], target: Target) -> dict[str, Any]:
        tools = flatten_tools(request.get("tools"))
        body = responses_to_messages(request, target, stream=False, tools=tools)
        upstream = _upstream_name(target)
        answer = await post_json(
            self._client,
            messages_url(target.base_url),
            body,
            request_headers(target, stream=False),
            target,
            upstream=upstream,
        )
        result = message_to_response(
            answer,
            requested_model(request, target),
            ToolMap(tools),
            origin=origin_of(target.base_url),
        )
        error = result.get("error")
        if result.get("status") == "failed" and isinstance(error, Mapping):
            code = str(error.get("code") or "server_error")
            raise UpstreamError(
                _FAILED_BODY_STATUS.get(code, 502),
                code,
                str(error.get("message") or f"{upstream} failed"),
                fallback_ok=code != "context_length_exceeded",
            )
        return result


def _upstream_name(target: Target) -> str:
    return f"{target.slug} (anthropic)"


async def _events(
    body: BodyReader, translator: MessagesStreamTranslator, upstream: str
) -> AsyncGenerator[EventBatch, None]:
    decoder = SSEDecoder()
    try:
        yield translator.start()
        try:
            while chunk := await body.read():
                batch = _translate(decoder.feed(chunk), translator)
                if batch:
                    yield batch
                if translator.done:
                    return
            tail = _translate(decoder.close(), translator)
        except httpx.HTTPError as exc:
            code, message = stream_failure(exc, upstream)
            yield translator.fail(code, message)
            return
        last = tail + translator.finish()
        if last:
            yield last
    finally:
        # Also runs when the consumer closes the iterator early: the connection goes
        # back to the pool (or is dropped) instead of lingering until garbage collection.
        await body.aclose()


def _translate(events: list[SSEEvent], translator: MessagesStreamTranslator) -> EventBatch:
    batch: EventBatch = []
    for event in events:
        if translator.done:
            break
        batch.extend(_feed_one(event, translator))
    return batch


def _feed_one(event: SSEEvent, translator: MessagesStreamTranslator) -> EventBatch:
    try:
        data = _decode(event.data)
    except ValueError:
        return translator.fail("server_error", "Anthropic stream sent data that is not JSON")
    return translator.feed(event.event, data)


def _decode(raw: str) -> dict[str, Any]:
    value = jsonfast.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value
