"""The shared state an instance starts with: Redis when the settings name one, else memory."""

from __future__ import annotations

import os
from collections.abc import Mapping

from router.settings import Settings, SettingsError
from router.shared.state import LocalState, SharedState


def open_shared_state(settings: Settings, environ: Mapping[str, str] | None = None) -> SharedState:
    """Read once at start-up: moving an instance to another Redis needs a restart."""
    url = settings.state.effective_url(os.environ if environ is None else environ)
    if url is None:
        return LocalState()
    try:
        from router.shared.redis_state import RedisState
    except ImportError:
        raise SettingsError(
            "state.redis_url needs redis-py: pip install 'codex-autorouter[team]'"
        ) from None
    return RedisState(url, timeout=settings.state.timeout)
