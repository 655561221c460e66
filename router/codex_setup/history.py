"""Keep Codex conversations visible when the model provider changes.

Codex lists threads per provider: `thread/list` shows only those recorded under the
current `model_provider`. Each thread's provider lives in two places, both of which must
change (verified with Codex 0.169.0, whose listing re-reads the rollouts and repairs the
database from them):
- the first line of its rollout, `sessions/**/rollout-*.jsonl` (and `archived_sessions`),
  a `session_meta` record whose `payload.model_provider` names the provider;
- the `threads.model_provider` column of the state database `state_<N>.sqlite`.

Before changing anything we copy the database and record every rollout's original first
line. A layout we do not recognise is left alone and reported, never guessed at.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROLLOUT_DIRS = ("sessions", "archived_sessions")
_STATE_DB = re.compile(r"^state_(\d+)\.sqlite$")
_COPY_CHUNK = 1 << 20


@dataclass
class HistoryMove:
    moved_threads: int = 0
    rewritten_rollouts: int = 0
    skipped: list[str] = field(default_factory=list)
    """Rollouts left alone (being written to, or an unexpected first line), by path."""
    backup: Path | None = None
    problem: str | None = None
    """Why nothing was changed, when the layout was not the one we know."""


def state_database(codex_home: Path) -> Path | None:
    """The newest `state_<N>.sqlite` in `codex_home`."""
    found = [
        (int(match.group(1)), path)
        for path in codex_home.glob("state_*.sqlite")
        if (match := _STATE_DB.match(path.name))
    ]
    return max(found)[1] if found else None


def rollouts(codex_home: Path) -> list[Path]:
    return sorted(
        path
        for folder in ROLLOUT_DIRS
        if (codex_home / folder).is_dir()
        for path in (codex_home / folder).rglob("rollout-*.jsonl")
    )


def _provider_token(provider: str) -> bytes:
    return b'"model_provider":' + json.dumps(provider).encode()


def rollout_provider(path: Path) -> str | None:
    """`model_provider` from a rollout's `session_meta` line, or None."""
    with open(path, "rb") as handle:
        first = handle.readline()
    try:
        record = json.loads(first)
        payload = record["payload"] if record.get("type") == "session_meta" else None
    except (ValueError, AttributeError, KeyError, TypeError):
        return None
    provider = payload.get("model_provider") if isinstance(payload, dict) else None
    return provider if isinstance(provider, str) else None


def _check_database(database: Path) -> str | None:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as connection:
            columns = {row[1] for row in connection.execute("PRAGMA table_info(threads)")}
    except sqlite3.Error as exc:
        return f"cannot read {database}: {exc}"
    missing = {"id", "model_provider", "rollout_path"} - columns
    if missing:
        return f"{database} has no threads table with {', '.join(sorted(missing))}"
    return None


def _rewrite_first_line(path: Path, old: bytes, new: bytes) -> bool:
    """Replace `old` by `new` in the first line, copying the rest byte for byte into a
    temporary file that then replaces the rollout. False (and no change) when the line
    does not hold `old` exactly once or Codex appended to the file while we copied."""
    before = path.stat()
    with open(path, "rb") as source:
        first = source.readline()
        if first.count(old) != 1:
            return False
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as target:
                os.fchmod(target.fileno(), before.st_mode & 0o777)
                target.write(first.replace(old, new))
                while chunk := source.read(_COPY_CHUNK):
                    target.write(chunk)
                target.flush()
                os.fsync(target.fileno())
            after = path.stat()
            if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                os.unlink(temp)
                return False
            os.replace(temp, path)
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise
    return True


def move_threads(
    codex_home: Path, from_provider: str, to_provider: str, backup_root: Path
) -> HistoryMove:
    """Re-file every thread recorded under `from_provider` under `to_provider`."""
    result = HistoryMove()
    if from_provider == to_provider:
        return result
    database = state_database(codex_home)
    if database is not None:
        result.problem = _check_database(database)
        if result.problem:
            return result
    candidates = [path for path in rollouts(codex_home) if rollout_provider(path) == from_provider]
    if database is None and not candidates:
        return result

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    backup = backup_root / f"history-{stamp}"
    backup.mkdir(parents=True, mode=0o700)
    result.backup = backup
    if database is not None:
        with (
            sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as source,
            sqlite3.connect(backup / database.name) as copy,
        ):
            source.backup(copy)
        os.chmod(backup / database.name, 0o600)
    manifest = {}
    for path in candidates:
        with open(path, "rb") as handle:
            manifest[str(path)] = handle.readline().decode("utf-8", "replace")
    (backup / "rollout_first_lines.json").write_text(json.dumps(manifest))
    os.chmod(backup / "rollout_first_lines.json", 0o600)

    # Rollouts first: if we stop half-way, Codex repairs the database from them.
    old, new = _provider_token(from_provider), _provider_token(to_provider)
    for path in candidates:
        if _rewrite_first_line(path, old, new):
            result.rewritten_rollouts += 1
        else:
            result.skipped.append(str(path))
    if database is not None:
        with sqlite3.connect(database, timeout=10) as connection:
            cursor = connection.execute(
                "UPDATE threads SET model_provider = ? WHERE model_provider = ?",
                (to_provider, from_provider),
            )
            result.moved_threads = cursor.rowcount
    else:
        result.moved_threads = result.rewritten_rollouts
    return result
