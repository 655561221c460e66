"""Outcome records: which model a task went to and how each model that tried it did.

A record keeps no task text: only its SHA-256, its length and the hashed word features
the local scorer learns from (router/learning/features.py), so the store can
sit in the state directory without holding anyone's prompts. This is the small store
the local scorer needs; the outcome-learning work can grow it (more fields, other
back ends) behind the same `OutcomeStore` interface.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import threading
import time
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import structlog

from router.learning.features import FEATURES_VERSION, text_hashes

_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class OutcomeRecord:
    task: str
    chosen: str
    outcomes: Mapping[str, bool]
    """Per candidate slug that tried the task: did it succeed."""
    prompt_sha256: str
    prompt_chars: int
    features: str
    """`<version>:<base64 of little-endian uint32 hashes>`."""
    at: float = field(default_factory=time.time)

    @classmethod
    def from_text(
        cls,
        task: str,
        text: str,
        chosen: str,
        outcomes: Mapping[str, bool],
        *,
        at: float | None = None,
    ) -> OutcomeRecord:
        return cls(
            task=task,
            chosen=chosen,
            outcomes=dict(outcomes),
            prompt_sha256=hashlib.sha256(text.encode()).hexdigest(),
            prompt_chars=len(text),
            features=encode_features(text),
            at=time.time() if at is None else at,
        )

    def feature_hashes(self) -> array[int] | None:
        """The hashes, or None when they were made by another version of the features."""
        version, _, data = self.features.partition(":")
        if version != FEATURES_VERSION:
            return None
        out = array("I")
        out.frombytes(base64.b64decode(data))
        if sys.byteorder != "little":  # pragma: no cover
            out.byteswap()
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "chosen": self.chosen,
            "outcomes": dict(self.outcomes),
            "prompt_sha256": self.prompt_sha256,
            "prompt_chars": self.prompt_chars,
            "features": self.features,
            "at": self.at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OutcomeRecord:
        outcomes = data["outcomes"]
        if not isinstance(outcomes, Mapping):
            raise ValueError("outcomes must be an object")
        return cls(
            task=str(data["task"]),
            chosen=str(data["chosen"]),
            outcomes={str(k): bool(v) for k, v in outcomes.items()},
            prompt_sha256=str(data["prompt_sha256"]),
            prompt_chars=int(data["prompt_chars"]),
            features=str(data["features"]),
            at=float(data.get("at", 0.0)),
        )


def encode_features(text: str) -> str:
    """The hashed features of `text` as a record keeps them: `<version>:<base64>`."""
    hashes = text_hashes(text)
    if sys.byteorder != "little":  # pragma: no cover
        hashes.byteswap()
    return f"{FEATURES_VERSION}:{base64.b64encode(hashes.tobytes()).decode()}"


class OutcomeStore(Protocol):
    def append(self, record: OutcomeRecord) -> None: ...

    def records(self) -> Iterator[OutcomeRecord]:
        """Every record, oldest first, read lazily (a fit streams through them)."""
        ...

    def size(self) -> int:
        """Changes whenever records are added (a refit is skipped when it has not)."""
        ...


class MemoryOutcomeStore:
    """Records in a list (tests, benchmarks)."""

    def __init__(self, records: Iterable[OutcomeRecord] = ()) -> None:
        self._records = list(records)

    def append(self, record: OutcomeRecord) -> None:
        self._records.append(record)

    def records(self) -> Iterator[OutcomeRecord]:
        return iter(list(self._records))

    def size(self) -> int:
        return len(self._records)


class JsonlOutcomeStore:
    """One JSON object a line in a file (mode 0600); unreadable lines are skipped and
    counted in the log, never fatal."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, record: OutcomeRecord) -> None:
        line = json.dumps(record.to_json(), separators=(",", ":")) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write(line)

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def records(self) -> Iterator[OutcomeRecord]:
        bad = 0
        try:
            handle = self.path.open(encoding="utf-8")
        except FileNotFoundError:
            return
        with handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    record = OutcomeRecord.from_json(json.loads(line))
                except (ValueError, KeyError, TypeError):
                    bad += 1
                    continue
                yield record
        if bad:
            _log.warning("outcome_lines_skipped", path=str(self.path), lines=bad)
