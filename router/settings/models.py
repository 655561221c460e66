"""The settings models: models, the Auto router block, the server block.

The file is codex-shim's `models.json` shape (see `settings_compat`) plus our own optional
`router` and `server` blocks. Everything is checked at load time so a request never meets
a half-valid model; the per-request work (`ModelConfig.target`) only reads attributes.

Keys are resolved at request time, never at load time: the file stores `api_key` as
written (it may be `${VAR}`), and `api_key_env` by name. A key value never reaches a
repr, a log line, an error message or the Codex catalog.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

import structlog
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from adapters.base import Target, Timeouts
from adapters.chat.reasoning import needs_reasoning_replay
from router.settings.compat import canonical_model_entry, make_slug
from router.settings.origins import normalize_origin
from router.settings.team import ClientConfig, StateConfig, check_clients

log = structlog.get_logger(__name__)

Kind = Literal["chat", "anthropic", "codex", "responses"]

PROVIDER_KINDS: dict[str, Kind] = {
    "openai": "chat",
    "generic-chat-completion-api": "chat",
    "ollama": "chat",
    "anthropic": "anthropic",
    "codex": "codex",
    "responses": "responses",
    "openai-responses": "responses",
}
"""Provider names and the adapter kind serving them. `responses` (also spelt
`openai-responses`, the name other BYOK tools give the OpenAI Responses wire) is an
upstream that speaks the Responses API itself; `openai` stays chat completions, as in
codex-shim's `models.json`."""

DEFAULT_BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com/v1",
    "ollama": "http://127.0.0.1:11434/v1",
    "codex": "https://chatgpt.com/backend-api/codex",
    "responses": "https://api.openai.com/v1",
    "openai-responses": "https://api.openai.com/v1",
}

DEFAULT_CONTEXT_WINDOW = 128_000
"""What we assume for a model whose `max_context_limit` is not configured."""

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_M = TypeVar("_M", bound=BaseModel)
_FROZEN = ConfigDict(strict=True, frozen=True, extra="ignore")

LOCAL_CLASSIFIER = "local"
"""`router.classifier` value for the built-in local scorer (no model API)."""


class SettingsError(ValueError):
    """The settings file is missing, unreadable or invalid; the message is one line
    naming the file, the entry and the field, and never a key value."""


def _referenced(template: str | None) -> list[str]:
    return _VARIABLE.findall(template) if template else []


def _interpolate(template: str, environ: Mapping[str, str]) -> str | None:
    """`template` with every `${VAR}` replaced, or None when a referenced variable is
    unset or empty (half a URL or half a key is worse than none)."""
    if "${" not in template:
        return template
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        found = environ.get(match.group(1))
        if not found:
            missing = True
            return ""
        return found

    result = _VARIABLE.sub(value, template)
    return None if missing else result


class Price(BaseModel):
    """USD per million tokens."""

    model_config = _FROZEN

    input: float = Field(ge=0)
    cached_input: float | None = Field(default=None, ge=0)
    output: float = Field(ge=0)

    def cost(self, input_tokens: int, cached_tokens: int, output_tokens: int) -> float:
        """USD for one request. `input_tokens` includes the cached ones, which are billed
        at `cached_input` (at `input` when no cached price is known)."""
        cached = min(max(cached_tokens, 0), max(input_tokens, 0))
        fresh = max(input_tokens, 0) - cached
        cached_rate = self.input if self.cached_input is None else self.cached_input
        total = fresh * self.input + cached * cached_rate + max(output_tokens, 0) * self.output
        return total / 1_000_000


class ModelConfig(BaseModel):
    """One configured upstream model.

    Accepts codex-shim's spellings directly (camelCase, `supports_thinking`, a bare model
    name via `parse_settings`), fills the derived defaults (provider, base URL, slug,
    display name) and keeps `api_key` exactly as written, since it may be a `${VAR}`
    template that is only resolved per request.
    """

    model_config = _FROZEN

    slug: str
    model: str = Field(min_length=1)
    provider: str
    base_url: str
    display_name: str
    api_key: str | None = Field(default=None, repr=False)
    api_key_env: str | None = None
    api_keys: list[str] = Field(default_factory=list, repr=False)
    max_context_limit: int | None = Field(default=None, gt=0)
    max_output_tokens: int | None = Field(default=None, gt=0)
    no_image_support: bool = False
    thinking: bool = False
    replay_reasoning: bool | None = None
    """None: decided from the base URL and model name (`needs_reasoning_replay`)."""
    merge_messages: bool = True
    extra_headers: dict[str, str] = Field(default_factory=dict, repr=False)
    price: Price | None = None
    connect_timeout: float = Field(default=10.0, gt=0)
    first_byte_timeout: float = Field(default=300.0, gt=0)
    idle_timeout: float = Field(default=300.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        # Only defaults that depend on other fields live here; a value of the wrong type
        # is left alone so that the field itself reports it.
        if not isinstance(data, Mapping):
            return data
        entry = canonical_model_entry(data, "")
        provider = entry.get("provider")
        if provider is None and isinstance(entry.get("base_url"), str):
            entry["provider"] = provider = "generic-chat-completion-api"
        if isinstance(provider, str):
            entry["provider"] = provider = provider.strip().lower()
            if entry.get("base_url") is None and provider in DEFAULT_BASE_URLS:
                entry["base_url"] = DEFAULT_BASE_URLS[provider]
            base_url = entry.get("base_url")
            if provider == "ollama" and isinstance(base_url, str):
                # Ollama serves the OpenAI-compatible API under /v1; people often paste
                # the bare server address.
                base_url = base_url.strip().rstrip("/")
                entry["base_url"] = base_url if base_url.endswith("/v1") else base_url + "/v1"
        name = entry.get("model")
        if isinstance(name, str):
            entry.setdefault("display_name", name)
            if entry.get("slug") is None:
                entry["slug"] = make_slug(name)
        return entry

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, provider: str) -> str:
        if provider not in PROVIDER_KINDS:
            known = ", ".join(PROVIDER_KINDS)
            raise ValueError(f'unknown provider "{provider}" (expected one of: {known})')
        return provider

    @field_validator("base_url")
    @classmethod
    def _plain_base_url(cls, url: str) -> str:
        url = url.strip().rstrip("/")
        if not url.startswith(("http://", "https://", "${")):
            raise ValueError("must start with http:// or https://")
        return url

    @field_validator("api_key_env")
    @classmethod
    def _variable_name(cls, name: str | None) -> str | None:
        # A key pasted here by mistake would otherwise be echoed as "<key> is not set".
        if name is not None and not _VARIABLE_NAME.match(name):
            raise ValueError(
                "must be the name of an environment variable (put a key itself in api_key)"
            )
        return name

    @field_validator("slug")
    @classmethod
    def _usable_slug(cls, slug: str) -> str:
        if not slug:
            raise ValueError("cannot be made from this model name; give a slug")
        if any(ch.isspace() or not ch.isprintable() for ch in slug):
            raise ValueError("must not contain spaces or control characters")
        return slug

    @property
    def kind(self) -> Kind:
        """Which adapter serves this model."""
        return PROVIDER_KINDS[self.provider]

    @property
    def supports_images(self) -> bool:
        return not self.no_image_support

    @property
    def context_window(self) -> int:
        """The configured window, or `DEFAULT_CONTEXT_WINDOW` when unknown."""
        return self.max_context_limit or DEFAULT_CONTEXT_WINDOW

    def resolve_api_key(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The key for a request now: `api_key` (interpolated), else the variable named by
        `api_key_env`, else the first of `api_keys`. None means send no key at all, which
        is right for local servers such as Ollama."""
        env = os.environ if environ is None else environ
        if self.api_key is not None:
            key = _interpolate(self.api_key, env)
            if key:
                return key
        if self.api_key_env:
            key = env.get(self.api_key_env)
            if key:
                return key
        for template in self.api_keys:
            key = _interpolate(template, env)
            if key:
                return key
        return None

    def missing_key_variable(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The name of an environment variable the key refers to but which is unset, when
        that leaves the model without a key. For messages like "OPENAI_API_KEY is not set"."""
        env = os.environ if environ is None else environ
        if self.resolve_api_key(env) is not None:
            return None
        referenced = _referenced(self.api_key)
        if self.api_key_env:
            referenced.append(self.api_key_env)
        for template in self.api_keys:
            referenced.extend(_referenced(template))
        return next((name for name in referenced if not env.get(name)), None)

    def missing_variables(self, environ: Mapping[str, str] | None = None) -> list[str]:
        """Every variable referenced by the base URL or the headers that is unset, plus
        the key's (see `missing_key_variable`). For `doctor`."""
        env = os.environ if environ is None else environ
        names = _referenced(self.base_url)
        for value in self.extra_headers.values():
            names.extend(_referenced(value))
        key_variable = self.missing_key_variable(env)
        if key_variable:
            names.append(key_variable)
        return list(dict.fromkeys(name for name in names if not env.get(name)))

    def target(self, environ: Mapping[str, str] | None = None) -> Target:
        """This model as an adapter `Target`, with key, base URL and headers resolved now.

        A header whose value refers to an unset variable is left out (it is optional
        metadata more often than not); a base URL that does is a `SettingsError`, because
        no request could succeed without it.
        """
        env = os.environ if environ is None else environ
        base_url = _interpolate(self.base_url, env)
        if base_url is None:
            unset = [name for name in _referenced(self.base_url) if not env.get(name)]
            raise SettingsError(
                f'model "{self.slug}": base_url: environment variable {", ".join(unset)} is not set'
            )
        headers: dict[str, str] = {}
        for name, template in self.extra_headers.items():
            value = _interpolate(template, env)
            if value is not None:
                headers[name] = value
        return Target(
            slug=self.slug,
            kind=self.kind,
            model=self.model,
            base_url=base_url.rstrip("/"),
            api_key=self.resolve_api_key(env),
            extra_headers=headers,
            max_output_tokens=self.max_output_tokens,
            context_window=self.max_context_limit,
            supports_images=self.supports_images,
            supports_thinking=self.thinking,
            replay_reasoning=needs_reasoning_replay(base_url, self.model)
            if self.replay_reasoning is None
            else self.replay_reasoning,
            merge_messages=self.merge_messages,
            timeouts=Timeouts(
                connect=self.connect_timeout,
                first_byte=self.first_byte_timeout,
                idle=self.idle_timeout,
            ),
        )


class Candidate(BaseModel):
    """A model the Auto router may pick, with what the classifier is told about it."""

    model_config = _FROZEN

    slug: str = Field(min_length=1)
    cost: float = Field(ge=0)
    """Relative price; only its order matters (cheapest passing candidate wins)."""
    supports_images: bool
    card: str = ""


class RouterConfig(BaseModel):
    """The Auto router block (codex-shim's shape plus our extensions)."""

    model_config = _FROZEN

    enabled: bool = True
    slug: str = Field(default="codex-auto", min_length=1)
    display_name: str = "Auto (smart routing)"
    classifier: str | None = None
    threshold: float = Field(default=0.7, ge=0, le=1)
    default: str | None = None
    cache: bool = True
    candidates: list[Candidate] = Field(default_factory=list)
    classifier_timeout: float = Field(default=10.0, gt=0)
    cache_size: int = Field(default=1024, ge=1)
    cache_ttl: float = Field(default=21600.0, gt=0)
    fallback_attempts: int = Field(default=2, ge=0)
    cooldown: float = Field(default=60.0, ge=0)
    compaction_model: str | None = None
    classifier_prompt_tokens: int = Field(default=2000, ge=1)
    escalation: int = Field(default=1, ge=0, le=10)
    """Price steps up after a failed task in the same thread; 0 (or false) turns it off."""
    calibrate: bool = True
    """Apply the calibration fitted by `autorouter calibrate` to the classifier's scores."""

    @field_validator("escalation", mode="before")
    @classmethod
    def _escalation_switch(cls, value: Any) -> Any:
        return int(value) if isinstance(value, bool) else value

    local_first: bool = False
    """Ask the local scorer first; skip the classifier when it is confident enough that
    the cheapest eligible candidate succeeds."""
    local_first_confidence: float = Field(default=0.9, ge=0, le=1)
    local_fallback: bool = True
    """When the classifier model fails, let the local scorer decide instead of the
    default (once every eligible candidate has local_min_outcomes outcomes)."""
    local_min_outcomes: int = Field(default=50, ge=1)
    """Outcomes a candidate needs before the local scorer scores it."""
    outcomes_path: str | None = None
    """The outcome store; default `outcomes.jsonl` in the state directory."""

    @property
    def uses_local(self) -> bool:
        return self.classifier == LOCAL_CLASSIFIER or self.local_first


class ServerConfig(BaseModel):
    model_config = _FROZEN

    host: str = "127.0.0.1"
    port: int = Field(default=8642, ge=0, le=65535)
    """0 asks the OS for a free port (tests)."""
    allowed_hosts: list[str] = Field(default_factory=list)
    """Host header values accepted besides the loopback names (DNS-rebinding guard)."""
    allowed_origins: list[str] = Field(default_factory=list)
    """Origin header values accepted besides the proxy's own (cross-site request guard)."""
    max_body_bytes: int = Field(default=32 * 1024 * 1024, gt=0)
    """Codex sends images as base64 and whole histories, so bodies get large."""
    snapshots: bool = False
    """Store sanitized request snapshots for `autorouter logs` (see router/telemetry/snapshots.py)."""

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        normalized = []
        for origin in origins:
            key = normalize_origin(origin)
            if key is None:
                raise ValueError(f"{origin!r} is not an origin (scheme://host[:port])")
            normalized.append(key)
        return normalized


class Settings(BaseModel):
    """Everything one settings file says, checked for consistency across blocks."""

    model_config = ConfigDict(frozen=True)

    models: list[ModelConfig]
    router: RouterConfig | None = None
    server: ServerConfig = Field(default_factory=ServerConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    clients: list[ClientConfig] = Field(default_factory=list)
    source: Path | None = None
    _by_slug: dict[str, ModelConfig] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        by_slug: dict[str, ModelConfig] = {}
        for model in self.models:
            if model.slug in by_slug:
                raise ValueError(f'two models have slug "{model.slug}"')
            by_slug[model.slug] = model
        if self.router is not None:
            _check_router(self.router, by_slug)
        check_clients(self.clients, set(by_slug) | {self.auto_slug or ""})
        self._by_slug = by_slug
        return self

    def model(self, slug: str) -> ModelConfig | None:
        return self._by_slug.get(slug)

    @property
    def auto_slug(self) -> str | None:
        """The Auto model's slug, when the router is configured and enabled."""
        return self.router.slug if self.router is not None and self.router.enabled else None

    def slugs(self) -> list[str]:
        """Every slug Codex may ask for: Auto first (when enabled), then the models."""
        auto = [self.auto_slug] if self.auto_slug else []
        return auto + [model.slug for model in self.models]


def _check_router(router: RouterConfig, models: Mapping[str, ModelConfig]) -> None:
    if router.slug in models:
        raise ValueError(f'router.slug: "{router.slug}" is also the slug of a configured model')
    seen: set[str] = set()
    for index, candidate in enumerate(router.candidates):
        where = f"router.candidates[{index}]"
        if candidate.slug not in models:
            raise ValueError(f'{where}: slug "{candidate.slug}" is not a configured model')
        if candidate.slug in seen:
            raise ValueError(f'{where}: slug "{candidate.slug}" is listed twice')
        seen.add(candidate.slug)
    for field in ("classifier", "default", "compaction_model"):
        slug = getattr(router, field)
        if field == "classifier" and slug == LOCAL_CLASSIFIER:
            continue
        if slug is not None and slug not in models:
            raise ValueError(f'router.{field}: "{slug}" is not a configured model')
    if router.enabled:
        if not router.candidates:
            raise ValueError(
                "router.candidates: at least one is required while the router is enabled"
            )
        if router.classifier is None:
            raise ValueError(
                "router.classifier: required while the router is enabled "
                '(the slug of a configured model that scores tasks, or "local")'
            )
