"""The outcome store's judged tasks as the local scorer's records.

The proxy's `Learning` writes each Auto task (with its hashed features) and, later, its
outcome; the local scorer only reads them, so `append` stores nothing here: an outcome
reaches the store through `Learning` (feedback, implicit signals, the bench's oracle).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from router.learning import store
from router.learning.outcomes import OutcomeRecord


class LearnedOutcomes:
    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, record: OutcomeRecord) -> None:
        """Outcomes are written by `Learning`; nothing to do here."""

    def size(self) -> int:
        if not self.path.exists():
            return 0
        with store.connected(self.path) as connection:
            return store.judged_with_features_count(connection)

    def records(self) -> Iterator[OutcomeRecord]:
        if not self.path.exists():
            return
        with store.connected(self.path) as connection:
            for task, chosen, outcome, digest, chars, features, at in store.judged_with_features(
                connection
            ):
                yield OutcomeRecord(
                    task=task,
                    chosen=chosen,
                    outcomes={chosen: outcome == "pass"},
                    prompt_sha256=digest or "",
                    prompt_chars=int(chars or 0),
                    features=features,
                    at=float(at),
                )
