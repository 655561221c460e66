"""The signs, in the next request of a thread, that its previous task failed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from router.learning.signals import corrects_previous, last_check, last_check_failed, prompt_hash


@pytest.mark.parametrize(
    "text",
    [
        "That still fails: AssertionError in test_parse",
        "It doesn't work, the test is red",
        "Das funktioniert nicht, bitte nochmal",
        "ça ne marche pas",
        "No funciona, sigue dando error",
        "Ainda falha no teste",
        "Non funziona",
        "Это не работает",
        "还是不行，测试失败",
        "まだ失敗しています",
        "Try again, same error as before",
    ],
)
def test_corrections_in_several_languages(text: str) -> None:
    assert corrects_previous(text)


@pytest.mark.parametrize(
    "text",
    [
        "Now add a --verbose flag",
        "Great, thanks! Next, write the README",
        "Explain how the works of the parser fit together",
        "Rename the function to parse_duration",
        "对不对的问题我们之后再看，先写文档",
    ],
)
def test_ordinary_follow_ups_are_not_corrections(text: str) -> None:
    assert corrects_previous(text) is None


def test_a_repeated_prompt_hashes_the_same_whatever_the_spacing_and_case() -> None:
    assert prompt_hash("Fix the  failing test") == prompt_hash("fix the failing test ")
    assert prompt_hash("fix the failing test") != prompt_hash("fix the other test")


def exec_call(call_id: str, cmd: str, code: int) -> list[dict[str, Any]]:
    return [
        {
            "type": "function_call",
            "name": "exec_command",
            "call_id": call_id,
            "arguments": json.dumps({"cmd": cmd, "yield_time_ms": 2000}),
        },
        {
            "type": "function_call_output",
            "call_id": call_id,
            "output": f"Chunk ID: 1\nWall time: 0.1 seconds\nProcess exited with code {code}\n"
            "Original token count: 3\nOutput:\n...",
        },
    ]


def body(*items: dict[str, Any]) -> dict[str, Any]:
    return {"input": [*items]}


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def test_the_previous_tasks_last_test_run_failed() -> None:
    request = body(
        user("fix it"),
        *exec_call("a", "pytest -q", 1),
        *exec_call("b", "sed -i s/a/b/ x.py", 0),
        *exec_call("c", "python -m pytest tests/test_x.py", 1),
        user("next"),
    )
    assert last_check_failed(request) == "python -m pytest tests/test_x.py exited 1"


def test_a_passing_last_run_or_no_run_is_no_failure() -> None:
    passed = body(
        user("fix"), *exec_call("a", "pytest", 1), *exec_call("b", "pytest", 0), user("n")
    )
    assert last_check_failed(passed) is None and last_check(passed) == ("pytest", 0)
    assert last_check_failed(body(user("fix"), *exec_call("a", "ls", 2), user("n"))) is None
    assert last_check(body(user("hello"))) is None


def test_runs_after_the_latest_prompt_belong_to_the_new_task() -> None:
    request = body(
        user("fix"), *exec_call("a", "pytest", 0), user("next"), *exec_call("b", "pytest", 1)
    )
    assert last_check_failed(request) is None
