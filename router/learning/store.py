"""The outcome store: one row per Auto task, what each candidate scored, and how it went.

SQLite in the state directory (`outcomes.sqlite3`), its schema versioned in `meta`. The
proxy writes through one background thread (`OutcomeWriter`), so a request never waits
on the disk; commands (`feedback`, `calibrate`) open the file themselves. No prompt text
is kept: a hash of the task's prompt and its length only.

A file that is not a database, or of a newer schema, is reported with its path and the
way out; it is never reset behind the user's back.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from router.settings.paths import state_dir

SCHEMA_VERSION = 1
FILE_NAME = "outcomes.sqlite3"

Outcome = Literal["pass", "fail"]
Source = Literal["oracle", "user", "implicit"]
SOURCES: tuple[Source, ...] = ("oracle", "user", "implicit")
# How much one outcome counts in calibration: a test oracle is ground truth, a user's
# verdict nearly so, a phrase or a failing test in the next prompt only a hint.
SOURCE_WEIGHT: dict[str, float] = {"oracle": 1.0, "user": 0.8, "implicit": 0.3}
# A weaker source never overwrites a stronger one's verdict.
_RANK = {"implicit": 0, "user": 1, "oracle": 2}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    task TEXT PRIMARY KEY,
    thread TEXT,
    decided_at REAL NOT NULL,
    chosen TEXT NOT NULL,
    reason TEXT NOT NULL,
    prompt_hash TEXT,
    prompt_chars INTEGER,
    calibration INTEGER,
    requests INTEGER NOT NULL DEFAULT 0,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL,
    outcome TEXT,
    outcome_source TEXT,
    outcome_detail TEXT,
    outcome_at REAL
);
CREATE INDEX IF NOT EXISTS tasks_by_thread ON tasks (thread, decided_at);
CREATE INDEX IF NOT EXISTS tasks_by_time ON tasks (decided_at);
CREATE TABLE IF NOT EXISTS scores (
    task TEXT NOT NULL,
    slug TEXT NOT NULL,
    raw REAL,
    calibrated REAL,
    eligible INTEGER NOT NULL,
    PRIMARY KEY (task, slug)
);
CREATE TABLE IF NOT EXISTS features (
    task TEXT PRIMARY KEY,
    features TEXT NOT NULL
);
"""
# `features` holds the hashed word features the local scorer learns from (never the
# text; router/learning/features.py). A table of its own, created on open, so
# stores made before it need no migration.


class OutcomeStoreError(Exception):
    """The store cannot be used; the message names the file and what to do."""


class UnknownTask(OutcomeStoreError):
    pass


@dataclass(frozen=True, slots=True)
class TaskRecord:
    task: str
    thread: str | None
    decided_at: float
    chosen: str
    reason: str
    requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    outcome: str | None
    outcome_source: str | None
    prompt_hash: str | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """One calibration point: the chosen candidate's raw score and whether it worked."""

    slug: str
    raw: float
    success: bool
    weight: float


def default_path() -> Path:
    return state_dir() / FILE_NAME


def open_store(path: Path) -> sqlite3.Connection:
    """A connection to the store at `path`, created or checked. Raises OutcomeStoreError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    way_out = f"move it aside (mv {path} {path}.broken) and a new, empty store is made"
    try:
        connection = sqlite3.connect(path, timeout=5.0, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(_SCHEMA)
        row = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            connection.execute(
                "INSERT INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
            )
        elif int(row[0]) > SCHEMA_VERSION:
            connection.close()
            raise OutcomeStoreError(
                f"outcome store {path} has schema {row[0]}, newer than this version "
                f"understands ({SCHEMA_VERSION}); upgrade codex-autorouter, or {way_out}"
            )
    except sqlite3.DatabaseError as exc:
        raise OutcomeStoreError(f"outcome store {path} is unreadable ({exc}); {way_out}") from None
    return connection


@contextmanager
def connected(path: Path) -> Iterator[sqlite3.Connection]:
    connection = open_store(path)
    try:
        yield connection
    finally:
        connection.close()


# -- writes (the writer thread, and commands) -------------------------------------------


def insert_decision(connection: sqlite3.Connection, row: dict[str, Any]) -> None:
    connection.execute(
        "INSERT OR IGNORE INTO tasks (task, thread, decided_at, chosen, reason, prompt_hash,"
        " prompt_chars, calibration) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            row["task"],
            row.get("thread"),
            row.get("decided_at", time.time()),
            row["chosen"],
            row["reason"],
            row.get("prompt_hash"),
            row.get("prompt_chars"),
            row.get("calibration"),
        ),
    )
    if row.get("features"):
        connection.execute(
            "INSERT OR IGNORE INTO features (task, features) VALUES (?, ?)",
            (row["task"], row["features"]),
        )
    connection.executemany(
        "INSERT OR REPLACE INTO scores (task, slug, raw, calibrated, eligible)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (row["task"], c["slug"], c.get("raw_score"), c.get("score"), int(bool(c["eligible"])))
            for c in row.get("candidates", [])
        ],
    )


def add_usage(connection: sqlite3.Connection, row: dict[str, Any]) -> None:
    cost = row.get("cost_usd")
    connection.execute(
        "UPDATE tasks SET requests = requests + 1, input_tokens = input_tokens + ?,"
        " output_tokens = output_tokens + ?,"
        " cost_usd = CASE WHEN ? IS NULL THEN cost_usd ELSE coalesce(cost_usd, 0) + ? END,"
        " chosen = ? WHERE task = ?",
        (
            int(row.get("input_tokens") or 0),
            int(row.get("output_tokens") or 0),
            cost,
            cost,
            row["slug"],
            row["task"],
        ),
    )


def set_outcome(
    connection: sqlite3.Connection,
    task: str,
    outcome: Outcome,
    source: Source,
    detail: str | None = None,
) -> bool:
    """Record `outcome` for `task` unless a stronger source already judged it. Returns
    whether the task exists."""
    row = connection.execute("SELECT outcome_source FROM tasks WHERE task = ?", (task,)).fetchone()
    if row is None:
        return False
    if row[0] is not None and _RANK.get(row[0], 0) > _RANK[source]:
        return True
    connection.execute(
        "UPDATE tasks SET outcome = ?, outcome_source = ?, outcome_detail = ?, outcome_at = ?"
        " WHERE task = ?",
        (outcome, source, detail, time.time(), task),
    )
    return True


# -- reads --------------------------------------------------------------------------------

_TASK_COLUMNS = (
    "task, thread, decided_at, chosen, reason, requests, input_tokens, output_tokens,"
    " cost_usd, outcome, outcome_source, prompt_hash"
)


def _task(row: Sequence[Any]) -> TaskRecord:
    return TaskRecord(*row)


def find_task(connection: sqlite3.Connection, task: str) -> TaskRecord | None:
    row = connection.execute(
        f"SELECT {_TASK_COLUMNS} FROM tasks WHERE task = ?", (task,)
    ).fetchone()
    return _task(row) if row else None


def resolve_task(connection: sqlite3.Connection, given: str) -> TaskRecord:
    """A task by its full key or a unique prefix (as the dashboard shows it)."""
    exact = find_task(connection, given)
    if exact is not None:
        return exact
    rows = connection.execute(
        f"SELECT {_TASK_COLUMNS} FROM tasks WHERE task LIKE ? ESCAPE '\\' LIMIT 2",
        (given.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",),
    ).fetchall()
    if len(rows) == 1:
        return _task(rows[0])
    if rows:
        raise UnknownTask(f"{given!r} matches several tasks; give more of the task id")
    raise UnknownTask(f"no Auto task {given!r} in the outcome store")


def last_task(connection: sqlite3.Connection) -> TaskRecord:
    row = connection.execute(
        f"SELECT {_TASK_COLUMNS} FROM tasks ORDER BY decided_at DESC LIMIT 1"
    ).fetchone()
    if row is None:
        raise UnknownTask("the outcome store has no Auto task yet")
    return _task(row)


def latest_in_thread(
    connection: sqlite3.Connection, thread: str, before: str | None = None
) -> TaskRecord | None:
    row = connection.execute(
        f"SELECT {_TASK_COLUMNS} FROM tasks WHERE thread = ? AND task != ?"
        " ORDER BY decided_at DESC LIMIT 1",
        (thread, before or ""),
    ).fetchone()
    return _task(row) if row else None


def outcomes(connection: sqlite3.Connection, task_ids: Sequence[str]) -> dict[str, str]:
    if not task_ids:
        return {}
    marks = ",".join("?" * len(task_ids))
    rows = connection.execute(
        f"SELECT task, outcome FROM tasks WHERE outcome IS NOT NULL AND task IN ({marks})",
        list(task_ids),
    ).fetchall()
    return {task: outcome for task, outcome in rows}


def observations(connection: sqlite3.Connection) -> list[Observation]:
    """Every judged task's chosen candidate: its raw score and outcome, weighted."""
    rows = connection.execute(
        "SELECT t.chosen, s.raw, t.outcome, t.outcome_source FROM tasks t"
        " JOIN scores s ON s.task = t.task AND s.slug = t.chosen"
        " WHERE t.outcome IS NOT NULL AND s.raw IS NOT NULL"
    ).fetchall()
    return [
        Observation(slug, float(raw), outcome == "pass", SOURCE_WEIGHT.get(source, 0.3))
        for slug, raw, outcome, source in rows
    ]


def judged_with_features(connection: sqlite3.Connection) -> Iterator[tuple[Any, ...]]:
    """(task, chosen, outcome, prompt_hash, prompt_chars, features, decided_at) of every
    judged task whose features were kept, oldest first (the local scorer's records)."""
    yield from connection.execute(
        "SELECT t.task, t.chosen, t.outcome, t.prompt_hash, t.prompt_chars, f.features,"
        " t.decided_at FROM tasks t JOIN features f ON f.task = t.task"
        " WHERE t.outcome IS NOT NULL ORDER BY t.decided_at"
    )


def judged_with_features_count(connection: sqlite3.Connection) -> int:
    row = connection.execute(
        "SELECT COUNT(*) FROM tasks t JOIN features f ON f.task = t.task"
        " WHERE t.outcome IS NOT NULL"
    ).fetchone()
    return int(row[0])


# -- the proxy's writer -----------------------------------------------------------------

Write = Callable[[sqlite3.Connection], Any]


class OutcomeWriter:
    """Runs the proxy's writes on one background thread, in order, off the event loop.

    `submit` never blocks and never raises: the store is a record of what happened, and a
    full queue or a broken disk must not fail a request (it is logged once instead)."""

    def __init__(self, path: Path, on_error: Callable[[str], None]) -> None:
        self.path = path
        self._on_error = on_error
        self._queue: queue.Queue[Write | None] = queue.Queue(maxsize=10_000)
        self._thread = threading.Thread(target=self._run, name="outcome-writer", daemon=True)
        self._failed = False
        self._connection: sqlite3.Connection | None = None
        self._ready = threading.Event()
        self._thread.start()
        self._ready.wait(timeout=10)

    @property
    def failed(self) -> bool:
        return self._failed

    def submit(self, write: Write) -> None:
        if self._failed:
            return
        try:
            self._queue.put_nowait(write)
        except queue.Full:
            self._fail("the outcome store's queue is full; outcomes are being dropped")

    def call(self, write: Write) -> Any:
        """Run a read or write on the writer's connection and wait for it (a command or a
        feedback request; never per streamed event)."""
        done: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)

        def run(connection: sqlite3.Connection) -> None:
            try:
                done.put((True, write(connection)))
            except Exception as exc:  # handed back to the caller, who decides
                done.put((False, exc))

        if self._failed:
            raise OutcomeStoreError(f"the outcome store {self.path} is not available")
        self._queue.put(run)
        ok, value = done.get(timeout=30)
        if not ok:
            raise value
        return value

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _fail(self, message: str) -> None:
        if not self._failed:
            self._failed = True
            self._on_error(message)

    def _run(self) -> None:
        try:
            self._connection = open_store(self.path)
        except OutcomeStoreError as exc:
            self._fail(str(exc))
            self._ready.set()
            return
        self._ready.set()
        connection = self._connection
        while True:
            write = self._queue.get()
            if write is None:
                break
            try:
                write(connection)
            except sqlite3.Error as exc:
                self._fail(f"outcome store {self.path}: {exc}")
        connection.close()
