"""Settings: one JSON file, validated once with pydantic, re-read when it changes.

The file is codex-shim's `models.json` shape (see `settings.compat`) plus our own optional
`router` and `server` blocks; the models themselves are in `settings.models`. Everything
is checked at load time so a request never meets a half-valid model.

Keys are resolved at request time, never at load time: the file stores `api_key` as
written (it may be `${VAR}`), and `api_key_env` by name. A key value never reaches a
repr, a log line, an error message or the Codex catalog.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from router.settings.compat import (
    ShapeError,
    canonical_document,
    canonical_model_entry,
    canonical_section,
    entry_label,
    make_slug,
    model_entries,
)
from router.settings.models import (
    _M,
    DEFAULT_BASE_URLS,
    DEFAULT_CONTEXT_WINDOW,
    LOCAL_CLASSIFIER,
    PROVIDER_KINDS,
    Candidate,
    ModelConfig,
    Price,
    RouterConfig,
    ServerConfig,
    Settings,
    SettingsError,
    log,
)
from router.settings.team import ClientConfig, StateConfig

__all__ = [
    "DEFAULT_BASE_URLS",
    "DEFAULT_CONTEXT_WINDOW",
    "LOCAL_CLASSIFIER",
    "PROVIDER_KINDS",
    "Candidate",
    "ClientConfig",
    "ModelConfig",
    "Price",
    "RouterConfig",
    "ServerConfig",
    "Settings",
    "SettingsError",
    "SettingsStore",
    "StateConfig",
    "default_settings_path",
    "load_settings",
    "make_slug",
    "parse_settings",
]


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
    data = canonical_document(data)
    if not isinstance(data, Mapping):
        raise _Problem('expected a JSON object with a "models" list, or a list of models')
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
    team: dict[str, Any] = {}
    if data.get("state") is not None:
        team["state"] = _validated(StateConfig, canonical_section(data["state"], "state"), "state.")
    if data.get("clients") is not None:
        team["clients"] = _clients(data["clients"])
    return _validated(
        Settings,
        {"models": models, "router": router, "server": server, "source": source, **team},
        "",
    )


def _clients(raw: Any) -> list[ClientConfig]:
    if not isinstance(raw, list):
        raise _Problem("clients: expected a list of client objects")
    return [
        _validated(ClientConfig, canonical_section(entry, f"clients[{i}]"), f"clients[{i}].")
        for i, entry in enumerate(raw)
    ]


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
            f"{path}: settings file not found (`autorouter init --settings PATH` writes one)"
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
