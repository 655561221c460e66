"""Personal access tokens for the ChatGPT Codex backend (headless machines).

The token is the first non-empty of `$CODEX_ACCESS_TOKEN`, `$CODEX_PAT` and auth.json's
`personal_access_token`. An OpenAI API key (`sk-...`) is refused: it belongs to the
`openai` provider, and the backend would only answer 401.

The backend also wants the account id. It comes from `$CODEX_ACCOUNT_ID`, else a cache
in memory, else a cache on disk keyed by the token's SHA-256 (the state dir's
`codex-account-ids.json`, mode 0600: no token is ever written there), else the backend's
whoami endpoint (asked once per token; `$CODEX_WHOAMI_URL` overrides the address), else
auth.json's `tokens.account_id`.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from adapters.base import UpstreamError
from router.chatgpt.login import (
    CodexAuthError,
    HttpFactory,
    read_json_object,
    write_json_object,
)
from router.telemetry.logs import get_logger

log = get_logger("autorouter.codex_pat")

TOKEN_ENVS = ("CODEX_ACCESS_TOKEN", "CODEX_PAT")
ACCOUNT_ID_ENV = "CODEX_ACCOUNT_ID"
WHOAMI_URL_ENV = "CODEX_WHOAMI_URL"
ACCOUNT_ID_CACHE = "codex-account-ids.json"


def refuse_api_key(token: str, source: str) -> str:
    """`token`, unless it is an OpenAI API key."""
    if token.startswith("sk-"):
        raise CodexAuthError(
            f"{source} holds an OpenAI API key (sk-...), which the ChatGPT Codex backend does "
            'not accept: it belongs to the OpenAI provider; configure it as an "openai" '
            "model in the settings instead, and give Codex a personal access token here"
        )
    return token


def personal_access_token(environ: Mapping[str, str], auth_path: Path) -> str | None:
    """The configured personal access token, or None. Raises `CodexAuthError` for sk- keys."""
    for name in TOKEN_ENVS:
        value = environ.get(name, "").strip()
        if value:
            return refuse_api_key(value, f"${name}")
    data = read_json_object(auth_path) or {}
    stored = data.get("personal_access_token")
    if isinstance(stored, str) and stored.strip():
        return refuse_api_key(stored.strip(), f"{auth_path} personal_access_token")
    return None


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def whoami_url(base_url: str, environ: Mapping[str, str]) -> str:
    """`{base}/wham/whoami` beside the Codex API: `.../backend-api/wham/whoami`."""
    explicit = environ.get(WHOAMI_URL_ENV)
    if explicit:
        return explicit
    return base_url.rstrip("/").removesuffix("/codex") + "/wham/whoami"


def _account_id_in(answer: Any) -> str | None:
    if not isinstance(answer, Mapping):
        return None
    for key in ("account_id", "chatgpt_account_id"):
        if isinstance(answer.get(key), str) and answer[key]:
            return str(answer[key])
    account = answer.get("account")
    if isinstance(account, Mapping):
        for key in ("id", "account_id"):
            if isinstance(account.get(key), str) and account[key]:
                return str(account[key])
    return None


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

    async def account_id(self, token: str, base_url: str) -> str | None:
        explicit = self._environ.get(ACCOUNT_ID_ENV, "").strip()
        if explicit:
            return explicit
        digest = token_digest(token)
        if digest in self._memory:
            return self._memory[digest]
        async with self._lock:
            if digest in self._memory:
                return self._memory[digest]
            found = self._from_disk(digest) or await self._whoami(token, base_url)
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

    async def _whoami(self, token: str, base_url: str) -> str | None:
        url = whoami_url(base_url, self._environ)
        try:
            async with self._http(url) as client:
                response = await client.get(
                    url, headers={"authorization": f"Bearer {token}"}, timeout=15.0
                )
        except httpx.HTTPError as exc:
            log.warning("codex_whoami_failed", error=type(exc).__name__)
            return None
        if response.status_code == 401:
            raise pat_unauthorized(f"whoami answered HTTP {response.status_code}")
        if response.status_code >= 400:
            log.warning("codex_whoami_failed", status=response.status_code)
            return None
        try:
            return _account_id_in(response.json())
        except ValueError:
            return None


def pat_unauthorized(detail: str) -> UpstreamError:
    return UpstreamError(
        401,
        "invalid_api_key",
        f"the ChatGPT Codex backend refused the personal access token ({detail}): it has "
        "expired or been revoked; mint a new token and set $CODEX_ACCESS_TOKEN to it",
        error_type="authentication_error",
        fallback_ok=True,
    )


class PatCredential:
    """A personal access token, with its account id resolved on first use."""

    def __init__(self, member: str, token: str, resolver: AccountIdResolver, base_url: str) -> None:
        self.member = member
        self._token = token
        self._resolver = resolver
        self._base_url = base_url

    def __repr__(self) -> str:
        return f"PatCredential(member={self.member!r})"

    async def authorization(self) -> tuple[str, str | None]:
        return self._token, await self._resolver.account_id(self._token, self._base_url)

    def unauthorized(self, message: str) -> UpstreamError:
        return pat_unauthorized(message)
