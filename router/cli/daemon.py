"""Running the server: in the foreground, or as a background daemon with a pid file."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from router.app.runtime import tune_garbage_collector
from router.app.shutdown import DEFAULT_GRACE
from router.settings import SettingsStore
from router.settings.paths import atomic_write, state_dir
from router.telemetry.logs import configure_logging, get_logger, routing_log_path

log = get_logger("autorouter.daemon")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

_AFTER_DRAIN_TIMEOUT = 5.0
_STOP_MARGIN = 10.0
"""How much longer than the daemon's grace period `stop` waits before SIGKILL."""


class ServeError(Exception):
    """A problem starting the server, with a message meant for the user."""


@dataclass(frozen=True)
class ServeOptions:
    settings_path: Path
    host: str
    port: int
    routing_log: str | None = None
    allow_remote: bool = False
    shutdown_grace: float = DEFAULT_GRACE
    """Seconds in-flight streams get to finish after SIGTERM (see router/app/shutdown.py)."""


def check_bind_host(host: str, allow_remote: bool, extra_hosts: list[str]) -> None:
    if host in LOOPBACK_HOSTS:
        return
    if not allow_remote:
        raise ServeError(
            f"refusing to listen on {host}: the proxy holds your API keys and has no login. "
            "Pass --allow-remote (and list the names clients use in server.allowed_hosts) "
            "if you really want other machines to reach it."
        )
    if not extra_hosts:
        raise ServeError(
            "--allow-remote needs server.allowed_hosts in the settings (or "
            "AUTOROUTER_ALLOWED_HOSTS): the Host names remote clients will use"
        )


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


async def _serve(options: ServeOptions, store: SettingsStore) -> None:
    # The server stack is imported here, not at the top: commands such as `status` and
    # `list` stay quick.
    from aiohttp import web

    from router.app.server import create_app

    app = create_app(
        store,
        bind_host=options.host,
        routing_log_path=routing_log_path(options.routing_log, state_dir()),
        shutdown_grace=options.shutdown_grace,
    )
    # The app's own shutdown hook waits out the grace period and ends what is left;
    # aiohttp's timeout only covers the last writes after that.
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=_AFTER_DRAIN_TIMEOUT
    )
    await runner.setup()
    site = web.TCPSite(runner, options.host, options.port, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(
                f"port {options.port} on {options.host} is already in use; "
                "is another autorouter running (`autorouter status`)? Use --port to pick another."
            ) from None
        raise ServeError(
            f"cannot listen on {options.host}:{options.port}: {exc.strerror}"
        ) from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    tune_garbage_collector()
    log.info(
        "listening",
        url=f"http://{options.host}:{options.port}",
        settings=str(options.settings_path),
        models=len(store.current().models),
        remote=options.host not in LOOPBACK_HOSTS,
    )
    await stop.wait()
    log.info("stopping")
    await runner.cleanup()


def serve(options: ServeOptions) -> None:
    """Run the server in the foreground until SIGTERM or Ctrl-C."""
    configure_logging()
    store = SettingsStore(options.settings_path)
    check_bind_host(options.host, options.allow_remote, store.current().server.allowed_hosts)
    asyncio.run(_serve(options, store))


# -- the background daemon ------------------------------------------------------------


def pid_file() -> Path:
    return state_dir() / "autorouter.pid"


def log_file() -> Path:
    return state_dir() / "autorouter.log"


def read_pid() -> int | None:
    try:
        pid = int(pid_file().read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return None if _is_zombie(pid) else pid


def _is_zombie(pid: int) -> bool:
    """A daemon that exited but was not reaped yet (its parent, the `start` command, is
    gone) still answers signal 0; it is not running."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def health(host: str, port: int, timeout: float = 1.0) -> dict[str, object] | None:
    url_host = f"[{host}]" if ":" in host else host
    try:
        response = httpx.get(f"http://{url_host}:{port}/health", timeout=timeout, trust_env=False)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    data = response.json()
    return data if isinstance(data, dict) else None


def start(options: ServeOptions, wait: float = 15.0) -> int:
    """Start the daemon unless one is running; return its pid once `/health` answers."""
    running = read_pid()
    if running is not None:
        return running
    if not port_is_free(options.host, options.port):
        raise ServeError(
            f"port {options.port} on {options.host} is already in use by another program; "
            "use --port to pick another"
        )
    command = [
        sys.executable,
        "-m",
        "router",
        "serve",
        "--settings",
        str(options.settings_path),
        "--host",
        options.host,
        "--port",
        str(options.port),
    ]
    if options.routing_log:
        command += ["--routing-log", options.routing_log]
    if options.allow_remote:
        command.append("--allow-remote")
    command += ["--shutdown-grace", str(options.shutdown_grace)]
    log_path = log_file()
    with open(log_path, "ab") as log_handle:
        os.chmod(log_path, 0o600)
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_handle,
            stderr=log_handle,
            start_new_session=True,
        )
    # State files are private like everything else in the state directory.
    atomic_write(
        pid_file(), f"{process.pid} {options.host} {options.port} {options.shutdown_grace}\n"
    )
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pid_file().unlink(missing_ok=True)
            raise ServeError(f"the server exited at start-up; see {log_path}")
        if health(options.host, options.port) is not None:
            return process.pid
        time.sleep(0.1)
    raise ServeError(f"the server did not become healthy within {wait:.0f}s; see {log_path}")


def daemon_address() -> tuple[str, int] | None:
    try:
        _, host, port = pid_file().read_text().split()[:3]
    except (OSError, ValueError):
        return None
    return host, int(port)


def _recorded_grace() -> float:
    """The grace period the running daemon was started with (older pid files: default)."""
    try:
        return float(pid_file().read_text().split()[3])
    except (OSError, ValueError, IndexError):
        return DEFAULT_GRACE


def stop(wait: float | None = None) -> bool:
    """Stop the daemon with SIGTERM; False if none ran.

    The daemon finishes in-flight streams within its grace period and ends the rest
    with a retryable `response.failed`, so by default this waits that long plus a margin
    before it resorts to SIGKILL.
    """
    pid = read_pid()
    if pid is None:
        pid_file().unlink(missing_ok=True)
        return False
    if wait is None:
        wait = _recorded_grace() + _STOP_MARGIN
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if read_pid() is None:
            break
        time.sleep(0.1)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    pid_file().unlink(missing_ok=True)
    return True
