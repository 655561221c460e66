"""One refresh of a ChatGPT login across instances; the others take its result.

Refresh tokens are single-use: two instances holding the same login must not both spend
it. The instance that finds the token expired first takes a short lock named after the
refresh token it is about to spend, refreshes, and publishes the new tokens; the others
find the lock taken, wait for the publication and use it (and from then on hold the
same new refresh token).

What is published is a secret, so it is sealed: AES-GCM with a key derived from the
spent refresh token, under a name derived the same way. Only an instance that held
that login can find and open it; Redis (or anyone reading it) sees neither the name's
origin nor the tokens. The `cryptography` package comes with the `team` extra.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Awaitable, Callable

from router.shared.state import SharedState
from router.telemetry.logs import get_logger

log = get_logger("autorouter.shared")

PUBLISHED_FOR = 600.0
"""Seconds a refreshed login stays published for instances that were not waiting."""
POLL_INTERVAL = 0.05


def _derived(label: bytes, spent: str) -> bytes:
    return hashlib.sha256(label + b"\0" + spent.encode()).digest()


class LoginHandoff:
    def __init__(self, shared: SharedState, wait: float = 20.0) -> None:
        self._shared = shared
        self._wait = wait

    async def refresh_once(self, spent: str, refresh: Callable[[], Awaitable[bytes]]) -> bytes:
        """The login refreshed from the refresh token `spent`, as `refresh()` returns it
        (serialized), refreshed by this instance or taken from the one that did."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        name = _derived(b"autorouter-login-name", spent).hex()[:32]
        sealer = AESGCM(_derived(b"autorouter-login-key", spent))

        async def published() -> bytes | None:
            sealed = await self._shared.get(f"login:{name}", PUBLISHED_FOR)
            if sealed is None or len(sealed) < 13:
                return None
            plain: bytes = sealer.decrypt(sealed[:12], sealed[12:], name.encode())
            return plain

        deadline = time.monotonic() + self._wait
        while True:
            taken = await published()
            if taken is not None:
                log.info("codex_login_taken_from_instance")
                return taken
            if await self._shared.claim(f"login-lock:{name}", self._wait):
                try:
                    fresh = await refresh()
                    nonce = os.urandom(12)
                    sealed = nonce + sealer.encrypt(nonce, fresh, name.encode())
                    await self._shared.put(f"login:{name}", sealed, PUBLISHED_FOR)
                    return fresh
                finally:
                    await self._shared.release(f"login-lock:{name}")
            if time.monotonic() >= deadline:
                # The holder neither published nor let go in time: refresh ourselves.
                return await refresh()
            await asyncio.sleep(POLL_INTERVAL)
