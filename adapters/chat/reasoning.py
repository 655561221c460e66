"""A chat upstream's reasoning, carried through Codex and given back where it is required.

DeepSeek's thinking mode (and Moonshot's Kimi K2 thinking models) return the chain of
thought as `reasoning_content` and reject the next request when an assistant message that
made tool calls comes back without it (HTTP 400 "The `reasoning_content` in the thinking
mode must be passed back to the API"). Codex keeps a reasoning item's
`encrypted_content` untouched and replays it, so the text travels there.

Format, version 1 (the same layout as the Anthropic blocks in `adapters.thinking`):

    "chat.v1:" + base64url(json({
        "v": 1,
        "provider": "chat",
        "origin": "<host of the upstream base URL>",
        "reasoning": "<the reasoning text exactly as the upstream streamed it>",
    }))

The prefix keeps it apart from Anthropic's blocks and OpenAI's blobs; `origin` makes sure
the exact text only goes back to the endpoint that wrote it. For any other reasoning item
the summary text is used instead, and only for upstreams that need the field at all:
OpenAI and most compatibles reject `reasoning_content` in input messages.
"""

from __future__ import annotations

import base64
import binascii
import json
from functools import lru_cache
from urllib.parse import urlsplit

PREFIX = "chat.v1:"
VERSION = 1
PROVIDER = "chat"

_REPLAY_HOSTS = ("deepseek.com", "moonshot.ai", "moonshot.cn")
"""API hosts that document the rule for every thinking model they serve."""

_REPLAY_MODEL_MARKS = (
    "deepseek-v4",
    "deepseek-reasoner",
    "kimi-k2-thinking",
    "kimi-k2.5",
    "kimi-k2.6",
)
"""Model names (on any host: OpenRouter, vLLM, ...) whose thinking mode has the rule."""

# DeepSeek's documented mapping (thinking-mode guide): it knows low, high and max.
_DEEPSEEK_EFFORTS = {
    "minimal": "low",
    "low": "low",
    "medium": "high",
    "high": "high",
    "xhigh": "high",
    "max": "max",
    "ultra": "max",
}


def _host(base_url: str) -> str:
    return (urlsplit(base_url).hostname or "").lower()


def _on_host(base_url: str, hosts: tuple[str, ...]) -> bool:
    host = _host(base_url)
    return any(host == h or host.endswith("." + h) for h in hosts)


@lru_cache(maxsize=256)
def needs_reasoning_replay(base_url: str, model: str) -> bool:
    """The default for a model's `replay_reasoning` setting."""
    name = model.lower()
    return _on_host(base_url, _REPLAY_HOSTS) or any(mark in name for mark in _REPLAY_MODEL_MARKS)


@lru_cache(maxsize=256)
def is_deepseek(base_url: str, model: str) -> bool:
    """DeepSeek's own API, or a DeepSeek V4 model by its own name."""
    return _on_host(base_url, ("deepseek.com",)) or model.lower().startswith("deepseek-v4")


def deepseek_effort(effort: str) -> str | None:
    """DeepSeek's `reasoning_effort` for a Responses effort, None for an unknown one."""
    return _DEEPSEEK_EFFORTS.get(effort)


def encode_reasoning(text: str, origin: str) -> str:
    payload = {"v": VERSION, "provider": PROVIDER, "origin": origin, "reasoning": text}
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return PREFIX + base64.urlsafe_b64encode(raw).decode("ascii")


def decode_reasoning(encrypted_content: object, origin: str) -> str | None:
    """The text carried by `encrypted_content` when it is ours and was written by
    `origin`; None otherwise (malformed values count as foreign, never as an error)."""
    if not isinstance(encrypted_content, str) or not encrypted_content.startswith(PREFIX):
        return None
    encoded = encrypted_content[len(PREFIX) :]
    try:
        payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(payload, dict) or payload.get("v") != VERSION:
        return None
    if payload.get("provider") != PROVIDER or payload.get("origin") != origin:
        return None
    text = payload.get("reasoning")
    return text if isinstance(text, str) else None
