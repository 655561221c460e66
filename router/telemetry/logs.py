"""Structured logs: one JSON line per request, and the routing log.

Two streams, both structlog JSON lines:
- the service log (stderr in the foreground, a file under the state directory for the
  daemon): start-up, settings reloads, one summary line per request;
- the routing log (`--routing-log PATH`, `AUTOROUTER_ROUTING_LOG`, or `routing.jsonl` in
  the state directory): one `route` line per decision and one `request` line per upstream
  request with its usage, which `autorouter stats` and the benchmarks read back.

Neither ever carries a prompt body or a key: callers pass counts, slugs and ids only.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

import orjson
import structlog

ROUTING_LOG_ENV = "AUTOROUTER_ROUTING_LOG"


def _json_line(record: dict[str, Any], **_: Any) -> str:
    """orjson, at half the cost of the stdlib per line (every request writes two); what
    it refuses (an integer beyond 64 bits, a key that is not a string) goes through the
    stdlib, and anything else that is not JSON is written as its `repr`."""
    try:
        return orjson.dumps(record, default=repr).decode()
    except TypeError:
        return json.dumps(record, default=repr)


_PROCESSORS: list[Any] = [
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.add_log_level,
    # `log.exception(...)` and `exc_info=True` carry the traceback, not just `true`.
    structlog.processors.format_exc_info,
    structlog.processors.JSONRenderer(serializer=_json_line),
]


def configure_logging(stream: TextIO | None = None) -> None:
    """Send the service log as JSON lines to `stream` (stderr by default)."""
    structlog.configure(
        processors=_PROCESSORS,
        logger_factory=structlog.WriteLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str = "autorouter") -> Any:
    return structlog.get_logger(name)


class RoutingLog:
    """Appends decision and usage records to the routing log file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # Line-buffered append: each record reaches the file whole, even if the
        # process is killed, and concurrent readers (`stats`) see complete lines.
        self._file = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115
        os.chmod(path, 0o600)
        self._logger = structlog.wrap_logger(
            structlog.WriteLogger(self._file), processors=_PROCESSORS
        )

    def write(self, event: str, **fields: Any) -> None:
        self._logger.info(event, **fields)

    def close(self) -> None:
        self._file.close()


def routing_log_path(explicit: str | None, state_dir: Path) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(ROUTING_LOG_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return state_dir / "routing.jsonl"
