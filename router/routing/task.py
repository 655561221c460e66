"""Task identity: which requests belong to the same user turn.

The Auto router decides once per *task* (one user turn, with all its tool round trips,
Codex's retries and any compaction in the middle) and reuses that decision for the rest
of the turn, so a task never switches model between round trips.

Codex names its tasks itself (see the protocol notes, section 2): the `session-id`
header is the root thread, `turn_id` in the `x-codex-turn-metadata` header changes
with each user turn and stays put across tool round trips, retries and compaction,
and a sub-agent has its own `thread-id` and turn. `task_key` reads those first and only
falls back to fingerprinting the conversation for clients that send none of them.
Claude Code names its session (`X-Claude-Code-Session-Id`, also inside the JSON string
`metadata.user_id`) but not its turns: its tasks are that session plus the fingerprint,
and its `<system-reminder>` blocks count as context, not as what the user typed.

The fingerprint's limits, honestly: it is a hash of the conversation's start (the
first two messages before the latest user message), the number of user-authored
messages so far, and the latest user-authored message. It survives tool round trips
and retries (none of those change), and two conversations that share a prompt but not
their beginning are two tasks. It cannot tell apart two brand-new conversations whose
first message is identical (they share a decision while it is cached), and a client
that rewrites or trims earlier messages between round trips starts a new task.

This runs on every request, so it reads headers and a few items, never the whole body,
when Codex's headers are present.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

TaskKind = Literal["turn", "compaction"]
TaskSource = Literal["codex", "fingerprint"]

_TURN_METADATA = "x-codex-turn-metadata"
_CLAUDE_CODE_SESSION = "x-claude-code-session-id"
_SUBAGENT = "x-openai-subagent"

_COMPACTION_PROMPT = "You are performing a CONTEXT CHECKPOINT COMPACTION"
_COMPACTION_SUMMARY = "Another language model started to solve this problem"

# Text parts Codex adds around what the user typed. A user message made only of these
# is context, not a request, and an image tag is not part of the user's words.
_WRAPPER_PREFIXES = (
    "<environment_context>",
    "<user_instructions>",
    "<skills_instructions>",
    "<permissions instructions>",
    "<turn_aborted>",
    "<subagent_notification>",
    "# AGENTS.md instructions",
    "<image name=",
    "<system-reminder>",  # Claude Code's context blocks around what the user typed
    "</image>",
    _COMPACTION_PROMPT,
    _COMPACTION_SUMMARY,
)

_SYSTEM_ROLES = frozenset({"system", "developer"})
_IMAGE_PART_TYPES = frozenset({"input_image", "image_url", "image"})
_TEXT_PART_TYPES = frozenset({"input_text", "output_text", "text"})


@dataclass(frozen=True, slots=True)
class TaskKey:
    """Who a request belongs to. `value` is the cache key of the task's decision."""

    value: str
    session: str | None
    thread: str | None
    turn: str | None
    kind: TaskKind
    source: TaskSource


def task_key(headers: Mapping[str, str], body: Mapping[str, Any]) -> TaskKey:
    """The task a request belongs to.

    `headers` must look names up case-insensitively (aiohttp's `CIMultiDictProxy`) or
    hold lowercase names (a plain dict).
    """
    client_meta = _mapping(body.get("client_metadata"))
    turn_meta = _turn_metadata(headers, client_meta)

    session = (
        _text(headers.get("session-id"))
        or _text(body.get("prompt_cache_key"))
        or _text(client_meta.get("session_id"))
        or _text(headers.get("session_id"))
        or _text(turn_meta.get("session_id"))
        or _text(headers.get(_CLAUDE_CODE_SESSION))
        or _claude_code_session(body)
    )
    thread = (
        _text(headers.get("thread-id"))
        or _text(client_meta.get("thread_id"))
        or _text(turn_meta.get("thread_id"))
    )
    turn = _text(turn_meta.get("turn_id")) or _text(client_meta.get("turn_id"))
    subagent = _text(headers.get(_SUBAGENT)) or _text(client_meta.get(_SUBAGENT))

    # Codex's own compaction helper ("compact") is part of the turn it compacts, not a
    # separate agent with a task of its own.
    is_compaction = turn_meta.get("request_kind") == "compaction" or subagent == "compact"
    if not is_compaction and "request_kind" not in turn_meta:
        is_compaction = _looks_like_compaction(body)
    kind: TaskKind = "compaction" if is_compaction else "turn"

    separate_thread = thread is not None and (
        (session is not None and thread != session) or (subagent not in (None, "compact"))
    )
    scope = f"{session or '-'}/{thread}" if separate_thread else (session or "-")

    if turn is not None:
        return TaskKey(f"codex:{scope}:{turn}", session, thread, turn, kind, "codex")
    digest = _fingerprint(body)
    return TaskKey(f"fp:{scope}:{digest}", session, thread, None, kind, "fingerprint")


def latest_user_text(body: Mapping[str, Any]) -> str:
    """What the user last typed: the newest user message that is not only Codex context.

    Codex's wrapper parts (environment context, image tags, the compaction prompt) are
    left out; an empty string means there is no user-authored message.
    """
    for message in reversed(list(_messages(body))):
        if message.get("role") != "user":
            continue
        text = _authored_text(message)
        if text:
            return text
    return ""


def has_image(body: Mapping[str, Any]) -> bool:
    """Whether any image is in the conversation: user parts, tool outputs, earlier turns."""
    for item in _items(body):
        for key in ("content", "output"):
            parts = item.get(key)
            if isinstance(parts, list) and any(
                isinstance(part, Mapping) and part.get("type") in _IMAGE_PART_TYPES
                for part in parts
            ):
                return True
    return False


# -- helpers -------------------------------------------------------------------------


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _claude_code_session(body: Mapping[str, Any]) -> str | None:
    """Claude Code's session id from `metadata.user_id`, a JSON string in 2.x."""
    user_id = _mapping(body.get("metadata")).get("user_id")
    if not isinstance(user_id, str) or not user_id.startswith("{"):
        return None
    try:
        parsed = json.loads(user_id)
    except ValueError:
        return None
    return _text(parsed.get("session_id")) if isinstance(parsed, Mapping) else None


def _turn_metadata(headers: Mapping[str, str], client_meta: Mapping[str, Any]) -> Mapping[str, Any]:
    for raw in (headers.get(_TURN_METADATA), client_meta.get(_TURN_METADATA)):
        if isinstance(raw, str) and raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                continue
            if isinstance(parsed, Mapping):
                return parsed
    return {}


def _items(body: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    raw = body.get("input")
    if isinstance(raw, str):
        return [{"type": "message", "role": "user", "content": raw}]
    if isinstance(raw, list):
        return [item for item in raw if isinstance(item, Mapping)]
    return []


def _messages(body: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for item in _items(body):
        if item.get("type", "message") == "message" and isinstance(item.get("role"), str):
            yield item


def _part_texts(message: Mapping[str, Any]) -> list[str]:
    content = message.get("content")
    if isinstance(content, str):
        return [content]
    if not isinstance(content, list):
        return []
    return [
        part["text"]
        for part in content
        if isinstance(part, Mapping)
        and part.get("type") in _TEXT_PART_TYPES
        and isinstance(part.get("text"), str)
    ]


def _authored_text(message: Mapping[str, Any]) -> str:
    kept = [
        text.strip()
        for text in _part_texts(message)
        if text.strip() and not text.lstrip().startswith(_WRAPPER_PREFIXES)
    ]
    return "\n".join(kept)


def _looks_like_compaction(body: Mapping[str, Any]) -> bool:
    """Compaction without turn metadata: Codex's summary prompt or remote trigger is last."""
    items = _items(body)
    if not items:
        return False
    last = items[-1]
    if last.get("type") == "compaction_trigger":
        return True
    return last.get("role") == "user" and any(
        text.lstrip().startswith(_COMPACTION_PROMPT) for text in _part_texts(last)
    )


def _fingerprint(body: Mapping[str, Any]) -> str:
    """A stable hash of the conversation's start, its user-message count and latest ask."""
    messages = [m for m in _messages(body) if m.get("role") not in _SYSTEM_ROLES]
    latest_index = -1
    user_count = 0
    for index, message in enumerate(messages):
        if message.get("role") == "user" and _authored_text(message):
            latest_index = index
            user_count += 1
    # Only messages before the latest user message make up the "start": anything after
    # it (assistant commentary next to a tool call) appears mid-turn and would otherwise
    # change the key between round trips.
    start = messages[: min(2, latest_index)] if latest_index > 0 else []
    latest = _authored_text(messages[latest_index]) if latest_index >= 0 else ""
    digest = hashlib.sha256()
    for text in (*("\n".join(_part_texts(m)) for m in start), str(user_count), latest):
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()[:32]
