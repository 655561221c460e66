"""Who may reach the proxy: the Host allowlist and the Origin rule, before any route.

DNS rebinding: a page on any site can make the browser send requests to 127.0.0.1 under
a DNS name that resolves there. Such a request carries the attacker's name in its Host
header, so anything not on the list is refused.

Cross-site requests: a page on any site can also POST to http://127.0.0.1:8642 itself
(`fetch(url, {method: "POST", mode: "no-cors", body})`, a text/plain body, no preflight)
with a genuine Host header. It cannot read the answer, but the request would spend the
user's keys. Browsers mark such requests: every POST and every cross-origin fetch carries
`Origin`, and `Sec-Fetch-Site` says `cross-site` when the page's site is another. So a
request whose Origin is neither the proxy's own (the scheme and the Host it was sent to)
nor listed in `server.allowed_origins` is refused, and so is any request marked
`Sec-Fetch-Site: cross-site` that does not come from a listed origin. Clients that are not
browsers (Codex, the SDKs, curl, Claude Code) send neither header and are unaffected.

Both answer 403 before a handler, the settings or an upstream is touched, in the error
shape of the endpoint (Anthropic's for `/v1/messages`, OpenAI's elsewhere).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

from adapters.base import anthropic_error, openai_error
from router.settings.origins import normalize_origin
from router.telemetry.logs import get_logger

log = get_logger("autorouter.server")

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


def origin_refusal(
    origin: str | None, fetch_site: str | None, scheme: str, host: str, allowed: frozenset[str]
) -> str | None:
    """Why a request with these headers is refused, or None when it may go on.

    `host` is the request's Host header (already on the allowlist), `allowed` the
    normalized `server.allowed_origins`."""
    if origin is not None:
        key = normalize_origin(origin)
        if key is not None and (key in allowed or key == normalize_origin(f"{scheme}://{host}")):
            return None
        return (
            f"requests from the web page at {origin.strip()[:200]!r} are refused; add its "
            "origin to server.allowed_origins if you really mean that page to use the proxy"
        )
    if fetch_site is not None and fetch_site.strip().lower() == "cross-site":
        return (
            "cross-site requests are refused (Sec-Fetch-Site: cross-site); open the proxy's "
            "pages directly"
        )
    return None


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def request_guard_middleware(
    hosts: Callable[[], frozenset[str]],
    origins: Callable[[], frozenset[str]],
) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        headers = request.headers
        host = headers.get("Host")
        if host is None or host_name(host) not in hosts():
            return forbidden(
                request.path,
                "Host header not allowed; add the name to server.allowed_hosts "
                f"or {ALLOWED_HOSTS_ENV} if you really mean to use it",
                "host_not_allowed",
            )
        origin = headers.get("Origin")
        fetch_site = headers.get("Sec-Fetch-Site")
        if origin is not None or fetch_site is not None:
            refusal = origin_refusal(origin, fetch_site, request.scheme, host, origins())
            if refusal is not None:
                # Who tried is worth a line: a user's own tool listed nowhere, or a page.
                log.warning(
                    "request_refused",
                    path=request.path,
                    origin=(origin or "")[:200],
                    sec_fetch_site=fetch_site,
                )
                return forbidden(request.path, refusal, "origin_not_allowed")
        return await handler(request)

    return middleware


def forbidden(path: str, message: str, code: str) -> web.Response:
    if path.startswith("/v1/messages"):
        body = anthropic_error("permission_error", message)
    else:
        body = openai_error(message, "forbidden", code)
    response = web.json_response(body, status=403)
    # A refused request's body is not read: the connection is not kept for another.
    response.force_close()
    return response
