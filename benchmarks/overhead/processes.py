"""Starting and stopping the benchmark's two servers, each in its own process.

Separate processes keep the mock's CPU out of the proxy's figures and give the proxy
a /proc entry of its own to read.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

STARTUP_LIMIT = 30.0
"""Seconds a server may take to come up before the benchmark gives up."""
HEALTH_POLL = 0.002
"""Seconds between /health probes while the proxy starts (the start-up figure's grain)."""


class StartError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_upstream(
    event_delay: float, log: Path, *, text_deltas: int | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """The mock upstream; returns the process and its root URL once it is listening."""
    command = [sys.executable, "-m", "benchmarks.overhead.upstream"]
    command += ["--event-delay", str(event_delay)]
    if text_deltas is not None:
        command += ["--text-deltas", str(text_deltas)]
    with open(log, "ab") as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
    assert process.stdout is not None
    line = process.stdout.readline().decode().strip()
    if not line.startswith("READY "):
        stop(process)
        raise StartError(f"the mock upstream did not start (see {log})")
    return process, line.removeprefix("READY ")


def start_proxy(
    settings: Path, port: int, state_dir: Path, log: Path
) -> tuple[subprocess.Popen[bytes], float]:
    """`python -m router serve`; returns the process and the seconds from spawn to a
    200 from `/health`."""
    env = {**os.environ, "AUTOROUTER_STATE_DIR": str(state_dir)}
    command = [sys.executable, "-m", "router", "serve", "--settings", str(settings)]
    with open(log, "ab") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            [*command, "--port", str(port)], stdout=output, stderr=output, env=env
        )
    deadline = started + STARTUP_LIMIT
    while time.perf_counter() < deadline:
        if healthy(port):
            return process, time.perf_counter() - started
        if process.poll() is not None:
            raise StartError(f"the proxy exited at start-up (see {log})")
        time.sleep(HEALTH_POLL)
    stop(process)
    raise StartError(f"the proxy was not healthy within {STARTUP_LIMIT:.0f}s (see {log})")


def healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()
