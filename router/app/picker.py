"""The model picker page: `GET /picker` and `POST /api/switch`.

The page lists Auto and every configured model, marks the one Codex's config.toml
selects, and switches it with a click. Switching writes the user's Codex config, so it
needs more than a request to localhost: a per-process token, generated when the app is
created and present only in the page, must come back in the `X-Autorouter-Token` header.
Another site's page cannot read it (same-origin policy), cannot send the custom header
without a CORS preflight we never answer, and cannot reach us under its own name (the
Host allowlist in front of every route).
"""

from __future__ import annotations

import hmac
import html
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from adapters.base import openai_error
from router.app.bodies import BodyRefused, read_body
from router.settings import Settings
from router.settings.paths import state_dir

if TYPE_CHECKING:
    from router.codex_setup.config_toml import CodexConfig

TOKEN_HEADER = "X-Autorouter-Token"
PICKER: web.AppKey[Picker] = web.AppKey("picker")


class Picker:
    def __init__(
        self,
        settings: Callable[[], Settings],
        config: Callable[[], CodexConfig] | None = None,
    ) -> None:
        self.settings = settings
        self.config = config or _user_config
        self.token = secrets.token_urlsafe(32)

    def choices(self) -> list[tuple[str, str]]:
        """(slug, display name) for Auto and every model, Auto first."""
        current = self.settings()
        rows = []
        if current.router is not None and current.auto_slug:
            rows.append((current.auto_slug, current.router.display_name))
        rows += [(model.slug, model.display_name) for model in current.models]
        return rows

    def token_ok(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(
            presented.encode(), self.token.encode()
        )


def _user_config() -> CodexConfig:
    # router.codex_setup.config_toml (tomlkit, the catalog) is imported on the first use of the
    # picker, not when the routes are registered: start-up time.
    from router.codex_setup.config_toml import CodexConfig, config_path

    return CodexConfig(config_path(), state_dir())


def _page(picker: Picker, active: str | None, nonce: str) -> str:
    items = []
    for slug, name in picker.choices():
        mark = ' aria-current="true" class="active"' if slug == active else ""
        label = html.escape(name) + ("" if name == slug else f" <code>{html.escape(slug)}</code>")
        items.append(
            f'<li{mark}><button type="button" data-slug="{html.escape(slug, quote=True)}">'
            f"{label}</button></li>"
        )
    token = html.escape(picker.token, quote=True)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="autorouter-token" content="{token}">
<title>codex-autorouter: model</title>
<style>
body {{ font: 15px system-ui, sans-serif; margin: 2em; }}
li {{ list-style: none; margin: .3em 0; }}
li.active button {{ font-weight: bold; }}
li.active button::after {{ content: "  (active)"; }}
</style></head><body>
<h1>Codex model</h1>
<p>Choose the model Codex uses for new sessions.</p>
<ul id="models">{"".join(items)}</ul>
<p id="status" role="status"></p>
<script nonce="{nonce}">
const token = document.querySelector('meta[name="autorouter-token"]').content;
for (const button of document.querySelectorAll("button[data-slug]")) {{
  button.addEventListener("click", async () => {{
    const status = document.getElementById("status");
    const response = await fetch("/api/switch", {{
      method: "POST",
      headers: {{"Content-Type": "application/json", "{TOKEN_HEADER}": token}},
      body: JSON.stringify({{model: button.dataset.slug}}),
    }});
    const data = await response.json();
    if (!response.ok) {{ status.textContent = data.error.message; return; }}
    for (const li of document.querySelectorAll("#models li")) {{
      li.classList.toggle("active", li.firstChild === button);
    }}
    status.textContent = "Codex now uses " + data.model + " (new sessions).";
    document.body.dataset.switched = data.model;
  }});
}}
</script></body></html>
"""


def _error(
    status: int, message: str, code: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(
        openai_error(message, "invalid_request_error", code),
        status=status,
        headers=headers,
    )


async def handle_picker(request: web.Request) -> web.Response:
    from router.codex_setup.config_toml import CodexConfigError

    picker = request.app[PICKER]
    try:
        active = picker.config().current_model()
    except CodexConfigError:
        active = None
    nonce = secrets.token_urlsafe(16)
    return web.Response(
        text=_page(picker, active, nonce),
        content_type="text/html",
        headers={
            "Content-Security-Policy": (
                f"default-src 'none'; script-src 'nonce-{nonce}'; "
                "style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'"
            ),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def handle_switch(request: web.Request) -> web.Response:
    from router.codex_setup.config_toml import CodexConfigError

    picker = request.app[PICKER]
    if not picker.token_ok(request.headers.get(TOKEN_HEADER)):
        return _error(403, "missing or wrong picker token; use the /picker page", "bad_token")
    try:
        body = json.loads(await read_body(request, picker.settings().server.max_body_bytes))
    except BodyRefused as exc:
        return _error(exc.status, exc.message, exc.code, exc.headers)
    except ValueError:
        return _error(400, 'body must be JSON: {"model": SLUG}', "invalid_json")
    slug = body.get("model") if isinstance(body, dict) else None
    known = [slug for slug, _ in picker.choices()]
    if slug not in known:
        return _error(400, f"unknown model {slug!r}; known: {', '.join(known)}", "unknown_model")
    try:
        picker.config().set_model(slug)
    except (CodexConfigError, OSError) as exc:
        return _error(500, f"could not change Codex's config: {exc}", "config_error")
    return web.json_response({"model": slug})


def register_picker(
    app: web.Application,
    settings: Callable[[], Settings],
    codex_config: Path | None = None,
) -> Picker:
    """Add the picker routes to `app` (`codex_config`: the config.toml to edit, for tests;
    default `$CODEX_HOME/config.toml`, looked up per request)."""
    config = None
    if codex_config is not None:
        path = codex_config

        def config() -> CodexConfig:
            from router.codex_setup.config_toml import CodexConfig

            return CodexConfig(path, state_dir())

    picker = Picker(settings, config)
    app[PICKER] = picker
    app.router.add_get("/picker", handle_picker)
    app.router.add_post("/api/switch", handle_switch)
    return picker
