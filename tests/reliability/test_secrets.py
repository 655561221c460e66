"""Planted secrets never leave the proxy, whatever path a request takes.

Canaries sit where real secrets live: a key in the settings file (`api_key`), keys in
the environment (`api_key_env`, `api_keys` with `${VAR}`), a ChatGPT login in Codex's
`auth.json`, and the client's own bearer token. Some look like keys (`sk-...`), some
do not, so the scrubbing cannot rely on the pattern alone. Upstreams that echo the key
back (in a 401, a 429, a 500, an error chunk mid-stream) are the hard case. Afterwards
every byte the proxy wrote is searched: HTTP answers, the service log, the routing log,
snapshots, the catalog, every state file, and the CLI's output.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import socket
import stat
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from examples.mockupstream import HttpError, MockUpstream, Text, classifier_handler
from examples.mockupstream.codex_backend import MockCodexBackend, make_jwt
from router.cli import main as cli
from router.cli.daemon import ServeError, check_bind_host
from router.codex_setup.catalog import write_catalog
from router.settings import load_settings
from router.telemetry.logs import configure_logging
from tests.codex.conftest import write_login
from tests.proxy import start_proxy

SETTINGS_KEY = "sk-canary-settings-4e1d9a7b2c5f8e30"
UNMARKED_KEY = "zq7Vx2mP9kL4nR8tW1yB6cH3dJ5"
"""A key with no recognisable prefix: only the secrets list can scrub it."""
ENV_KEY = "sk-ant-canary-env-8b3f6e1a9d2c7405"
ROTATION_KEY = "gsk_canaryrotation0f9e8d7c6b5a4"
CLIENT_TOKEN = "client-canary-token-5a6b7c8d9e0f"
REFRESH_TOKEN = "rt-canary-refresh-1122334455"
ACCESS_TOKEN = make_jwt(4_102_444_800, "acct-canary", canary="access-canary-claim")


def canaries() -> list[str]:
    return [SETTINGS_KEY, UNMARKED_KEY, ENV_KEY, ROTATION_KEY, CLIENT_TOKEN, REFRESH_TOKEN]


@pytest.fixture
def service_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(stream)
    yield stream
    configure_logging()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """State dir, CODEX_HOME with a ChatGPT login, and the key variables, all canaries."""
    codex_home = tmp_path / "codex-home"
    codex_home.mkdir()
    for name in ("CODEX_ACCESS_TOKEN", "CODEX_PAT", "CODEX_ACCOUNT_ID", "CODEX_MODELS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CODEX_HOME", str(codex_home))
    monkeypatch.setenv("AUTOROUTER_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("AUTOROUTER_SNAPSHOTS", "1")
    monkeypatch.setenv("CANARY_ENV_KEY", ENV_KEY)
    monkeypatch.setenv("CANARY_ROTATION_KEY", ROTATION_KEY)
    write_login(codex_home, ACCESS_TOKEN, REFRESH_TOKEN, "acct-canary")
    return tmp_path


@pytest.fixture
async def echo_upstream() -> AsyncIterator[str]:
    """An upstream that starts a stream and then fails with every header it received,
    key included, in its error message."""

    async def chat(request: web.Request) -> web.StreamResponse:
        leak = json.dumps(dict(request.headers))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        first = {"choices": [{"index": 0, "delta": {"content": "hi"}}]}
        await response.write(f"data: {json.dumps(first)}\n\n".encode())
        error = {"error": {"message": f"bad request, headers were {leak}"}}
        await response.write(f"data: {json.dumps(error)}\n\n".encode())
        return response

    async def messages(request: web.Request) -> web.StreamResponse:
        leak = json.dumps(dict(request.headers))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        error = {"type": "error", "error": {"type": "api_error", "message": leak}}
        await response.write(f"event: error\ndata: {json.dumps(error)}\n\n".encode())
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_post("/v1/messages", messages)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


def settings(mock: str, echo: str, codex: str) -> dict[str, Any]:
    def model(slug: str, provider: str, base_url: str, **extra: Any) -> dict[str, Any]:
        return {"slug": slug, "model": slug, "provider": provider, "base_url": base_url, **extra}

    chat = "generic-chat-completion-api"
    return {
        "models": [
            model("plain", chat, f"{mock}/v1", api_key=SETTINGS_KEY),
            model("unmarked", chat, f"{mock}/v1", api_key=UNMARKED_KEY),
            model("claude", "anthropic", mock, api_key_env="CANARY_ENV_KEY"),
            model("rotating", chat, f"{mock}/v1", api_keys=["${CANARY_ROTATION_KEY}"]),
            model("echo-chat", chat, f"{echo}/v1", api_key=UNMARKED_KEY),
            model("echo-claude", "anthropic", echo, api_key_env="CANARY_ENV_KEY"),
            model("refused", chat, "http://127.0.0.1:9/v1", api_key=SETTINGS_KEY),
            model("mock-classifier", chat, f"{mock}/v1", api_key=UNMARKED_KEY),
            {"slug": "codex-gpt", "model": "gpt-5.5-codex", "provider": "codex", "base_url": codex},
        ],
        "router": {
            "classifier": "mock-classifier",
            "default": "plain",
            "candidates": [
                {"slug": "plain", "cost": 1, "card": "Cheap and fast."},
                {"slug": "claude", "cost": 5, "card": "Strong reasoning."},
            ],
        },
    }


def echoing(status: int, key: str) -> HttpError:
    """An upstream error whose message repeats the key it was sent."""
    message = f"Incorrect API key provided: {key}. Authorization: Bearer {key}"
    return HttpError(status, {"error": {"message": message, "type": "invalid_request_error"}})


def body(model: str, stream: bool = True, text: str = "say hi") -> dict[str, Any]:
    return {"model": model, "stream": stream, "input": text}


async def drive(client: httpx.AsyncClient, mock: MockUpstream) -> list[httpx.Response]:
    """Every endpoint and failure path, each once."""
    mock.on("mock-classifier", classifier_handler)
    for model in ("plain", "unmarked", "rotating", "claude"):
        for status in (401, 429, 500):
            key = {"claude": ENV_KEY, "rotating": ROTATION_KEY, "plain": SETTINGS_KEY}
            mock.script(model, echoing(status, key.get(model, UNMARKED_KEY)))
    mock.script("plain", Text("fine"), Text("fine"), Text("summary"))
    mock.script("mock-classifier", echoing(401, UNMARKED_KEY))
    answers = []

    async def post(path: str, payload: Any, **headers: str) -> None:
        content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        answers.append(await client.post(path, content=content, headers=headers))

    for model in ("plain", "unmarked", "rotating", "claude"):
        for _ in (401, 429, 500):
            await post("/v1/responses", body(model))
    await post("/v1/responses", body("plain"))  # success, streamed
    await post("/v1/responses", body("plain", stream=False))  # success, one JSON
    await post(
        "/v1/responses/compact", {"model": "plain", "input": [{"role": "user", "content": "x"}]}
    )
    await post("/v1/responses", body("echo-chat"))
    await post("/v1/responses", body("echo-claude"))
    await post("/v1/responses", body("refused"))
    await post("/v1/responses", body("codex-gpt"))
    await post("/v1/responses", body("codex-auto"), **{"session-id": "s1"})
    await post("/v1/responses", body("no-such-model"))
    await post("/v1/responses", b"{not json", **{"content-type": "application/json"})
    await post("/v1/responses", {"model": "plain", "input": 7})
    await post("/v1/responses/compact", {"input": []})
    answers.append(await client.get("/v1/models"))
    answers.append(await client.get("/health"))
    return answers


def written_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


async def test_no_canary_reaches_anything_the_proxy_writes(
    home: Path,
    mock_upstream: MockUpstream,
    echo_upstream: str,
    service_log: io.StringIO,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with MockCodexBackend() as backend:
        backend.add_account("acct-canary", token=ACCESS_TOKEN)
        data = settings(mock_upstream.root_url, echo_upstream, backend.base_url)
        state = home / "state"
        # start_proxy writes the settings file (keys and all) next to the routing log.
        proxy_dir = home / "proxy"
        proxy_dir.mkdir()
        proxy = await start_proxy(data, proxy_dir)
        try:
            async with httpx.AsyncClient(
                base_url=proxy.origin,
                timeout=30,
                trust_env=False,
                headers={"Authorization": f"Bearer {CLIENT_TOKEN}"},
            ) as client:
                answers = await drive(client, mock_upstream)
        finally:
            await proxy.runner.cleanup()
        # The upstreams did get the keys: the test would prove nothing otherwise.
        sent = {r.headers.get("authorization") for r in mock_upstream.requests}
        assert f"Bearer {SETTINGS_KEY}" in sent and f"Bearer {UNMARKED_KEY}" in sent
        assert ENV_KEY in {r.headers.get("x-api-key") for r in mock_upstream.requests}
        assert any(r.token == ACCESS_TOKEN for r in backend.requests)

    statuses = sorted({answer.status_code for answer in answers})
    assert {200, 400, 401, 404, 429, 500, 502} <= set(statuses)
    settings_path = home / "settings.json"
    settings_path.write_text(json.dumps(data))
    write_catalog(load_settings(settings_path), state / "catalog.json")
    capsys.readouterr()
    assert cli.main(["list", "--settings", str(settings_path)]) == 0
    printed = capsys.readouterr()

    outputs = {
        "http answers": "\n".join(a.text + json.dumps(dict(a.headers)) for a in answers),
        "service log": service_log.getvalue(),
        "cli": printed.out + printed.err,
    }
    files = [proxy_dir / "routing.jsonl", *written_files(state)]
    assert any("snapshots" in path.parts for path in files)
    for path in files:
        outputs[str(path.relative_to(home))] = path.read_text(errors="replace")
    # The echoed keys were there to leak, and were scrubbed.
    assert outputs["http answers"].count("[redacted]") >= 12
    leaks = [
        (where, secret)
        for where, text in outputs.items()
        for secret in [*canaries(), ACCESS_TOKEN, ACCESS_TOKEN.split(".")[1]]
        if secret in text
    ]
    assert leaks == []


async def test_files_holding_secrets_or_state_are_private(
    home: Path, mock_upstream: MockUpstream
) -> None:
    proxy_dir = home / "state" / "proxy"
    proxy_dir.mkdir(parents=True)
    mock_upstream.script("plain", Text("fine"))
    data = settings(mock_upstream.root_url, "http://127.0.0.1:9", "http://127.0.0.1:9")
    proxy = await start_proxy(data, proxy_dir)
    try:
        async with httpx.AsyncClient(base_url=proxy.origin, trust_env=False) as client:
            await client.post("/v1/responses", json=body("plain"))
    finally:
        await proxy.runner.cleanup()
    private = [proxy_dir / "routing.jsonl", *(home / "state" / "snapshots").rglob("*.json")]
    assert len(private) >= 2
    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_the_daemon_s_state_files_are_private(home: Path) -> None:
    from router.cli import daemon

    settings_path = home / "settings.json"
    settings_path.write_text(json.dumps(settings("http://127.0.0.1:9", "http://x", "http://x")))
    options = daemon.ServeOptions(settings_path, "127.0.0.1", free_port())
    daemon.start(options)
    try:
        state = home / "state"
        assert cli.main(["generate", "--settings", str(settings_path)]) == 0
        files = written_files(state)
        assert {"autorouter.pid", "autorouter.log", "routing.jsonl", "catalog.json"} <= {
            path.name for path in files
        }
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert stat.S_IMODE(state.stat().st_mode) == 0o700
    finally:
        daemon.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_listening_beyond_loopback_needs_the_flag_and_an_allowlist() -> None:
    check_bind_host("127.0.0.1", allow_remote=False, extra_hosts=[])
    with pytest.raises(ServeError, match="--allow-remote"):
        check_bind_host("0.0.0.0", allow_remote=False, extra_hosts=["box.lan"])
    with pytest.raises(ServeError, match="allowed_hosts"):
        check_bind_host("0.0.0.0", allow_remote=True, extra_hosts=[])
    with pytest.raises(ServeError, match="without client keys"):
        check_bind_host("0.0.0.0", allow_remote=True, extra_hosts=["box.lan"])
    check_bind_host("0.0.0.0", allow_remote=True, extra_hosts=["box.lan"], has_clients=True)
    check_bind_host("0.0.0.0", allow_remote=True, extra_hosts=["box.lan"], no_client_keys=True)


async def test_a_remote_listener_says_so_at_start_up(home: Path) -> None:
    settings_path = home / "settings.json"
    settings_path.write_text(
        json.dumps(
            {
                "models": [
                    {
                        "slug": "m",
                        "model": "m",
                        "provider": "generic-chat-completion-api",
                        "base_url": "http://127.0.0.1:9/v1",
                    }
                ],
                "server": {"allowed_hosts": ["box.lan"]},
            }
        )
    )
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "router",
        "serve",
        "--settings",
        str(settings_path),
        "--host",
        "0.0.0.0",
        "--port",
        str(port),
        "--allow-remote",
        "--no-client-keys",
        env={**os.environ},
        stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert process.stderr is not None
    line = await asyncio.wait_for(process.stderr.readline(), 30)
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), 30)
    record = json.loads(line)
    assert record["event"] == "listening"
    assert record["remote"] is True
    assert record["url"] == f"http://0.0.0.0:{port}"
