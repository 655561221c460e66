"""Weak signals of how the previous task in a thread went, read off the next request.

When a user's next prompt in the same thread starts a new task, its body carries the
whole conversation: the new prompt, and before it every tool call and output of the
previous task. Three signs that the previous task failed:

- the new prompt corrects it ("that still fails", "no funciona", "还是不行", ...);
- the new prompt repeats the previous one word for word;
- the previous task's last test or build command exited with a non-zero code.

These are hints, weighted low in calibration; a test oracle or the user's own verdict
always wins over them.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

# Phrases that, near the start of a follow-up, say the last answer did not work. Kept
# short and specific: a word like "still" or "again" alone says nothing.
CORRECTION_PHRASES: tuple[str, ...] = (
    # English
    "still fails",
    "still failing",
    "still broken",
    "still doesn't work",
    "still does not work",
    "still not working",
    "doesn't work",
    "does not work",
    "didn't work",
    "did not work",
    "didn't fix",
    "did not fix",
    "not fixed",
    "that's wrong",
    "that is wrong",
    "this is wrong",
    "same error",
    "tests fail",
    "test fails",
    "tests are failing",
    "try again",
    # German
    "funktioniert nicht",
    "funktioniert immer noch nicht",
    "geht immer noch nicht",
    "das ist falsch",
    "immer noch fehler",
    # French
    "ne marche pas",
    "ne fonctionne pas",
    "marche toujours pas",
    "c'est faux",
    "toujours la même erreur",
    # Spanish
    "no funciona",
    "sigue fallando",
    "sigue sin funcionar",
    "está mal",
    "todavía falla",
    # Portuguese
    "não funciona",
    "ainda falha",
    "continua falhando",
    "está errado",
    # Italian
    "non funziona",
    "ancora non funziona",
    "è sbagliato",
    # Russian
    "не работает",
    "всё ещё не работает",
    "все еще не работает",
    "неправильно",
    # Chinese
    "还是不行",
    "还是不对",
    "结果不对",
    "没有用",
    "仍然失败",
    "还是报错",
    # Japanese
    "動かない",
    "まだ失敗",
    "うまくいかない",
    "間違っています",
)
_PREFIX_CHARS = 400

_CHECK_COMMAND = re.compile(
    r"\b(pytest|py\.test|unittest|tox|nox|make|cargo\s+(test|build|check)|go\s+(test|build|vet)|"
    r"npm\s+(run\s+)?(test|build)|yarn\s+(test|build)|pnpm\s+(test|build)|jest|vitest|mvn|"
    r"gradle|ctest|mypy|ruff|tsc|dotnet\s+(test|build)|rspec|phpunit)\b"
)
_EXIT_CODE = re.compile(r"(?:exited with code|exit code:?|exit status:?)\s*(-?\d+)", re.I)


def normalize(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")
    return " ".join(folded.split())


def prompt_hash(text: str) -> str:
    return hashlib.sha256(normalize(text).encode()).hexdigest()[:32]


def corrects_previous(text: str) -> str | None:
    """The correction phrase near the start of `text`, if any."""
    head = normalize(text)[:_PREFIX_CHARS]
    for phrase in CORRECTION_PHRASES:
        if phrase in head:
            return phrase
    return None


def last_check_failed(body: Mapping[str, Any]) -> str | None:
    """The last test or build command before the latest user message, when it exited
    non-zero: `"pytest -q exited 1"`; None when it passed or there was none."""
    check = last_check(body)
    if check is None or check[1] == 0:
        return None
    return f"{check[0][:80]} exited {check[1]}"


def last_check_passed(body: Mapping[str, Any]) -> bool:
    check = last_check(body)
    return check is not None and check[1] == 0


def last_check(body: Mapping[str, Any]) -> tuple[str, int] | None:
    """The last test or build command before the latest user message, and its exit code."""
    items = body.get("input")
    if not isinstance(items, list):
        return None
    end = len(items)
    for index in range(len(items) - 1, -1, -1):
        item = items[index]
        if isinstance(item, Mapping) and item.get("role") == "user":
            end = index
            break
    commands: dict[str, str] = {}
    last: tuple[str, int] | None = None
    for item in items[:end]:
        if not isinstance(item, Mapping):
            continue
        kind = item.get("type")
        if kind in ("function_call", "local_shell_call", "custom_tool_call"):
            command = _command(item)
            if command and _CHECK_COMMAND.search(command):
                commands[str(item.get("call_id"))] = command
        elif kind in ("function_call_output", "custom_tool_call_output"):
            command = commands.get(str(item.get("call_id")))
            code = _exit_code(item.get("output"))
            if command is not None and code is not None:
                last = (command, code)
    return last


def _command(item: Mapping[str, Any]) -> str | None:
    action = item.get("action")
    if isinstance(action, Mapping) and isinstance(action.get("command"), list):
        return " ".join(str(part) for part in action["command"])
    raw = item.get("arguments", item.get("input"))
    if not isinstance(raw, str):
        return None
    try:
        arguments = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(arguments, Mapping):
        return None
    command = arguments.get("cmd", arguments.get("command"))
    if isinstance(command, list):
        return " ".join(str(part) for part in command)
    return command if isinstance(command, str) else None


def _exit_code(output: Any) -> int | None:
    if isinstance(output, Mapping):
        output = output.get("output", output.get("content"))
    if isinstance(output, list):
        output = _text(output)
    if not isinstance(output, str):
        return None
    try:
        parsed = json.loads(output)
    except ValueError:
        parsed = None
    if isinstance(parsed, Mapping):
        metadata = parsed.get("metadata")
        if isinstance(metadata, Mapping) and isinstance(metadata.get("exit_code"), int):
            return int(metadata["exit_code"])
    match = _EXIT_CODE.search(output[:2000])
    return int(match.group(1)) if match else None


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts: Sequence[Any] = content if isinstance(content, list) else []
    return "\n".join(
        str(part.get("text"))
        for part in parts
        if isinstance(part, Mapping) and isinstance(part.get("text"), str)
    )
