"""ChatGPT logins: access tokens that expire and are refreshed with the refresh token.

A login lives in a JSON file: Codex's own `$CODEX_HOME/auth.json` (`tokens.access_token`,
`tokens.refresh_token`, `tokens.account_id`, ...) or an entry of our accounts file. When
the access token's JWT `exp` has passed (or is about to), it is refreshed at the OAuth
token endpoint before the request goes out, and written back in place, atomically, with
every other field of the file kept as it was.

Refreshing happens once however many requests find the token expired at the same time:
they queue on one lock per login, and each re-reads the file after taking it, so all
but the first find a fresh token (refresh tokens are single-use: a second refresh with
the same one would fail and log the user out).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import httpx

from adapters.base import UpstreamError
from router.settings.paths import atomic_write
from router.telemetry.logs import get_logger

if TYPE_CHECKING:
    from router.shared.handoff import LoginHandoff

log = get_logger("autorouter.codex_auth")

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
DEFAULT_REFRESH_URL = "https://auth.openai.com/oauth/token"
REFRESH_URL_ENV = "CODEX_REFRESH_TOKEN_URL"
REFRESH_MARGIN_SECONDS = 60.0
"""A token this close to its expiry is refreshed first: the request may take a while."""

AUTH_CLAIMS = "https://api.openai.com/auth"
PROFILE_CLAIMS = "https://api.openai.com/profile"


class CodexAuthError(Exception):
    """A credential that cannot be used; the message says what to do, never the secret."""


def codex_home(environ: Mapping[str, str]) -> Path:
    explicit = environ.get("CODEX_HOME")
    return Path(explicit).expanduser() if explicit else Path.home() / ".codex"


def auth_json_path(environ: Mapping[str, str]) -> Path:
    return codex_home(environ) / "auth.json"


def jwt_claims(token: str | None) -> dict[str, Any]:
    """The payload of a JWT, unverified (we only read our own token's expiry and ids)."""
    if not token or token.count(".") != 2:
        return {}
    payload = token.split(".")[1]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def token_expiry(token: str) -> float | None:
    exp = jwt_claims(token).get("exp")
    return float(exp) if isinstance(exp, int | float) else None


def account_id_of(*tokens: str | None) -> str | None:
    """The ChatGPT account id some JWT carries, if any does."""
    for token in tokens:
        claims = jwt_claims(token).get(AUTH_CLAIMS)
        if isinstance(claims, Mapping) and isinstance(claims.get("chatgpt_account_id"), str):
            return str(claims["chatgpt_account_id"])
    return None


def email_of(*tokens: str | None) -> str | None:
    for token in tokens:
        claims = jwt_claims(token)
        profile = claims.get(PROFILE_CLAIMS)
        for source in (claims, profile if isinstance(profile, Mapping) else {}):
            if isinstance(source.get("email"), str):
                return str(source["email"])
    return None


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str | None = None
    id_token: str | None = None
    account_id: str | None = None

    def __repr__(self) -> str:
        return f"Tokens(account_id={self.account_id!r})"

    def expired(self, now: float) -> bool:
        expiry = token_expiry(self.access_token)
        return expiry is not None and expiry - REFRESH_MARGIN_SECONDS <= now

    @property
    def effective_account_id(self) -> str | None:
        return self.account_id or account_id_of(self.id_token, self.access_token)


class TokenStore(Protocol):
    """Where one login's tokens are read from and written back to."""

    def load(self) -> Tokens | None: ...

    def save(self, tokens: Tokens) -> None: ...


def read_json_object(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json_object(path: Path, data: Mapping[str, Any]) -> None:
    atomic_write(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n", mode=0o600)


def rewrite_json_object(path: Path, data: Mapping[str, Any]) -> None:
    """Replace another program's JSON file atomically, as its owner left it: through a
    symlink to the real file, and with the file's mode (0600 for a new one)."""
    target = path.resolve()
    try:
        mode = target.stat().st_mode & 0o777
    except OSError:
        mode = 0o600
    atomic_write(target, json.dumps(data, indent=2, ensure_ascii=False) + "\n", mode=mode)


class AuthFileTokens:
    """Codex's `auth.json`: `tokens.{access_token,refresh_token,id_token,account_id}`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Tokens | None:
        data = read_json_object(self.path)
        tokens = data.get("tokens") if data else None
        if not isinstance(tokens, Mapping) or not isinstance(tokens.get("access_token"), str):
            return None
        return Tokens(
            str(tokens["access_token"]),
            _str(tokens.get("refresh_token")),
            _str(tokens.get("id_token")),
            _str(tokens.get("account_id")),
        )

    def save(self, tokens: Tokens) -> None:
        data = read_json_object(self.path) or {}
        section = data.get("tokens")
        section = dict(section) if isinstance(section, Mapping) else {}
        section["access_token"] = tokens.access_token
        for key in ("refresh_token", "id_token", "account_id"):
            value = getattr(tokens, key)
            if value is not None:
                section[key] = value
        data["tokens"] = section
        # Codex records when it last refreshed; so do we, in its format.
        data["last_refresh"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        rewrite_json_object(self.path, data)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


HttpFactory = Callable[[str], httpx.AsyncClient]
"""Makes a short-lived client for one call to the given URL (refresh, whoami, models)."""


def http_client(url: str) -> httpx.AsyncClient:
    """Remote endpoints honour the user's proxy variables; loopback ones (tests, mocks)
    never go through a proxy."""
    host = urlsplit(url).hostname or ""
    loopback = host in ("localhost", "::1") or host.startswith("127.")
    return httpx.AsyncClient(trust_env=not loopback)


async def refresh_tokens(http: HttpFactory, url: str, tokens: Tokens) -> Tokens:
    """Trade the refresh token for new tokens at the OAuth token endpoint."""
    if not tokens.refresh_token:
        raise _login_expired("the login has no refresh token")
    body = {
        "client_id": CLIENT_ID,
        "grant_type": "refresh_token",
        "refresh_token": tokens.refresh_token,
        "scope": "openid profile email",
    }
    try:
        async with http(url) as client:
            response = await client.post(url, json=body, timeout=30.0)
    except httpx.HTTPError as exc:
        raise UpstreamError(
            502,
            "server_error",
            f"could not refresh the ChatGPT login: {type(exc).__name__}",
            fallback_ok=True,
        ) from None
    if response.status_code >= 400:
        raise _login_expired(f"the token endpoint answered HTTP {response.status_code}")
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
        raise _login_expired("the token endpoint answered without an access token")
    return Tokens(
        answer["access_token"],
        _str(answer.get("refresh_token")) or tokens.refresh_token,
        _str(answer.get("id_token")) or tokens.id_token,
        tokens.account_id,
    )


def _login_expired(why: str) -> UpstreamError:
    return UpstreamError(
        401,
        "invalid_api_key",
        f"the ChatGPT login could not be refreshed ({why}): run `codex login` again "
        "(or `autorouter accounts add` for a pooled account)",
        error_type="authentication_error",
        fallback_ok=True,
    )


class LoginCredential:
    """One ChatGPT login: fresh access token and account id for each request."""

    def __init__(
        self,
        member: str,
        store: TokenStore,
        http: HttpFactory,
        environ: Mapping[str, str],
        clock: Callable[[], float] = time.time,
        handoff: LoginHandoff | None = None,
    ) -> None:
        self.member = member
        self._store = store
        self._http = http
        self._url = environ.get(REFRESH_URL_ENV) or DEFAULT_REFRESH_URL
        self._clock = clock
        self._lock = asyncio.Lock()
        self._handoff = handoff
        """Set behind a team gateway: one refresh across instances (router.shared)."""

    def __repr__(self) -> str:
        return f"LoginCredential(member={self.member!r})"

    async def tokens(self) -> Tokens:
        tokens = self._store.load()
        if tokens is None:
            raise CodexAuthError(f"{self.member}: the ChatGPT login has no access token")
        if not tokens.expired(self._clock()):
            return tokens
        async with self._lock:
            # Whoever held the lock before us may have refreshed already.
            tokens = self._store.load() or tokens
            if not tokens.expired(self._clock()):
                return tokens
            try:
                fresh = await self._refresh(tokens)
            except UpstreamError:
                # The file's owner (Codex, Pi) may have spent this refresh token a moment
                # ago: its new login, if there is one, is as good as ours would have been.
                newer = self._store.load()
                if newer is None or newer == tokens or newer.expired(self._clock()):
                    raise
                log.info("codex_login_taken_from_owner", member=self.member)
                return newer
            self._store.save(fresh)
            log.info("codex_login_refreshed", member=self.member)
            return fresh

    async def _refresh(self, tokens: Tokens) -> Tokens:
        if self._handoff is None or not tokens.refresh_token:
            return await refresh_tokens(self._http, self._url, tokens)

        async def refresh() -> bytes:
            fresh = await refresh_tokens(self._http, self._url, tokens)
            return json.dumps(dataclasses.asdict(fresh)).encode()

        shared = await self._handoff.refresh_once(tokens.refresh_token, refresh)
        return Tokens(**json.loads(shared))

    async def authorization(self) -> tuple[str, str | None]:
        tokens = await self.tokens()
        return tokens.access_token, tokens.effective_account_id

    async def refused(self, status: int, message: str) -> UpstreamError | None:
        """A 401 means the login itself was refused; anything else passes through as is."""
        if status != 401:
            return None
        return UpstreamError(
            401,
            "invalid_api_key",
            f"{message} (the ChatGPT login was refused: run `codex login` again)",
            error_type="authentication_error",
            fallback_ok=True,
        )
