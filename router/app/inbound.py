"""Anthropic Messages and chat-completions clients (Claude Code, SDKs, editors).

`POST /v1/messages`, `POST /v1/messages/count_tokens` and `POST /v1/chat/completions`
enter through the same task identity, route decision and routing log as `/v1/responses`:
the request is translated into a Responses body (`adapters.inbound`), which the Auto
router classifies and any adapter can serve; the answer is written back in the client's
dialect. A target that speaks the client's own dialect gets the client's body passed
through instead (`Dispatcher.open_in_dialect`).

This module only registers the routes and the passthrough adapters. The handlers
(`router.app.inbound_handlers`) and the translators are imported on the first request to one
of these routes: a proxy that only Codex talks to never loads them (start-up time,
resident memory).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from router.app.exchange import STATE

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PASSTHROUGH_ADAPTERS = {
    "anthropic": "adapters.inbound.passthrough:AnthropicPassthrough",
    "chat": "adapters.inbound.passthrough:ChatPassthrough",
}
"""Upstream kind -> where the adapter lives that passes a client of that kind's own
dialect through to it."""


def register_inbound(app: web.Application) -> None:
    """Routes for Anthropic and chat clients, and their passthrough adapters."""
    upstreams = app[STATE].upstreams
    # The passthrough adapters answer in the client's dialect, not with Responses events:
    # only these handlers ask for them (through `native`).
    for kind, spec in PASSTHROUGH_ADAPTERS.items():
        upstreams.register_passthrough(kind, spec)
    app.router.add_post("/v1/messages", _imported_on_first_request("handle_messages"))
    app.router.add_post(
        "/v1/messages/count_tokens", _imported_on_first_request("handle_count_tokens")
    )
    app.router.add_post("/v1/chat/completions", _imported_on_first_request("handle_chat"))


def _imported_on_first_request(name: str) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        from router.app import inbound_handlers

        handler: Handler = getattr(inbound_handlers, name)
        return await handler(request)

    return handle
