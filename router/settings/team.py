"""The settings of a team gateway: where shared state lives, and who may use the proxy.

`state.redis_url` (or `AUTOROUTER_REDIS_URL`) makes several instances share their task
decisions, cooldowns and client spend through one Redis; without it everything stays in
the process. `clients` gives each person a key and an optional budget: a client's key is
named by a variable (`key_env`, read at request time) or given as its SHA-256
(`key_sha256`), never written in the file in the clear.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

REDIS_URL_ENV = "AUTOROUTER_REDIS_URL"
_FROZEN = ConfigDict(strict=True, frozen=True, extra="ignore")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

Period = Literal["day", "week", "month"]


class StateConfig(BaseModel):
    model_config = _FROZEN

    redis_url: str | None = None
    """redis://HOST:PORT/DB; None keeps all state in this process."""
    timeout: float = Field(default=0.25, gt=0, le=5)
    """Seconds one Redis operation may take before the instance serves from local state."""

    def effective_url(self, environ: Mapping[str, str] | None = None) -> str | None:
        env = os.environ if environ is None else environ
        return self.redis_url or env.get(REDIS_URL_ENV) or None


class ClientConfig(BaseModel):
    model_config = _FROZEN

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.@-]+$")
    key_env: str | None = None
    key_sha256: str | None = None
    budget_usd: float | None = Field(default=None, ge=0)
    period: Period = "month"
    models: list[str] = Field(default_factory=list)
    """Slugs this client may ask for; empty allows every slug."""

    @model_validator(mode="after")
    def _one_key(self) -> ClientConfig:
        if (self.key_env is None) == (self.key_sha256 is None):
            raise ValueError("give exactly one of key_env and key_sha256")
        if self.key_sha256 is not None and not _SHA256.match(self.key_sha256):
            raise ValueError("key_sha256: 64 lowercase hex digits expected")
        return self

    def key_digest(self, environ: Mapping[str, str]) -> str | None:
        """The SHA-256 of this client's key, or None while its variable is unset."""
        if self.key_sha256 is not None:
            return self.key_sha256
        value = environ.get(self.key_env or "")
        return hashlib.sha256(value.encode()).hexdigest() if value else None


def check_clients(clients: list[ClientConfig], slugs: set[str]) -> None:
    """Names are unique and every listed model exists (raises ValueError)."""
    seen: set[str] = set()
    for index, client in enumerate(clients):
        if client.name in seen:
            raise ValueError(f'clients[{index}]: name "{client.name}" is listed twice')
        seen.add(client.name)
        for slug in client.models:
            if slug not in slugs:
                raise ValueError(f'clients[{index}].models: "{slug}" is not a configured model')
