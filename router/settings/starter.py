"""A starter settings file from what `discovery` found, or new findings added to an
existing one.

An existing file is kept as it is: entries whose slug it already has are left alone, new
models are appended to its model list, and new candidates to its Auto block. A file without
an Auto block gets one: the models as candidates ordered by price (local servers and a
ChatGPT plan count as free; a model without a known price goes last), each with the card
the table knows or a neutral one, the cheapest classifier-capable model as classifier, the
cheapest strong model as default, and threshold 0.7.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from router.settings.compat import MODEL_LIST_KEYS, canonical_model_entry, make_slug
from router.settings.discovery import LOOPBACK, Discovery
from router.settings.known import NEUTRAL_CARD, KnownModel, Table
from router.settings.models import DEFAULT_BASE_URLS

THRESHOLD = 0.7
INPUT_SHARE = 0.75
"""Codex requests are mostly input; a candidate's cost blends prices 3 input : 1 output."""


@dataclass
class Plan:
    data: dict[str, Any]
    added: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changed: bool = False


def slug_of(raw: Any) -> str | None:
    if isinstance(raw, str):
        return make_slug(raw)
    if isinstance(raw, Mapping):
        slug = raw.get("slug")
        if isinstance(slug, str):
            return slug
        model = raw.get("model")
        if isinstance(model, str):
            return make_slug(model)
    return None


def build_plan(existing: Mapping[str, Any] | None, found: Discovery, table: Table) -> Plan:
    """The file after this run. `existing` is the file's decoded JSON, never modified."""
    data: dict[str, Any] = copy.deepcopy(dict(existing)) if existing else {}
    table = table.with_overrides(data.get("known_models"))
    list_key = next((key for key in MODEL_LIST_KEYS if isinstance(data.get(key), list)), "models")
    models: list[Any] = data.setdefault(list_key, [])
    present = [raw for key in MODEL_LIST_KEYS for raw in data.get(key) or []]
    taken = {slug for raw in present if (slug := slug_of(raw))}
    known_here = {identity for raw in present if (identity := _identity(raw))}
    plan = Plan(data)
    shim_slugs: set[str] = set()
    for source in found.sources:
        for raw in source.entries:
            slug, identity = slug_of(raw), _identity(raw)
            if slug is None or identity is None or identity in known_here:
                continue
            if slug in taken and source.kind != "shim":
                slug = f"{slug}-{source.tag}"
            if slug in taken:
                continue
            entry = raw if source.kind == "shim" else _enriched(raw, slug, table, plan)
            models.append(entry)
            taken.add(slug)
            known_here.add(identity)
            plan.added.append(slug)
            if source.kind == "shim":
                shim_slugs.add(slug)
    if "router" not in data and found.shim_router is not None and shim_slugs:
        data["router"] = copy.deepcopy(found.shim_router)
        plan.notes.append("Auto block imported from codex-shim as it is")
    new_candidates = [slug for slug in plan.added if slug not in shim_slugs]
    if isinstance(data.get("router"), dict):
        _extend_router(data["router"], new_candidates, models, table)
    elif models:
        data["router"] = _new_router(models, table)
    if not data[list_key]:
        del data[list_key]
    plan.changed = data != (dict(existing) if existing else {})
    return plan


def _identity(raw: Any) -> tuple[str, str, str] | None:
    """What makes two entries the same model: name, provider and address (the slug may
    differ). Spelt as the loader fills them in, so a hand-written entry matches too."""
    try:
        entry = canonical_model_entry(raw, "")
    except ValueError:
        return None
    model, provider, base_url = entry.get("model"), entry.get("provider"), entry.get("base_url")
    if not isinstance(model, str):
        return None
    if not isinstance(provider, str):
        provider = "generic-chat-completion-api"
    provider = provider.strip().lower()
    if not isinstance(base_url, str):
        base_url = DEFAULT_BASE_URLS.get(provider, "")
    base_url = base_url.strip().rstrip("/")
    if provider == "ollama" and not base_url.endswith("/v1"):
        base_url += "/v1"
    return (model, provider, base_url)


def _enriched(raw: Mapping[str, Any], slug: str, table: Table, plan: Plan) -> dict[str, Any]:
    entry = dict(raw)
    if slug != make_slug(str(entry["model"])):
        entry["slug"] = slug
    known = table.model(str(entry["model"]))
    if known is None:
        entry["no_image_support"] = True
        plan.notes.append(
            f"{slug}: not in the table of known models: neutral card, no price, no images "
            "(edit its card in router.candidates and add a price)"
        )
        return entry
    if entry.get("provider") == "codex":
        # The backend's model list reports window and modalities per account; a value
        # written here would override it.
        return entry
    if not known.images:
        entry["no_image_support"] = True
    if known.context:
        entry["max_context_limit"] = known.context
    if known.price is not None and not _is_local(entry):
        entry["price"] = dict(known.price)
        entry["price_source"] = f"{known.source} ({table.as_of})"
    elif known.price is None and not _is_local(entry):
        plan.notes.append(f"{slug}: no price known; Auto treats it as the priciest candidate")
    return entry


def _is_local(entry: Mapping[str, Any]) -> bool:
    """A model on this machine, which costs nothing per token: a loopback address and no
    key (a provider's key with a loopback base URL is a proxy in front of a paid API)."""
    if any(entry.get(field) for field in ("api_key", "api_key_env", "api_keys")):
        return False
    if entry.get("provider") == "ollama" and not entry.get("base_url"):
        return True
    base_url = entry.get("base_url")
    return isinstance(base_url, str) and urlsplit(base_url).hostname in LOOPBACK


def _price_cost(entry: Mapping[str, Any]) -> float | None:
    """What Auto orders candidates by: free (0) for local servers and a ChatGPT plan,
    else the blended list price, else None (unknown)."""
    if entry.get("provider") == "codex" or _is_local(entry):
        return 0.0
    price = entry.get("price")
    if isinstance(price, Mapping):
        try:
            blended = INPUT_SHARE * float(price["input"]) + (1 - INPUT_SHARE) * float(
                price["output"]
            )
        except (KeyError, TypeError, ValueError):
            return None
        return round(blended, 4)
    return None


@dataclass
class _Option:
    slug: str
    cost: float | None
    known: KnownModel | None
    images: bool


def _options(models: list[Any], table: Table) -> list[_Option]:
    options = []
    for raw in models:
        slug = slug_of(raw)
        if slug is None:
            continue
        entry = canonical_model_entry(raw, slug) if isinstance(raw, (str, Mapping)) else {}
        name = entry.get("model")
        known = table.model(name) if isinstance(name, str) else None
        options.append(
            _Option(slug, _price_cost(entry), known, not entry.get("no_image_support", False))
        )
    return options


def _with_costs(options: list[_Option]) -> list[_Option]:
    known_costs = [option.cost for option in options if option.cost is not None]
    priciest = max([*known_costs, 1.0])
    return sorted(
        (
            _Option(o.slug, priciest if o.cost is None else o.cost, o.known, o.images)
            for o in options
        ),
        key=lambda option: option.cost or 0.0,
    )


def _candidate(option: _Option) -> dict[str, Any]:
    return {
        "slug": option.slug,
        "cost": option.cost,
        "card": option.known.card if option.known else NEUTRAL_CARD,
    }


def _new_router(models: list[Any], table: Table) -> dict[str, Any]:
    options = _with_costs(_options(models, table))
    if not options:
        return {"enabled": False}
    classifier = next((o for o in options if o.known and o.known.classifier), options[0])
    default = next((o for o in options if o.known and o.known.tier >= 2), options[-1])
    return {
        "classifier": classifier.slug,
        "default": default.slug,
        "threshold": THRESHOLD,
        "candidates": [_candidate(option) for option in options],
    }


def _extend_router(
    router: dict[str, Any], slugs: list[str], models: list[Any], table: Table
) -> None:
    if not slugs:
        return
    candidates = router.setdefault("candidates", [])
    if not isinstance(candidates, list):
        return
    listed = {item.get("slug") for item in candidates if isinstance(item, Mapping)}
    options = {o.slug: o for o in _with_costs(_options(models, table))}
    candidates.extend(
        _candidate(options[slug]) for slug in slugs if slug in options and slug not in listed
    )
