"""One ChatGPT login held by two instances, one Redis between them: one refresh in all."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from pathlib import Path

from examples.mockupstream.codex_backend import MockCodexBackend, make_jwt
from router.chatgpt.login import AuthFileTokens, LoginCredential, http_client
from router.shared.handoff import LoginHandoff
from router.shared.redis_state import RedisState
from tests.codex.conftest import write_login
from tests.team.redis_server import RedisServer
from tests.team.test_two_instances import redis_keys_and_values


async def test_an_expired_login_on_two_instances_is_refreshed_once_and_shared(
    backend: MockCodexBackend, codex_home: Path, redis_server: RedisServer, tmp_path: Path
) -> None:
    backend.allow_refresh("rt-old", "acct-1")
    backend.refresh_delay = 0.2  # both instances find the token expired meanwhile
    first_file = write_login(codex_home, make_jwt(time.time() - 10, "acct-1"), "rt-old", "acct-1")
    second_file = tmp_path / "second-auth.json"
    shutil.copy(first_file, second_file)
    states = [RedisState(redis_server.url), RedisState(redis_server.url)]
    instances = [
        LoginCredential(
            "codex-login", AuthFileTokens(path), http_client, os.environ, handoff=LoginHandoff(s)
        )
        for path, s in zip((first_file, second_file), states, strict=True)
    ]
    try:
        results = await asyncio.gather(
            *(instance.authorization() for instance in instances for _ in range(5))
        )
        dump = await redis_keys_and_values(redis_server)
    finally:
        for state in states:
            await state.aclose()

    assert len(backend.refresh_requests) == 1
    assert len({token for token, _ in results}) == 1
    saved = [json.loads(path.read_text())["tokens"] for path in (first_file, second_file)]
    assert saved[0] == saved[1]
    assert saved[0]["refresh_token"] != "rt-old"
    # What crossed Redis was sealed: neither token is readable there.
    for secret in (saved[0]["access_token"], saved[0]["refresh_token"], "rt-old"):
        assert secret not in dump
