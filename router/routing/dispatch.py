"""From a requested slug to an open upstream stream.

A concrete model slug goes to that model. The Auto slug asks the `AutoRouter` for a
decision (cached per task) and gets an ordered list of models to try: the chosen one,
then fallbacks. A model that fails before its first byte with an error another model
could avoid (rate limit, server error, timeout, refused connection) hands the request to
the next one; once a stream has started nothing is retried here, because Codex keeps and
acts on whatever it has already seen.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from adapters.base import (
    Adapter,
    Answer,
    EventBatch,
    PassthroughAdapter,
    Target,
    UpstreamError,
    UpstreamStream,
)
from adapters.codex.headers import forwardable_headers
from router.routing.auto.types import RouteDecision
from router.routing.credentials import Credentials
from router.routing.task import TaskKey, task_key
from router.routing.upstreams import UnsupportedUpstream, Upstreams
from router.settings import ModelConfig, Settings, SettingsStore
from router.telemetry.logs import get_logger

if TYPE_CHECKING:
    from router.learning.recorder import Learning
    from router.routing.auto.router import AutoRouter
    from router.routing.auto.shared_router import SharedAutoRouter
    from router.shared.state import SharedState

log = get_logger("autorouter.dispatch")


class UnknownModel(Exception):
    def __init__(self, slug: str, known: list[str]) -> None:
        super().__init__(f"unknown model {slug!r}; known models: {', '.join(known) or '(none)'}")
        self.slug = slug
        self.known = known


T = TypeVar("T")
R = TypeVar("R")
Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class Native:
    """A client that speaks an upstream's own dialect (see `Dispatcher.open_in_dialect`)."""

    kind: str
    """The upstream kind whose targets get the client's body passed through."""
    body: Mapping[str, Any]
    """The client's own body."""
    translate: Callable[[UpstreamStream[EventBatch]], UpstreamStream[bytes]]
    """Responses events from any other target, written in the client's dialect."""
    translate_answer: Callable[[dict[str, Any]], Answer]
    """A whole Responses object from any other target, in the client's dialect."""


@dataclass(slots=True)
class RoutePlan:
    """Which models to try for one request, in order."""

    requested: str
    slugs: list[str]
    task: TaskKey | None = None
    decision: RouteDecision | None = None
    reason: str | None = None
    client_headers: dict[str, str] = field(default_factory=dict)
    """The client's session, turn and originator headers, for passthrough targets."""


@dataclass(slots=True)
class Answered(Generic[T]):
    """What the first model in a plan that answered gave back."""

    slug: str
    target: Target
    result: T
    plan: RoutePlan
    reason: str | None
    failures: list[dict[str, Any]] = field(default_factory=list)


OpenStream = Answered[UpstreamStream[Item]]
"""An upstream stream that has answered with a success status."""


class Dispatcher:
    def __init__(
        self,
        store: SettingsStore,
        upstreams: Upstreams,
        environ: Mapping[str, str] | None = None,
        learning_dir: Path | None = None,
        *,
        shared: SharedState | None = None,
    ) -> None:
        self._store = store
        self._learning_dir = learning_dir
        self.learning: Learning | None = None
        self._upstreams = upstreams
        self._environ = environ if environ is not None else os.environ
        self._shared = shared
        self._auto: AutoRouter | SharedAutoRouter | None = None
        self._auto_settings: Settings | None = None
        self.credentials = Credentials(self._environ, shared=shared)

    @property
    def settings(self) -> Settings:
        return self._store.current()

    def auto_router(self, settings: Settings) -> AutoRouter | SharedAutoRouter | None:
        """The Auto router for these settings, kept across requests (its cache and
        cooldowns live in it) and told when the settings change. With a distributed
        shared state, it keeps its decisions and cooldowns in step with other instances."""
        if settings.auto_slug is None:
            return None
        if self._auto is None:
            # Imported with the first Auto settings: a proxy without Auto never loads the
            # router and its classifier (start-up time).
            from router.routing.auto.router import AutoRouter

            if self._learning_dir is not None:
                from router.learning.recorder import Learning

                self.learning = Learning(self._learning_dir)
            self._auto = AutoRouter(settings, self.call_model, learning=self.learning)
            if self._shared is not None and self._shared.distributed:
                from router.routing.auto.shared_router import SharedAutoRouter

                self._auto = SharedAutoRouter(self._auto, self._shared)
        elif self._auto_settings is not settings:
            self._auto.update_settings(settings)
        self._auto_settings = settings
        return self._auto

    def target(self, model: ModelConfig) -> Target:
        return model.target(self._environ)

    async def call_model(self, slug: str, body: dict[str, Any]) -> dict[str, Any]:
        """One non-streaming Responses request to a configured model (the classifier
        and compaction use it)."""
        model = self.credentials.model(self.settings, slug)
        if model is None:
            raise UpstreamError(
                500, "server_error", f"model {slug!r} is not configured", error_type="server_error"
            )
        target = self.target(model)
        adapter = self._adapter(target)
        return await self.credentials.complete(adapter, body, target, model)

    def _adapter(self, target: Target) -> Adapter:
        try:
            return self._upstreams.adapter_for(target)
        except UnsupportedUpstream as exc:
            raise _unsupported(exc) from None

    def _passthrough(self, target: Target) -> PassthroughAdapter:
        try:
            return self._upstreams.passthrough_for(target)
        except UnsupportedUpstream as exc:
            raise _unsupported(exc) from None

    async def plan(
        self, body: Mapping[str, Any], headers: Mapping[str, str], *, compaction: bool = False
    ) -> RoutePlan:
        settings = self.settings
        requested = str(body.get("model") or "")
        auto = self.auto_router(settings)
        # Every request is tied to its task, routed or not, so its usage can be summed
        # per task (cost reports, the benchmark harness).
        key = task_key(headers, body)
        if auto is not None and requested == settings.auto_slug:
            if compaction or key.kind == "compaction":
                decision = await auto.decide_compaction(key, body)
            else:
                decision = await auto.decide(key, body)
            slugs = [decision.chosen, *auto.fallbacks(decision)]
            return RoutePlan(
                requested,
                slugs,
                key,
                decision,
                decision.explained_reason,
                forwardable_headers(headers),
            )
        if self.credentials.model(settings, requested) is None:
            raise UnknownModel(requested, settings.slugs())
        return RoutePlan(requested, [requested], key, client_headers=forwardable_headers(headers))

    async def passthrough_compact(
        self, plan: RoutePlan, body: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """`/responses/compact` for a Codex passthrough model goes to the backend's own
        endpoint as is; None for any other model (the proxy summarises itself)."""
        model = self.credentials.model(self.settings, plan.slugs[0])
        if model is None or model.kind != "codex":
            return None
        target = replace(self.target(model), client_headers=plan.client_headers)
        return await self.credentials.codex.compact(self._adapter(target), body, target)

    async def open_stream(self, plan: RoutePlan, body: Mapping[str, Any]) -> OpenStream[EventBatch]:
        """Open the first model in the plan that answers; raise the last error if none."""

        def call(target: Target, model: ModelConfig) -> Awaitable[UpstreamStream[EventBatch]]:
            return self.credentials.stream(self._adapter(target), body, target, model)

        return await self._first_answer(plan, call)

    async def open_in_dialect(
        self, plan: RoutePlan, body: Mapping[str, Any], native: Native
    ) -> OpenStream[bytes]:
        """Like `open_stream`, answering in the client's dialect: targets of
        `native.kind` get the client's own body through their passthrough, any other
        target the Responses `body`, its events translated by `native.translate`."""
        call = self._in_dialect(
            native,
            lambda passthrough, t: passthrough.stream(native.body, t),
            lambda adapter, t, model: self.credentials.stream(adapter, body, t, model),
            native.translate,
        )
        return await self._first_answer(plan, call)

    async def complete(self, plan: RoutePlan, body: Mapping[str, Any]) -> Answered[dict[str, Any]]:
        """Non-streaming: the Responses object of the first model that answers."""

        def call(target: Target, model: ModelConfig) -> Awaitable[dict[str, Any]]:
            return self.credentials.complete(self._adapter(target), body, target, model)

        return await self._first_answer(plan, call)

    async def complete_in_dialect(
        self, plan: RoutePlan, body: Mapping[str, Any], native: Native
    ) -> Answered[Answer]:
        """Non-streaming `open_in_dialect`."""
        call = self._in_dialect(
            native,
            lambda passthrough, t: passthrough.complete(native.body, t),
            lambda adapter, t, model: self.credentials.complete(adapter, body, t, model),
            native.translate_answer,
        )
        return await self._first_answer(plan, call)

    def _in_dialect(
        self,
        native: Native,
        passthrough: Callable[[PassthroughAdapter, Target], Awaitable[T]],
        responses: Callable[[Adapter, Target, ModelConfig], Awaitable[R]],
        translate: Callable[[R], T],
    ) -> Callable[[Target, ModelConfig], Awaitable[T]]:
        """One attempt for a client of `native`'s dialect: its own body passed through to
        a target of that dialect, the Responses body (and a translation back) otherwise."""

        async def call(target: Target, model: ModelConfig) -> T:
            if target.kind == native.kind:
                adapter = self._passthrough(target)
                return await self.credentials.with_key(
                    model, target, lambda t: passthrough(adapter, t)
                )
            return translate(await responses(self._adapter(target), target, model))

        return call

    async def _first_answer(
        self, plan: RoutePlan, call: Callable[[Target, ModelConfig], Awaitable[T]]
    ) -> Answered[T]:
        settings = self.settings
        auto = self.auto_router(settings) if plan.decision is not None else None
        last_error: UpstreamError | None = None
        failures: list[dict[str, Any]] = []
        for attempt, slug in enumerate(plan.slugs):
            model = self.credentials.model(settings, slug)
            if model is None:
                continue
            target = replace(self.target(model), client_headers=plan.client_headers)
            reason = plan.reason if attempt == 0 else "fallback"
            try:
                result = await call(target, model)
            except UpstreamError as exc:
                last_error = _with_key_hint(exc, model, self._environ)
                failures.append({"slug": slug, "status": exc.status, "code": exc.code})
                log.warning(
                    "upstream_failed_before_first_byte",
                    slug=slug,
                    status=exc.status,
                    code=exc.code,
                    fallback_ok=exc.fallback_ok,
                )
                if auto is not None and exc.fallback_ok:
                    auto.report_failure(slug)
                if not exc.fallback_ok:
                    break
                continue
            if auto is not None:
                auto.report_success(slug)
            return Answered(slug, target, result, plan, reason, failures)
        if last_error is None:
            raise UpstreamError(500, "server_error", "no configured model could serve this request")
        raise last_error


def _unsupported(exc: UnsupportedUpstream) -> UpstreamError:
    return UpstreamError(501, "unsupported_provider", str(exc), error_type="invalid_request_error")


def _with_key_hint(
    exc: UpstreamError, model: ModelConfig, environ: Mapping[str, str]
) -> UpstreamError:
    """Name the unset key variable when an upstream refuses us for lack of a key."""
    if exc.status not in (401, 403):
        return exc
    missing = model.missing_key_variable(environ)
    if missing is None:
        return exc
    hinted = UpstreamError(
        exc.status,
        exc.code,
        f"{exc.message} (the key for {model.slug!r} comes from ${missing}, which is not set)",
        retry_after=exc.retry_after,
        fallback_ok=exc.fallback_ok,
        error_type=exc.error_type,
    )
    return hinted
