"""The dashboard: `GET /dashboard` (the page) and `GET /api/dashboard` (its numbers).

The page is served by the proxy and draws its charts itself as inline SVG: nothing is
fetched from anywhere else, so it works offline. Its numbers are the routing log's,
summarised by `router.telemetry.summary` exactly as `autorouter stats` does. The data
answers only with the per-process token the page carries (the picker's token), so
another site's page can neither read it nor guess it; the Host rules stand in front.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from aiohttp import web

from router.app.exchange import AppState
from router.app.picker import TOKEN_HEADER, Picker
from router.telemetry.log_reader import LogTail
from router.telemetry.summary import parse_duration, summarize

DASHBOARD: web.AppKey[Dashboard] = web.AppKey("dashboard")
DEFAULT_WINDOW = "24h"


class Dashboard:
    def __init__(self, state: AppState, picker: Picker) -> None:
        self.state = state
        self.picker = picker
        log = state.routing_log
        self.tail = LogTail(log.path) if log is not None else None
        self.template = (
            resources.files("router.app").joinpath("dashboard.html").read_text(encoding="utf-8")
        )
        # One refresh reads the log at a time; the others wait for its result.
        self._lock = asyncio.Lock()

    async def summary(self, window: str) -> dict[str, Any]:
        now = datetime.now(UTC)
        since = now - parse_duration(window)
        async with self._lock:
            records = await asyncio.to_thread(self.tail.records) if self.tail else []
        data = summarize(records, self.state.store.current(), since=since, now=now)
        data["routing_log"] = str(self.tail.path) if self.tail else None
        learning = self.state.dispatcher.learning
        data["feedback"] = learning is not None
        if learning is not None and data["tasks"]:
            known = await learning.outcomes([task["task"] for task in data["tasks"]])
            for task in data["tasks"]:
                task["outcome"] = known.get(task["task"])
        return data


def _error(status: int, message: str, code: str) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": "invalid_request_error", "code": code}},
        status=status,
    )


async def handle_page(request: web.Request) -> web.Response:
    dashboard = request.app[DASHBOARD]
    nonce = secrets.token_urlsafe(16)
    page = dashboard.template.replace("__TOKEN__", dashboard.picker.token).replace(
        "__NONCE__", nonce
    )
    return web.Response(
        text=page,
        content_type="text/html",
        headers={
            "Content-Security-Policy": (
                f"default-src 'none'; script-src 'nonce-{nonce}'; "
                "style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
                "frame-ancestors 'none'"
            ),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def handle_data(request: web.Request) -> web.Response:
    dashboard = request.app[DASHBOARD]
    if not dashboard.picker.token_ok(request.headers.get(TOKEN_HEADER)):
        return _error(403, "missing or wrong token; open the /dashboard page", "bad_token")
    try:
        data = await dashboard.summary(request.query.get("since", DEFAULT_WINDOW))
    except ValueError as exc:
        return _error(400, str(exc), "bad_window")
    return web.json_response(data, headers={"Cache-Control": "no-store"})


async def handle_feedback(request: web.Request) -> web.Response:
    """`POST /api/feedback {"task": ID or null for the latest, "verdict": "good"|"bad"}`.

    The dashboard sends the page's token. A client that is not a browser page (an editor,
    a script: no `Origin`) may call it without one; a page of another site cannot, since
    its requests carry an `Origin`."""
    from router.learning.store import OutcomeStoreError, UnknownTask

    dashboard = request.app[DASHBOARD]
    browser = "Origin" in request.headers or "Sec-Fetch-Site" in request.headers
    if browser and not dashboard.picker.token_ok(request.headers.get(TOKEN_HEADER)):
        return _error(403, "missing or wrong token; use the /dashboard page", "bad_token")
    learning = dashboard.state.dispatcher.learning
    if learning is None:
        return _error(
            404, "Auto has decided no task yet, or runs without a routing log", "no_store"
        )
    try:
        body = await request.json()
    except ValueError:
        body = None
    verdict = body.get("verdict") if isinstance(body, dict) else None
    task = body.get("task") if isinstance(body, dict) else None
    if verdict not in ("good", "bad") or not (task is None or isinstance(task, str)):
        return _error(
            400, 'body must be {"task": ID or null, "verdict": "good" or "bad"}', "bad_feedback"
        )
    try:
        record = await learning.feedback(
            task, "pass" if verdict == "good" else "fail", "user", body.get("note")
        )
    except UnknownTask as exc:
        return _error(404, str(exc), "unknown_task")
    except OutcomeStoreError as exc:
        return _error(503, str(exc), "store_unavailable")
    return web.json_response({"task": record.task, "model": record.chosen, "verdict": verdict})


def register_dashboard(app: web.Application, state: AppState, picker: Picker) -> None:
    app[DASHBOARD] = Dashboard(state, picker)
    app.router.add_get("/dashboard", handle_page)
    app.router.add_get("/api/dashboard", handle_data)
    app.router.add_post("/api/feedback", handle_feedback)
