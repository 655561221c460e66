"""The adapter for upstreams that speak the Responses API themselves (`kind = "responses"`).

The OpenAI API with an `sk-` key, Azure OpenAI's v1 API, OpenRouter's and DeepSeek's
Responses endpoints, vLLM's `/v1/responses` and other compatible servers. The request is
Codex's own, shaped by `adapters.responses.upstream`; the answer's events are relayed
one by one (`adapters.responses.relay`, shared with the ChatGPT passthrough), each shaped
by an `EventShaper`. A refusal before the first byte is an `UpstreamError` classified
like every other upstream's (`adapters.errors.http_error`), so Auto can fall back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.base import EventBatch, Target, UpstreamError, UpstreamStream, requested_model
from adapters.http import BodyReader, join_url, open_stream, post_json
from adapters.responses.objects import ResponsesStream
from adapters.responses.relay import failure_error, relay
from adapters.responses.upstream import (
    AZURE,
    EventShaper,
    family_of,
    namespaced_names,
    upstream_body,
)
from adapters.thinking import origin_of
from adapters.transport import UpstreamClient


def request_headers(target: Target, *, stream: bool) -> dict[str, str]:
    headers = {
        "content-type": "application/json",
        "accept": "text/event-stream" if stream else "application/json",
    }
    if target.api_key:
        if family_of(target.base_url) == AZURE:
            headers["api-key"] = target.api_key
        else:
            headers["authorization"] = f"Bearer {target.api_key}"
    # Last, so a deployment can replace any of the above.
    headers.update(target.extra_headers)
    return headers


def _upstream_name(target: Target) -> str:
    return f"{target.slug} (responses)"


def _shaper(request: Mapping[str, Any], target: Target) -> EventShaper:
    return EventShaper(
        requested_model(request, target),
        origin_of(target.base_url),
        _upstream_name(target),
        [target.api_key],
        namespaced_names(request, target),
    )


class ResponsesAdapter:
    """`Adapter` for `kind = "responses"` targets; borrows the application's HTTP client."""

    kind = "responses"

    def __init__(self, client: UpstreamClient) -> None:
        self._client = client

    async def stream(
        self, request: Mapping[str, Any], target: Target
    ) -> UpstreamStream[EventBatch]:
        upstream = _upstream_name(target)
        response = await open_stream(
            self._client,
            join_url(target.base_url, "responses"),
            upstream_body(request, target, stream=True),
            request_headers(target, stream=True),
            target,
            upstream=upstream,
        )
        shaper = _shaper(request, target)
        reader = BodyReader(response)
        events = relay(reader, requested_model(request, target), upstream, shaper, slug=target.slug)
        return ResponsesStream(events, reader, headers=response.headers)

    async def complete(self, request: Mapping[str, Any], target: Target) -> dict[str, Any]:
        upstream = _upstream_name(target)
        answer = await post_json(
            self._client,
            join_url(target.base_url, "responses"),
            upstream_body(request, target, stream=False),
            request_headers(target, stream=False),
            target,
            upstream=upstream,
        )
        response = _shaper(request, target).response(answer)
        if response.get("status") == "failed":
            raise failure_error(response.get("error"), upstream)
        if not isinstance(response.get("output"), list):
            raise UpstreamError(
                502, "server_error", f"{upstream} answered without an output list", fallback_ok=True
            )
        return response
