"""Graceful shutdown: let in-flight requests finish, then end the rest in a way Codex retries.

On SIGTERM the daemon calls `runner.cleanup()`, which stops the listening sockets (new
connections are refused) and closes idle keep-alive connections, then runs the
application's `on_shutdown` hooks. Our hook, `InFlight.drain`, waits up to the grace
period for the requests still running. Whatever is left after that is cancelled with
`ending` set: a stream then ends with `response.failed` (code `server_error`, which
Codex retries, against the restarted proxy), and a request that has not answered yet
gets a 503 in OpenAI's error shape. Cutting the connection instead would also make Codex
retry, but only after its idle timeout, and it would not say why.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING

from adapters.base import openai_error
from router.telemetry.logs import get_logger

if TYPE_CHECKING:
    # aiohttp is imported where it is used: the daemon reads DEFAULT_GRACE for quick
    # commands that never start a server.
    from aiohttp import web
    from aiohttp.typedefs import Middleware

log = get_logger("autorouter.shutdown")

DEFAULT_GRACE = 20.0
"""Seconds in-flight requests get to finish after SIGTERM."""

SHUTDOWN_MESSAGE = "proxy shutting down"

_ENDING_TIMEOUT = 5.0
"""How long cancelled requests get to write their last bytes once the grace is over."""


class InFlight:
    """The handler tasks of the requests being served."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self.ending = False
        """The grace period is over: a cancellation now means "end this request"."""

    def __len__(self) -> int:
        return len(self._tasks)

    @contextlib.contextmanager
    def track(self) -> Iterator[None]:
        """Count the current task as in flight until the block exits."""
        task = asyncio.current_task()
        if task is None:  # not inside a task (never the case under aiohttp)
            yield
            return
        self._tasks.add(task)
        self._idle.clear()
        try:
            yield
        finally:
            self._tasks.discard(task)
            if not self._tasks:
                self._idle.set()

    def ended_by_shutdown(self) -> bool:
        """Whether the cancellation being handled is the end of the grace period.

        If so it is consumed, so the handler can still write its ending."""
        task = asyncio.current_task()
        if not self.ending or task is None:
            return False
        task.uncancel()
        return True

    async def drain(self, grace: float) -> int:
        """Wait up to `grace` seconds for every request to finish, then cancel the rest
        and give them a moment to write their ending. Returns how many were cut short."""
        log.info("draining", in_flight=len(self._tasks), grace_seconds=grace)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace)
        left = list(self._tasks)
        if not left:
            return 0
        self.ending = True
        log.warning("ending_requests_after_grace", count=len(left))
        for task in left:
            task.cancel(SHUTDOWN_MESSAGE)
        await asyncio.wait(left, timeout=_ENDING_TIMEOUT)
        return len(left)


def shutdown_response() -> web.Response:
    """The answer for a request that had not started its reply when the grace ran out."""
    from aiohttp import web

    body = openai_error(SHUTDOWN_MESSAGE, "server_error", "server_error")
    # 503 is retried by Codex; Connection: close because this server is going away.
    return web.json_response(body, status=503, headers={"Connection": "close"})


Handler = Callable[["web.Request"], Awaitable["web.StreamResponse"]]


def in_flight_middleware(in_flight: InFlight) -> Middleware:
    """Track every request, and answer the ones cut short by shutdown with a 503."""
    from aiohttp import web

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        with in_flight.track():
            try:
                return await handler(request)
            except asyncio.CancelledError:
                if not in_flight.ended_by_shutdown():
                    raise
                return shutdown_response()

    return middleware
