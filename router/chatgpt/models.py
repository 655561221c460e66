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

The backend answers `{"models": [ModelInfo]}`, the shape of Codex's own catalog, and each
entry says what the model takes: `context_window`, `auto_compact_token_limit`,
`supported_reasoning_levels`, `default_reasoning_level`, `input_modalities`. Those facts
are kept beside the names (`codex-models.json`'s `facts`) so the catalog entries and the
slugs' settings carry them instead of defaults: with a default window Codex would compact
long before the model is full. Values Codex would reject are left out, field by field.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
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

REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
MODALITIES = ("text", "image")


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """What the backend's model list says about one model; None where it said nothing
    usable."""

    context_window: int | None = None
    auto_compact_token_limit: int | None = None
    reasoning_levels: tuple[tuple[str, str], ...] | None = None
    """(effort, description) pairs."""
    default_reasoning_level: str | None = None
    input_modalities: tuple[str, ...] | None = None

    @property
    def takes_images(self) -> bool | None:
        return None if self.input_modalities is None else "image" in self.input_modalities

    def settings(self) -> dict[str, Any]:
        """The model settings these facts decide (a window, no images)."""
        found: dict[str, Any] = {}
        if self.context_window is not None:
            found["max_context_limit"] = self.context_window
        if self.takes_images is False:
            found["no_image_support"] = True
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "context_window": self.context_window,
            "auto_compact_token_limit": self.auto_compact_token_limit,
            "supported_reasoning_levels": None
            if self.reasoning_levels is None
            else [{"effort": e, "description": d} for e, d in self.reasoning_levels],
            "default_reasoning_level": self.default_reasoning_level,
            "input_modalities": None
            if self.input_modalities is None
            else list(self.input_modalities),
        }

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> ModelFacts:
        """From a ModelInfo entry (`context_window`, `supported_reasoning_levels`, ...), or
        from Codex's app-server `model/list` spelling (`supportedReasoningEfforts`,
        `inputModalities`, ...), which `to_json` also reads back."""
        levels = _pick(entry, "supported_reasoning_levels", "supportedReasoningEfforts")
        default = _pick(entry, "default_reasoning_level", "defaultReasoningEffort")
        modalities = _pick(entry, "input_modalities", "inputModalities")
        return cls(
            _positive(_pick(entry, "context_window", "contextWindow")),
            _positive(_pick(entry, "auto_compact_token_limit", "autoCompactTokenLimit")),
            _levels(levels),
            default if default in REASONING_EFFORTS else None,
            _modalities(modalities),
        )


def _pick(entry: Mapping[str, Any], *keys: str) -> Any:
    return next((entry[key] for key in keys if entry.get(key) is not None), None)


def _positive(value: Any) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return int(value) if ok else None


def _levels(value: Any) -> tuple[tuple[str, str], ...] | None:
    if not isinstance(value, list):
        return None
    levels = []
    for level in value:
        if not isinstance(level, Mapping):
            continue
        effort = level.get("effort", level.get("reasoningEffort"))
        description = level.get("description")
        if effort in REASONING_EFFORTS:
            levels.append((str(effort), description if isinstance(description, str) else ""))
    return tuple(levels) or None


def _modalities(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        return None
    kept = tuple(dict.fromkeys(m for m in value if m in MODALITIES))
    return kept if "text" in kept else None


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


def known_facts(cache_path: Path) -> dict[str, ModelFacts]:
    """The facts last discovered, by model name (none from a cache of names only)."""
    facts = (read_json_object(cache_path) or {}).get("facts")
    if not isinstance(facts, Mapping):
        return {}
    return {
        name: ModelFacts.from_entry(entry)
        for name, entry in facts.items()
        if isinstance(name, str) and isinstance(entry, Mapping)
    }


def parse_models(answer: Any) -> dict[str, ModelFacts]:
    """Models and their facts from `{"models": [ModelInfo]}` (or `{"data": [{"id"}]}`), in
    the backend's order; models the backend hides from pickers are left out."""
    if not isinstance(answer, Mapping):
        return {}
    entries = answer.get("models") or answer.get("data") or []
    found: dict[str, ModelFacts] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping) or entry.get("visibility") in ("hide", "none"):
            continue
        if entry.get("hidden") is True:
            continue
        name = entry.get("slug") or entry.get("id")
        if isinstance(name, str) and name and name not in found:
            found[name] = ModelFacts.from_entry(entry)
    return found


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
        self._facts: dict[str, ModelFacts] | None = None

    def facts(self, name: str) -> ModelFacts | None:
        """What the backend last said about `name` (from the state dir until this process
        has asked it)."""
        if self._facts is None:
            self._facts = known_facts(self._cache_path())
        return self._facts.get(name)

    async def models(self, base_url: str, authorization: Authorization) -> list[str]:
        pinned = pinned_models(self._environ)
        if pinned is not None:
            return pinned
        if self._cached is not None and self._clock() < self._expires:
            return self._cached
        found = await self._fetch(base_url, authorization)
        if found:
            self._cached, self._expires = list(found), self._clock() + CACHE_SECONDS
            self._facts = found
            cache = {
                "models": self._cached,
                "facts": {name: facts.to_json() for name, facts in found.items()},
            }
            try:
                atomic_write(self._cache_path(), json.dumps(cache) + "\n")
            except OSError as exc:
                log.warning("codex_models_not_saved", error=type(exc).__name__)
        else:
            self._cached, self._expires = list(FALLBACK_MODELS), self._clock() + RETRY_SECONDS
        return self._cached

    async def _fetch(self, base_url: str, authorization: Authorization) -> dict[str, ModelFacts]:
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
                return {}
            return parse_models(response.json())
        except Exception as exc:
            # Discovery only feeds the model list; any failure means "use the fallback".
            log.warning("codex_models_failed", error=type(exc).__name__)
            return {}
