"""Running the server: in the foreground, or as a background daemon with a pid file."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Literal

import httpx

from router import SERVICE_NAME
from router.app.runtime import tune_garbage_collector
from router.app.shutdown import DEFAULT_GRACE
from router.settings import Settings, SettingsStore
from router.settings.paths import atomic_write, state_dir
from router.telemetry.logs import configure_logging, get_logger, routing_log_path

log = get_logger("autorouter.daemon")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

_AFTER_DRAIN_TIMEOUT = 5.0
_STOP_MARGIN = 10.0
"""How much longer than the daemon's grace period `stop` waits before SIGKILL."""


class ServeError(Exception):
    """A problem starting the server, with a message meant for the user."""


@dataclasses.dataclass(frozen=True)
class ServeOptions:
    settings_path: Path
    host: str
    port: int
    routing_log: str | None = None
    allow_remote: bool = False
    no_client_keys: bool = False
    """Listen beyond loopback without `clients` (the network itself must keep others out)."""
    shutdown_grace: float = DEFAULT_GRACE
    """Seconds in-flight streams get to finish after SIGTERM (see router/app/shutdown.py)."""
    port_given: bool = True
    """The user named the port (`--port`): `start` uses that one or fails. Otherwise the
    port is the settings' default, and `start` moves on when another program holds it."""


PORT_TRIES = 10
"""A default port held by another program moves to the first free one of this many."""


@dataclasses.dataclass(frozen=True)
class Running:
    """Where `start` left an autorouter, and how it got there."""

    host: str
    port: int
    pid: int
    how: Literal["started", "running", "found"]
    """started now; already running from this state directory; or found answering on
    the port, started some other way (`serve` in a terminal, another state directory)."""
    moved_from: int | None = None
    """The default port, when another program held it."""
    asked_port: int | None = None
    """The port given with --port, when the autorouter already running uses another."""

    @property
    def base_url(self) -> str:
        return f"http://{f'[{self.host}]' if ':' in self.host else self.host}:{self.port}/v1"

    def describe(self) -> list[str]:
        """What to tell the user, one line each."""
        lines = []
        if self.moved_from is not None:
            lines.append(f"port {self.moved_from} is taken by another program; using {self.port}")
        if self.how == "started":
            lines.append(f"autorouter running (pid {self.pid}) at {self.base_url}")
        elif self.how == "running":
            lines.append(f"autorouter already running (pid {self.pid}) at {self.base_url}")
        else:
            lines.append(
                f"an autorouter (pid {self.pid}) already answers at {self.base_url}; using it "
                "(it was not started by `autorouter start`, so `autorouter stop` leaves it)"
            )
        if self.asked_port is not None:
            lines.append(f"(not on port {self.asked_port}: `autorouter restart` moves it)")
        return lines


def check_bind_host(
    host: str,
    allow_remote: bool,
    extra_hosts: list[str],
    *,
    has_clients: bool = False,
    no_client_keys: bool = False,
) -> None:
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
    if not has_clients and not no_client_keys:
        raise ServeError(
            f"refusing to listen on {host} without client keys: anyone who reaches it could "
            'spend your API keys. List "clients" in the settings (each with key_env or '
            "key_sha256), or pass --no-client-keys if the network already keeps others out."
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


def serve(options: ServeOptions, initial: Settings | None = None) -> None:
    """Run the server in the foreground until SIGTERM or Ctrl-C. `initial` is what the
    command already loaded (or found without a settings file: the file is then picked up
    as soon as it appears)."""
    configure_logging()
    store = SettingsStore(options.settings_path, initial)
    settings = store.current()
    check_bind_host(
        options.host,
        options.allow_remote,
        settings.server.allowed_hosts,
        has_clients=bool(settings.clients),
        no_client_keys=options.no_client_keys,
    )
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
        data = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def autorouter_pid(host: str, port: int) -> int | None:
    """The pid of an autorouter of this user answering on the port, else None (nothing
    there, another program, or another user's autorouter, which holds their keys)."""
    info = health(host, port)
    if info is None or info.get("service") != SERVICE_NAME:
        return None
    pid = info.get("pid")
    if not isinstance(pid, int):
        return None
    try:
        owner = os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return pid  # no /proc (macOS): the service name has to do
    return pid if owner == os.getuid() else None


def _claim_port(options: ServeOptions) -> tuple[int, int | None]:
    """The port to serve on, and the pid of an autorouter already answering there."""
    last = (
        options.port if options.port_given or options.port == 0 else options.port + PORT_TRIES - 1
    )
    for port in range(options.port, min(last, 65535) + 1):
        if port_is_free(options.host, port):
            return port, None
        pid = autorouter_pid(options.host, port)
        if pid is not None:
            return port, pid
    if options.port_given:
        raise ServeError(
            f"port {options.port} on {options.host} is already in use by another program; "
            "pick another with --port"
        )
    raise ServeError(
        f"ports {options.port}-{last} on {options.host} are all in use by other programs; "
        "pick one with --port"
    )


def start(options: ServeOptions, wait: float = 15.0) -> Running:
    """Start the daemon unless an autorouter runs already; return where it serves once
    `/health` answers. Without `port_given`, a port held by another program moves to the
    next free one (at most `PORT_TRIES`); an autorouter found on the way is used."""
    running = read_pid()
    if running is not None:
        host, port = daemon_address() or (options.host, options.port)
        asked = options.port if options.port_given and options.port != port else None
        return Running(host, port, running, "running", asked_port=asked)
    port, found = _claim_port(options)
    moved_from = options.port if port != options.port else None
    if found is not None:
        return Running(options.host, port, found, "found", moved_from)
    pid = _spawn(dataclasses.replace(options, port=port), wait)
    return Running(options.host, port, pid, "started", moved_from)


def _spawn(options: ServeOptions, wait: float) -> int:
    command = [
        sys.executable,
        "-m",
        "router",
        "serve",
        # Without a settings file the daemon finds its models itself, as this process did;
        # an explicit `--settings` of a missing file would be an error.
        *(["--settings", str(options.settings_path)] if options.settings_path.exists() else []),
        "--host",
        options.host,
        "--port",
        str(options.port),
    ]
    if options.routing_log:
        command += ["--routing-log", options.routing_log]
    if options.allow_remote:
        command.append("--allow-remote")
    if options.no_client_keys:
        command.append("--no-client-keys")
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
