"""Client keys and budgets: who may use a shared gateway, and how much.

With `clients` in the settings, every API request (`/v1/...`) must carry a known key,
as `Authorization: Bearer KEY` (or `x-api-key` on `/v1/messages`, as Anthropic clients
send it); an unknown or missing key gets 401, a client whose budget for the period is
spent gets 429 saying when it renews, both in the endpoint's own error envelope. Pages
outside `/v1` (picker, dashboard, metrics) then answer loopback peers only; `/health`
stays open for load balancers.

Keys are compared by SHA-256 and only ever held as digests here: no key reaches a log
line, the routing log or an error message. The client of the request being served is
in a context variable, so the request log names it and its cost is charged to it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Any

from aiohttp import web

from router.settings import ClientConfig, Settings, SettingsStore
from router.shared.budgets import Budgets, Spent
from router.shared.state import SharedState
from router.telemetry.logs import get_logger

log = get_logger("autorouter.clients")

OPEN_PATHS = frozenset({"/health"})
LOOPBACK_PEERS = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})

_current: ContextVar[ClientConfig | None] = ContextVar("autorouter_client", default=None)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def current_client() -> ClientConfig | None:
    """The client whose request is being served, when `clients` is configured."""
    return _current.get()


class ClientGate:
    def __init__(
        self,
        store: SettingsStore,
        shared: SharedState,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._store = store
        self.budgets = Budgets(shared)
        self._environ = os.environ if environ is None else environ
        self._digests_for: Settings | None = None
        self._digests: list[tuple[str, ClientConfig]] = []
        self._charges: set[asyncio.Future[float]] = set()

    def identify(self, settings: Settings, key: str) -> ClientConfig | None:
        if self._digests_for is not settings:
            self._digests = [
                (digest, client)
                for client in settings.clients
                if (digest := client.key_digest(self._environ)) is not None
            ]
            self._digests_for = settings
        presented = hashlib.sha256(key.encode()).hexdigest()
        for digest, client in self._digests:
            if hmac.compare_digest(digest, presented):
                return client
        return None

    def middleware(self) -> Callable[..., Awaitable[web.StreamResponse]]:
        @web.middleware
        async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            settings = self._store.current()
            if not settings.clients or request.path in OPEN_PATHS:
                return await handler(request)
            if not request.path.startswith("/v1/"):
                if request.remote in LOOPBACK_PEERS:
                    return await handler(request)
                return _refusal(request.path, 401, "this page answers loopback clients only")
            key = _presented_key(request)
            client = self.identify(settings, key) if key else None
            if client is None:
                return _refusal(
                    request.path,
                    401,
                    "a client key is required: send it as Authorization: Bearer KEY"
                    + (" or x-api-key" if request.path.startswith("/v1/messages") else "")
                    if not key
                    else "unknown client key",
                )
            spent = await self.budgets.check(client)
            if spent is not None:
                return _budget_refusal(request.path, spent)
            token = _current.set(client)
            try:
                return await handler(request)
            finally:
                _current.reset(token)

        return middleware

    def charge(self, fields: dict[str, Any]) -> None:
        """Name the current client in a request log line and charge it the cost."""
        client = _current.get()
        if client is None:
            return
        fields["client"] = client.name
        cost = fields.get("cost_usd")
        if isinstance(cost, int | float) and cost > 0:
            charge = asyncio.ensure_future(self.budgets.charge(client, float(cost)))
            self._charges.add(charge)
            charge.add_done_callback(self._charges.discard)

    async def aclose(self) -> None:
        if self._charges:
            await asyncio.gather(*self._charges, return_exceptions=True)


def _presented_key(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if request.path.startswith("/v1/messages"):
        return request.headers.get("x-api-key") or None
    return None


def _refusal(
    path: str, status: int, message: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    if path.startswith("/v1/messages"):
        kind = "authentication_error" if status == 401 else "rate_limit_error"
        body: dict[str, Any] = {"type": "error", "error": {"type": kind, "message": message}}
    else:
        code = "invalid_api_key" if status == 401 else "budget_exhausted"
        kind = "invalid_request_error" if status == 401 else "insufficient_quota"
        body = {"error": {"message": message, "type": kind, "code": code, "param": None}}
    return web.json_response(body, status=status, headers=headers)


def _budget_refusal(path: str, spent: Spent) -> web.Response:
    retry = str(spent.retry_after(time.time()))
    return _refusal(path, 429, spent.message(), {"Retry-After": retry})
