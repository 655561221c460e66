"""What this machine already offers: provider keys in the environment, local model servers,
a ChatGPT login, Pi's stored logins and a codex-shim `models.json`.

Everything here only reads: files, environment variables and, for local servers, one GET
on a loopback port with a short timeout. Keys are found by the name of their variable and
written into settings entries by that name (`api_key_env`), never by value; a key stored in
a file (Pi's auth.json) is reported, not copied.

Local servers are probed on their usual ports; `OLLAMA_HOST` moves Ollama's, and
`AUTOROUTER_LOCAL_SERVERS` (`kind=url,kind=url`, or `none`) replaces the whole list (tests
point it at a mock on a free port).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from router.settings.compat import MODEL_LIST_KEYS, make_slug
from router.settings.known import Provider, Table
from router.settings.models import DEFAULT_BASE_URLS

LOCAL_SERVERS_ENV = "AUTOROUTER_LOCAL_SERVERS"
DEFAULT_LOCAL_SERVERS = (
    ("ollama", "http://127.0.0.1:11434"),
    ("lmstudio", "http://127.0.0.1:1234"),
    ("llama.cpp", "http://127.0.0.1:8080"),
    ("vllm", "http://127.0.0.1:8000"),
)
PROBE_TIMEOUT = httpx.Timeout(1.0, connect=0.3)
ASK_TIMEOUT = 5.0
OWN_PORT = 8642
CHATGPT_SLUG_PREFIX = "chatgpt-"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class Source:
    """One place models were found, with the settings entries it contributes."""

    label: str
    kind: str
    """"key", "local", "chatgpt" or "shim"."""
    tag: str
    """Added to a slug that another source already took (`qwen3-lmstudio`)."""
    entries: list[Any] = field(default_factory=list)


@dataclass
class Discovery:
    sources: list[Source] = field(default_factory=list)
    unusable: list[str] = field(default_factory=list)
    """What was found but cannot be used, each with what to do instead."""
    shim_router: Any = None
    pi_codex_login: Path | None = None
    """Pi's ChatGPT login, to add to the accounts pool (no other ChatGPT credential)."""


def discover(
    environ: Mapping[str, str],
    table: Table,
    *,
    home: Path | None = None,
    keys: bool = True,
    shim: bool = True,
    ask_chatgpt: bool = True,
) -> Discovery:
    """Everything found. `keys=False, shim=False` keeps to what costs nothing to use
    (a ChatGPT login, local servers): that is what runs without a settings file.
    `ask_chatgpt` asks the Codex backend which models the login offers (at most
    `ASK_TIMEOUT` seconds); without it, the last list seen or the fallback is used."""
    home = home if home is not None else Path.home()
    found = Discovery()
    if shim:
        _codex_shim(found, environ, home)
    _chatgpt(found, environ, home, table, ask_chatgpt)
    if keys:
        _provider_keys(found, environ, table)
    _local_servers(found, environ)
    return found


# -- keys in the environment -------------------------------------------------------------


def points_at_us(url: str) -> bool:
    """A base URL that is the autorouter itself (a client's ANTHROPIC_BASE_URL left
    exported): using it as an upstream would send every request in a circle."""
    parts = urlsplit(url)
    return parts.hostname in LOOPBACK and parts.port == OWN_PORT


def _provider_keys(found: Discovery, environ: Mapping[str, str], table: Table) -> None:
    for provider in table.providers:
        variable = next((name for name in provider.key_env if environ.get(name, "").strip()), None)
        if variable is None:
            continue
        base_url = provider.base_url
        override = environ.get(provider.base_url_env or "", "").strip()
        if override and points_at_us(override):
            found.unusable.append(
                f"${provider.base_url_env} points at the autorouter itself; "
                f"{provider.name} models use {provider.base_url}"
            )
        elif override:
            base_url = override.rstrip("/")
        entries = [_key_entry(provider, model, variable, base_url) for model in provider.models]
        label = f"{provider.name}: key in ${variable}"
        if base_url != provider.base_url:
            label += f", base URL from ${provider.base_url_env}"
        found.sources.append(Source(label, "key", provider.id, entries))


def _key_entry(provider: Provider, model: str, variable: str, base_url: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"model": model, "provider": provider.provider}
    if provider.slug_prefix:
        entry["slug"] = provider.slug_prefix + make_slug(model)
    if DEFAULT_BASE_URLS.get(provider.provider) != base_url:
        entry["base_url"] = base_url
    entry["api_key_env"] = variable
    return entry


# -- local servers -----------------------------------------------------------------------


def local_servers(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """(kind, root URL) of every local server to probe."""
    explicit = environ.get(LOCAL_SERVERS_ENV)
    if explicit is not None:
        if explicit.strip().lower() in ("", "none", "off"):
            return []
        servers = []
        for item in explicit.split(","):
            kind, _, url = item.strip().partition("=")
            if kind and url:
                servers.append((kind.strip().lower(), url.strip().rstrip("/")))
        return servers
    servers = list(DEFAULT_LOCAL_SERVERS)
    ollama_host = environ.get("OLLAMA_HOST", "").strip()
    if ollama_host:
        servers[0] = ("ollama", _ollama_root(ollama_host))
    return servers


def _ollama_root(host: str) -> str:
    # OLLAMA_HOST is "host", "host:port" or a URL; 0.0.0.0 is where it listens, not an address.
    url = host if "://" in host else f"http://{host}"
    parts = urlsplit(url)
    name = parts.hostname or "127.0.0.1"
    name = "127.0.0.1" if name in ("0.0.0.0", "::") else name
    return f"{parts.scheme}://{name}:{parts.port or 11434}"


def _local_servers(found: Discovery, environ: Mapping[str, str]) -> None:
    servers = local_servers(environ)
    if not servers:
        return
    with httpx.Client(timeout=PROBE_TIMEOUT, trust_env=False) as client:
        for kind, root in servers:
            names = _listed_models(client, kind, root)
            if not names:
                continue
            entries = [_local_entry(kind, root, name) for name in names]
            found.sources.append(Source(f"{kind} at {root}", "local", make_slug(kind), entries))


def _listed_models(client: httpx.Client, kind: str, root: str) -> list[str]:
    paths = ["/api/tags", "/v1/models"] if kind == "ollama" else ["/v1/models"]
    for path in paths:
        try:
            response = client.get(root + path)
            answer = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            continue
        if not isinstance(answer, Mapping):
            continue
        listed = answer.get("models") if path == "/api/tags" else answer.get("data")
        key = "name" if path == "/api/tags" else "id"
        names = [
            item[key]
            for item in (listed if isinstance(listed, list) else [])
            if isinstance(item, Mapping) and isinstance(item.get(key), str) and item[key]
        ]
        # Embedding models are listed beside chat models but cannot serve a chat request.
        names = [name for name in names if "embed" not in name.lower()]
        if names:
            return list(dict.fromkeys(names))
    return []


def _local_entry(kind: str, root: str, name: str) -> dict[str, Any]:
    if kind == "ollama":
        entry: dict[str, Any] = {"model": name, "provider": "ollama"}
        if f"{root}/v1" != DEFAULT_BASE_URLS["ollama"]:
            entry["base_url"] = f"{root}/v1"
        return entry
    return {"model": name, "provider": "generic-chat-completion-api", "base_url": f"{root}/v1"}


# -- ChatGPT and Pi --------------------------------------------------------------------------


def _chatgpt(
    found: Discovery, environ: Mapping[str, str], home: Path, table: Table, ask: bool
) -> None:
    from router.chatgpt.login import CodexAuthError, auth_json_path, read_json_object
    from router.chatgpt.token_source import personal_access_token

    auth_path = auth_json_path(environ)
    label = None
    try:
        if personal_access_token(environ, auth_path):
            label = "ChatGPT access token"
    except CodexAuthError as exc:
        found.unusable.append(str(exc))
    tokens = (read_json_object(auth_path) or {}).get("tokens")
    if label is None and isinstance(tokens, Mapping) and tokens.get("access_token"):
        label = f"ChatGPT login in {auth_path}"
    if label is None and _pool_has_accounts():
        label = "ChatGPT accounts pool (`autorouter accounts`)"
    pi_path = _pi_auth_path(environ, home)
    pi = read_json_object(pi_path) or {}
    pi_codex = pi.get("openai-codex")
    if isinstance(pi_codex, Mapping) and isinstance(pi_codex.get("access"), str):
        if label is None:
            label = f"Pi's ChatGPT login in {pi_path} (added to the accounts pool)"
            found.pi_codex_login = pi_path
        else:
            found.unusable.append(
                f"Pi's ChatGPT login in {pi_path}: not added, {label} is used "
                "(`autorouter accounts add --pi-auth` pools both)"
            )
    _pi_other_logins(found, pi, pi_path, table, environ)
    if label is not None:
        names = _account_models(environ) if ask and found.pi_codex_login is None else []
        if not names:
            from router.chatgpt.models import MODELS_CACHE, known_models
            from router.settings.paths import state_dir

            names = known_models(environ, state_dir() / MODELS_CACHE)
        entries = [
            {"slug": CHATGPT_SLUG_PREFIX + make_slug(name), "model": name, "provider": "codex"}
            for name in names
        ]
        found.sources.append(Source(label, "chatgpt", "chatgpt", entries))


def _account_models(environ: Mapping[str, str]) -> list[str]:
    """The models the login's account offers, from the Codex backend (and cached there
    for the catalog); [] when it cannot be asked in time."""
    from router.chatgpt.service import CodexService

    async def ask() -> list[str]:
        service = CodexService(environ)
        listed = await asyncio.wait_for(service.listed_models(), ASK_TIMEOUT)
        return [config.model for config in listed]

    try:
        return asyncio.run(ask())
    except Exception:
        # Only the list of slugs depends on it: the fallback list stands in.
        return []


def _pool_has_accounts() -> bool:
    from router.chatgpt.accounts_store import ACCOUNTS_FILE, AccountsStore
    from router.settings.paths import state_dir

    path = state_dir() / ACCOUNTS_FILE
    if not path.exists():
        return False
    try:
        return bool(AccountsStore(path).load().accounts)
    except (OSError, ValueError):
        return False


def _pi_auth_path(environ: Mapping[str, str], home: Path) -> Path:
    explicit = environ.get("PI_CODING_AGENT_DIR")
    return (Path(explicit).expanduser() if explicit else home / ".pi" / "agent") / "auth.json"


_PI_PROVIDER_IDS = {"google": "gemini", "kimi-coding": "moonshot"}


def _pi_other_logins(
    found: Discovery, pi: Mapping[str, Any], path: Path, table: Table, environ: Mapping[str, str]
) -> None:
    providers = {provider.id: provider for provider in table.providers}
    for name, entry in pi.items():
        if name == "openai-codex" or not isinstance(entry, Mapping):
            continue
        provider = providers.get(_PI_PROVIDER_IDS.get(name, name))
        if entry.get("type") == "api_key" and provider is not None:
            if not any(environ.get(variable) for variable in provider.key_env):
                found.unusable.append(
                    f"Pi stores a {provider.name} key in {path}; keys are never copied: "
                    f"export {provider.key_env[0]} and run `autorouter init` again"
                )
        elif entry.get("type") != "api_key":
            found.unusable.append(
                f"Pi's {name} login in {path}: not supported (the autorouter uses API keys "
                "and ChatGPT logins)"
            )


# -- codex-shim ------------------------------------------------------------------------------


def shim_models_path(environ: Mapping[str, str], home: Path) -> Path:
    explicit = environ.get("CODEX_SHIM_HOME")
    return (Path(explicit).expanduser() if explicit else home / ".codex-shim") / "models.json"


def _codex_shim(found: Discovery, environ: Mapping[str, str], home: Path) -> None:
    path = shim_models_path(environ, home)
    if not path.exists():
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        found.unusable.append(f"{path}: not readable as JSON ({type(exc).__name__}); not imported")
        return
    if not isinstance(data, Mapping):
        found.unusable.append(f"{path}: not a JSON object; not imported")
        return
    entries: list[Any] = []
    for key in MODEL_LIST_KEYS:
        listed = data.get(key)
        if isinstance(listed, list):
            entries.extend(listed)
    found.sources.append(Source(f"codex-shim models in {path}", "shim", "shim", entries))
    found.shim_router = data.get("router")
