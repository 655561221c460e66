"""The real Codex CLI with a ChatGPT login compresses its requests with zstd
(`enable_request_compression`, on by default, applies to a provider named "OpenAI"): a
turn carrying a screenshot of a few MB reaches the upstream whole and decoded.

Everything stays on loopback: ChatGPT's own URLs point at the mock, the apps feature is
off, and a dead proxy catches anything that is not loopback."""

from __future__ import annotations

import base64
import json
import os
import re
import struct
import time
import zlib
from pathlib import Path

import pytest

from examples.mockupstream import MockUpstream, Text
from router.codex_setup.catalog import write_catalog
from router.settings import load_settings
from tests.e2e.codex import codex_command, codex_env, parse_events, run_process
from tests.proxy import ProxyFactory, chat_model

pytestmark = pytest.mark.e2e

DEAD = "http://127.0.0.1:9"


def screenshot_png(width: int = 1024, height: int = 768) -> bytes:
    """A valid PNG of random pixels: it does not compress, as a real screenshot barely does."""
    rows = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 1))
        + chunk(b"IEND", b"")
    )


def _b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def write_chatgpt_login(codex_home: Path) -> None:
    """A ChatGPT login as `codex login` leaves it (unsigned tokens: Codex only reads them)."""
    claims = {
        "email": "user@example.com",
        "exp": int(time.time()) + 86400,
        "https://api.openai.com/auth": {
            "chatgpt_plan_type": "plus",
            "chatgpt_account_id": "acct-1",
            "chatgpt_user_id": "user-1",
        },
    }
    token = f"{_b64url({'alg': 'none', 'typ': 'JWT'})}.{_b64url(claims)}.sig"
    tokens = {
        "id_token": token,
        "access_token": token,
        "refresh_token": "rt",
        "account_id": "acct-1",
    }
    login = {"OPENAI_API_KEY": None, "tokens": tokens, "last_refresh": "2099-01-01T00:00:00Z"}
    (codex_home / "auth.json").write_text(json.dumps(login))


async def test_codex_sends_a_zstd_screenshot_turn_and_the_upstream_gets_it_whole(
    codex_bin: Path,
    mock_upstream: MockUpstream,
    proxy_factory: ProxyFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AUTOROUTER_STATE_DIR", str(tmp_path / "state"))
    mock_upstream.script("chat-a", Text("a login form"))
    # Snapshots keep each request's headers: they show what Codex sent.
    proxy = await proxy_factory(
        {"models": [chat_model("chat-a", mock_upstream.base_url)], "server": {"snapshots": True}}
    )
    catalog = write_catalog(load_settings(proxy.settings_path), tmp_path / "catalog.json")
    codex_home = tmp_path / "codex-cli-home"
    codex_home.mkdir()
    write_chatgpt_login(codex_home)
    png = screenshot_png()
    (tmp_path / "shot.png").write_bytes(png)
    provider = (
        f'{{name="OpenAI",base_url="{proxy.base_url}",wire_api="responses",'
        "requires_openai_auth=true,supports_websockets=false}"
    )
    config = {
        "model_provider": '"via-chatgpt"',
        "model_providers.via-chatgpt": provider,
        "model_catalog_json": json.dumps(str(catalog)),
        "model": '"chat-a"',
        "approval_policy": '"never"',
        "chatgpt_base_url": json.dumps(mock_upstream.base_url),
        "analytics.enabled": "false",
    }
    config_args = [part for key, value in config.items() for part in ("-c", f"{key}={value}")]
    args = codex_command(
        codex_bin,
        "what is on this screenshot?",
        [*config_args, "--disable", "apps"],
        images=[tmp_path / "shot.png"],
    )
    workdir = tmp_path / "ws"
    workdir.mkdir()
    proxies = {name: DEAD for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")}
    env = codex_env(codex_home, {**proxies, "NO_PROXY": "127.0.0.1,localhost,::1"})
    finished = await run_process(args, cwd=workdir, env=env, timeout=120)

    events = parse_events(finished.stdout)
    messages = [
        e["item"]["text"]
        for e in events
        if e.get("type") == "item.completed" and e["item"].get("type") == "agent_message"
    ]
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert messages == ["a login form"]
    [snapshot] = (tmp_path / "state" / "snapshots").glob("*.json")
    headers = json.loads(snapshot.read_text())["headers"]
    assert headers["content-encoding"] == "zstd"
    assert int(headers["content-length"]) > 2_000_000
    [recorded] = mock_upstream.requests
    urls = re.findall(r"data:image/png;base64,[A-Za-z0-9+/=]+", json.dumps(recorded.body))
    assert [base64.b64decode(url.split(",", 1)[1]) for url in urls] == [png]
