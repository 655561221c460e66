"""A busy default port: start and enable move to the next free one and write the port they
use; an explicit --port that is busy fails; an autorouter already on the port is used."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from router.cli import daemon
from router.cli import main as cli
from tests.integration.conftest import settings_data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def with_default_port(isolated: Path, port: int) -> None:
    """The settings' server.port is the default that start/enable use without --port."""
    (isolated / "settings.json").write_text(
        json.dumps({**settings_data(), "server": {"port": port}})
    )


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A program holding a port: it accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


class _Impostor(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # another local service with a /health of its own
        body = json.dumps({"status": "ok", "version": "9.9"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def impostor() -> Iterator[int]:
    """A program holding a port that answers `GET /health` 200 with JSON, not ours."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Impostor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def config_text(isolated: Path) -> str:
    path = isolated / "codex-home" / "config.toml"
    return path.read_text() if path.exists() else ""


def test_start_moves_off_a_default_port_held_by_another_program(
    isolated: Path, silent_listener: int, capsys: pytest.CaptureFixture[str]
) -> None:
    busy = silent_listener
    with_default_port(isolated, busy)
    try:
        assert cli.main(["start"]) == 0
        out = capsys.readouterr().out
        address = daemon.daemon_address()
        assert address is not None
        host, port = address
        assert busy < port < busy + daemon.PORT_TRIES
        assert f"port {busy} is taken by another program; using {port}" in out
        assert f"at http://127.0.0.1:{port}/v1" in out
        assert (daemon.health(host, port) or {}).get("service") == "codex-autorouter"
        # The snippet printed for config.toml names the port in use.
        assert cli.main(["generate"]) == 0
        assert f'base_url = "http://127.0.0.1:{port}/v1"' in capsys.readouterr().out
        # A second start finds the running daemon instead of moving again.
        assert cli.main(["start"]) == 0
        assert f"already running (pid {daemon.read_pid()}) at http://127.0.0.1:{port}/v1" in (
            capsys.readouterr().out
        )
    finally:
        daemon.stop()


def test_enable_writes_the_port_it_moved_to(
    isolated: Path, impostor: int, capsys: pytest.CaptureFixture[str]
) -> None:
    with_default_port(isolated, impostor)
    try:
        assert cli.main(["enable"]) == 0
        out = capsys.readouterr().out
        address = daemon.daemon_address()
        assert address is not None
        port = address[1]
        assert port != impostor
        assert f"port {impostor} is taken by another program; using {port}" in out
        assert f'base_url = "http://127.0.0.1:{port}/v1"' in config_text(isolated)
        assert daemon.health("127.0.0.1", port) is not None
    finally:
        cli.main(["disable"])


def test_an_explicit_busy_port_fails_with_a_clear_message(
    isolated: Path, silent_listener: int, impostor: int, capsys: pytest.CaptureFixture[str]
) -> None:
    for busy in (silent_listener, impostor):
        for command in ("start", "enable"):
            assert cli.main([command, "--port", str(busy)]) == 1
            err = capsys.readouterr().err
            assert f"port {busy} on 127.0.0.1 is already in use by another program" in err
            assert "--port" in err
    assert daemon.read_pid() is None
    assert "autorouter" not in config_text(isolated)


def test_our_own_autorouter_on_the_default_port_is_used_not_moved(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    with_default_port(isolated, port)
    # `serve` in another terminal: an autorouter this state directory did not start.
    serving = subprocess.Popen(
        [sys.executable, "-m", "router", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while daemon.health("127.0.0.1", port) is None:
            assert time.monotonic() < deadline and serving.poll() is None
            time.sleep(0.05)
        assert cli.main(["enable"]) == 0
        out = capsys.readouterr().out
        assert f"an autorouter (pid {serving.pid}) already answers at" in out
        assert "taken" not in out
        assert f'base_url = "http://127.0.0.1:{port}/v1"' in config_text(isolated)
        assert daemon.read_pid() is None  # nothing new was started
    finally:
        cli.main(["disable"])
        serving.terminate()
        serving.wait(30)
    assert "daemon was not running" in capsys.readouterr().out


def test_doctor_says_a_busy_default_port_will_move_and_a_busy_explicit_one_fails(
    isolated: Path, impostor: int, capsys: pytest.CaptureFixture[str]
) -> None:
    with_default_port(isolated, impostor)
    cli.main(["doctor", "--json"])
    port = {c["name"]: c for c in json.loads(capsys.readouterr().out)}["port"]
    assert port["status"] == "warn" and "take the next free port" in port["detail"]
    cli.main(["doctor", "--json", "--port", str(impostor)])
    port = {c["name"]: c for c in json.loads(capsys.readouterr().out)}["port"]
    assert port["status"] == "fail"
