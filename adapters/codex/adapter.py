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
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import structlog

from adapters import jsonfast
from adapters.base import EventBatch, Target, UpstreamError
from adapters.codex.headers import forwardable_headers
from adapters.codex.limits import is_quota_answer, quota_resets_in
from adapters.errors import http_error, stream_error_code
from adapters.http import BodyReader, join_url, open_stream, stream_failure
from adapters.responses.objects import TERMINAL_EVENTS, new_id, response_object
from adapters.sse import SSEDecoder

log = structlog.get_logger(__name__)

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


class PassthroughEvents:
    """The event batches of one answer, carrying the backend headers to relay to Codex."""

    def __init__(
        self, batches: AsyncGenerator[EventBatch, None], response_headers: dict[str, str]
    ) -> None:
        self._batches = batches
        self.response_headers = response_headers

    def __aiter__(self) -> PassthroughEvents:
        return self

    async def __anext__(self) -> EventBatch:
        return await self._batches.__anext__()

    async def aclose(self) -> None:
        await self._batches.aclose()


@dataclass(slots=True)
class CodexAnswer:
    """A successful answer: its events, and its headers (which carry the account's usage
    windows, see `adapters.codex.limits.parse_rate_limits`)."""

    events: AsyncIterator[EventBatch]
    headers: Mapping[str, str]


def _requested_model(request: Mapping[str, Any], target: Target) -> str:
    model = request.get("model")
    return model if isinstance(model, str) and model else target.slug


class CodexPassthroughAdapter:
    """`Adapter` for `kind = "codex"` targets; borrows the application's HTTP client."""

    kind = "codex"

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def stream(self, request: Mapping[str, Any], target: Target) -> AsyncIterator[EventBatch]:
        return (await self.open(request, target)).events

    async def open(self, request: Mapping[str, Any], target: Target) -> CodexAnswer:
        """Like `stream`, but also returns the answer's headers."""
        body = backend_body(request, target)
        response = await self._send(join_url(target.base_url, "responses"), body, target)
        relayed = {
            name: value
            for name, value in response.headers.items()
            if name.lower().startswith(RELAYED_PREFIX)
        }
        events = PassthroughEvents(
            _events(response, _requested_model(request, target), target), relayed
        )
        return CodexAnswer(events, response.headers)

    async def complete(self, request: Mapping[str, Any], target: Target) -> dict[str, Any]:
        """The backend only streams; the stream is read to its end and folded up."""
        body = {**request, "stream": True}
        body.setdefault("store", False)
        answer = await self.open(body, target)
        return await collect(answer.events)

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


def _rewrite_model(event: dict[str, Any], model: str) -> dict[str, Any]:
    response = event.get("response")
    if isinstance(response, dict) and "model" in response:
        event["response"] = {**response, "model": model}
    return event


def _failed(model: str, code: str, message: str) -> dict[str, Any]:
    return {
        "type": "response.failed",
        "response": response_object(
            new_id("resp"), model, "failed", error={"code": code, "message": message}
        ),
    }


async def _events(
    response: httpx.Response, model: str, target: Target
) -> AsyncGenerator[EventBatch, None]:
    decoder = SSEDecoder()
    body = BodyReader(response)
    finished = False
    try:
        while raw := await body.read():
            batch, finished = _decode(decoder.feed(raw), model)
            if batch:
                yield batch
            if finished:
                return
        batch, finished = _decode(decoder.close(), model)
        if batch:
            yield batch
        if not finished:
            yield [_failed(model, "server_error", f"{UPSTREAM} closed the stream before it ended")]
    except (httpx.HTTPError, httpx.StreamError) as exc:
        code, message = stream_failure(exc, UPSTREAM)
        log.warning("upstream_stream_failed", target=target.slug, code=code, reason=message)
        yield [_failed(model, code, message)]
    finally:
        await body.aclose()


def _decode(frames: list[Any], model: str) -> tuple[EventBatch, bool]:
    """The events of some SSE frames, and whether the terminal one was among them."""
    batch: EventBatch = []
    for frame in frames:
        if not frame.data or frame.data == "[DONE]":
            continue
        try:
            event = jsonfast.loads(frame.data)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            batch.append(
                _failed(model, "server_error", f"{UPSTREAM} sent an event that is not JSON")
            )
            return batch, True
        if "type" not in event and frame.event:
            event["type"] = frame.event
        if not isinstance(event.get("type"), str):
            continue
        batch.append(_rewrite_model(event, model))
        if event["type"] in TERMINAL_EVENTS:
            return batch, True
    return batch, False


async def collect(events: AsyncIterator[EventBatch]) -> dict[str, Any]:
    """A finished stream as one `response` object; a failed one as `UpstreamError`.

    The backend's `response.completed` may list no output (Codex ignores that list), so
    the output is rebuilt from the `response.output_item.done` events.
    """
    items: list[dict[str, Any]] = []
    terminal: dict[str, Any] | None = None
    try:
        async for batch in events:
            for event in batch:
                if event.get("type") == "response.output_item.done":
                    items.append(event.get("item") or {})
                elif event.get("type") in TERMINAL_EVENTS:
                    terminal = event
    finally:
        await events.aclose()  # type: ignore[attr-defined]
    assert terminal is not None  # `_events` always ends with a terminal event
    response = dict(terminal.get("response") or {})
    if terminal["type"] == "response.failed":
        error = response.get("error") or {}
        message = error.get("message") if isinstance(error, Mapping) else None
        raise UpstreamError(
            502,
            stream_error_code(error),
            f"{UPSTREAM} failed: {message or 'no message'}",
            fallback_ok=True,
        )
    if not response.get("output"):
        response["output"] = items
    return response
