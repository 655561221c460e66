"""`POST /v1/responses/compact`, which older Codex builds call.

The history is summarised by a model, and the answer is a Responses-shaped window whose
`output` can be sent back as the next `input`: the user's own messages, then the summary
as a user message, the same shape Codex 0.169.0 builds itself after a local compaction.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from adapters.responses.objects import new_id

COMPACTION_PROMPT = (
    "You are performing a CONTEXT CHECKPOINT COMPACTION. Write a handoff summary of the "
    "conversation above for another model that will continue the work: the user's goal, "
    "what has been done (files changed, commands run and their outcome), decisions made, "
    "open problems, and the exact next steps. Be concise and concrete."
)

SUMMARY_PREFIX = (
    "Another language model started to solve this problem and produced a summary of its "
    "work so far. Use it to continue:\n"
)


def _as_items(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        return [_user_text(value)]
    return [dict(item) for item in value or [] if isinstance(item, Mapping)]


def _user_text(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def summary_request(body: Mapping[str, Any]) -> dict[str, Any]:
    """The Responses request that asks the model for the summary."""
    request: dict[str, Any] = {
        "model": body.get("model"),
        "input": [*_as_items(body.get("input")), _user_text(COMPACTION_PROMPT)],
        "stream": False,
    }
    if body.get("instructions"):
        request["instructions"] = body["instructions"]
    return request


def response_text(response: Mapping[str, Any]) -> str:
    parts: list[str] = []
    for item in response.get("output") or []:
        if item.get("type") == "message":
            for part in item.get("content") or []:
                if part.get("type") == "output_text":
                    parts.append(part.get("text") or "")
    return "".join(parts).strip()


def _is_user_authored(item: Mapping[str, Any]) -> bool:
    if item.get("type", "message") != "message" or item.get("role") != "user":
        return False
    texts = [
        part.get("text", "")
        for part in item.get("content") or []
        if isinstance(part, Mapping) and part.get("type") == "input_text"
    ]
    # Codex's own context blocks are rebuilt by Codex; the window keeps what the user said.
    return bool(texts) and not texts[0].lstrip().startswith("<environment_context>")


def compacted_window(
    body: Mapping[str, Any], summary_response: Mapping[str, Any]
) -> dict[str, Any]:
    summary = response_text(summary_response) or "(the model returned an empty summary)"
    kept = [dict(item) for item in _as_items(body.get("input")) if _is_user_authored(item)]
    return {
        "id": new_id("resp"),
        "object": "response.compaction",
        "created_at": int(time.time()),
        "output": [*kept, _user_text(SUMMARY_PREFIX + summary)],
        "usage": summary_response.get("usage"),
    }
