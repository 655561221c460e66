"""Commands that connect Codex (CLI and Desktop) to the autorouter and help when it fails:
enable, disable, model, app, doctor, smoke, logs."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from router.cli import daemon
from router.cli.settings_source import load_for
from router.codex_setup.catalog import write_catalog
from router.codex_setup.config_toml import (
    PROVIDER_ID,
    CodexConfig,
    codex_home,
    config_path,
    managed_entries,
)
from router.codex_setup.history import HistoryMove, move_threads
from router.codex_setup.proxy_env import proxy_hint, with_loopback_exempt
from router.settings import Settings, default_settings_path
from router.settings.paths import state_dir

Command = Callable[..., argparse.ArgumentParser]


def _settings_path(args: argparse.Namespace) -> Path:
    return Path(args.settings).expanduser() if args.settings else default_settings_path()


def _options(args: argparse.Namespace, settings: Settings) -> daemon.ServeOptions:
    return daemon.ServeOptions(
        settings_path=_settings_path(args),
        host=getattr(args, "host", None) or settings.server.host,
        port=getattr(args, "port", None) or settings.server.port,
        port_given=bool(getattr(args, "port", None)),
    )


def _base_url(host: str, port: int) -> str:
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/v1"


def _config() -> CodexConfig:
    return CodexConfig(config_path(), state_dir())


def _fail(message: str) -> int:
    print(f"autorouter: {message}", file=sys.stderr)
    return 1


def _report_history(move: HistoryMove, where: str) -> None:
    if move.problem:
        print(f"history: left alone ({move.problem}); older conversations may not show {where}")
        return
    if move.moved_threads or move.rewritten_rollouts:
        print(
            f"history: {move.moved_threads} conversations now listed {where} "
            f"(backup: {move.backup})"
        )
    for path in move.skipped:
        print(f"history: skipped {path} (in use or unexpected format)")


# -- enable / disable ------------------------------------------------------------------


def enable(args: argparse.Namespace) -> int:
    settings = load_for(args)
    if not settings.slugs():
        return _fail(
            "no models to point Codex at: set an API key and run `autorouter init`, "
            "log in with `codex login`, or start Ollama"
        )
    model = args.model or settings.auto_slug or settings.slugs()[0]
    if model not in settings.slugs():
        return _fail(f"unknown model {model!r}; known: {', '.join(settings.slugs())}")
    running = daemon.start(_options(args, settings))
    catalog = write_catalog(settings, state_dir() / "catalog.json")
    config = _config()
    state = config.enable(managed_entries(running.base_url, catalog, model))
    print("\n".join(running.describe()))
    print(f"{config.path}: Codex now uses {model} through the autorouter")
    if state.backup:
        print(f"your previous config is saved at {state.backup}; `autorouter disable` restores it")
    hint = proxy_hint(os.environ, running.host)
    if hint:
        print(hint)
    _report_history(
        move_threads(codex_home(), state.native_provider, PROVIDER_ID, state_dir() / "backups"),
        "under the autorouter",
    )
    return 0


def disable(args: argparse.Namespace) -> int:
    config = _config()
    result = config.disable()
    if result is None:
        print(f"{config.path} has no autorouter entries (not enabled)")
    else:
        how = "restored exactly" if result.restored_exactly else "our entries removed"
        print(f"{config.path}: {how}")
        for key in result.kept_user_changes:
            print(f"kept your own change to {key}")
        _report_history(
            move_threads(
                codex_home(), PROVIDER_ID, result.native_provider, state_dir() / "backups"
            ),
            f"under {result.native_provider} again",
        )
    print("daemon stopped" if daemon.stop() else "daemon was not running")
    return 0


# -- model -----------------------------------------------------------------------------


def model(args: argparse.Namespace) -> int:
    settings = load_for(args)
    config = _config()
    known = settings.slugs()
    if args.action == "list":
        active = config.current_model()
        for slug in known:
            model_config = settings.model(slug)
            name = model_config.display_name if model_config else "Auto (smart routing)"
            print(f"{'*' if slug == active else ' '} {slug}  {name}")
        if active is not None and active not in known:
            print(f"* {active}  (not an autorouter model)")
        return 0
    if not args.slug:
        return _fail("model use needs a SLUG")
    if args.slug not in known:
        return _fail(f"unknown model {args.slug!r}; known: {', '.join(known)}")
    config.set_model(args.slug)
    print(f"Codex now uses {args.slug} for new sessions")
    if not config.is_enabled():
        print("note: Codex is not pointed at the autorouter yet; run `autorouter enable`")
    return 0


# -- app -------------------------------------------------------------------------------


def app(args: argparse.Namespace) -> int:
    from router.codex_setup.desktop import INSTRUCTIONS, find_desktop, launch

    command = find_desktop(args.path)
    if args.path and command is None:
        return _fail(f"{args.path} is not an executable or an .app bundle")
    status = enable(args)
    if status:
        return status
    if command is None:
        print(INSTRUCTIONS, file=sys.stderr)
        return 1
    pid = launch(command, with_loopback_exempt(os.environ))
    print(f"started Codex Desktop (pid {pid}); pick a model in its model menu")
    return 0


# -- doctor, smoke, logs ------------------------------------------------------------------


def doctor(args: argparse.Namespace) -> int:
    from router.cli.doctor import (
        Context,
        as_json,
        as_table,
        check_settings,
        exit_code,
        run_checks,
    )
    from router.cli.main import find_codex
    from router.cli.settings_source import load_for_doctor

    loaded = load_for_doctor(args)
    settings = loaded.settings
    context = Context(
        settings=settings,
        config=_config(),
        catalog=state_dir() / "catalog.json",
        codex=find_codex(),
        serve_options=_options(args, settings),
        environ=os.environ,
        settings_check=check_settings(
            loaded.path, loaded.from_file, loaded.problem, len(settings.models)
        ),
    )
    checks = run_checks(context, fix=args.fix)
    print(as_json(checks) if args.json else as_table(checks))
    return exit_code(checks)


def smoke(args: argparse.Namespace) -> int:
    from router.cli.smoke import all_passed, format_table, run_smoke

    settings = load_for(args)
    options = _options(args, settings)
    host, port = daemon.daemon_address() or (options.host, options.port)
    if daemon.health(host, port) is None:
        return _fail(f"no autorouter answers at {_base_url(host, port)}; run `autorouter start`")
    slugs = [args.slug] if args.slug else settings.slugs()
    unknown = [slug for slug in slugs if slug not in settings.slugs()]
    if unknown:
        return _fail(f"unknown model {unknown[0]!r}; known: {', '.join(settings.slugs())}")
    rows = run_smoke(settings, _base_url(host, port), slugs, args.matrix)
    print(format_table(rows))
    return 0 if all_passed(rows) else 1


def _snapshot_summary(path: Path) -> str:
    try:
        record: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return f"{path.name}  (unreadable)"
    body = record.get("body")
    body = body if isinstance(body, dict) else {}
    items = body.get("input")
    items = items if isinstance(items, list) else []
    return (
        f"{record.get('at', '?')}  {record.get('request_id', '?')}  "
        f"model={body.get('model', '?')}  input_items={len(items)}  {path}"
    )


def logs(args: argparse.Namespace) -> int:
    from router.telemetry.snapshots import DEFAULT_KEEP, list_snapshots, prune

    root = state_dir()
    if args.clean:
        removed = prune(root, args.keep if args.keep is not None else DEFAULT_KEEP)
        print(f"removed {removed} snapshots")
        return 0
    snapshots = list_snapshots(root)
    if args.last_request or args.requests:
        if not snapshots:
            return _fail(
                "no request snapshots; turn them on with server.snapshots: true in the "
                "settings or AUTOROUTER_SNAPSHOTS=1 for the daemon"
            )
        if args.last_request:
            print(snapshots[-1].read_text(), end="")
        else:
            for path in snapshots[-args.lines :]:
                print(_snapshot_summary(path))
        return 0
    log_path = daemon.log_file()
    if not log_path.exists():
        return _fail(f"no service log at {log_path} yet (the daemon writes it)")
    with open(log_path, encoding="utf-8", errors="replace") as handle:
        lines = handle.readlines()
    print("".join(lines[-args.lines :]), end="")
    return 0


def add_commands(command: Command) -> None:
    parser = command("enable", enable, "point Codex at the autorouter (starts it)", server=True)
    parser.add_argument("--model", help="Codex's default model (default: Auto)")
    command("disable", disable, "give Codex back its own configuration and stop the daemon")
    parser = command("model", model, "show or switch Codex's default model")
    parser.add_argument("action", choices=["list", "use"])
    parser.add_argument("slug", nargs="?")
    parser = command("app", app, "enable, then open Codex Desktop", server=True)
    parser.add_argument("path", nargs="?", help="the Codex Desktop binary or .app")
    parser.add_argument("--model", help="Codex's default model (default: Auto)")
    parser = command("doctor", doctor, "check the set-up and say what to fix", server=True)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--fix", action="store_true", help="repair what is safe to repair")
    parser = command("smoke", smoke, "a short live request to each model", server=True)
    parser.add_argument("slug", nargs="?", help="only this model")
    parser.add_argument("--matrix", action="store_true", help="also test tool calls and images")
    parser = command("logs", logs, "show the service log or request snapshots")
    parser.add_argument("--lines", type=int, default=40, help="how many lines or snapshots")
    parser.add_argument("--requests", action="store_true", help="list request snapshots")
    parser.add_argument("--last-request", action="store_true", help="print the newest snapshot")
    parser.add_argument("--clean", action="store_true", help="delete old snapshots")
    parser.add_argument("--keep", type=int, help="with --clean: how many to keep (200)")
