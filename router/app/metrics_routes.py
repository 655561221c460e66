"""`GET /metrics`, and the middleware that tells the metrics which front door a request
came in on and how many are in flight."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from router.telemetry.metrics import CONTENT_TYPE, ENDPOINTS, Metrics, current_endpoint

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")


def metrics_middleware(metrics: Metrics) -> Middleware:
    inflight = metrics.inflight

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        endpoint = ENDPOINTS.get(request.path)
        if endpoint is None:
            return await handler(request)
        # Set in this request's own task: the handler's records read it back.
        current_endpoint.set(endpoint)
        inflight.inc()
        try:
            return await handler(request)
        finally:
            inflight.dec()

    return middleware


async def handle_metrics(request: web.Request) -> web.Response:
    body = request.app[METRICS].exposition()
    response = web.Response(body=body, headers={"Cache-Control": "no-store"})
    response.content_type = CONTENT_TYPE.split(";")[0]
    response.charset = "utf-8"
    return response


def register_metrics(app: web.Application, metrics: Metrics) -> None:
    app[METRICS] = metrics
    app.router.add_get("/metrics", handle_metrics)
