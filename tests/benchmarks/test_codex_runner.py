"""What a `codex exec --json` run says, and what the agent's environment leaves out."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.harness.codex_runner import agent_env, codex_argv, read_outcome

EVENTS = [
    {"type": "thread.started", "thread_id": "session-1"},
    {"type": "turn.started"},
    {"type": "item.completed", "item": {"type": "command_execution", "command": "ls"}},
    {"type": "item.completed", "item": {"type": "reasoning", "text": "hm"}},
    {"type": "item.completed", "item": {"type": "file_change", "changes": []}},
    {"type": "item.completed", "item": {"type": "agent_message", "text": "done"}},
    {
        "type": "turn.completed",
        "usage": {
            "input_tokens": 24073,
            "cached_input_tokens": 1000,
            "output_tokens": 113,
            "reasoning_output_tokens": 70,
        },
    },
    {"type": "error", "message": "Reconnecting... 1/5"},
]


def test_session_usage_tool_calls_and_errors_come_from_the_events() -> None:
    stdout = "banner line\n" + "\n".join(json.dumps(event) for event in EVENTS) + "\n"
    outcome = read_outcome(0, False, stdout, "")
    assert outcome.session_id == "session-1"
    assert (outcome.usage.input_tokens, outcome.usage.cached_tokens) == (24073, 1000)
    assert (outcome.usage.output_tokens, outcome.usage.reasoning_tokens) == (113, 70)
    assert outcome.usage.turns == 1
    assert outcome.tool_calls == 2
    assert outcome.errors == ["Reconnecting... 1/5"]


def test_the_agent_gets_no_credentials(tmp_path: Path) -> None:
    env = agent_env(
        tmp_path,
        {
            "PATH": "/usr/bin",
            "HOME": "/home/me",
            "OPENAI_API_KEY": "k",
            "MY_SERVICE_TOKEN": "t",
            "CODEX_HOME": "/home/me/.codex",
            "AWS_SECRET_ACCESS_KEY": "s",
        },
    )
    assert env["CODEX_HOME"] == str(tmp_path)
    assert env["HOME"] == "/home/me"
    assert not {"OPENAI_API_KEY", "MY_SERVICE_TOKEN", "AWS_SECRET_ACCESS_KEY"} & set(env)


def test_the_command_points_codex_at_the_proxy(tmp_path: Path) -> None:
    argv = codex_argv(Path("codex"), "http://127.0.0.1:9/v1", tmp_path / "c.json", "mid", "-x")
    assert argv[1:3] == ["exec", "--skip-git-repo-check"]
    assert "--json" in argv and 'model="mid"' in argv
    assert any('base_url="http://127.0.0.1:9/v1"' in arg for arg in argv)
    assert argv[-2:] == ["--", "-x"]
