"""The `autorouter` command line."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import pkgutil
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import router.cli.commands
from router import __version__
from router.app.shutdown import DEFAULT_GRACE
from router.cli import daemon
from router.cli.settings_source import load_for
from router.settings import Settings, SettingsError, default_settings_path
from router.settings.paths import state_dir

# Commands import what only they need inside their function, not here: `serve` is the
# daemon's start-up, and every module imported here is start-up time and resident memory
# of the proxy.

DEFAULT_HOST = "127.0.0.1"


def _settings_path(args: argparse.Namespace) -> Path:
    return Path(args.settings).expanduser() if args.settings else default_settings_path()


def _load(args: argparse.Namespace) -> Settings:
    return load_for(args)


def _serve_options(args: argparse.Namespace, settings: Settings) -> daemon.ServeOptions:
    return daemon.ServeOptions(
        settings_path=_settings_path(args),
        host=args.host or settings.server.host,
        port=args.port or settings.server.port,
        port_given=bool(args.port),
        routing_log=getattr(args, "routing_log", None),
        allow_remote=getattr(args, "allow_remote", False),
        no_client_keys=getattr(args, "no_client_keys", False),
        shutdown_grace=_grace(args),
    )


def _grace(args: argparse.Namespace) -> float:
    grace = getattr(args, "shutdown_grace", None)
    return DEFAULT_GRACE if grace is None else float(grace)


def _base_url(host: str, port: int) -> str:
    url_host = f"[{host}]" if ":" in host else host
    return f"http://{url_host}:{port}/v1"


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _load(args)
    daemon.serve(_serve_options(args, settings), settings)
    return 0


def cmd_start(args: argparse.Namespace) -> int:
    running = daemon.start(_serve_options(args, _load(args)))
    print("\n".join(running.describe()))
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    print("stopped" if daemon.stop() else "not running")
    return 0


def cmd_restart(args: argparse.Namespace) -> int:
    daemon.stop()
    return cmd_start(args)


def cmd_status(args: argparse.Namespace) -> int:
    pid = daemon.read_pid()
    address = daemon.daemon_address()
    if pid is None or address is None:
        print("not running")
        return 1
    host, port = address
    info = daemon.health(host, port)
    state = "healthy" if info else "not answering"
    print(f"running (pid {pid}) at {_base_url(host, port)}: {state}")
    if info and info.get("settings_error"):
        print(f"settings error (last good settings in force): {info['settings_error']}")
    print(f"log: {daemon.log_file()}")
    return 0 if info else 1


def cmd_list(args: argparse.Namespace) -> int:
    settings = _load(args)
    rows = []
    if settings.router is not None and settings.auto_slug:
        router = settings.router
        rows.append(
            (
                router.slug,
                "auto",
                ", ".join(c.slug for c in router.candidates),
                f"classifier {router.classifier}",
            )
        )
    for model in settings.models:
        missing = model.missing_key_variable()
        if missing:
            key = f"${missing} not set"
        elif model.api_key_env:
            key = f"key from ${model.api_key_env}"
        elif model.api_key:
            key = "key in settings"
        else:
            key = "no key"
        rows.append((model.slug, model.kind, f"{model.model} @ {model.base_url}", key))
    widths = [max(len(row[i]) for row in rows) for i in range(3)] if rows else [0, 0, 0]
    for row in rows:
        print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}")
    return 0


def _catalog_path(args: argparse.Namespace) -> Path:
    out = getattr(args, "out", None)
    return Path(out).expanduser() if out else state_dir() / "catalog.json"


def cmd_generate(args: argparse.Namespace) -> int:
    from router.codex_setup.catalog import provider_snippet, write_catalog

    settings = _load(args)
    path = write_catalog(settings, _catalog_path(args))
    # The daemon may have moved off a busy default port: the snippet names where it is.
    running = daemon.daemon_address() if daemon.read_pid() and not args.port else None
    host, port = running or (args.host or settings.server.host, args.port or settings.server.port)
    model = settings.auto_slug or (settings.models[0].slug if settings.models else "")
    print(f"# catalog written to {path}")
    print("# add this to ~/.codex/config.toml (or run `autorouter codex -- ...`):")
    print(provider_snippet(_base_url(host, port), path, model))
    return 0


def find_codex() -> str | None:
    explicit = os.environ.get("CODEX_BIN")
    if explicit:
        return explicit
    local = Path(__file__).resolve().parents[2] / ".tools" / "node_modules" / ".bin" / "codex"
    if local.exists():
        return str(local)
    return shutil.which("codex")


def cmd_codex(args: argparse.Namespace) -> int:
    from router.codex_setup.catalog import codex_overrides, write_catalog
    from router.codex_setup.proxy_env import with_loopback_exempt

    settings = _load(args)
    codex = find_codex()
    if codex is None:
        print(
            "codex not found: install it with `npm install -g @openai/codex` or set CODEX_BIN",
            file=sys.stderr,
        )
        return 127
    address = daemon.daemon_address() if daemon.read_pid() else None
    host, port = address or (args.host or settings.server.host, args.port or settings.server.port)
    if daemon.health(host, port) is None:
        print(
            f"no autorouter answers at {_base_url(host, port)}; run `autorouter start` first",
            file=sys.stderr,
        )
        return 1
    catalog = write_catalog(settings, _catalog_path(args))
    model = args.model or settings.auto_slug
    codex_args = list(args.codex_args)
    if codex_args[:1] == ["--"]:
        codex_args = codex_args[1:]
    command = [codex, *codex_overrides(_base_url(host, port), catalog, model), *codex_args]
    os.execvpe(command[0], command, with_loopback_exempt(os.environ))
    return 0


def cmd_route(args: argparse.Namespace) -> int:
    from router.routing.auto.explain import format_decision_table, route_prompt
    from router.routing.auto.router import AutoRouter
    from router.routing.dispatch import Dispatcher
    from router.routing.upstreams import Upstreams
    from router.settings import SettingsStore

    settings = _load(args)
    if settings.auto_slug is None:
        print("the settings have no enabled router block", file=sys.stderr)
        return 1

    async def run() -> str:
        upstreams = Upstreams()
        try:
            dispatcher = Dispatcher(SettingsStore(_settings_path(args), settings), upstreams)
            auto = dispatcher.auto_router(settings)
            assert isinstance(auto, AutoRouter)
            decision = await route_prompt(auto, args.prompt, args.image)
            return format_decision_table(decision)
        finally:
            await upstreams.aclose()

    print(asyncio.run(run()))
    return 0


GLOBAL_OPTIONS_WITH_VALUES = ("--settings", "--host", "--port")


def _global_options(parser: argparse.ArgumentParser, default: Any, server: bool = True) -> None:
    parser.add_argument(
        "--settings", default=default, help="settings file (default: %(prog)s's config dir)"
    )
    if server:
        parser.add_argument(
            "--host", default=default, help=f"address to listen on (default {DEFAULT_HOST})"
        )
        parser.add_argument(
            "--port",
            type=int,
            default=default,
            help="port (default: server.port, 8642; start, enable and app move past a busy "
            "default to the next free one)",
        )


def _command_word(argv: Sequence[str]) -> str | None:
    """The command word: the first argument that is neither an option nor the value of
    one of the options taken before the command."""
    index = 0
    while index < len(argv):
        word = argv[index]
        if word in GLOBAL_OPTIONS_WITH_VALUES:
            index += 2
        elif word.startswith("-"):
            index += 1
        else:
            return word
    return None


def build_parser(command_name: str | None = None) -> argparse.ArgumentParser:
    """The parser for every command; for `command_name` when it is one of the commands
    defined here, without importing the modules of `router.cli.commands` (the daemon's
    start-up, `serve`, does not pay for them)."""
    parser = argparse.ArgumentParser(prog="autorouter", description=__doc__)
    parser.add_argument("--version", action="version", version=f"autorouter {__version__}")
    # codex-shim takes these before the command (`--settings F --port N start`); both
    # places work. A subparser's default would overwrite the value given before the
    # command, so after it they default to "absent": given twice, the later one wins.
    _global_options(parser, default=None)
    sub = parser.add_subparsers(dest="command", required=True)

    def command(
        name: str, func: object, help_text: str, *, server: bool = False
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _global_options(p, default=argparse.SUPPRESS, server=server)
        p.set_defaults(func=func)
        return p

    for name, func, text in (
        ("serve", cmd_serve, "run the proxy in the foreground"),
        ("start", cmd_start, "start the proxy as a background daemon"),
        ("restart", cmd_restart, "restart the background daemon"),
    ):
        p = command(name, func, text, server=True)
        p.add_argument("--routing-log", help="routing log file (default: state dir routing.jsonl)")
        p.add_argument(
            "--allow-remote",
            action="store_true",
            help="allow listening on a non-loopback address (needs server.allowed_hosts, "
            "and clients in the settings or --no-client-keys)",
        )
        p.add_argument(
            "--no-client-keys",
            action="store_true",
            help="listen beyond loopback without client keys (a trusted network only)",
        )
        p.add_argument(
            "--shutdown-grace",
            type=float,
            metavar="SECONDS",
            help="on SIGTERM, how long in-flight streams may finish before they are ended "
            f"with a retryable error (default {DEFAULT_GRACE:g})",
        )
    command("stop", cmd_stop, "stop the background daemon")
    command("status", cmd_status, "show whether the daemon runs and is healthy")
    command("list", cmd_list, "list the model slugs and where they go")
    gen = command(
        "generate",
        cmd_generate,
        "write the Codex model catalog and print a config snippet",
        server=True,
    )
    gen.add_argument("--out", help="catalog path (default: state dir catalog.json)")
    codex = command("codex", cmd_codex, "run the Codex CLI against the running proxy", server=True)
    codex.add_argument("--model", "-m", help="model slug (default: Auto)")
    codex.add_argument("codex_args", nargs=argparse.REMAINDER, help="arguments for codex, after --")
    route = command("route", cmd_route, "show how Auto would route a prompt, without sending it")
    route.add_argument("prompt")
    route.add_argument("--image", action="store_true", help="pretend the prompt has an image")
    if command_name in sub.choices:
        return parser
    for module_info in pkgutil.iter_modules(router.cli.commands.__path__):
        module = importlib.import_module(f"router.cli.commands.{module_info.name}")
        module.add_commands(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # The parser is not kept: `serve` runs for as long as the process does.
    args = build_parser(_command_word(argv)).parse_args(argv)
    try:
        return int(args.func(args))
    except SettingsError as exc:
        print(f"settings error: {exc}", file=sys.stderr)
        return 2
    except daemon.ServeError as exc:
        print(f"autorouter: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
