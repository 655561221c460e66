"""Start-up loads only what a request needs: the rest is imported on first use.

Every module imported before `/health` answers is start-up time and resident memory of
the proxy, so these guard the lazy imports (router/routing/upstreams.py, router/app/inbound.py, the
CLI's commands, the tokenizer, the Codex integration).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from router.app.inbound import PASSTHROUGH_ADAPTERS
from router.cli.main import build_parser
from router.routing.upstreams import ADAPTERS, resolve

NOT_AT_START_UP = [
    "tiktoken",
    "tomlkit",
    "sqlite3",
    "adapters.anthropic.adapter",
    "adapters.chat.adapter",
    "adapters.codex.adapter",
    "adapters.inbound.anthropic_in",
    "adapters.inbound.chat_in",
    "adapters.inbound.passthrough",
    "router.app.inbound_handlers",
    "router.routing.auto.router",
    "router.routing.auto.classifier",
    "router.chatgpt.accounts_store",
    "router.chatgpt.service",
    "router.chatgpt.pat",
    "router.codex_setup.catalog",
    "router.codex_setup.config_toml",
    "router.codex_setup.history",
    "router.cli.commands.accounts",
    "router.cli.commands.codex_integration",
]


def test_a_chat_only_proxy_starts_without_the_optional_modules(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    model = {"provider": "generic-chat-completion-api", "base_url": "http://127.0.0.1:9/v1"}
    settings.write_text(
        json.dumps(
            {"models": [{**model, "slug": "a", "model": "a"}, {**model, "slug": "b", "model": "b"}]}
        )
    )
    # What `python -m router serve` runs before it listens: the CLI's parser, the
    # settings, the server's modules and the app.
    script = textwrap.dedent(
        f"""
        import json, sys
        from pathlib import Path
        from router.cli.main import build_parser
        from router.settings import SettingsStore
        from router.app.server import create_app

        build_parser("serve").parse_args(["serve", "--settings", {str(settings)!r}])
        create_app(SettingsStore(Path({str(settings)!r})))
        print(json.dumps(sorted(sys.modules)))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "AUTOROUTER_STATE_DIR": str(tmp_path / "state")},
    )
    loaded = set(json.loads(result.stdout))
    assert "router.app.server" in loaded
    assert sorted(loaded & set(NOT_AT_START_UP)) == []


def test_every_registered_adapter_path_resolves() -> None:
    for spec in ADAPTERS.values():
        assert callable(resolve(spec))
    for kind, spec in PASSTHROUGH_ADAPTERS.items():
        assert resolve(spec).kind == kind  # type: ignore[attr-defined]


def test_the_parser_for_a_built_in_command_leaves_the_plug_in_commands_out() -> None:
    full = build_parser()
    assert {"serve", "enable", "accounts"} <= set(_commands(full))
    assert "serve" in _commands(build_parser("serve"))
    assert "enable" not in _commands(build_parser("serve"))
    assert "enable" in _commands(build_parser("enable"))
    assert "serve" in _commands(build_parser(None))


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(actions[0].choices)
