"""The handlers behind `router.app.inbound`'s routes: Anthropic Messages and chat-completions
clients, translated to and from Responses (`adapters.inbound`) or passed through.

Errors are answered in the client's dialect: Anthropic's envelope
(`{"type": "error", "error": {...}}`) for Messages clients, OpenAI's for chat clients.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from adapters.base import (
    Answer,
    EventBatch,
    UpstreamError,
    UpstreamStream,
    anthropic_error,
    openai_error,
)
from adapters.inbound.anthropic_in import messages_to_responses
from adapters.inbound.anthropic_out import (
    error_type_for,
    response_to_message,
)
from adapters.inbound.chat_in import chat_to_responses
from adapters.inbound.chat_out import DONE, response_to_completion
from adapters.inbound.passthrough import FORWARDED_ANTHROPIC_HEADERS
from adapters.inbound.stream import AnthropicWriter, ChatWriter, DialectWriter, translated
from adapters.sse import encode_named, encode_unnamed
from router.app.exchange import (
    STATE,
    AppState,
    RequestRejected,
    log_request,
    plan_request,
    read_json,
    route_headers,
)
from router.app.writer import DialectEncoder, write_stream
from router.routing.auto.tokens import estimate_tokens
from router.routing.dispatch import Native, RoutePlan
from router.telemetry.logs import get_logger
from router.telemetry.snapshots import snapshot_request

log = get_logger("autorouter.inbound")


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between the two client dialects; the handler is shared."""

    name: str
    native_kind: str
    """The upstream kind that speaks this dialect and gets requests passed through."""
    to_responses: Callable[[Mapping[str, Any]], dict[str, Any]]
    writer: Callable[[str, Mapping[str, Any]], DialectWriter]
    from_response: Callable[[Mapping[str, Any], str], dict[str, Any]]
    error: Callable[[int, str, str | None], dict[str, Any]]
    """(HTTP status, message, Responses error code) -> error body."""
    stream_error: Callable[[str], bytes]


def _anthropic_error(status: int, message: str, code: str | None) -> dict[str, Any]:
    return anthropic_error(error_type_for(status, code), message)


def _chat_error(status: int, message: str, code: str | None) -> dict[str, Any]:
    error_type = "invalid_request_error" if 400 <= status < 500 else "server_error"
    return openai_error(message, error_type, code)


def _chat_writer(model: str, body: Mapping[str, Any]) -> DialectWriter:
    options = body.get("stream_options")
    wants = isinstance(options, Mapping) and bool(options.get("include_usage"))
    return ChatWriter(model, include_usage=wants)


MESSAGES = Dialect(
    name="messages",
    native_kind="anthropic",
    to_responses=messages_to_responses,
    writer=lambda model, _body: AnthropicWriter(model),
    from_response=response_to_message,
    error=_anthropic_error,
    stream_error=lambda message: encode_named([("error", anthropic_error("api_error", message))]),
)

CHAT = Dialect(
    name="chat",
    native_kind="chat",
    to_responses=chat_to_responses,
    writer=_chat_writer,
    from_response=response_to_completion,
    error=_chat_error,
    # A chat client waits for `[DONE]` after the error chunk.
    stream_error=lambda message: encode_unnamed([_chat_error(500, message, "server_error")]) + DONE,
)


def _handler(dialect: Dialect) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            return await _handle(request, dialect)
        except RequestRejected as exc:
            return _reshaped(exc.response, dialect)

    return handle


handle_messages = _handler(MESSAGES)
handle_chat = _handler(CHAT)


async def _handle(request: web.Request, dialect: Dialect) -> web.StreamResponse:
    state = request.app[STATE]
    started = time.perf_counter()
    request_id = uuid.uuid4().hex[:16]
    body = await read_json(request)
    snapshot_request(state.store.current(), request_id, request.headers, body)
    problem = _invalid(body)
    if problem is not None:
        return _error(dialect, 400, f"invalid request: {problem}", "invalid_request")
    requested = body["model"]
    view = dialect.to_responses(body)
    # The task identity also reads the client's metadata (Claude Code's session id).
    plan_body = {**view, "metadata": body["metadata"]} if "metadata" in body else view
    plan = await plan_request(state, plan_body, request, request_id)
    plan.client_headers = {
        **plan.client_headers,
        **{h: request.headers[h] for h in FORWARDED_ANTHROPIC_HEADERS if h in request.headers},
    }
    native = _native(dialect, body, requested)
    if not body.get("stream"):
        return await _complete(state, dialect, plan, view, native, request_id, started)
    try:
        opened = await state.dispatcher.open_in_dialect(plan, view, native)
    except UpstreamError as exc:
        return _upstream_error(state, dialect, plan, exc, request_id, started)
    encoder = DialectEncoder(dialect.stream_error)
    return await write_stream(request, state, opened, encoder, request_id, started)


def _native(dialect: Dialect, body: Mapping[str, Any], requested: str) -> Native:
    def translate(events: UpstreamStream[EventBatch]) -> UpstreamStream[bytes]:
        return translated(events, dialect.writer(requested, body))

    def translate_answer(result: dict[str, Any]) -> Answer:
        status = str(result.get("status") or "completed")
        return Answer(dialect.from_response(result, requested), result.get("usage"), status)

    return Native(dialect.native_kind, body, translate, translate_answer)


async def _complete(
    state: AppState,
    dialect: Dialect,
    plan: RoutePlan,
    view: dict[str, Any],
    native: Native,
    request_id: str,
    started: float,
) -> web.Response:
    try:
        answered = await state.dispatcher.complete_in_dialect(plan, view, native)
    except UpstreamError as exc:
        return _upstream_error(state, dialect, plan, exc, request_id, started)
    answer = answered.result
    log_request(
        state,
        plan,
        answered.slug,
        request_id,
        started,
        status=answer.status,
        usage=answer.usage,
        error=None,
    )
    return web.json_response(
        answer.body, headers=route_headers(answered.slug, answered.reason, request_id)
    )


async def handle_count_tokens(request: web.Request) -> web.Response:
    """An estimate of the prompt's tokens (the same one Auto's context check uses)."""
    try:
        body = await read_json(request)
    except RequestRejected as exc:
        return _reshaped(exc.response, MESSAGES)
    if not isinstance(body.get("messages"), list):
        return _error(MESSAGES, 400, "invalid request: messages: field required", "invalid_request")
    return web.json_response({"input_tokens": estimate_tokens(messages_to_responses(body))})


# -- errors ------------------------------------------------------------------------------


def _invalid(body: Mapping[str, Any]) -> str | None:
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: field required"
    if not isinstance(body.get("messages"), list):
        return "messages: field required (a list)"
    return None


def _error(dialect: Dialect, status: int, message: str, code: str | None) -> web.Response:
    return web.json_response(dialect.error(status, message, code), status=status)


def _reshaped(response: web.Response, dialect: Dialect) -> web.Response:
    """An answer the shared server steps made (OpenAI's error shape) in `dialect`'s shape."""
    if dialect is CHAT or not isinstance(response.body, bytes):
        return response
    try:
        error = json.loads(response.body)["error"]
    except (ValueError, KeyError, TypeError):
        return response
    headers = {k: v for k, v in response.headers.items() if k not in _BODY_HEADERS}
    reshaped = web.json_response(
        dialect.error(response.status, str(error.get("message")), error.get("code")),
        status=response.status,
        headers=headers,
    )
    if response.keep_alive is False:
        reshaped.force_close()
    return reshaped


_BODY_HEADERS = frozenset({"Content-Type", "Content-Length"})


def _upstream_error(
    state: AppState,
    dialect: Dialect,
    plan: RoutePlan,
    exc: UpstreamError,
    request_id: str,
    started: float,
) -> web.Response:
    slug = plan.slugs[0]
    log_request(
        state, plan, slug, request_id, started, status=exc.status, usage=None, error=exc.code
    )
    headers = route_headers(slug, plan.reason, request_id)
    if exc.retry_after:
        headers["Retry-After"] = exc.retry_after
    return web.json_response(
        dialect.error(exc.status, exc.message, exc.code), status=exc.status, headers=headers
    )
