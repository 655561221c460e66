"""The Host-header allowlist that keeps web pages from reaching the proxy.

A page on any site can make the browser send requests to 127.0.0.1 under a DNS name
that resolves there (DNS rebinding). Such a request carries the attacker's name in its
Host header, so anything not on the list is refused with 403 before a handler, the
settings or an upstream is touched.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

ALLOWED_HOSTS_ENV = "AUTOROUTER_ALLOWED_HOSTS"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def host_name(header: str) -> str:
    """The host part of a Host header, lowercased, without the port."""
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        return header[: end + 1] if end != -1 else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def allowed_hosts(bind_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    names = set(LOOPBACK_NAMES)
    names.add(bind_host.lower())
    names.update(name.strip().lower() for name in extra if name.strip())
    names.update(
        name.strip().lower()
        for name in os.environ.get(ALLOWED_HOSTS_ENV, "").split(",")
        if name.strip()
    )
    return frozenset(names)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def host_allowlist_middleware(
    allowed: Callable[[], frozenset[str]],
) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        host = request.headers.get("Host")
        if host is None or host_name(host) not in allowed():
            return web.json_response(
                {
                    "error": {
                        "message": "Host header not allowed; add the name to server.allowed_hosts "
                        f"or {ALLOWED_HOSTS_ENV} if you really mean to use it",
                        "type": "forbidden",
                        "code": "host_not_allowed",
                        "param": None,
                    }
                },
                status=403,
            )
        return await handler(request)

    return middleware
