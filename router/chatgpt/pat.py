"""Personal access tokens for the ChatGPT Codex backend (headless machines).

Where the token comes from, and the refusal of `sk-` keys, is `router.chatgpt.token_source`.

The backend also wants the account id. It comes from `$CODEX_ACCOUNT_ID`, else a cache
in memory, else a cache on disk keyed by the token's SHA-256 (the state dir's
`codex-account-ids.json`, mode 0600: no token is ever written there), else the auth API's
whoami, as Codex itself asks it: `GET {$CODEX_AUTHAPI_BASE_URL, default
https://auth.openai.com/api/accounts}/v1/user-auth-credential/whoami` with the token as
bearer, reading `chatgpt_account_id`, then `account_id` (asked once per token;
`$CODEX_WHOAMI_URL` replaces the whole address), else auth.json's `tokens.account_id`.

When the backend refuses a token (401 or 403), whoami is asked again to tell why, and the
error starts with a `[category]` token that scripts can match:
`[provider_auth_invalid]` (whoami refuses it too: expired or revoked, mint a new one),
`[provider_access_denied]` (whoami knows its account: the token is fine, this workspace
or model is not allowed) or `[provider_auth_undetermined]` (whoami gave no clear answer).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from adapters.base import UpstreamError
from router.chatgpt.login import HttpFactory, read_json_object, write_json_object
from router.telemetry.logs import get_logger

log = get_logger("autorouter.codex_pat")

ACCOUNT_ID_ENV = "CODEX_ACCOUNT_ID"
WHOAMI_URL_ENV = "CODEX_WHOAMI_URL"
AUTHAPI_BASE_URL_ENV = "CODEX_AUTHAPI_BASE_URL"
DEFAULT_AUTHAPI_BASE_URL = "https://auth.openai.com/api/accounts"
WHOAMI_PATH = "/v1/user-auth-credential/whoami"
ACCOUNT_ID_CACHE = "codex-account-ids.json"

AUTH_INVALID = "provider_auth_invalid"
ACCESS_DENIED = "provider_access_denied"
AUTH_UNDETERMINED = "provider_auth_undetermined"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def whoami_url(environ: Mapping[str, str]) -> str:
    """The auth API's whoami, where Codex itself resolves a token's account."""
    explicit = environ.get(WHOAMI_URL_ENV, "").strip()
    if explicit:
        return explicit
    base = environ.get(AUTHAPI_BASE_URL_ENV, "").strip().rstrip("/")
    return (base or DEFAULT_AUTHAPI_BASE_URL) + WHOAMI_PATH


def _account_id_in(answer: Any) -> str | None:
    if not isinstance(answer, Mapping):
        return None
    for key in ("chatgpt_account_id", "account_id"):
        if isinstance(answer.get(key), str) and answer[key]:
            return str(answer[key])
    return None


@dataclass(frozen=True, slots=True)
class Whoami:
    """What whoami said: its HTTP status (None when it did not answer) and account id."""

    status: int | None
    account_id: str | None = None

    @property
    def refused(self) -> bool:
        return self.status in (401, 403)

    def category(self) -> str:
        """Why the backend refused a token whoami was asked about right after."""
        if self.refused:
            return AUTH_INVALID
        if self.status == 200 and self.account_id:
            return ACCESS_DENIED
        return AUTH_UNDETERMINED

    def describe(self) -> str:
        return "no answer" if self.status is None else f"HTTP {self.status}"


class AccountIdResolver:
    """The account id for a personal access token, looked up as rarely as possible."""

    def __init__(
        self,
        environ: Mapping[str, str],
        cache_path: Path,
        auth_path: Path,
        http: HttpFactory,
    ) -> None:
        self._environ = environ
        self._cache_path = cache_path
        self._auth_path = auth_path
        self._http = http
        self._memory: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def account_id(self, token: str) -> str | None:
        explicit = self._environ.get(ACCOUNT_ID_ENV, "").strip()
        if explicit:
            return explicit
        digest = token_digest(token)
        if digest in self._memory:
            return self._memory[digest]
        async with self._lock:
            if digest in self._memory:
                return self._memory[digest]
            found = self._from_disk(digest) or await self._resolve(token)
            if found is not None:
                self._memory[digest] = found
                self._to_disk(digest, found)
                return found
        tokens = (read_json_object(self._auth_path) or {}).get("tokens")
        if isinstance(tokens, Mapping) and isinstance(tokens.get("account_id"), str):
            return str(tokens["account_id"])
        return None

    def _from_disk(self, digest: str) -> str | None:
        cached = (read_json_object(self._cache_path) or {}).get(digest)
        return cached if isinstance(cached, str) and cached else None

    def _to_disk(self, digest: str, account_id: str) -> None:
        data = read_json_object(self._cache_path) or {}
        if data.get(digest) == account_id:
            return
        data[digest] = account_id
        write_json_object(self._cache_path, data)

    async def _resolve(self, token: str) -> str | None:
        answer = await self.whoami(token)
        if answer.refused:
            raise pat_refusal(answer, None)
        if answer.account_id is None:
            log.warning("codex_whoami_failed", status=answer.status)
        return answer.account_id

    async def whoami(self, token: str) -> Whoami:
        """Ask the auth API about `token` now (no cache): for a refusal's cause."""
        url = whoami_url(self._environ)
        try:
            async with self._http(url) as client:
                response = await client.get(
                    url, headers={"authorization": f"Bearer {token}"}, timeout=15.0
                )
        except httpx.HTTPError as exc:
            log.warning("codex_whoami_failed", error=type(exc).__name__)
            return Whoami(None)
        if response.status_code != 200:
            return Whoami(response.status_code)
        try:
            return Whoami(200, _account_id_in(response.json()))
        except ValueError:
            return Whoami(200)


def pat_refusal(whoami: Whoami, backend_status: int | None) -> UpstreamError:
    """The error for a refused personal access token: `[category]` first, never the token."""
    refused = (
        f"the backend answered HTTP {backend_status}" if backend_status else "before any request"
    )
    category = whoami.category()
    if category == AUTH_INVALID:
        return UpstreamError(
            401,
            "invalid_api_key",
            f"[{AUTH_INVALID}] the personal access token was refused ({refused}; the auth "
            f"API's whoami answered {whoami.describe()}): it has expired or been revoked. A "
            "token cannot be refreshed: mint a new token and set $CODEX_ACCESS_TOKEN to it "
            "(or add it with `autorouter accounts add --token-env VAR`)",
            error_type="authentication_error",
            fallback_ok=True,
        )
    if category == ACCESS_DENIED:
        return UpstreamError(
            403,
            "access_denied",
            f"[{ACCESS_DENIED}] the personal access token is valid (whoami knows its "
            f"account) but the Codex backend refused it ({refused}): this workspace or "
            "account may not use Codex, or not this model. A new token will not help: a "
            "workspace admin must grant Codex access, or pick another model",
            error_type="permission_error",
            fallback_ok=True,
        )
    return UpstreamError(
        backend_status or 401,
        "invalid_api_key",
        f"[{AUTH_UNDETERMINED}] the Codex backend refused the personal access token "
        f"({refused}) and the auth API could not say why (whoami: {whoami.describe()}). "
        "Retry; if it persists, check that $CODEX_ACCESS_TOKEN is a current token and that "
        "the account has Codex access",
        error_type="authentication_error",
        fallback_ok=True,
    )


class PatCredential:
    """A personal access token, with its account id resolved on first use."""

    def __init__(self, member: str, token: str, resolver: AccountIdResolver) -> None:
        self.member = member
        self._token = token
        self._resolver = resolver

    def __repr__(self) -> str:
        return f"PatCredential(member={self.member!r})"

    async def authorization(self) -> tuple[str, str | None]:
        return self._token, await self._resolver.account_id(self._token)

    async def refused(self, status: int, message: str) -> UpstreamError | None:
        """The backend refused the token: whoami, asked afresh, tells why."""
        if status not in (401, 403):
            return None
        return pat_refusal(await self._resolver.whoami(self._token), status)
