"""The steps every front door shares: one request in, one answer out.

`/v1/responses` (`router/app/server.py`) and the Anthropic and chat-completions front doors
(`router/app/inbound.py`) all read the body the same way, plan the route the same way, answer
errors before a stream in the same way and log one line per request; those steps live here
so neither handler module depends on the other.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from adapters import jsonfast
from adapters.base import UpstreamError, openai_error
from router.app.bodies import BodyRefused, read_body
from router.app.client_keys import ClientGate, current_client
from router.app.hosts import allowed_hosts
from router.app.shutdown import InFlight
from router.routing.auto.types import NoEligibleCandidate
from router.routing.dispatch import Dispatcher, RoutePlan, UnknownModel
from router.routing.upstreams import Upstreams
from router.settings import SettingsStore
from router.shared.ledger import UsageLedger
from router.shared.open import open_shared_state
from router.telemetry.ledger import cost_usd, usage_counts
from router.telemetry.logs import RoutingLog, get_logger
from router.telemetry.metrics import Metrics

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

log = get_logger("autorouter.server")

STATE: web.AppKey[AppState] = web.AppKey("state")


class AppState:
    def __init__(
        self,
        store: SettingsStore,
        upstreams: Upstreams,
        routing_log: RoutingLog | None,
        bind_host: str,
    ) -> None:
        self.store = store
        self.upstreams = upstreams
        self.routing_log = routing_log
        self.bind_host = bind_host
        # The outcome store and calibration live beside the routing log; without a log
        # (some tests, embedded use) Auto does not learn.
        learning_dir = routing_log.path.parent if routing_log is not None else None
        self.shared = open_shared_state(store.current())
        self.clients = ClientGate(store, self.shared)
        self.ledger = UsageLedger(self.shared)
        self.dispatcher = Dispatcher(
            store, upstreams, learning_dir=learning_dir, shared=self.shared
        )
        self.in_flight = InFlight()
        self.metrics = Metrics()
        self._allowed_for: object = None
        self._allowed: frozenset[str] = frozenset()
        self._origins_for: object = None
        self._origins: frozenset[str] = frozenset()

    def allowed_hosts(self) -> frozenset[str]:
        settings = self.store.current()
        if self._allowed_for is not settings:
            self._allowed = allowed_hosts(self.bind_host, settings.server.allowed_hosts)
            self._allowed_for = settings
        return self._allowed

    def allowed_origins(self) -> frozenset[str]:
        """`server.allowed_origins`, normalized when the settings were loaded."""
        settings = self.store.current()
        if self._origins_for is not settings:
            self._origins = frozenset(settings.server.allowed_origins)
            self._origins_for = settings
        return self._origins

    def record(self, event: str, **fields: Any) -> None:
        if self.routing_log is not None:
            self.routing_log.write(event, **fields)


def error_response(
    status: int,
    message: str,
    *,
    code: str,
    error_type: str = "invalid_request_error",
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    body = openai_error(message, error_type, code)
    return web.json_response(body, status=status, headers=headers)


class RequestRejected(Exception):
    """Raised by a handler step to answer at once with `response`."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def reject(status: int, message: str, *, code: str) -> RequestRejected:
    return RequestRejected(error_response(status, message, code=code))


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except RequestRejected as exc:
        return exc.response
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_response(exc.status, exc.reason, code=exc.reason.lower().replace(" ", "_"))
    except Exception:
        log.exception("handler_error", path=request.path)
        return error_response(
            500,
            "internal proxy error (see the service log)",
            code="server_error",
            error_type="server_error",
        )


def upstream_error_response(exc: UpstreamError, headers: dict[str, str]) -> web.Response:
    if exc.retry_after:
        headers["Retry-After"] = exc.retry_after
    return web.json_response(exc.body(), status=exc.status, headers=headers)


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object, or an HTTP error in OpenAI's error shape."""
    try:
        raw = await read_body(request, request.app[STATE].store.current().server.max_body_bytes)
    except BodyRefused as exc:
        raise refused(exc) from None
    try:
        body = jsonfast.loads(raw)
    except ValueError as exc:
        raise reject(400, f"request body is not valid JSON: {exc}", code="invalid_json") from None
    if not isinstance(body, dict):
        raise reject(400, "request body must be a JSON object", code="invalid_json")
    return body


def refused(exc: BodyRefused) -> RequestRejected:
    # The connection is not kept: the rest of a refused body may still be on its way.
    response = error_response(exc.status, exc.message, code=exc.code, headers=exc.headers)
    response.force_close()
    return RequestRejected(response)


def route_headers(slug: str, reason: str | None, request_id: str) -> dict[str, str]:
    headers = {"x-autorouter-model": slug, "x-request-id": request_id}
    if reason:
        headers["x-autorouter-reason"] = reason
    return headers


async def plan_request(
    state: AppState,
    body: dict[str, Any],
    request: web.Request,
    request_id: str,
    *,
    compaction: bool = False,
) -> RoutePlan:
    client = current_client()
    requested = body.get("model")
    if client is not None and client.models and requested not in client.models:
        raise reject(
            403, f"client {client.name!r} may not use model {requested!r}", code="model_not_allowed"
        )
    try:
        plan = await state.dispatcher.plan(body, request.headers, compaction=compaction)
    except UnknownModel as exc:
        raise reject(404, str(exc), code="model_not_found") from None
    except NoEligibleCandidate as exc:
        raise reject(
            400, f"Auto routing found no eligible model: {exc}", code="no_eligible_model"
        ) from None
    if plan.decision is not None:
        fields = plan.decision.log_fields()
        if plan.task is not None:
            fields["thread"] = plan.task.thread or plan.task.session
        state.metrics.observe_decision(fields)
        state.record(request_id=request_id, **fields)
    return plan


def log_request(
    state: AppState,
    plan: RoutePlan,
    slug: str,
    request_id: str,
    started: float,
    *,
    status: str | int,
    usage: Mapping[str, Any] | None,
    error: str | None,
    first_output: float | None = None,
) -> None:
    """The request's record: the service log, the routing log, the ledger, the metrics.
    `first_output` (a `perf_counter` time) is when a stream's first bytes went out."""
    settings = state.store.current()
    counts = usage_counts(usage)
    model = settings.model(slug)
    fields: dict[str, Any] = {
        "request_id": request_id,
        "requested": plan.requested,
        "slug": slug,
        "upstream_model": model.model if model else None,
        "task": plan.task.value if plan.task else None,
        "status": status,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        **counts,
        "cost_usd": cost_usd(settings, slug, counts),
    }
    if first_output is not None:
        fields["ttft_ms"] = round((first_output - started) * 1000, 1)
    if error:
        fields["error"] = error
    state.clients.charge(fields)
    state.ledger.record(fields)
    log.info("request", **fields)
    state.metrics.observe_request(fields)
    if state.dispatcher.learning is not None:
        state.dispatcher.learning.observe_request(fields)
    state.record("request", **fields)


def failed_before_stream(
    state: AppState, plan: RoutePlan, request_id: str, started: float, exc: UpstreamError
) -> web.Response:
    """Log and answer an upstream error that came before any byte of an answer."""
    slug = plan.slugs[0]
    log_request(
        state, plan, slug, request_id, started, status=exc.status, usage=None, error=exc.code
    )
    return upstream_error_response(exc, route_headers(slug, plan.reason, request_id))
