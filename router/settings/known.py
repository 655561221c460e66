"""The table of well-known providers and models shipped with the project.

`known_models.json` beside this module says, per provider, which environment variables
hold its key and which models `autorouter init` offers with it, and per model a capability
card, whether it takes images, its tier (1 cheap, 2 strong, 3 frontier) and its price with
the page the price came from. A settings file may override model entries with a top-level
`known_models` block of the same shape; nothing else reads the table at request time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

TABLE_FILE = Path(__file__).with_name("known_models.json")

NEUTRAL_CARD = (
    "No capability card known for this model: assume a general-purpose model of unknown strength."
)


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    key_env: tuple[str, ...]
    base_url_env: str | None
    provider: str
    base_url: str
    models: tuple[str, ...]
    slug_prefix: str = ""


@dataclass(frozen=True)
class KnownModel:
    card: str
    tier: int = 1
    images: bool = True
    classifier: bool = False
    context: int | None = None
    price: dict[str, float] | None = None
    source: str | None = None


@dataclass(frozen=True)
class Table:
    as_of: str
    providers: tuple[Provider, ...]
    models: dict[str, KnownModel] = field(default_factory=dict)

    def model(self, name: str) -> KnownModel | None:
        """The entry for `name`, else for its family (`qwen3-coder:30b` -> `qwen3-coder`)."""
        found = self.models.get(name)
        if found is None and ":" in name:
            found = self.models.get(name.split(":", 1)[0])
        return found

    def with_overrides(self, overrides: Any) -> Table:
        """This table with a settings file's `known_models` block laid over it; entries
        that are not objects with a card are ignored (the file's own loader says nothing
        about this block, so it must not break `init`)."""
        if not isinstance(overrides, Mapping):
            return self
        models = dict(self.models)
        for name, raw in overrides.items():
            entry = _model(raw, models.get(name))
            if isinstance(name, str) and entry is not None:
                models[name] = entry
        return Table(self.as_of, self.providers, models)


def _model(raw: Any, base: KnownModel | None) -> KnownModel | None:
    if not isinstance(raw, Mapping):
        return None
    card = raw.get("card", base.card if base else None)
    if not isinstance(card, str) or not card:
        return None
    price = raw.get("price", base.price if base else None)
    return KnownModel(
        card=card,
        tier=int(raw.get("tier", base.tier if base else 1)),
        images=bool(raw.get("images", base.images if base else True)),
        classifier=bool(raw.get("classifier", base.classifier if base else False)),
        context=raw.get("context", base.context if base else None),
        price=dict(price) if isinstance(price, Mapping) else None,
        source=raw.get("source", base.source if base else None),
    )


@cache
def load_table() -> Table:
    data = json.loads(TABLE_FILE.read_text(encoding="utf-8"))
    providers = tuple(
        Provider(
            id=item["id"],
            name=item["name"],
            key_env=tuple(item["key_env"]),
            base_url_env=item.get("base_url_env"),
            provider=item["provider"],
            base_url=item["base_url"],
            models=tuple(item["models"]),
            slug_prefix=item.get("slug_prefix", ""),
        )
        for item in data["providers"]
    )
    models = {name: entry for name, raw in data["models"].items() if (entry := _model(raw, None))}
    return Table(str(data["as_of"]), providers, models)
