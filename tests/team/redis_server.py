"""The `redis_server` fixture: a real `redis-server` per test, skipped where it is missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from examples.redis_server import REDIS_SERVER, RedisServer

__all__ = ["RedisServer", "redis_server"]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (make test installs Debian's package as root)")
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory)
    server.start()
    yield server
    server.stop()
