"""One pooled HTTP client per upstream, and the adapter that speaks to it.

Clients are keyed by (adapter kind, origin), so every model behind the same endpoint
shares one connection pool; they are created on first use and closed with the app. Each
is an `adapters.transport.UpstreamClient` on an `AiohttpTransport`: the adapters speak
httpx, aiohttp's C parser reads the streams.

The adapter for a kind is registered as a factory or as where its factory lives
(`"module:attribute"`), imported when a target of that kind is first used: a proxy with
only chat models never loads the Anthropic or Codex adapters, and none is loaded before
the server answers (start-up time, resident memory).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TypeVar, cast
from urllib.parse import urlsplit

import httpx

from adapters.base import Adapter, PassthroughAdapter, Target
from adapters.transport import AiohttpTransport, UpstreamClient

A = TypeVar("A", Adapter, PassthroughAdapter)

AdapterFactory = Callable[[UpstreamClient], Adapter]
AdapterSpec = AdapterFactory | str
"""A factory, or its `"module:attribute"` path, imported on first use."""
PassthroughFactory = Callable[[UpstreamClient], PassthroughAdapter]
PassthroughSpec = PassthroughFactory | str

ADAPTERS: dict[str, AdapterSpec] = {
    "chat": "adapters.chat.adapter:ChatCompletionsAdapter",
    "anthropic": "adapters.anthropic.adapter:AnthropicMessagesAdapter",
    "codex": "adapters.codex.adapter:CodexPassthroughAdapter",
    "responses": "adapters.responses.adapter:ResponsesAdapter",
}

POOL_LIMITS = httpx.Limits(max_connections=256, max_keepalive_connections=64, keepalive_expiry=30)


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def upstream_client(origin: str) -> UpstreamClient:
    """The pooled client for one upstream origin (`scheme://host[:port]`)."""
    # Remote APIs honour the user's proxy and CA variables; loopback upstreams (Ollama,
    # vLLM, our own mocks) never go through a proxy.
    trust_env = not _is_loopback(urlsplit(origin).hostname or "")
    return UpstreamClient(AiohttpTransport(limits=POOL_LIMITS, trust_env=trust_env))


class UnsupportedUpstream(Exception):
    pass


def resolve(spec: Callable[[UpstreamClient], A] | str) -> Callable[[UpstreamClient], A]:
    """The factory itself, importing it first when `spec` is its path."""
    if not isinstance(spec, str):
        return spec
    module, _, attribute = spec.partition(":")
    return cast(Callable[[UpstreamClient], A], getattr(importlib.import_module(module), attribute))


class Upstreams:
    """The adapters that answer in Responses events (`adapter_for`), and the passthroughs
    that forward a client's own dialect to an upstream of that dialect (`passthrough_for`,
    registered by the front doors that take such clients)."""

    def __init__(self, factories: dict[str, AdapterSpec] | None = None) -> None:
        self._factories = dict(ADAPTERS if factories is None else factories)
        self._passthrough_factories: dict[str, PassthroughSpec] = {}
        self._adapters: dict[tuple[str, str], Adapter] = {}
        self._passthroughs: dict[tuple[str, str], PassthroughAdapter] = {}
        self._clients: list[UpstreamClient] = []

    def register(self, kind: str, factory: AdapterSpec) -> None:
        self._factories[kind] = factory

    def register_passthrough(self, kind: str, factory: PassthroughSpec) -> None:
        self._passthrough_factories[kind] = factory

    def adapter_for(self, target: Target) -> Adapter:
        parts = urlsplit(target.base_url)
        key = (target.kind, f"{parts.scheme}://{parts.netloc}")
        adapter = self._adapters.get(key)
        if adapter is None:
            adapter = self._build(target, key, self._factories, self._adapters)
        return adapter

    def passthrough_for(self, target: Target) -> PassthroughAdapter:
        parts = urlsplit(target.base_url)
        key = (target.kind, f"{parts.scheme}://{parts.netloc}")
        adapter = self._passthroughs.get(key)
        if adapter is None:
            adapter = self._build(target, key, self._passthrough_factories, self._passthroughs)
        return adapter

    def serves_passthrough(self, kind: str) -> bool:
        return kind in self._passthrough_factories

    def _build(
        self,
        target: Target,
        key: tuple[str, str],
        factories: dict[str, Callable[[UpstreamClient], A] | str],
        built: dict[tuple[str, str], A],
    ) -> A:
        spec = factories.get(target.kind)
        if spec is None:
            raise UnsupportedUpstream(
                f"model {target.slug!r} uses provider kind {target.kind!r}, "
                "which this version does not serve yet"
            )
        factory = factories[target.kind] = resolve(spec)
        client = upstream_client(key[1])
        self._clients.append(client)
        adapter = built[key] = factory(client)
        return adapter

    async def aclose(self) -> None:
        clients, self._clients = self._clients, []
        self._adapters.clear()
        self._passthroughs.clear()
        for client in clients:
            await client.aclose()
