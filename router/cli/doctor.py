"""`autorouter doctor`: what is set up, what is not, and what to do about it.

Every check is read-only and returns a `Check`; `fix` is given only to checks with a
repair that cannot lose anything (regenerating our own catalog, starting our daemon).
Only a `fail` makes the exit status 1; a `warn` is advice.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from router.cli import daemon
from router.codex_setup.catalog import write_catalog
from router.codex_setup.config_toml import PROVIDER_ID, CodexConfig, CodexConfigError
from router.codex_setup.proxy_env import LOOPBACK_NAMES, bypasses_proxy, proxy_variables
from router.settings import Settings

Status = Literal["ok", "warn", "fail", "skip"]


@dataclass
class Check:
    name: str
    status: Status
    detail: str
    fixed: bool = False


@dataclass
class Context:
    settings: Settings
    config: CodexConfig
    catalog: Path
    codex: str | None
    serve_options: daemon.ServeOptions
    environ: Mapping[str, str]
    settings_check: Check | None = None
    """How the settings file itself is (missing, broken, fine); see `check_settings`."""


def check_settings(path: Path, from_file: bool, problem: str | None, models: int) -> Check:
    """A missing file is advice (the commands run without one); a file that exists but
    does not load is a hard failure: the daemon would not start with it."""
    if problem is not None:
        return Check(
            "settings", "fail", f"{problem}; fix it, or move it away and run `autorouter init`"
        )
    if not from_file:
        return Check(
            "settings",
            "warn",
            f"no settings file at {path}; running with what this machine offers ({models} "
            "models): `autorouter init` writes one",
        )
    return Check("settings", "ok", f"{path}: {models} models")


def check_python(_: Context) -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info >= (3, 11)
    return Check(
        "python", "ok" if ok else "fail", f"Python {version}" + ("" if ok else ", need 3.11+")
    )


def check_codex(ctx: Context) -> Check:
    if ctx.codex is None:
        return Check(
            "codex-cli", "warn", "not found: `npm install -g @openai/codex` or set CODEX_BIN"
        )
    try:
        done = subprocess.run(
            [ctx.codex, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("codex-cli", "warn", f"{ctx.codex} does not run: {exc}")
    version = (done.stdout or done.stderr).strip().splitlines()
    return Check("codex-cli", "ok", f"{ctx.codex} ({version[0] if version else 'unknown version'})")


def check_config(ctx: Context) -> Check:
    try:
        doc = ctx.config.document()
    except CodexConfigError as exc:
        return Check("codex-config", "fail", str(exc))
    provider = doc.get("model_provider")
    table = doc.get("model_providers", {}).get(PROVIDER_ID)
    if provider != PROVIDER_ID or table is None:
        hint = (
            "run `autorouter enable`"
            if not ctx.config.is_enabled()
            else "run `autorouter enable` again"
        )
        return Check("codex-config", "warn", f"{ctx.config.path} does not select us; {hint}")
    expected = f"http://{ctx.serve_options.host}:{ctx.serve_options.port}/v1"
    if str(table.get("base_url", "")) != expected:
        return Check(
            "codex-config",
            "fail",
            f"model_providers.{PROVIDER_ID}.base_url is {table.get('base_url')}, the proxy is "
            f"at {expected}; run `autorouter enable` again",
        )
    return Check("codex-config", "ok", f"{ctx.config.path}: model {doc.get('model')} via us")


def check_catalog(ctx: Context, fix: bool = False) -> Check:
    try:
        entries = json.loads(ctx.catalog.read_text())["models"]
        slugs = [entry["slug"] for entry in entries]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if fix:
            write_catalog(ctx.settings, ctx.catalog)
            return Check("catalog", "ok", f"rewrote {ctx.catalog}", fixed=True)
        # Only a Codex pointed at us reads the catalog; before `enable` it is not needed yet.
        status: Status = "fail" if ctx.config.is_enabled() else "warn"
        return Check(
            "catalog", status, f"{ctx.catalog} missing or unreadable ({type(exc).__name__}); --fix"
        )
    missing = [slug for slug in ctx.settings.slugs() if slug not in slugs]
    if missing:
        if fix:
            write_catalog(ctx.settings, ctx.catalog)
            return Check("catalog", "ok", f"rewrote {ctx.catalog}", fixed=True)
        return Check("catalog", "warn", f"lacks {', '.join(missing)}; --fix rewrites it")
    return Check("catalog", "ok", f"{ctx.catalog}: {len(slugs)} models")


def check_daemon(ctx: Context, fix: bool = False) -> Check:
    address = daemon.daemon_address() if daemon.read_pid() else None
    host, port = address or (ctx.serve_options.host, ctx.serve_options.port)
    info = daemon.health(host, port)
    if info is not None:
        if info.get("settings_error"):
            return Check(
                "daemon",
                "warn",
                f"running, but the settings file is invalid: {info['settings_error']}",
            )
        return Check("daemon", "ok", f"healthy at http://{host}:{port}")
    if fix:
        try:
            running = daemon.start(ctx.serve_options)
        except daemon.ServeError as exc:
            return Check("daemon", "fail", str(exc))
        return Check("daemon", "ok", "; ".join(running.describe()), fixed=True)
    status: Status = "fail" if ctx.config.is_enabled() else "warn"
    return Check("daemon", status, "not running: `autorouter start` (or doctor --fix)")


def check_port(ctx: Context) -> Check:
    host, port = ctx.serve_options.host, ctx.serve_options.port
    if daemon.port_is_free(host, port):
        return Check("port", "ok", f"{host}:{port} is free")
    if daemon.autorouter_pid(host, port) is not None:
        return Check("port", "ok", f"{host}:{port} is ours")
    if not ctx.serve_options.port_given:
        return Check(
            "port",
            "warn",
            f"{host}:{port} is taken by another program; start and enable take the next "
            f"free port of {port}-{port + daemon.PORT_TRIES - 1}",
        )
    return Check("port", "fail", f"{host}:{port} is taken by another program; pick another")


def check_keys(ctx: Context) -> list[Check]:
    checks = []
    for model in ctx.settings.models:
        missing = model.missing_variables(ctx.environ)
        if missing:
            checks.append(Check(f"key:{model.slug}", "warn", f"{', '.join(missing)} is not set"))
        else:
            checks.append(Check(f"key:{model.slug}", "ok", "configured"))
    return checks


def check_passthrough(ctx: Context) -> Check:
    try:
        module = importlib.import_module("router.chatgpt.login")
    except ImportError:
        return Check("passthrough", "skip", "no passthrough accounts support in this build")
    status_of: Callable[[], str] | None = getattr(module, "credentials_status", None)
    if status_of is None:
        return Check("passthrough", "skip", "router.chatgpt.login offers no status check")
    return Check("passthrough", "ok", status_of())


def check_proxy_bypass(ctx: Context) -> Check:
    set_vars = proxy_variables(ctx.environ)
    if not set_vars:
        return Check("proxy-bypass", "ok", "no HTTP proxy configured")
    if bypasses_proxy(ctx.environ):
        return Check("proxy-bypass", "ok", f"{', '.join(set_vars)} set; NO_PROXY covers loopback")
    return Check(
        "proxy-bypass",
        "warn",
        f"{', '.join(set_vars)} set without NO_PROXY covering 127.0.0.1: Codex would send its "
        f"requests to that proxy. Add NO_PROXY={','.join(LOOPBACK_NAMES)} "
        "(`autorouter codex` and `autorouter app` add it to what they start)",
    )


def run_checks(ctx: Context, fix: bool = False) -> list[Check]:
    checks = [ctx.settings_check] if ctx.settings_check else []
    steps: list[tuple[str, Callable[[], Check | list[Check]]]] = [
        ("python", lambda: check_python(ctx)),
        ("codex-cli", lambda: check_codex(ctx)),
        ("codex-config", lambda: check_config(ctx)),
        ("catalog", lambda: check_catalog(ctx, fix)),
        ("daemon", lambda: check_daemon(ctx, fix)),
        ("port", lambda: check_port(ctx)),
        ("keys", lambda: check_keys(ctx)),
        ("passthrough", lambda: check_passthrough(ctx)),
        ("proxy-bypass", lambda: check_proxy_bypass(ctx)),
    ]
    for name, step in steps:
        # A doctor that crashes is no help when things are broken: one failing check
        # becomes a line of the report and the others still run.
        try:
            result = step()
        except Exception as exc:
            result = Check(name, "fail", f"could not check: {type(exc).__name__}: {exc}")
        checks.extend(result if isinstance(result, list) else [result])
    return checks


def exit_code(checks: list[Check]) -> int:
    return 1 if any(check.status == "fail" for check in checks) else 0


def as_json(checks: list[Check]) -> str:
    return json.dumps([asdict(check) for check in checks], indent=2)


def as_table(checks: list[Check]) -> str:
    width = max(len(check.name) for check in checks)
    marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "skip"}
    lines = []
    for check in checks:
        fixed = " (fixed)" if check.fixed else ""
        lines.append(f"{marks[check.status]}  {check.name:<{width}}  {check.detail}{fixed}")
    return "\n".join(lines)
