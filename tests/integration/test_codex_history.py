"""Moving threads between providers: only a layout we recognise is touched."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from router.codex_setup.history import move_threads

META = {"type": "session_meta", "payload": {"id": "t1", "model_provider": "openai"}}


def rollout(home: Path, first_line: str) -> Path:
    path = home / "sessions" / "2026" / "01" / "01" / "rollout-2026-01-01T00-00-00-t1.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text(first_line + "\n" + '{"type":"event_msg","payload":{}}\n')
    return path


def test_an_unknown_database_layout_changes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with sqlite3.connect(home / "state_9.sqlite") as connection:
        connection.execute("CREATE TABLE conversations (id TEXT, provider TEXT)")
    path = rollout(home, json.dumps(META, separators=(",", ":")))
    before = path.read_bytes()

    move = move_threads(home, "openai", "autorouter", tmp_path / "backups")

    assert move.problem is not None and "threads" in move.problem
    assert move.moved_threads == 0 and move.backup is None
    assert path.read_bytes() == before


def test_rollouts_move_byte_exactly_and_back(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    path = rollout(home, json.dumps(META, separators=(",", ":")))
    before = path.read_bytes()

    there = move_threads(home, "openai", "autorouter", tmp_path / "backups")
    assert there.rewritten_rollouts == 1
    assert b'"model_provider":"autorouter"' in path.read_bytes()
    back = move_threads(home, "autorouter", "openai", tmp_path / "backups")

    assert back.rewritten_rollouts == 1
    assert path.read_bytes() == before


def test_a_first_line_we_do_not_understand_is_skipped(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    odd = '{"type":"session_meta","payload":{"model_provider":"openai"},"x":{"model_provider":"openai"}}'
    path = rollout(home, odd)

    move = move_threads(home, "openai", "autorouter", tmp_path / "backups")

    assert move.skipped == [str(path)]
    assert path.read_text().startswith(odd)
