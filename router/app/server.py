"""The aiohttp application: thin handlers that validate, dispatch and write.

Data flows one way: handler -> task identity and route decision (dispatch) -> adapter ->
event batches -> SSE writer. Handlers hold no routing or translation logic.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from adapters.base import UpstreamError
from adapters.responses.request import ResponsesRequest
from router import SERVICE_NAME, __version__
from router.app.bodies import DECODED_HERE
from router.app.compaction import compacted_window, summary_request
from router.app.dashboard import register_dashboard
from router.app.exchange import (
    STATE,
    AppState,
    error_middleware,
    error_response,
    failed_before_stream,
    log_request,
    plan_request,
    read_json,
    reject,
    route_headers,
)
from router.app.hosts import request_guard_middleware
from router.app.inbound import register_inbound
from router.app.metrics_routes import metrics_middleware, register_metrics
from router.app.picker import register_picker
from router.app.shutdown import DEFAULT_GRACE, in_flight_middleware
from router.app.writer import ResponsesEncoder, write_stream
from router.chatgpt.login import auth_json_path
from router.chatgpt.token_source import log_refused_token
from router.routing.auto.tokens import warm_up
from router.routing.dispatch import RoutePlan
from router.routing.upstreams import Upstreams
from router.settings import SettingsStore
from router.telemetry.logs import RoutingLog, get_logger
from router.telemetry.snapshots import snapshot_request

log = get_logger("autorouter.server")


def _validate(body: dict[str, Any]) -> None:
    try:
        ResponsesRequest.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise reject(
            400, f"invalid request: {where}: {first['msg']}", code="invalid_request"
        ) from None


async def handle_responses(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    started = time.perf_counter()
    request_id = uuid.uuid4().hex[:16]
    body = await read_json(request)
    snapshot_request(state.store.current(), request_id, request.headers, body)
    _validate(body)
    plan = await plan_request(state, body, request, request_id)
    if not body.get("stream"):
        return await _complete(state, plan, body, request_id, started)
    try:
        opened = await state.dispatcher.open_stream(plan, body)
    except UpstreamError as exc:
        return failed_before_stream(state, plan, request_id, started, exc)
    encoder = ResponsesEncoder(plan.requested)
    return await write_stream(request, state, opened, encoder, request_id, started)


async def _complete(
    state: AppState, plan: RoutePlan, body: dict[str, Any], request_id: str, started: float
) -> web.Response:
    try:
        answered = await state.dispatcher.complete(plan, body)
    except UpstreamError as exc:
        return failed_before_stream(state, plan, request_id, started, exc)
    return _answered(
        state, plan, answered.slug, answered.reason, request_id, started, answered.result
    )


async def handle_compact(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    started = time.perf_counter()
    request_id = uuid.uuid4().hex[:16]
    body = await read_json(request)
    if not isinstance(body.get("model"), str) or not body.get("model"):
        return error_response(400, "invalid request: model: field required", code="invalid_request")
    plan = await plan_request(state, body, request, request_id, compaction=True)
    try:
        window = await state.dispatcher.passthrough_compact(plan, body)
        if window is None:
            answered = await state.dispatcher.complete(plan, summary_request(body))
            slug, reason = answered.slug, answered.reason
            window = compacted_window(body, answered.result)
        else:
            slug, reason = plan.slugs[0], plan.reason
    except UpstreamError as exc:
        return failed_before_stream(state, plan, request_id, started, exc)
    return _answered(state, plan, slug, reason, request_id, started, window)


def _answered(
    state: AppState,
    plan: RoutePlan,
    slug: str,
    reason: str | None,
    request_id: str,
    started: float,
    body: dict[str, Any],
) -> web.Response:
    """Log and send a whole (non-streamed) answer."""
    status = body.get("status", "completed")
    log_request(
        state, plan, slug, request_id, started, status=status, usage=body.get("usage"), error=None
    )
    return web.json_response(body, headers=route_headers(slug, reason, request_id))


async def handle_models(request: web.Request) -> web.Response:
    settings = request.app[STATE].store.current()
    # Codex passthrough models are offered only while a ChatGPT credential exists.
    codex = request.app[STATE].dispatcher.credentials.codex
    codex_available = codex.available()
    data: list[dict[str, Any]] = []
    if settings.router is not None and settings.auto_slug:
        data.append(
            {
                "id": settings.auto_slug,
                "object": "model",
                "created": 0,
                "owned_by": "codex-autorouter",
                "display_name": settings.router.display_name,
            }
        )
    listed = [m for m in settings.models if m.kind != "codex" or codex_available]
    for model in listed + await codex.listed_models():
        data.append(
            {
                "id": model.slug,
                "object": "model",
                "created": 0,
                "owned_by": model.provider,
                "display_name": model.display_name,
            }
        )
    return web.json_response({"object": "list", "data": data})


async def handle_health(request: web.Request) -> web.Response:
    state = request.app[STATE]
    settings = state.store.current()
    return web.json_response(
        {
            "status": state.shared.health(),
            "shared_state": state.shared.kind,
            "service": SERVICE_NAME,
            "version": __version__,
            "pid": os.getpid(),
            "models": len(settings.models),
            "auto": settings.auto_slug,
            "settings_error": state.store.last_error,
        }
    )


def create_app(
    store: SettingsStore,
    *,
    bind_host: str = "127.0.0.1",
    routing_log_path: Path | None = None,
    upstreams: Upstreams | None = None,
    shutdown_grace: float = DEFAULT_GRACE,
) -> web.Application:
    routing_log = RoutingLog(routing_log_path) if routing_log_path else None
    state = AppState(store, upstreams or Upstreams(), routing_log, bind_host)
    app = web.Application(
        middlewares=[
            in_flight_middleware(state.in_flight),
            request_guard_middleware(state.allowed_hosts, state.allowed_origins),
            state.clients.middleware(),
            metrics_middleware(state.metrics),
            error_middleware,
        ],
        # Request bodies are read and decoded by router/app/bodies.py, under the limit
        # of the settings in force.
        handler_args=DECODED_HERE,
    )
    app[STATE] = state
    app.router.add_post("/v1/responses", handle_responses)
    app.router.add_post("/v1/responses/compact", handle_compact)
    app.router.add_get("/v1/models", handle_models)
    app.router.add_get("/health", handle_health)
    picker = register_picker(app, store.current)
    register_inbound(app)
    register_metrics(app, state.metrics)
    register_dashboard(app, state, picker)

    async def on_startup(_: web.Application) -> None:
        # Only Auto routing counts tokens; a proxy without it never pays for the tokenizer.
        if store.current().auto_slug:
            warm_up()
        # An sk- key where a ChatGPT token belongs is refused; say so now, not at the
        # first request for a ChatGPT model.
        log_refused_token(os.environ, auth_json_path(os.environ))

    async def on_cleanup(_: web.Application) -> None:
        await state.upstreams.aclose()
        if state.dispatcher.learning is not None:
            state.dispatcher.learning.close()
        await state.clients.aclose()
        await state.ledger.aclose()
        await state.shared.aclose()
        if state.routing_log is not None:
            state.routing_log.close()

    async def on_shutdown(_: web.Application) -> None:
        # Runs after the listening sockets are closed: finish or end what is in flight.
        await state.in_flight.drain(shutdown_grace)

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    return app
