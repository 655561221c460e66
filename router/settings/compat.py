"""Read codex-shim's `models.json` shapes as they are found in the wild.

codex-shim users keep their models under `models`, the legacy `customModels`, or a launch
list (`launchModels` / `launch_models`), or make the whole file one bare list of model rows,
with snake_case or camelCase field names, and sometimes as bare model-name strings. This module turns all of that into one canonical
snake_case shape before pydantic sees it, so the settings models themselves stay plain.
It only renames and regroups; it never judges values (that is pydantic's job).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MODEL_LIST_KEYS = ("models", "customModels", "launchModels", "launch_models")
"""Every key a model list may live under. All present lists are read, in this order."""

BARE_STRING_PROVIDER = "ollama"
"""A bare string entry names a local Ollama model: that is what codex-shim's launch lists
hold, and Ollama at its default address needs neither a base URL nor a key."""

_EXTRA_ALIASES = {"supports_thinking": "thinking"}
"""Aliases that are not simply the camelCase spelling of a field."""

_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class ShapeError(ValueError):
    """The file's shape is wrong before any field is looked at.

    `where` names the place ("models[2]", "router"), without the file.
    """

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where


def make_slug(name: str) -> str:
    """A model name as a slug: lowercase, every run of other characters turned into `-`.

    `kimi-k2.6` -> `kimi-k2-6`, `gpt-oss:20b` -> `gpt-oss-20b`. Returns "" when the name has
    no ASCII letter or digit at all. Applying it to its own output changes nothing.
    """
    return _NOT_SLUG.sub("-", name.lower()).strip("-")


def snake_key(key: str) -> str:
    """`maxContextLimit` -> `max_context_limit`; snake_case keys are returned unchanged."""
    snake = _CAMEL_HUMP.sub(r"_\1", key).lower() if not key.islower() else key
    return _EXTRA_ALIASES.get(snake, snake)


def canonical_keys(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Rename one object's keys to snake_case (not recursively: header names stay as given).

    The same field spelt two ways with different values is an error rather than a silent
    choice, because either choice would surprise half of the users who do it.
    """
    out: dict[str, Any] = {}
    spelling: dict[str, str] = {}
    for key, value in raw.items():
        name = snake_key(key)
        if name in out and out[name] != value:
            raise ShapeError(where, f"{name}: given twice, as {spelling[name]} and {key}")
        out[name] = value
        spelling[name] = key
    return out


def canonical_model_entry(raw: Any, where: str) -> dict[str, Any]:
    """One model entry in canonical shape: a bare string becomes an Ollama model."""
    if isinstance(raw, str):
        return {"model": raw, "provider": BARE_STRING_PROVIDER}
    if not isinstance(raw, Mapping):
        raise ShapeError(where, "expected an object or a model name string")
    entry = canonical_keys(raw, where)
    price = entry.get("price")
    if isinstance(price, Mapping):
        entry["price"] = canonical_keys(price, f"{where}: price")
    return entry


def canonical_document(data: Any) -> Any:
    """The file as an object: a bare top-level list is the model list, as in codex-shim."""
    return {"models": data} if isinstance(data, list) else data


def model_entries(data: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Every model entry in the file, each with the label errors use for it ("models[2]")."""
    entries: list[tuple[str, Any]] = []
    for key in MODEL_LIST_KEYS:
        if key not in data:
            continue
        listed = data[key]
        if not isinstance(listed, list):
            raise ShapeError(key, "expected a list of models")
        entries.extend((f"{key}[{index}]", entry) for index, entry in enumerate(listed))
    return entries


def entry_label(where: str, raw: Any) -> str:
    """`models[2] (slug "kimi-k2-6")` when a slug can be told, else just `models[2]`.

    Only the slug or the model name is ever shown: other fields may hold a key.
    """
    slug: Any = None
    if isinstance(raw, str):
        slug = make_slug(raw)
    elif isinstance(raw, Mapping):
        slug = raw.get("slug")
        if not isinstance(slug, str) and isinstance(raw.get("model"), str):
            slug = make_slug(raw["model"])
    return f'{where} (slug "{slug}")' if isinstance(slug, str) and slug else where


def canonical_section(raw: Any, where: str) -> dict[str, Any]:
    """The `router` or `server` block with snake_case keys; candidates too."""
    if not isinstance(raw, Mapping):
        raise ShapeError(where, "expected an object")
    section = canonical_keys(raw, where)
    candidates = section.get("candidates")
    if isinstance(candidates, list):
        section["candidates"] = [
            canonical_keys(item, f"{where}.candidates[{index}]")
            if isinstance(item, Mapping)
            else item
            for index, item in enumerate(candidates)
        ]
    return section
