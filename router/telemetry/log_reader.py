"""Reading the routing log back: every record, or only what was appended since last time."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

KEPT_RECORDS = 200_000


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON-object lines of `path`, skipping any line that is not one (a torn write)."""
    with path.open("rb") as lines:
        yield from _parsed(lines)


def _parsed(lines: Any) -> Iterator[dict[str, Any]]:
    for line in lines:
        try:
            record = orjson.loads(line)
        except (orjson.JSONDecodeError, json.JSONDecodeError):
            continue
        if isinstance(record, dict):
            yield record


class LogTail:
    """The log's latest records, read incrementally: a dashboard refresh reads only what
    was appended since the last one. A file that shrank (cleaned, rotated) is read anew."""

    def __init__(self, path: Path, keep: int = KEPT_RECORDS) -> None:
        self.path = path
        self._records: deque[dict[str, Any]] = deque(maxlen=keep)
        self._offset = 0

    def records(self) -> list[dict[str, Any]]:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            self._records.clear()
            self._offset = 0
            return []
        if size < self._offset:
            self._records.clear()
            self._offset = 0
        if size > self._offset:
            with self.path.open("rb") as file:
                file.seek(self._offset)
                chunk = file.read(size - self._offset)
            # A line still being written stays for the next read.
            complete = chunk[: chunk.rfind(b"\n") + 1]
            self._offset += len(complete)
            self._records.extend(_parsed(complete.splitlines()))
        return list(self._records)
