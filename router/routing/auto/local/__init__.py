"""The local scorer: predicts each candidate's chance of success from the task text,
learned from outcome records, with no network and no model API.

numpy is an optional dependency (`pip install 'codex-autorouter[local]'`); `require_numpy`
turns its absence into a message that names the extra.
"""

from __future__ import annotations

from types import ModuleType

EXTRA_HINT = "pip install 'codex-autorouter[local]'"


class LocalScorerUnavailable(RuntimeError):
    """The local scorer cannot run here; the message says how to fix it."""


def require_numpy() -> ModuleType:
    try:
        import numpy
    except ImportError:
        raise LocalScorerUnavailable(
            f'the local scorer ("classifier": "local" or "local_first") needs numpy: {EXTRA_HINT}'
        ) from None
    return numpy
