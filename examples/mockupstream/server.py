"""`MockUpstream`: one loopback aiohttp server playing any number of upstream models.

The model is picked by the request body's `model`; the dialect by the path:

    POST /v1/chat/completions          OpenAI chat completions
    POST /v1/messages                  Anthropic Messages
    POST /v1/responses                 Responses API (what Codex itself speaks)
    POST /backend-api/codex/responses  the ChatGPT Codex backend (same persona)
    GET  /v1/models                    the models named in scripts and handlers
    GET  /api/tags                     the same, as Ollama lists its local models

Every request is recorded before it is answered. Each reply is rendered to encoded
frames before the first byte, so the per-event path is a write (plus an optional
pause); a 200-delta stream costs 200 writes, not 200 JSON encodings.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from examples.mockupstream import anthropic, chat, chat_rules, responses
from examples.mockupstream.replies import (
    Content,
    Faults,
    Handler,
    HttpError,
    Reply,
    Usage,
    unwrap,
    usage_for,
)
from examples.mockupstream.script import Script

_SHUTDOWN_TIMEOUT = 1.0
_PAUSE_SLICE = 0.05
"""Long pauses are sliced so a client that leaves during a stall is noticed promptly."""


@dataclass(frozen=True)
class Recorded:
    """One request as the mock received it; header names are lower-cased."""

    path: str
    model: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


@dataclass(frozen=True)
class _Persona:
    render_stream: Callable[[Content, str, Usage, dict[str, Any]], list[bytes]]
    render_json: Callable[[Content, str, Usage, dict[str, Any]], dict[str, Any]]
    last_is_tool_result: Callable[[dict[str, Any]], bool]
    malformed_frame: bytes
    error_frame: Callable[[str, str], bytes]
    """The dialect's own error event for (code, message), sent mid-stream."""
    obeys_rules: bool = False
    """Whether `MockUpstream.enforce` rules apply (chat completions only)."""


def _sse(event: str | None, data: dict[str, Any]) -> bytes:
    head = b"event: " + event.encode() + b"\n" if event else b""
    return head + b"data: " + json.dumps(data).encode() + b"\n\n"


_CHAT = _Persona(
    render_stream=lambda c, m, u, body: chat.render_stream(c, m, u, chat.wants_usage(body)),
    render_json=lambda c, m, u, body: chat.render_json(c, m, u),
    last_is_tool_result=chat.last_is_tool_result,
    malformed_frame=b"data: {this is not json\n\n",
    error_frame=lambda code, message: _sse(
        None, {"error": {"message": message, "type": code, "code": code}}
    ),
    obeys_rules=True,
)
_ANTHROPIC = _Persona(
    render_stream=lambda c, m, u, body: anthropic.render_stream(c, m, u),
    render_json=lambda c, m, u, body: anthropic.render_json(c, m, u),
    last_is_tool_result=anthropic.last_is_tool_result,
    malformed_frame=b"event: content_block_delta\ndata: {this is not json\n\n",
    error_frame=lambda code, message: _sse(
        "error", {"type": "error", "error": {"type": code, "message": message}}
    ),
)
_RESPONSES = _Persona(
    render_stream=lambda c, m, u, body: responses.render_stream(
        c, m, u, responses.offered_functions(body)
    ),
    render_json=lambda c, m, u, body: responses.render_json(
        c, m, u, responses.offered_functions(body)
    ),
    last_is_tool_result=responses.last_is_tool_result,
    malformed_frame=b"event: response.output_text.delta\ndata: {this is not json\n\n",
    error_frame=lambda code, message: _sse(
        "error", {"type": "error", "code": code, "message": message, "param": None}
    ),
)


class _ClientGone(Exception):
    """The client closed the connection while we were pausing."""


class MockUpstream:
    """Scriptable, recording mock of the upstream model APIs.

    `event_delay` paces every streamed event (seconds), e.g. to make a benchmark's
    upstream produce tokens at a realistic rate; `Slow` overrides it per reply.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, event_delay: float = 0.0):
        self.host = host
        self.event_delay = event_delay
        self.requests: list[Recorded] = []
        self.disconnects = 0
        self.streams_completed = 0
        self.open_streams = 0
        self._requested_port = port
        self._port: int | None = None
        self._script = Script()
        self._rules: dict[str, frozenset[str]] = {}
        self._runner: web.AppRunner | None = None

    # -- scripting ------------------------------------------------------------------

    def script(self, model: str, *replies: Reply) -> None:
        """Queue replies for `model`, one consumed per request."""
        self._script.add(model, replies)

    def on(self, model: str, handler: Handler) -> None:
        """Compute replies for `model` (or `"*"`: any model) from the request body."""
        self._script.on(model, handler)

    def enforce(self, model: str, *rules: str) -> None:
        """Make `model`'s chat completions behave like a provider with these rules
        (`chat_rules.DEEPSEEK`, `chat_rules.STRICT`): a request breaking one gets that
        provider's 400, and a DeepSeek-shaped model reasons in every answer."""
        self._rules[model] = frozenset(rules)

    def pending(self, model: str) -> int:
        """Queued replies for `model` not consumed yet."""
        return self._script.pending(model)

    @property
    def models(self) -> list[str]:
        return self._script.models

    # -- recording --------------------------------------------------------------------

    def requests_for(self, model: str) -> list[Recorded]:
        return [r for r in self.requests if r.model == model]

    def clear(self) -> None:
        """Forget recorded requests and counters; scripts and handlers stay."""
        self.requests.clear()
        self.disconnects = 0
        self.streams_completed = 0

    def reset(self) -> None:
        """`clear()` and also drop every queued reply, handler and enforced rule."""
        self.clear()
        self._script.reset()
        self._rules.clear()

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("MockUpstream is not started")
        return self._port

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """OpenAI-style base URL (chat completions and Responses live under it)."""
        return f"{self.root_url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """Anthropic SDK style: the SDK appends `/v1/messages` itself."""
        return self.root_url

    @property
    def codex_base_url(self) -> str:
        return f"{self.root_url}/backend-api/codex"

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._persona_handler(_CHAT))
        app.router.add_post("/v1/messages", self._persona_handler(_ANTHROPIC))
        app.router.add_post("/v1/responses", self._persona_handler(_RESPONSES))
        app.router.add_post("/backend-api/codex/responses", self._persona_handler(_RESPONSES))
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_get("/api/tags", self._ollama_tags)
        return app

    async def start(self) -> None:
        # A mock owes nobody a graceful drain: a stalled stream must not hold up stop().
        self._runner = web.AppRunner(
            self.make_app(), access_log=None, shutdown_timeout=_SHUTDOWN_TIMEOUT
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self._requested_port).start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> MockUpstream:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- handlers -----------------------------------------------------------------------

    async def _list_models(self, request: web.Request) -> web.Response:
        self._record(request, "", {})
        data = [
            {"id": name, "object": "model", "created": 0, "owned_by": "mockupstream"}
            for name in self.models
        ]
        return web.json_response({"object": "list", "data": data})

    async def _ollama_tags(self, request: web.Request) -> web.Response:
        self._record(request, "", {})
        models = [
            {
                "name": name,
                "model": name,
                "modified_at": "2026-01-01T00:00:00Z",
                "size": 0,
                "digest": "0" * 64,
                "details": {"format": "gguf", "family": name.split(":", 1)[0]},
            }
            for name in self.models
        ]
        return web.json_response({"models": models})

    def _persona_handler(
        self, persona: _Persona
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            raw = await request.read()
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if not isinstance(body, dict):
                self._record(request, "", {"_raw": raw[:2000].decode("utf-8", "replace")})
                return _error(400, "request body is not a JSON object")
            model = str(body.get("model", ""))
            self._record(request, model, body)
            rules = self._rules.get(model, frozenset()) if persona.obeys_rules else frozenset()
            refused = chat_rules.rejection(rules, body) if rules else None
            if refused is not None:
                return web.json_response(refused.body, status=refused.status)
            reply = self._script.next_reply(model, body, persona.last_is_tool_result(body))
            content, faults = unwrap(reply)
            if rules and not isinstance(content, HttpError):
                content = chat_rules.with_reasoning(content, rules, len(self.requests))
            if isinstance(content, HttpError):
                return web.json_response(
                    content.body, status=content.status, headers=content.headers
                )
            usage = usage_for(content, len(raw))
            if body.get("stream"):
                frames = persona.render_stream(content, model, usage, body)
                return await self._stream(request, frames, faults, persona)
            return await self._respond_once(
                request, persona.render_json(content, model, usage, body), faults
            )

        return handle

    def _record(self, request: web.Request, model: str, body: dict[str, Any]) -> None:
        self.requests.append(
            Recorded(
                path=request.path,
                model=model,
                headers={name.lower(): value for name, value in request.headers.items()},
                body=body,
                at=time.time(),
            )
        )

    async def _respond_once(
        self, request: web.Request, payload: dict[str, Any], faults: Faults
    ) -> web.StreamResponse:
        """A non-streamed answer; the stream faults map onto the single body."""
        pause = faults.delay_per_event or self.event_delay
        if faults.stall_after is not None:
            pause += faults.stall_seconds
        if pause:
            await asyncio.sleep(pause)
        if faults.cut_after is not None:
            _drop(request)
            return web.Response()
        if faults.malformed_after is not None:
            return web.Response(text='{"id": "truncated', content_type="application/json")
        return web.json_response(payload)

    async def _stream(
        self, request: web.Request, frames: list[bytes], faults: Faults, persona: _Persona
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        delay = faults.delay_per_event or self.event_delay
        self.open_streams += 1
        try:
            await response.prepare(request)
            for sent, frame in enumerate(frames):
                if sent == faults.cut_after:
                    _drop(request)
                    return response
                if sent == faults.malformed_after:
                    await response.write(persona.malformed_frame)
                if sent == faults.error_after:
                    await response.write(persona.error_frame(*faults.error))
                    break
                if sent == faults.stall_after:
                    await _pause(request, faults.stall_seconds)
                if delay:
                    await _pause(request, delay)
                await response.write(frame)
            if faults.cut_after is not None:
                _drop(request)
                return response
            await response.write_eof()
            self.streams_completed += 1
        except (ConnectionError, _ClientGone):
            self.disconnects += 1
        except asyncio.CancelledError:
            self.disconnects += 1
            raise
        finally:
            self.open_streams -= 1
        return response


def _error(status: int, message: str) -> web.Response:
    return web.json_response(
        {"error": {"type": "invalid_request_error", "message": message}}, status=status
    )


def _drop(request: web.Request) -> None:
    """Close the connection without finishing the response (no terminal chunk)."""
    transport = request.transport
    if transport is not None:
        transport.abort()


async def _pause(request: web.Request, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        transport = request.transport
        if transport is None or transport.is_closing():
            raise _ClientGone
        remaining = deadline - loop.time()
        if remaining <= 0:
            return
        await asyncio.sleep(min(remaining, _PAUSE_SLICE))
