"""One pooled HTTP client per upstream, and the adapter that speaks to it.

Clients are keyed by (adapter kind, origin), so every model behind the same endpoint
shares one connection pool; they are created on first use and closed with the app. Each
is an `httpx.AsyncClient` on `adapters.transport.AiohttpTransport`: the adapters speak
httpx, aiohttp's C parser reads the streams.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from adapters.anthropic import AnthropicMessagesAdapter
from adapters.base import Adapter, Target
from adapters.chat import ChatCompletionsAdapter
from adapters.codex import CodexPassthroughAdapter
from adapters.transport import AiohttpTransport

AdapterFactory = Callable[[httpx.AsyncClient], Adapter]

ADAPTERS: dict[str, AdapterFactory] = {
    "chat": ChatCompletionsAdapter,
    "anthropic": AnthropicMessagesAdapter,
    "codex": CodexPassthroughAdapter,
}

POOL_LIMITS = httpx.Limits(max_connections=256, max_keepalive_connections=64, keepalive_expiry=30)


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def upstream_client(origin: str) -> httpx.AsyncClient:
    """The pooled client for one upstream origin (`scheme://host[:port]`)."""
    # Remote APIs honour the user's proxy and CA variables; loopback upstreams (Ollama,
    # vLLM, our own mocks) never go through a proxy.
    trust_env = not _is_loopback(urlsplit(origin).hostname or "")
    return httpx.AsyncClient(
        transport=AiohttpTransport(limits=POOL_LIMITS, trust_env=trust_env), trust_env=False
    )


class UnsupportedUpstream(Exception):
    pass


class Upstreams:
    def __init__(self, factories: dict[str, AdapterFactory] | None = None) -> None:
        self._factories = dict(ADAPTERS if factories is None else factories)
        self._adapters: dict[tuple[str, str], Adapter] = {}
        self._clients: list[httpx.AsyncClient] = []

    def register(self, kind: str, factory: AdapterFactory) -> None:
        self._factories[kind] = factory

    def adapter_for(self, target: Target) -> Adapter:
        parts = urlsplit(target.base_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        key = (target.kind, origin)
        adapter = self._adapters.get(key)
        if adapter is None:
            factory = self._factories.get(target.kind)
            if factory is None:
                raise UnsupportedUpstream(
                    f"model {target.slug!r} uses provider kind {target.kind!r}, "
                    "which this version does not serve yet"
                )
            client = upstream_client(origin)
            self._clients.append(client)
            adapter = factory(client)
            self._adapters[key] = adapter
        return adapter

    async def aclose(self) -> None:
        clients, self._clients = self._clients, []
        self._adapters.clear()
        for client in clients:
            await client.aclose()
