"""Settings: one JSON file, validated once with pydantic, re-read when it changes.

The file is codex-shim's `models.json` shape (see `settings_compat`) plus our own optional
`router` and `server` blocks. Everything is checked at load time so a request never meets
a half-valid model; the per-request work (`ModelConfig.target`) only reads attributes.

Keys are resolved at request time, never at load time: the file stores `api_key` as
written (it may be `${VAR}`), and `api_key_env` by name. A key value never reaches a
repr, a log line, an error message or the Codex catalog.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

import structlog
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from adapters.base import Target, Timeouts
from router.settings_compat import (
    ShapeError,
    canonical_model_entry,
    canonical_section,
    entry_label,
    make_slug,
    model_entries,
)

__all__ = [
    "Candidate",
    "ModelConfig",
    "Price",
    "RouterConfig",
    "ServerConfig",
    "Settings",
    "SettingsError",
    "SettingsStore",
    "default_settings_path",
    "load_settings",
    "make_slug",
    "parse_settings",
]

log = structlog.get_logger(__name__)

Kind = Literal["chat", "anthropic", "codex"]

PROVIDER_KINDS: dict[str, Kind] = {
    "openai": "chat",
    "generic-chat-completion-api": "chat",
    "ollama": "chat",
    "anthropic": "anthropic",
    "codex": "codex",
}

DEFAULT_BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com/v1",
    "ollama": "http://127.0.0.1:11434/v1",
    "codex": "https://chatgpt.com/backend-api/codex",
}

DEFAULT_CONTEXT_WINDOW = 128_000
"""What we assume for a model whose `max_context_limit` is not configured."""

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_M = TypeVar("_M", bound=BaseModel)
_FROZEN = ConfigDict(strict=True, frozen=True, extra="ignore")


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


class ServerConfig(BaseModel):
    model_config = _FROZEN

    host: str = "127.0.0.1"
    port: int = Field(default=8642, ge=0, le=65535)
    """0 asks the OS for a free port (tests)."""
    allowed_hosts: list[str] = Field(default_factory=list)
    """Host header values accepted besides the loopback names (DNS-rebinding guard)."""
    max_body_bytes: int = Field(default=32 * 1024 * 1024, gt=0)
    """Codex sends images as base64 and whole histories, so bodies get large."""
    snapshots: bool = False
    """Store sanitized request snapshots for `autorouter logs` (see router/snapshots.py)."""


class Settings(BaseModel):
    """Everything one settings file says, checked for consistency across blocks."""

    model_config = ConfigDict(frozen=True)

    models: list[ModelConfig]
    router: RouterConfig | None = None
    server: ServerConfig = Field(default_factory=ServerConfig)
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
                "(the slug of a configured model that scores tasks)"
            )


def default_settings_path() -> Path:
    """$AUTOROUTER_SETTINGS, else $XDG_CONFIG_HOME/codex-autorouter/settings.json, else
    ~/.config/codex-autorouter/settings.json."""
    explicit = os.environ.get("AUTOROUTER_SETTINGS")
    if explicit:
        return Path(explicit).expanduser()
    config_home = os.environ.get("XDG_CONFIG_HOME")
    base = Path(config_home) if config_home else Path.home() / ".config"
    return base / "codex-autorouter" / "settings.json"


def parse_settings(data: Any, source: Path | None = None) -> Settings:
    """Validate already-decoded JSON. Raises `SettingsError` naming `source`, the entry
    and the field of the first problem found."""
    prefix = f"{source}: " if source is not None else ""
    try:
        return _parse(data, source)
    except (_Problem, ShapeError) as problem:
        raise SettingsError(f"{prefix}{problem}") from None


class _Problem(ValueError):
    """One located problem, already worded; `parse_settings` adds the file."""


def _parse(data: Any, source: Path | None) -> Settings:
    if not isinstance(data, Mapping):
        raise _Problem('expected a JSON object with a "models" list')
    entries = model_entries(data)
    if not entries:
        raise _Problem('no models: add a "models" list')
    models: list[ModelConfig] = []
    labels: dict[str, str] = {}
    for where, raw in entries:
        label = entry_label(where, raw)
        entry = canonical_model_entry(raw, label)
        model = _validated(ModelConfig, entry, f"{label}: ")
        if model.slug in labels:
            raise _Problem(f'{labels[model.slug]} and {where} both have slug "{model.slug}"')
        labels[model.slug] = where
        models.append(model)
    by_slug = {model.slug: model for model in models}
    router = None
    if data.get("router") is not None:
        section = canonical_section(data["router"], "router")
        _default_candidate_images(section, by_slug)
        router = _validated(RouterConfig, section, "router.")
    server = ServerConfig()
    if data.get("server") is not None:
        server = _validated(ServerConfig, canonical_section(data["server"], "server"), "server.")
    return _validated(
        Settings, {"models": models, "router": router, "server": server, "source": source}, ""
    )


def _default_candidate_images(section: dict[str, Any], models: Mapping[str, ModelConfig]) -> None:
    # A candidate is image-capable exactly when its model is, unless the file says otherwise.
    candidates = section.get("candidates")
    if not isinstance(candidates, list):
        return
    for index, candidate in enumerate(candidates):
        if not isinstance(candidate, dict) or "supports_images" in candidate:
            continue
        slug = candidate.get("slug")
        if isinstance(slug, str):
            if slug not in models:
                raise _Problem(
                    f'router.candidates[{index}]: slug "{slug}" is not a configured model'
                )
            candidate["supports_images"] = models[slug].supports_images


def _validated(cls: type[_M], data: Any, prefix: str) -> _M:
    # `prefix` leads to the field: "models[2] (slug "x"): " for an entry, "router." for a block.
    try:
        return cls.model_validate(data)
    except ValidationError as error:
        raise _Problem(_describe(error, prefix, data)) from None


def _describe(error: ValidationError, prefix: str, data: Any) -> str:
    """The first error as `<prefix>field: message`. Built from locations and pydantic's
    messages only: the input value (possibly a key) is never included."""
    first = error.errors(include_input=False, include_url=False)[0]
    field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"])
    field = field.lstrip(".")
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "missing":
        message = _missing_hint(field, data)
    more = error.error_count() - 1
    where = f"{prefix}{field}: " if field else (f"{prefix.rstrip(' .:')}: " if prefix else "")
    return where + message + (f" (and {more} more)" if more else "")


def _missing_hint(field: str, data: Any) -> str:
    provider = data.get("provider") if isinstance(data, Mapping) else None
    if field == "base_url" and isinstance(provider, str):
        return f"required for provider {provider}"
    if field == "provider":
        return "required (or give base_url for an OpenAI-compatible chat-completions server)"
    return "required"


def load_settings(path: Path) -> Settings:
    """Read and validate one settings file. Raises `SettingsError` (missing file,
    unreadable file, invalid JSON with line and column, invalid content)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(
            f"{path}: settings file not found (create it, or set AUTOROUTER_SETTINGS)"
        ) from None
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise SettingsError(f"{path}: cannot read: {error.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SettingsError(
            f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    return parse_settings(data, source=path)


class SettingsStore:
    """Holds the last good settings; re-reads the file when its mtime/size changes (stat at
    most every `check_interval` seconds); a bad edit is logged once (event
    "settings_invalid", with the error text) and the last good settings stay in force;
    edits take effect without a restart."""

    def __init__(
        self, path: Path, initial: Settings | None = None, *, check_interval: float = 0.5
    ) -> None:
        self._path = path
        self._check_interval = check_interval
        self._signature = self._stat()
        self._settings = initial if initial is not None else load_settings(path)
        self._last_error: str | None = None
        self._next_check = time.monotonic() + check_interval

    @property
    def path(self) -> Path:
        return self._path

    @property
    def last_error(self) -> str | None:
        """Why the file on disk is not in force, or None when it is."""
        return self._last_error

    def current(self) -> Settings:
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + self._check_interval
            self._reload_if_changed()
        return self._settings

    def _stat(self) -> tuple[int, int, int] | None:
        # The inode is part of the signature because editors and our own writers replace
        # the file atomically, which may keep size and (coarse) mtime unchanged.
        try:
            info = self._path.stat()
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size, info.st_ino)

    def _reload_if_changed(self) -> None:
        signature = self._stat()
        if signature == self._signature:
            return
        self._signature = signature
        try:
            settings = load_settings(self._path)
        except SettingsError as error:
            self._last_error = str(error)
            log.warning("settings_invalid", error=self._last_error, path=str(self._path))
            return
        self._settings = settings
        self._last_error = None
        log.info("settings_reloaded", path=str(self._path), models=len(settings.models))
