"""Which Codex models the account offers, and the slugs they get here.

Two ways to reach a Codex model:

- Explicit: a settings entry with `"provider": "codex"` and its own slug. It behaves like
  any configured model, so it can be an Auto candidate, the classifier or the default.
- Automatic: while a Codex credential exists, every model the account offers is also
  served as `codex/<model>` (e.g. `codex/gpt-5.5-codex`) and listed in `/v1/models` and
  the catalog, with no settings entry. Any `codex/<name>` is passed to the backend, which
  decides whether the account may use it.

The list comes from the backend's `{base}/models?client_version=0.169.0`, cached for ten
minutes, and the last list found is kept in the state dir's `codex-models.json` for the
catalog, which the CLI writes without asking the backend. `$CODEX_MODELS`
(comma-separated) pins the list without asking. When discovery fails the static
`FALLBACK_MODELS` stand in (and discovery is retried after a minute), so the catalog is
never empty just because the backend was briefly unreachable.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from router.chatgpt.login import HttpFactory, read_json_object
from router.settings.paths import atomic_write
from router.telemetry.logs import get_logger

log = get_logger("autorouter.codex_models")

SLUG_PREFIX = "codex/"
MODELS_ENV = "CODEX_MODELS"
CLIENT_VERSION = "0.169.0"
FALLBACK_MODELS = ("gpt-5.5-codex", "gpt-5.5", "gpt-5.4-mini")
CACHE_SECONDS = 600.0
RETRY_SECONDS = 60.0
MODELS_CACHE = "codex-models.json"

Authorization = Callable[[], Awaitable[tuple[str, str | None]]]
"""Returns (access token, account id) for the discovery request."""


def passthrough_slug(model: str) -> str:
    return SLUG_PREFIX + model


def model_of_slug(slug: str) -> str | None:
    """The backend model an automatic `codex/<model>` slug names, or None."""
    if slug.startswith(SLUG_PREFIX) and len(slug) > len(SLUG_PREFIX):
        return slug[len(SLUG_PREFIX) :]
    return None


def pinned_models(environ: Mapping[str, str]) -> list[str] | None:
    raw = environ.get(MODELS_ENV, "")
    names = [name.strip() for name in raw.split(",") if name.strip()]
    return names or None


def known_models(environ: Mapping[str, str], cache_path: Path) -> list[str]:
    """The model list without asking the backend: pinned, else the last one discovered,
    else the fallback."""
    pinned = pinned_models(environ)
    if pinned is not None:
        return pinned
    cached = (read_json_object(cache_path) or {}).get("models")
    if isinstance(cached, list) and all(isinstance(name, str) for name in cached) and cached:
        return list(cached)
    return list(FALLBACK_MODELS)


def parse_models(answer: Any) -> list[str]:
    """Model names from `{"models": [{"slug", "visibility"}]}` (or `{"data": [{"id"}]}`);
    models the backend hides from pickers are left out."""
    if not isinstance(answer, Mapping):
        return []
    entries = answer.get("models") or answer.get("data") or []
    names: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping) or entry.get("visibility") in ("hide", "none"):
            continue
        name = entry.get("slug") or entry.get("id")
        if isinstance(name, str) and name:
            names.append(name)
    return list(dict.fromkeys(names))


class ModelDiscovery:
    def __init__(
        self,
        environ: Mapping[str, str],
        http: HttpFactory,
        cache_path: Callable[[], Path],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._environ = environ
        self._http = http
        self._cache_path = cache_path
        self._clock = clock
        self._cached: list[str] | None = None
        self._expires = 0.0

    async def models(self, base_url: str, authorization: Authorization) -> list[str]:
        pinned = pinned_models(self._environ)
        if pinned is not None:
            return pinned
        if self._cached is not None and self._clock() < self._expires:
            return self._cached
        found = await self._fetch(base_url, authorization)
        if found:
            self._cached, self._expires = found, self._clock() + CACHE_SECONDS
            try:
                atomic_write(self._cache_path(), json.dumps({"models": found}) + "\n")
            except OSError as exc:
                log.warning("codex_models_not_saved", error=type(exc).__name__)
        else:
            self._cached, self._expires = list(FALLBACK_MODELS), self._clock() + RETRY_SECONDS
        return self._cached

    async def _fetch(self, base_url: str, authorization: Authorization) -> list[str]:
        try:
            token, account_id = await authorization()
            headers = {"authorization": f"Bearer {token}", "accept": "application/json"}
            if account_id:
                headers["chatgpt-account-id"] = account_id
            url = base_url.rstrip("/") + "/models"
            async with self._http(url) as client:
                response = await client.get(
                    url,
                    params={"client_version": CLIENT_VERSION},
                    headers=headers,
                    timeout=15.0,
                )
            if response.status_code >= 400:
                log.warning("codex_models_failed", status=response.status_code)
                return []
            return parse_models(response.json())
        except Exception as exc:
            # Discovery only feeds the model list; any failure means "use the fallback".
            log.warning("codex_models_failed", error=type(exc).__name__)
            return []
