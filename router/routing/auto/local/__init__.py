"""The local scorer: predicts each candidate's chance of success from the task text,
learned from outcome records, with no network and no model API.

numpy is an optional dependency (`pip install 'codex-autorouter[local]'`); `require_numpy`
turns its absence into a message that names the extra.
"""

from __future__ import annotations

from router.learning.features import (
    EXTRA_HINT,
    LocalScorerUnavailable,
    numpy_missing,
    require_numpy,
)

__all__ = ["EXTRA_HINT", "LocalScorerUnavailable", "numpy_missing", "require_numpy"]
