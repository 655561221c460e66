"""`MockCodexBackend`: the ChatGPT Codex backend and its auth server, on loopback.

    POST /backend-api/codex/responses           SSE, with x-codex-* rate-limit headers
    POST /backend-api/codex/responses/compact   {"output": [compaction item]}
    GET  /backend-api/codex/models              {"models": [ModelInfo, ...]}
    GET  /api/accounts/v1/user-auth-credential/whoami
                                                the auth API: {"chatgpt_account_id", ...}
    POST /oauth/token                           refresh_token grant (each works once)

Accounts are registered by token (`add_account`); a request is refused with 401 unless
its bearer token is known and unexpired and its `chatgpt-account-id` matches. Refusals
can be scripted per token (`refuse`), replies globally (`script`, the same `Text` /
`ToolCall` vocabulary as `MockUpstream`, rendered by its Responses persona), and a reply
can fail after it has started (`FailMidStream`). `whoami_status` makes the auth API
answer that status to everyone (an outage). Every request is recorded.

    async with MockCodexBackend() as backend:
        token = backend.add_account("acct-1")
        backend.refuse(token, resets_in_seconds=600)
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

from examples.mockupstream import responses
from examples.mockupstream.replies import Content, Text, Usage

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"


def make_jwt(
    exp: float, account_id: str | None = None, email: str | None = None, **claims: Any
) -> str:
    """An unsigned JWT shaped like a ChatGPT access token."""
    payload: dict[str, Any] = {"exp": int(exp), **claims}
    if account_id is not None:
        payload["https://api.openai.com/auth"] = {"chatgpt_account_id": account_id}
    if email is not None:
        payload["email"] = email

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}.c2ln"


MODEL_INFO: dict[str, Any] = {
    "description": "A Codex model",
    "default_reasoning_level": "medium",
    "supported_reasoning_levels": [
        {"effort": "low", "description": "Fast responses with lighter reasoning"},
        {"effort": "medium", "description": "Balances speed and reasoning depth"},
        {"effort": "high", "description": "Greater reasoning depth for complex problems"},
        {"effort": "xhigh", "description": "Extra high reasoning depth for complex problems"},
    ],
    "shell_type": "shell_command",
    "visibility": "list",
    "supported_in_api": True,
    "priority": 1,
    "upgrade": None,
    "base_instructions": "You are Codex, a coding agent.",
    "supports_reasoning_summaries": True,
    "support_verbosity": True,
    "default_verbosity": "low",
    "apply_patch_tool_type": "freeform",
    "truncation_policy": {"mode": "tokens", "limit": 10000},
    "supports_parallel_tool_calls": True,
    "context_window": 272000,
    "effective_context_window_percent": 95,
    "experimental_supported_tools": [],
    "input_modalities": ["text", "image"],
}
"""A `/models` entry as the backend sends it (Codex's `ModelInfo`), less the slug."""


@dataclass(frozen=True)
class FailMidStream:
    """Start answering with `text`, then end with `response.failed` (`code`)."""

    text: str = "partial answer"
    code: str = "usage_limit_reached"


@dataclass(frozen=True)
class Refusal:
    status: int = 429
    code: str = "usage_limit_reached"
    resets_in_seconds: float | None = None
    message: str = "The usage limit has been reached"


@dataclass
class MockAccount:
    account_id: str
    email: str | None = None
    primary_used: float = 10.0
    primary_reset_after: float = 3600.0
    secondary_used: float = 20.0
    secondary_reset_after: float = 3 * 86400.0
    models: list[str] = field(default_factory=lambda: ["gpt-5.5-codex", "gpt-5.5"])
    model_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per model, the `/models` fields that differ from `MODEL_INFO`."""


@dataclass(frozen=True)
class CodexRecord:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    token: str | None


class MockCodexBackend:
    def __init__(self) -> None:
        self.requests: list[CodexRecord] = []
        self.refresh_requests: list[dict[str, Any]] = []
        self.refresh_delay = 0.0
        """Seconds the token endpoint waits before answering (widens races in tests)."""
        self.turn_state: str | None = None
        """Sent as `x-codex-turn-state` on every streamed answer when set."""
        self.whoami_status: int | None = None
        """When set, the auth API's whoami answers this status to every token."""
        self._accounts: dict[str, MockAccount] = {}
        self._refresh: dict[str, str] = {}
        self._refusals: dict[str, deque[Refusal]] = {}
        self._replies: deque[Content | FailMidStream] = deque()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> MockCodexBackend:
        app = web.Application()
        app.router.add_post("/backend-api/codex/responses", self._responses)
        app.router.add_post("/backend-api/codex/responses/compact", self._compact)
        app.router.add_get("/backend-api/codex/models", self._models)
        app.router.add_get("/api/accounts/v1/user-auth-credential/whoami", self._whoami)
        app.router.add_post("/oauth/token", self._token)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> MockCodexBackend:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/backend-api/codex"

    @property
    def authapi_base_url(self) -> str:
        """What `CODEX_AUTHAPI_BASE_URL` is set to for this mock."""
        return f"{self.origin}/api/accounts"

    @property
    def token_url(self) -> str:
        return f"{self.origin}/oauth/token"

    # -- scripting -------------------------------------------------------------------

    def add_account(self, account_id: str, token: str | None = None, **fields: Any) -> str:
        """Register an account; returns its access token (an hour-long JWT by default)."""
        token = token or make_jwt(time.time() + 3600, account_id, fields.get("email"))
        self._accounts[token] = MockAccount(account_id, **fields)
        return token

    def account(self, token: str) -> MockAccount:
        return self._accounts[token]

    def allow_refresh(self, refresh_token: str, account_id: str) -> None:
        """The token endpoint will trade `refresh_token` for a new login of `account_id`."""
        self._refresh[refresh_token] = account_id

    def refuse(self, token: str, times: int = 1, **refusal: Any) -> None:
        """The next `times` responses requests with `token` are refused."""
        queue = self._refusals.setdefault(token, deque())
        queue.extend(Refusal(**refusal) for _ in range(times))

    def script(self, *replies: Content | FailMidStream) -> None:
        self._replies.extend(replies)

    def requests_to(self, suffix: str) -> list[CodexRecord]:
        return [r for r in self.requests if r.path.endswith(suffix)]

    # -- handlers --------------------------------------------------------------------

    async def _record(self, request: web.Request) -> CodexRecord:
        body: dict[str, Any] = {}
        if request.can_read_body:
            body = await request.json()
        auth = request.headers.get("authorization", "")
        record = CodexRecord(
            request.path,
            {k.lower(): v for k, v in request.headers.items()},
            body,
            auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None,
        )
        self.requests.append(record)
        return record

    def _authorized(self, record: CodexRecord) -> MockAccount | None:
        account = self._accounts.get(record.token or "")
        if account is None:
            return None
        claims = _claims(record.token or "")
        if isinstance(claims.get("exp"), int) and claims["exp"] <= time.time():
            return None
        if record.headers.get("chatgpt-account-id") != account.account_id:
            return None
        return account

    def _limit_headers(self, account: MockAccount) -> dict[str, str]:
        return {
            "x-codex-primary-used-percent": str(account.primary_used),
            "x-codex-primary-window-minutes": "300",
            "x-codex-primary-reset-after-seconds": str(int(account.primary_reset_after)),
            "x-codex-secondary-used-percent": str(account.secondary_used),
            "x-codex-secondary-window-minutes": "10080",
            "x-codex-secondary-reset-after-seconds": str(int(account.secondary_reset_after)),
        }

    async def _responses(self, request: web.Request) -> web.StreamResponse:
        record = await self._record(request)
        account = self._authorized(record)
        if account is None:
            return _error(401, "invalid_token", "Your authentication token is invalid.")
        refusals = self._refusals.get(record.token or "")
        if refusals:
            refusal = refusals.popleft()
            error: dict[str, Any] = {
                "type": refusal.code,
                "code": refusal.code,
                "message": refusal.message,
            }
            if refusal.resets_in_seconds is not None:
                error["resets_in_seconds"] = refusal.resets_in_seconds
            return web.json_response(
                {"error": error}, status=refusal.status, headers=self._limit_headers(account)
            )
        model = str(record.body.get("model", ""))
        items = record.body.get("input")
        if isinstance(items, list) and items and items[-1].get("type") == "compaction_trigger":
            frames = _compaction_frames(model)
        else:
            reply = self._replies.popleft() if self._replies else Text("ok from the codex backend")
            frames = _frames(reply, model)
        headers = {"content-type": "text/event-stream", **self._limit_headers(account)}
        if self.turn_state is not None:
            headers["x-codex-turn-state"] = self.turn_state
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        for frame in frames:
            await response.write(frame)
        await response.write_eof()
        return response

    async def _compact(self, request: web.Request) -> web.Response:
        record = await self._record(request)
        if self._authorized(record) is None:
            return _error(401, "invalid_token", "Your authentication token is invalid.")
        item = {"type": "compaction", "id": f"cmp_{uuid.uuid4().hex}", "encrypted_content": "mock"}
        return web.json_response({"output": [item]})

    async def _models(self, request: web.Request) -> web.Response:
        record = await self._record(request)
        account = self._authorized(record)
        if account is None:
            return _error(401, "invalid_token", "Your authentication token is invalid.")
        models = [
            {**MODEL_INFO, "slug": name, "display_name": name, **account.model_info.get(name, {})}
            for name in account.models
        ]
        return web.json_response({"models": models})

    async def _whoami(self, request: web.Request) -> web.Response:
        record = await self._record(request)
        if self.whoami_status is not None:
            return _error(self.whoami_status, "unavailable", "whoami is not available")
        account = self._accounts.get(record.token or "")
        if account is None:
            return _error(401, "invalid_token", "Your authentication token is invalid.")
        return web.json_response(
            {
                "email": account.email,
                "chatgpt_user_id": f"user-{account.account_id}",
                "chatgpt_account_id": account.account_id,
                "chatgpt_plan_type": "enterprise",
                "chatgpt_account_is_fedramp": False,
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.refresh_requests.append(body)
        if self.refresh_delay:
            await asyncio.sleep(self.refresh_delay)
        account_id = self._refresh.pop(str(body.get("refresh_token")), None)
        if body.get("client_id") != CLIENT_ID or account_id is None:
            return _error(400, "invalid_grant", "refresh token is invalid or already used")
        access = self.add_account(account_id)
        refresh = f"rt_{uuid.uuid4().hex}"
        self._refresh[refresh] = account_id
        return web.json_response(
            {
                "access_token": access,
                "refresh_token": refresh,
                "id_token": make_jwt(time.time() + 3600, account_id),
            }
        )


def _claims(token: str) -> dict[str, Any]:
    try:
        payload = token.split(".")[1]
        decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response(
        {"error": {"type": code, "code": code, "message": message}}, status=status
    )


def _frames(reply: Content | FailMidStream, model: str) -> list[bytes]:
    if not isinstance(reply, FailMidStream):
        return responses.render_stream(reply, model, Usage())
    # Everything up to the first text delta, then a failure instead of the rest.
    frames = responses.render_stream(Text(reply.text), model, Usage())
    started = next(i for i, f in enumerate(frames) if b"response.output_text.delta" in f)
    failed = {
        "type": "response.failed",
        "response": {
            "id": f"resp_{uuid.uuid4().hex}",
            "object": "response",
            "status": "failed",
            "model": model,
            "output": [],
            "error": {"code": reply.code, "message": "usage limit reached mid-stream"},
        },
    }
    return [*frames[: started + 1], _frame(failed)]


def _compaction_frames(model: str) -> list[bytes]:
    response_id = f"resp_{uuid.uuid4().hex}"
    item = {
        "type": "compaction",
        "id": f"cmp_{uuid.uuid4().hex}",
        "encrypted_content": "mock-summary",
    }
    base = {"id": response_id, "object": "response", "model": model, "output": []}
    return [
        _frame({"type": "response.created", "response": {**base, "status": "in_progress"}}),
        _frame({"type": "response.output_item.done", "output_index": 0, "item": item}),
        _frame(
            {
                "type": "response.completed",
                "response": {**base, "status": "completed", "output": [item], "usage": None},
            }
        ),
    ]


def _frame(event: dict[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
