"""What the proxy learns from: decisions and usage into the outcome store, the previous
task's fate when a thread goes on, and the calibration in force.

The store and the calibration file live beside the routing log (the state directory by
default): the records of what happened stay together. Everything written goes through
the store's background thread; the only reads on a request's path happen when a new task
starts in a thread that had one before, the same moment the classifier is asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from cachetools import LRUCache

from router.learning import signals, store
from router.learning.calibration import FILE_NAME as CALIBRATION_FILE
from router.learning.calibration import Calibration, CalibrationFile
from router.learning.outcomes import encode_features

_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PreviousFailure:
    """The previous task of the thread failed: on which model, and how we know."""

    task: str
    slug: str
    source: str
    detail: str


@dataclass(frozen=True, slots=True)
class _ThreadTask:
    task: str
    chosen: str
    prompt_hash: str


class Learning:
    def __init__(self, directory: Path) -> None:
        self.store_path = directory / store.FILE_NAME
        self.writer = store.OutcomeWriter(self.store_path, self._store_failed)
        self.calibration_file = CalibrationFile(directory / CALIBRATION_FILE)
        self._threads: LRUCache[str, _ThreadTask] = LRUCache(maxsize=4096)
        self._auto_tasks: LRUCache[str, bool] = LRUCache(maxsize=8192)

    def _store_failed(self, message: str) -> None:
        _log.error("outcome_store_unavailable", error=message)

    def calibration(self) -> Calibration:
        return self.calibration_file.current()

    # -- a new task in a thread ---------------------------------------------------------

    async def previous_failure(
        self, thread: str | None, body: Mapping[str, Any], prompt: str
    ) -> PreviousFailure | None:
        """Whether the thread's previous task failed, from its recorded outcome or, when
        it has none, the new prompt's signals (which are then recorded as its outcome)."""
        if thread is None:
            return None
        previous = self._threads.get(thread)
        recorded = None
        try:
            if previous is None:
                recorded = await asyncio.to_thread(self.writer.call, _latest(thread))
                if recorded is None:
                    return None
                previous = _ThreadTask(recorded.task, recorded.chosen, recorded.prompt_hash or "")
            else:
                recorded = await asyncio.to_thread(self.writer.call, _find(previous.task))
        except store.OutcomeStoreError:
            if previous is None:
                return None
        if recorded is not None and recorded.outcome is not None:
            if recorded.outcome == "pass":
                return None
            return PreviousFailure(
                previous.task, previous.chosen, recorded.outcome_source or "user", "recorded"
            )
        return self._implicit(previous, body, prompt)

    def _implicit(
        self, previous: _ThreadTask, body: Mapping[str, Any], text: str
    ) -> PreviousFailure | None:
        detail = None
        phrase = signals.corrects_previous(text)
        if phrase:
            detail = f"the next prompt says {phrase!r}"
        elif previous.prompt_hash and signals.prompt_hash(text) == previous.prompt_hash:
            detail = "the next prompt repeats it"
        else:
            detail = signals.last_check_failed(body)
        if detail is None:
            if signals.last_check_passed(body):
                self._judge(previous.task, "pass", "its last test or build command passed")
            return None
        self._judge(previous.task, "fail", detail)
        return PreviousFailure(previous.task, previous.chosen, "implicit", detail)

    def _judge(self, task: str, outcome: store.Outcome, detail: str) -> None:
        self.writer.submit(
            lambda connection: store.set_outcome(connection, task, outcome, "implicit", detail)
        )

    # -- records --------------------------------------------------------------------------

    def decided(self, fields: Mapping[str, Any], thread: str | None, text: str) -> None:
        """A new task's decision (its routing-log fields) and its prompt's text (only its
        hash and length are kept)."""
        row = {
            **fields,
            "thread": thread,
            "prompt_hash": signals.prompt_hash(text),
            "prompt_chars": len(text),
            "features": encode_features(text),
        }
        task = str(fields["task"])
        self._auto_tasks[task] = True
        if thread is not None:
            self._threads[thread] = _ThreadTask(task, str(fields["chosen"]), row["prompt_hash"])
        self.writer.submit(lambda connection: store.insert_decision(connection, row))

    def observe_request(self, fields: Mapping[str, Any]) -> None:
        """A request's usage record; only Auto tasks are kept."""
        task = fields.get("task")
        if not isinstance(task, str) or task not in self._auto_tasks:
            return
        row = dict(fields)
        self.writer.submit(lambda connection: store.add_usage(connection, row))

    async def feedback(
        self, task: str | None, outcome: store.Outcome, source: store.Source, detail: str | None
    ) -> store.TaskRecord:
        """Judge `task` (a key or unique prefix; the latest when None). Raises
        `UnknownTask` or `OutcomeStoreError`."""

        def judge(connection: Any) -> store.TaskRecord:
            found = store.resolve_task(connection, task) if task else store.last_task(connection)
            store.set_outcome(connection, found.task, outcome, source, detail)
            return found

        record: store.TaskRecord = await asyncio.to_thread(self.writer.call, judge)
        return record

    async def outcomes(self, tasks: list[str]) -> dict[str, str]:
        try:
            found: dict[str, str] = await asyncio.to_thread(
                self.writer.call, lambda connection: store.outcomes(connection, tasks)
            )
        except store.OutcomeStoreError:
            return {}
        return found

    def close(self) -> None:
        self.writer.close()


def _latest(thread: str) -> Any:
    return lambda connection: store.latest_in_thread(connection, thread)


def _find(task: str) -> Any:
    return lambda connection: store.find_task(connection, task)
