"""The local scorer: predicts each candidate's chance of success from the task text,
learned from outcome records, with no network and no model API.

numpy is an optional dependency (`pip install 'codex-autorouter[local]'`); `require_numpy`
turns its absence into a message that names the extra.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

EXTRA_HINT = "pip install 'codex-autorouter[local]'"


_MESSAGE = f'the local scorer ("classifier": "local" or "local_first") needs numpy: {EXTRA_HINT}'


class LocalScorerUnavailable(RuntimeError):
    """The local scorer cannot run here; the message says how to fix it."""


def numpy_missing() -> str | None:
    """Why the local scorer cannot run here, without importing numpy (None: it can)."""
    try:
        found = importlib.util.find_spec("numpy") is not None
    except (ImportError, ValueError):
        found = False
    return None if found else _MESSAGE


def require_numpy() -> ModuleType:
    try:
        import numpy
    except ImportError:
        raise LocalScorerUnavailable(_MESSAGE) from None
    return numpy
