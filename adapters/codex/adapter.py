"""Passthrough to the ChatGPT Codex backend (`kind = "codex"`).

The backend speaks the Responses API that Codex itself sends, so the body goes out as
Codex wrote it, with two changes: `model` becomes the backend's model name, and reasoning
items the backend cannot verify are dropped. Those are items another provider produced
(our own replay envelopes such as Anthropic's `anthropic.v1:...` carry a `<name>.v<N>:`
prefix) and items with no encrypted content at all, which carry nothing to replay. The
answer's events come back untouched except for the model name inside `response.*`
objects, which becomes the slug Codex asked for.

The credential is resolved by the router: `target.api_key` is the access token and
`target.extra_headers` carries `chatgpt-account-id`. Codex's own session, turn and
originator headers are forwarded from `target.client_headers`.

A refusal before the first byte is a `CodexUpstreamError`, which also says whether the
account is out of quota and until when, so the router can move to the next account.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncGenerator, Mapping
from typing import Any

import httpx

from adapters.base import EventBatch, Target, UpstreamError, UpstreamStream, requested_model
from adapters.codex.headers import forwardable_headers
from adapters.codex.limits import is_quota_answer, quota_resets_in
from adapters.errors import http_error
from adapters.http import BodyReader, join_url, open_stream, stream_failure
from adapters.responses.objects import ResponsesStream
from adapters.responses.relay import collect as relay_collect
from adapters.responses.relay import relay, rewrite_model
from adapters.transport import UpstreamClient

UPSTREAM = "the ChatGPT Codex backend"

RELAYED_PREFIX = "x-codex-"
"""Answer headers Codex reads itself: `x-codex-turn-state` (sent back on the turn's next
request) and the usage windows (shown in its status line)."""

_FOREIGN_ENVELOPE = re.compile(r"^[a-z][a-z0-9_-]*\.v\d+:")


def _replayable(item: Any) -> bool:
    if not isinstance(item, Mapping) or item.get("type") != "reasoning":
        return True
    content = item.get("encrypted_content")
    return isinstance(content, str) and bool(content) and not _FOREIGN_ENVELOPE.match(content)


def backend_body(request: Mapping[str, Any], target: Target) -> dict[str, Any]:
    """The request as the backend gets it: Codex's body, our model name, no foreign reasoning."""
    body = dict(request)
    body["model"] = target.model
    items = body.get("input")
    if isinstance(items, list):
        body["input"] = [item for item in items if _replayable(item)]
    return body


def backend_headers(target: Target, *, accept: str = "text/event-stream") -> dict[str, str]:
    headers = forwardable_headers(target.client_headers)
    headers["content-type"] = "application/json"
    headers["accept"] = accept
    if target.api_key:
        headers["authorization"] = f"Bearer {target.api_key}"
    headers.update(target.extra_headers)
    return headers


class CodexUpstreamError(UpstreamError):
    """A refusal from the backend, with what it means for the account that sent it."""

    quota_resets_in: float | None = None
    """For a quota or rate-limit answer: seconds until the account may be used again."""


class CodexPassthroughAdapter:
    """`Adapter` for `kind = "codex"` targets; borrows the application's HTTP client."""

    kind = "codex"

    def __init__(self, client: UpstreamClient) -> None:
        self._client = client

    async def stream(
        self, request: Mapping[str, Any], target: Target
    ) -> UpstreamStream[EventBatch]:
        """The answer's `headers` carry the account's usage windows (see
        `adapters.codex.limits.parse_rate_limits`); the `x-codex-*` ones are relayed."""
        body = backend_body(request, target)
        response = await self._send(join_url(target.base_url, "responses"), body, target)
        relayed = {
            name: value
            for name, value in response.headers.items()
            if name.lower().startswith(RELAYED_PREFIX)
        }
        reader = BodyReader(response)
        return ResponsesStream(
            _events(reader, requested_model(request, target), target),
            reader,
            headers=response.headers,
            relay_headers=relayed,
        )

    async def complete(self, request: Mapping[str, Any], target: Target) -> dict[str, Any]:
        """The backend only streams; the stream is read to its end and folded up."""
        body = {**request, "stream": True}
        body.setdefault("store", False)
        return await collect(await self.stream(body, target))

    async def compact(self, request: Mapping[str, Any], target: Target) -> dict[str, Any]:
        """`POST {base}/responses/compact`, the older compaction endpoint, as is."""
        body = {**request, "model": target.model}
        response = await self._send(
            join_url(target.base_url, "responses/compact"),
            body,
            target,
            accept="application/json",
        )
        try:
            raw = await response.aread()
        except httpx.HTTPError as exc:
            code, message = stream_failure(exc, UPSTREAM)
            raise UpstreamError(502, code, message, fallback_ok=True) from None
        finally:
            await response.aclose()
        try:
            decoded = json.loads(raw)
        except ValueError:
            decoded = None
        if not isinstance(decoded, dict):
            raise UpstreamError(
                502,
                "server_error",
                f"{UPSTREAM} answered compaction with unexpected data",
                fallback_ok=True,
            )
        return decoded

    async def _send(
        self,
        url: str,
        body: Mapping[str, Any],
        target: Target,
        *,
        accept: str = "text/event-stream",
    ) -> httpx.Response:
        return await open_stream(
            self._client,
            url,
            body,
            backend_headers(target, accept=accept),
            target,
            upstream=UPSTREAM,
            refusal=lambda status, raw, headers: _refusal(status, raw, headers, target),
        )


def _refusal(status: int, raw: bytes, headers: Mapping[str, str], target: Target) -> UpstreamError:
    base = http_error(status, raw, headers, upstream=UPSTREAM, secrets=[target.api_key])
    error = CodexUpstreamError(
        base.status,
        base.code,
        base.message,
        retry_after=base.retry_after,
        fallback_ok=base.fallback_ok,
        error_type=base.error_type,
    )
    if is_quota_answer(status, raw):
        error.quota_resets_in = quota_resets_in(raw, headers, time.time())
    return error


def _events(body: BodyReader, model: str, target: Target) -> AsyncGenerator[EventBatch, None]:
    return relay(body, model, UPSTREAM, lambda event: rewrite_model(event, model), slug=target.slug)


async def collect(events: UpstreamStream[EventBatch]) -> dict[str, Any]:
    """A finished stream as one `response` object; a failed one as `UpstreamError`."""
    return await relay_collect(events, UPSTREAM)
