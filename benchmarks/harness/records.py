"""One run's share of the proxy's routing log, summed.

Which records belong to a run: the proxy tags a request with its task key
(`codex:<session>:<turn>`, see router/routing/task.py) only when Auto routed it; a request for a
concrete slug is logged with `task: null`. So each benchmark worker has a proxy and a
routing log of its own and runs one Codex session at a time: the records appended to
that log between a run's start and end are the run's. Records that do carry a task key
are also checked against the run's session id, and any other session's are left out.

The classifier's own call is not a `request` record; it shows in the `route` records
(`classifier_ms`, `classifier_tokens`, with `cache_hit: false` when it was really made).
The log gives the classifier's tokens as one total, so they are priced at the
classifier's input rate: its answers are a few dozen tokens of JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from router.settings import Settings


class LogCursor:
    """Reads the records appended to a routing log after a remembered position."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def position(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def read_since(self, position: int) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as handle:
            handle.seek(position)
            data = handle.read()
        records = []
        # A partial last line (a write in progress) is not a record yet.
        for line in data.split(b"\n")[:-1]:
            if line.strip():
                records.append(json.loads(line))
        return records


def task_session(task: str) -> str:
    """The session part of a task key: `codex:<session>[/<thread>]:<turn>`."""
    scope = task.split(":", 2)[1] if task.count(":") >= 2 else task
    return scope.split("/", 1)[0]


def belongs(record: Mapping[str, Any], session_id: str | None) -> bool:
    task = record.get("task")
    if not task or session_id is None:
        return True
    return task_session(str(task)) == session_id


@dataclass
class RunUsage:
    """What the proxy logged for one run."""

    requests: int = 0
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    model_cost_usd: float = 0.0
    unpriced_requests: int = 0
    failed_requests: int = 0
    models: list[str] = field(default_factory=list)
    classifier_calls: int = 0
    classifier_tokens: int = 0
    classifier_cost_usd: float = 0.0

    @property
    def cost_usd(self) -> float:
        return self.model_cost_usd + self.classifier_cost_usd


def classifier_rate(settings: Settings) -> float | None:
    """USD per classifier token (its input price), or None if it has no price."""
    if settings.router is None or settings.router.classifier is None:
        return None
    model = settings.model(settings.router.classifier)
    if model is None or model.price is None:
        return None
    return model.price.input / 1_000_000


def summarize(
    records: Iterable[Mapping[str, Any]],
    session_id: str | None,
    classifier_usd_per_token: float | None,
) -> RunUsage:
    usage = RunUsage()
    for record in records:
        if not belongs(record, session_id):
            continue
        event = record.get("event")
        if event == "request":
            usage.requests += 1
            usage.input_tokens += int(record.get("input_tokens") or 0)
            usage.cached_tokens += int(record.get("cached_tokens") or 0)
            usage.output_tokens += int(record.get("output_tokens") or 0)
            usage.reasoning_tokens += int(record.get("reasoning_tokens") or 0)
            cost = record.get("cost_usd")
            if cost is None:
                usage.unpriced_requests += 1
            else:
                usage.model_cost_usd += float(cost)
            if record.get("status") != "completed":
                usage.failed_requests += 1
            slug = record.get("slug")
            if slug and slug not in usage.models:
                usage.models.append(str(slug))
        elif (
            event == "route"
            and not record.get("cache_hit")
            and record.get("classifier_ms") is not None
        ):
            # A fresh decision that asked the classifier (a failed call counts too).
            usage.classifier_calls += 1
            tokens = int(record.get("classifier_tokens") or 0)
            usage.classifier_tokens += tokens
            usage.classifier_cost_usd += tokens * (classifier_usd_per_token or 0.0)
    usage.model_cost_usd = round(usage.model_cost_usd, 8)
    usage.classifier_cost_usd = round(usage.classifier_cost_usd, 8)
    return usage
