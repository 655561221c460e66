"""The Codex model catalog and the Codex configuration that points at us.

Codex 0.169.0 reads `model_catalog_json` (`{"models": [ModelInfo, ...]}`) instead of its
bundled list, and rejects the whole file when one entry lacks a required field, so every
entry here carries all of them. Nothing in the catalog or the config text comes from a
key: entries are built from slugs, names, windows and modalities only. A ChatGPT model's
entry carries what the backend's model list reported for it (window, compaction limit,
reasoning levels, modalities: `router.chatgpt.models.ModelFacts`) instead of defaults.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import tomlkit

from router.chatgpt.models import ModelFacts
from router.chatgpt.service import CodexService
from router.settings import DEFAULT_CONTEXT_WINDOW, ModelConfig, RouterConfig, Settings

__all__ = [
    "BASE_INSTRUCTIONS",
    "build_catalog",
    "codex_overrides",
    "provider_snippet",
    "write_catalog",
]

PROVIDER_NAME = "codex-autorouter"
"""The provider's display name. Never "OpenAI": that name switches Codex to remote
compaction, which our upstreams cannot answer."""

STREAM_IDLE_TIMEOUT_MS = 300_000
AUTO_COMPACT_RATIO = 0.9
"""Codex compacts at 90% of the window when no explicit limit is given; we state it so
every entry behaves the same way."""

REASONING_LEVELS = [
    {"effort": "low", "description": "Fast answers with light reasoning"},
    {"effort": "medium", "description": "Balanced speed and depth for everyday tasks"},
    {"effort": "high", "description": "Deeper reasoning for hard or multi-step problems"},
]

BASE_INSTRUCTIONS = """\
You are a coding agent working in the user's workspace through the Codex CLI. Help the user by \
reading code, running commands and changing files until the task is done.

How to work
- Look before you change: read the relevant files and follow the conventions you find. Keep \
changes focused on the task.
- Run shell commands with the exec_command tool; set its workdir instead of using cd. Prefer \
rg for searching, and read long files in slices.
- Edit files only with the apply_patch tool, never with shell redirection or ad-hoc scripts. \
A patch looks like:
*** Begin Patch
*** Update File: src/app.py
@@ def greet():
-    print("hi")
+    print("hello")
*** End Patch
  Use "*** Add File: <path>" (every line prefixed with +) and "*** Delete File: <path>" for \
new and removed files. Paths are relative to the working directory.
- After a change, check it: run the relevant tests, linters or the program, and fix what you \
broke. Mention unrelated problems instead of fixing them.
- Never revert changes you did not make, and never run destructive commands (git reset \
--hard, rm -rf, force pushes) unless the user asked for them.
- If the sandbox or an approval blocks a command you need, say which and why.
- Keep going until the task is complete. Ask only when you are truly blocked or the decision \
belongs to the user.

Answering
- Be concise and direct; skip preambles. When you finish, say what you changed and how you \
verified it, naming files as path:line. Use short Markdown lists where they help."""

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def build_catalog(settings: Settings) -> dict[str, Any]:
    """The catalog Codex reads: the Auto entry first (when enabled), then every model, in
    the order of the settings file."""
    entries: list[dict[str, Any]] = []
    codex = CodexService(os.environ)
    if settings.router is not None and settings.router.enabled:
        entries.append(_auto_entry(settings.router, settings, codex))
    # Codex passthrough models are listed only while a ChatGPT credential exists.
    has_codex = codex.available()
    models = [m for m in settings.models if m.kind != "codex" or has_codex]
    for model in models + codex.catalog_models():
        facts = _facts(model, codex)
        entries.append(
            _entry(
                slug=model.slug,
                display_name=model.display_name,
                description=f"{model.model} via {model.provider}",
                context_window=_window(model, facts),
                images=_images(model, facts),
                facts=facts,
            )
        )
    for priority, entry in enumerate(entries, start=1):
        entry["priority"] = priority
    return {"models": entries}


def _facts(model: ModelConfig, codex: CodexService) -> ModelFacts | None:
    """What the ChatGPT backend's model list said about a Codex model, if anything."""
    return codex.discovery.facts(model.model) if model.kind == "codex" else None


def _window(model: ModelConfig, facts: ModelFacts | None) -> int:
    # A window set in the settings wins; else the backend's, so Codex does not compact a
    # 272k-token model at 90% of the default window.
    reported = facts.context_window if facts is not None else None
    return model.max_context_limit or reported or DEFAULT_CONTEXT_WINDOW


def _images(model: ModelConfig, facts: ModelFacts | None) -> bool:
    reported = facts.takes_images if facts is not None else None
    return model.supports_images if model.no_image_support or reported is None else reported


def _auto_entry(router: RouterConfig, settings: Settings, codex: CodexService) -> dict[str, Any]:
    # The window is the largest candidate's: eligibility leaves out candidates too small
    # for a request, so Auto can serve anything the biggest one can. Likewise Auto accepts
    # images when any candidate does, since an image request is routed only to those.
    models = [settings.model(candidate.slug) for candidate in router.candidates]
    windows = [_window(model, _facts(model, codex)) for model in models if model is not None]
    names = ", ".join(model.display_name for model in models if model is not None)
    return _entry(
        slug=router.slug,
        display_name=router.display_name,
        description=f"Routes each task to the best suited of: {names}",
        context_window=max(windows, default=DEFAULT_CONTEXT_WINDOW),
        images=any(candidate.supports_images for candidate in router.candidates),
    )


def _reasoning(facts: ModelFacts | None) -> tuple[list[dict[str, str]], str]:
    """The reasoning levels (and the default one) the backend reports, else ours."""
    if facts is None or facts.reasoning_levels is None:
        return [dict(level) for level in REASONING_LEVELS], "medium"
    levels = [{"effort": e, "description": d} for e, d in facts.reasoning_levels]
    efforts = [level["effort"] for level in levels]
    default = facts.default_reasoning_level
    if default is None:
        default = "medium" if "medium" in efforts else efforts[0]
    return levels, default


def _entry(
    *,
    slug: str,
    display_name: str,
    description: str,
    context_window: int,
    images: bool,
    facts: ModelFacts | None = None,
) -> dict[str, Any]:
    levels, default_level = _reasoning(facts)
    compact_at = facts.auto_compact_token_limit if facts is not None else None
    if compact_at is None or compact_at > context_window:
        compact_at = int(context_window * AUTO_COMPACT_RATIO)
    return {
        "slug": slug,
        "display_name": display_name,
        "description": description,
        "supported_reasoning_levels": levels,
        "default_reasoning_level": default_level,
        "shell_type": "shell_command",
        "visibility": "list",
        "supported_in_api": True,
        "priority": 0,
        "support_verbosity": False,
        "truncation_policy": {"mode": "tokens", "limit": 10000},
        "experimental_supported_tools": [],
        "base_instructions": BASE_INSTRUCTIONS,
        "apply_patch_tool_type": "freeform",
        "supports_parallel_tool_calls": True,
        "supports_reasoning_summaries": True,
        "context_window": context_window,
        "auto_compact_token_limit": compact_at,
        "input_modalities": ["text", "image"] if images else ["text"],
    }


def write_catalog(settings: Settings, path: Path) -> Path:
    """Write the catalog to `path` atomically (a reader sees the old file or the new one,
    never half of one) and return `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(build_catalog(settings), indent=2, ensure_ascii=False) + "\n"
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as temp:
            temp.write(text)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path


def provider_snippet(
    base_url: str, catalog_path: Path, model: str, provider_id: str = "autorouter"
) -> str:
    """TOML for `~/.codex/config.toml` that makes Codex talk to us with our catalog."""
    _check_provider_id(provider_id)
    document = tomlkit.document()
    document.add("model", model)
    document.add("model_provider", provider_id)
    document.add("model_catalog_json", str(catalog_path.absolute()))
    provider = tomlkit.table()
    for key, value in _provider_fields(base_url).items():
        provider.add(key, value)
    providers = tomlkit.table(is_super_table=True)
    providers.add(provider_id, provider)
    document.add("model_providers", providers)
    return tomlkit.dumps(document)


def codex_overrides(
    base_url: str, catalog_path: Path, model: str | None, provider_id: str = "autorouter"
) -> list[str]:
    """The same setup as `-c key=value` arguments, for running Codex without touching its
    config file. Values are TOML, so paths and names are quoted and escaped."""
    _check_provider_id(provider_id)
    fields = _provider_fields(base_url)
    inline = ",".join(f"{key}={_toml(fields[key])}" for key in ("name", "base_url", "wire_api"))
    overrides = [
        f"model_provider={_toml(provider_id)}",
        f"model_catalog_json={_toml(str(catalog_path.absolute()))}",
        f"model_providers.{provider_id}={{{inline}}}",
    ]
    if model is not None:
        overrides.append(f"model={_toml(model)}")
    return [part for override in overrides for part in ("-c", override)]


def _provider_fields(base_url: str) -> dict[str, Any]:
    url = base_url.rstrip("/")
    if not url.endswith("/v1"):
        url += "/v1"  # Codex posts to {base_url}/responses; we serve /v1/responses
    return {
        "name": PROVIDER_NAME,
        "base_url": url,
        "wire_api": "responses",
        "requires_openai_auth": False,
        "stream_idle_timeout_ms": STREAM_IDLE_TIMEOUT_MS,
    }


def _toml(value: Any) -> str:
    text: str = tomlkit.item(value).as_string()
    return text


def _check_provider_id(provider_id: str) -> None:
    # It becomes a bare TOML key in `model_providers.<id>`.
    if not _BARE_KEY.match(provider_id):
        raise ValueError(f"provider id must be letters, digits, - or _: {provider_id!r}")
