"""Codex passthrough, router side: credentials, account rotation, model slugs.

Where the credentials come from, in order:
1. The accounts pool (`autorouter accounts add`, the state dir's `accounts.json`): once it
   holds an account, the pool is exactly those accounts.
2. Otherwise the ambient credential: a personal access token (`$CODEX_ACCESS_TOKEN`,
   `$CODEX_PAT`, auth.json's `personal_access_token`), else Codex's own login in
   `$CODEX_HOME/auth.json`. An `sk-` key given as that token is refused, and then every
   passthrough request is answered with the refusal (`refusal()`): the key was meant for
   the `openai` provider, and quietly using some other login instead would hide that.

Each request goes to the best available account (see `adapters.accounts`). An account
that answers with a quota or rate-limit refusal before the first byte is left alone until
its reset and the request moves on to the next one (at most five tries); after the first
byte nothing is retried here, because Codex already acts on what it has seen. The usage
windows each answer reports, and every exhaustion, are written to `accounts.json` so
`autorouter accounts` in another process can show them and a restart keeps them.

`$CODEX_BASE_URL` replaces the default backend address (how tests reach a mock); a model
configured with its own `base_url` keeps it.

Every proxy builds this service, so the passthrough adapter (`adapters.codex.adapter`) and the
accounts store are imported on first use, not here: a proxy without Codex passthrough
models never loads them (start-up time, resident memory).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from adapters.accounts import CredentialPool, Verdict, rotate
from adapters.base import Adapter, EventBatch, Target, UpstreamError, UpstreamStream
from adapters.codex.limits import RateLimits, parse_rate_limits
from router.chatgpt.errors import no_credential, usage_limit_error
from router.chatgpt.login import (
    AuthFileTokens,
    CodexAuthError,
    HttpFactory,
    LoginCredential,
    TokenStore,
    auth_json_path,
    http_client,
)
from router.chatgpt.models import (
    MODELS_CACHE,
    ModelDiscovery,
    ModelFacts,
    known_models,
    model_of_slug,
    passthrough_slug,
)
from router.chatgpt.pat import (
    ACCOUNT_ID_CACHE,
    AccountIdResolver,
    PatCredential,
    token_digest,
)
from router.chatgpt.token_source import personal_access_token
from router.settings import DEFAULT_BASE_URLS, ModelConfig
from router.settings.paths import state_dir
from router.shared.handoff import LoginHandoff
from router.shared.rests import SharedRests
from router.telemetry.logs import get_logger

if TYPE_CHECKING:
    from adapters.codex.adapter import CodexPassthroughAdapter
    from router.chatgpt.accounts_store import Account, AccountsStore, Usage
    from router.shared.state import SharedState

log = get_logger("autorouter.codex")

BASE_URL_ENV = "CODEX_BASE_URL"
AMBIENT_LOGIN = "codex-login"

T = TypeVar("T")


class Credential(Protocol):
    member: str

    async def authorization(self) -> tuple[str, str | None]: ...

    async def refused(self, status: int, message: str) -> UpstreamError | None:
        """What to tell the client when the backend refused this credential (None: the
        backend's own error)."""
        ...


class CodexService:
    def __init__(
        self,
        environ: Mapping[str, str],
        *,
        clock: Callable[[], float] = time.time,
        http: HttpFactory = http_client,
        shared: SharedState | None = None,
    ) -> None:
        self._environ = environ
        self._clock = clock
        self._http = http
        self.pool = CredentialPool("usage", clock)
        # Behind a team gateway: account rests and login refreshes are shared.
        self._rests: SharedRests | None = None
        self._handoff: LoginHandoff | None = None
        if shared is not None and shared.distributed:
            self._rests = SharedRests(shared, "accounts", clock)
            self._handoff = LoginHandoff(shared)
        self.discovery = ModelDiscovery(environ, http, lambda: state_dir() / MODELS_CACHE)
        self._store: AccountsStore | None = None
        self._resolver: AccountIdResolver | None = None
        self._credentials: dict[str, Credential] = {}
        self._signature: Any = None
        self._persisted: dict[str, Usage] = {}
        self._configs: dict[str, tuple[ModelFacts | None, ModelConfig]] = {}
        self._refusal: str | None = None
        self._links: dict[str, str | None] = {}
        """The owner's file each pooled login was built linked to."""

    # -- where things are ------------------------------------------------------------

    @property
    def store(self) -> AccountsStore:
        if self._store is None:
            from router.chatgpt.accounts_store import ACCOUNTS_FILE, AccountsStore

            self._store = AccountsStore(state_dir() / ACCOUNTS_FILE)
        return self._store

    def base_url(self, configured: str = DEFAULT_BASE_URLS["codex"]) -> str:
        override = self._environ.get(BASE_URL_ENV, "").strip()
        if override and configured.rstrip("/") == DEFAULT_BASE_URLS["codex"]:
            return override.rstrip("/")
        return configured.rstrip("/")

    def _account_ids(self) -> AccountIdResolver:
        if self._resolver is None:
            self._resolver = AccountIdResolver(
                self._environ,
                state_dir() / ACCOUNT_ID_CACHE,
                auth_json_path(self._environ),
                self._http,
            )
        return self._resolver

    # -- credentials -----------------------------------------------------------------

    def credentials(self) -> dict[str, Credential]:
        """The pool's members by id, rebuilt when the accounts file or ambient login
        changes; members that stay keep their state (a refresh in flight, usage)."""
        auth_path = auth_json_path(self._environ)
        try:
            pat, refusal = personal_access_token(self._environ, auth_path), None
        except CodexAuthError as exc:
            # An sk- key: refused, and said so on every passthrough request (`refusal`).
            pat, refusal = None, str(exc)
        signature = (
            self.store.signature(),
            token_digest(pat) if pat else refusal,
            AuthFileTokens(auth_path).load() is not None,
        )
        if signature == self._signature:
            return self._credentials
        pool = self.store.load()
        built: dict[str, Credential] = {}
        for account in pool.accounts:
            if account.kind == "token" and account.token:
                built[account.id] = self._reuse(account.id) or PatCredential(
                    account.id, account.token, self._account_ids()
                )
            else:
                built[account.id] = self._pooled_login(account)
        self._refusal = refusal if not built else None
        if not built and pat:
            member = "token-" + token_digest(pat)[:12]
            built[member] = self._reuse(member) or PatCredential(member, pat, self._account_ids())
        elif not built and signature[2] and refusal is None:
            built[AMBIENT_LOGIN] = self._reuse(AMBIENT_LOGIN) or LoginCredential(
                AMBIENT_LOGIN,
                AuthFileTokens(auth_path),
                self._http,
                self._environ,
                self._clock,
                self._handoff,
            )
        self._credentials = built
        self.pool.sync(built)
        self.pool.pinned = pool.pinned
        for member, usage in (pool.usage or {}).items():
            if member in built:
                state = self.pool.state(member)
                state.limits, state.exhausted_until = usage.limits, usage.exhausted_until
                self._persisted[member] = usage
        self._signature = (self.store.signature(), *signature[1:])
        return built

    def _reuse(self, member: str) -> Credential | None:
        return self._credentials.get(member)

    def _pooled_login(self, account: Account) -> Credential:
        """A pooled login; one imported from Codex or Pi is kept in step with that file."""
        from router.chatgpt.accounts_store import PoolTokens
        from router.chatgpt.linked import LinkedTokens, source_store

        reused = self._reuse(account.id)
        if reused is not None and self._links.get(account.id) == account.linked_file:
            return reused
        self._links[account.id] = account.linked_file
        tokens: TokenStore = PoolTokens(self.store, account.id)
        if account.linked_file is not None:
            path = Path(account.linked_file)
            source = source_store(account.source, path)
            tokens = LinkedTokens(tokens, source, path, account.account_id)
        return LoginCredential(
            account.id, tokens, self._http, self._environ, self._clock, self._handoff
        )

    def available(self) -> bool:
        """Whether any credential is configured (passthrough slugs are offered then)."""
        return bool(self.credentials())

    def refusal(self) -> str | None:
        """Why the configured token was refused (an `sk-` key), when no other credential
        stands in. Passthrough slugs still resolve then, so that their requests get this
        reason instead of "unknown model"; they are not listed."""
        return None if self.credentials() else self._refusal

    # -- models ----------------------------------------------------------------------

    def model_config(self, slug: str) -> ModelConfig | None:
        """The model behind an automatic `codex/<model>` slug, while a credential exists,
        with the window and image support the backend reports for it."""
        name = model_of_slug(slug)
        if name is None or not (self.available() or self.refusal()):
            return None
        facts = self.discovery.facts(name)
        cached = self._configs.get(slug)
        if cached is not None and cached[0] == facts:
            return cached[1]
        config = ModelConfig.model_validate(
            {
                "slug": slug,
                "model": name,
                "provider": "codex",
                "display_name": f"{name} (ChatGPT)",
                **(facts.settings() if facts is not None else {}),
            }
        )
        self._configs[slug] = (facts, config)
        return config

    async def listed_models(self) -> list[ModelConfig]:
        """The automatic slugs to list in `/v1/models` and the catalog."""
        if not self.available():
            return []
        credentials = self.credentials()
        first = credentials[(self.pool.candidates() or list(credentials))[0]]
        names = await self.discovery.models(self.base_url(), first.authorization)
        configs = [self.model_config(passthrough_slug(name)) for name in names]
        return [config for config in configs if config is not None]

    def catalog_models(self) -> list[ModelConfig]:
        """The automatic slugs for the Codex catalog, without asking the backend."""
        if not self.available():
            return []
        names = known_models(self._environ, state_dir() / MODELS_CACHE)
        configs = [self.model_config(passthrough_slug(name)) for name in names]
        return [config for config in configs if config is not None]

    # -- requests --------------------------------------------------------------------

    async def stream(
        self, adapter: Adapter, body: Mapping[str, Any], target: Target
    ) -> UpstreamStream[EventBatch]:
        async def op(t: Target) -> tuple[UpstreamStream[EventBatch], RateLimits | None]:
            stream = await adapter.stream(body, t)
            return stream, parse_rate_limits(stream.headers, self._clock())

        return await self._rotate(target, op)

    async def complete(
        self, adapter: Adapter, body: Mapping[str, Any], target: Target
    ) -> dict[str, Any]:
        from adapters.codex.adapter import collect

        async def op(t: Target) -> tuple[UpstreamStream[EventBatch], RateLimits | None]:
            stream = await adapter.stream({**body, "stream": True, "store": False}, t)
            return stream, parse_rate_limits(stream.headers, self._clock())

        return await collect(await self._rotate(target, op))

    async def compact(
        self, adapter: Any, body: Mapping[str, Any], target: Target
    ) -> dict[str, Any]:
        passthrough = _passthrough(adapter)

        async def op(t: Target) -> tuple[dict[str, Any], RateLimits | None]:
            return await passthrough.compact(body, t), None

        return await self._rotate(target, op)

    async def _rotate(
        self, target: Target, op: Callable[[Target], Awaitable[tuple[T, RateLimits | None]]]
    ) -> T:
        from adapters.codex.adapter import CodexUpstreamError

        credentials = self.credentials()
        if not credentials:
            raise no_credential(
                self._refusal
                or "log in with `codex login`, set $CODEX_ACCESS_TOKEN, or `autorouter accounts add`"
            )
        base_url = self.base_url(target.base_url)

        async def attempt(member: str) -> T:
            credential = credentials[member]
            try:
                token, account_id = await credential.authorization()
            except CodexAuthError as exc:
                raise no_credential(str(exc)) from None
            headers = dict(target.extra_headers)
            if account_id:
                headers["chatgpt-account-id"] = account_id
            account_target = replace(
                target, api_key=token, extra_headers=headers, base_url=base_url
            )
            try:
                result, limits = await op(account_target)
            except CodexUpstreamError as exc:
                log.warning(
                    "codex_account_refused", member=member, status=exc.status, code=exc.code
                )
                refusal = await credential.refused(exc.status, exc.message)
                if refusal is not None:
                    raise refusal from None
                raise
            if limits is not None:
                self.pool.record_limits(member, limits)
            return result

        def judge(exc: UpstreamError) -> Verdict:
            resets_in = getattr(exc, "quota_resets_in", None)
            if resets_in is not None:
                return Verdict(rotate=True, exhausted_until=self._clock() + resets_in)
            # Another account's login or token may well work where this one was refused.
            return Verdict(rotate=exc.status in (401, 403))

        names = {member: member for member in credentials}
        before = await self._rests.pull(self.pool, names) if self._rests is not None else {}
        try:
            return await rotate(
                self.pool,
                attempt,
                judge,
                lambda earliest: usage_limit_error(earliest, self._clock()),
            )
        finally:
            if self._rests is not None:
                await self._rests.push(self.pool, names, before)
            for member in credentials:
                self._persist(member)

    def _persist(self, member: str) -> None:
        """Write the member's usage to the accounts file when it changed noticeably."""
        from router.chatgpt.accounts_store import Usage

        state = self.pool.state(member)
        usage = Usage(state.limits, state.exhausted_until)
        if _rounded(usage) == _rounded(self._persisted.get(member, Usage())):
            return
        self._persisted[member] = usage
        try:
            self.store.save_usage(member, usage)
        except OSError as exc:
            log.warning("accounts_usage_not_saved", error=type(exc).__name__)


def _rounded(usage: Usage) -> tuple[Any, ...]:
    windows = usage.limits.windows if usage.limits is not None else ()
    return (
        tuple((round(w.used_percent), round((w.resets_at or 0) / 60)) for w in windows),
        round(usage.exhausted_until or 0),
    )


def _passthrough(adapter: Any) -> CodexPassthroughAdapter:
    from adapters.codex.adapter import CodexPassthroughAdapter

    if not isinstance(adapter, CodexPassthroughAdapter):
        raise UpstreamError(500, "server_error", "the codex kind is not served by the passthrough")
    return adapter
