"""Where a personal access token comes from, and the refusal of OpenAI API keys.

The token is the first non-empty of `$CODEX_ACCESS_TOKEN`, `$CODEX_PAT` and auth.json's
`personal_access_token`. An OpenAI API key (`sk-...`) is refused: it belongs to the
`openai` provider, and the backend would only answer 401. Loaded at start-up (to log such
a refusal at once), so it holds nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from router.chatgpt.login import CodexAuthError, read_json_object
from router.telemetry.logs import get_logger

log = get_logger("autorouter.codex_pat")

TOKEN_ENVS = ("CODEX_ACCESS_TOKEN", "CODEX_PAT")


def refuse_api_key(token: str, source: str) -> str:
    """`token`, unless it is an OpenAI API key."""
    if token.startswith("sk-"):
        raise CodexAuthError(
            f"{source} holds an OpenAI API key (sk-...), which the ChatGPT Codex backend does "
            'not accept: it belongs to the OpenAI provider; configure it as an "openai" '
            'model in the settings instead (for example {"model": "gpt-5.5", "provider": '
            '"openai", "api_key_env": "OPENAI_API_KEY"}), and give Codex a personal access '
            "token here"
        )
    return token


def personal_access_token(environ: Mapping[str, str], auth_path: Path) -> str | None:
    """The configured personal access token, or None. Raises `CodexAuthError` for sk- keys."""
    for name in TOKEN_ENVS:
        value = environ.get(name, "").strip()
        if value:
            return refuse_api_key(value, f"${name}")
    data = read_json_object(auth_path) or {}
    stored = data.get("personal_access_token")
    if isinstance(stored, str) and stored.strip():
        return refuse_api_key(stored.strip(), f"{auth_path} personal_access_token")
    return None


def log_refused_token(environ: Mapping[str, str], auth_path: Path) -> str | None:
    """At start-up: say in the log that the configured token is refused, and why (the
    reason names where the token was found, never the token). Returns the reason."""
    try:
        personal_access_token(environ, auth_path)
    except CodexAuthError as exc:
        log.warning("codex_token_refused", reason=str(exc))
        return str(exc)
    return None
