"""Token usage in each dialect, to and from the Responses shape the ledger reads.

One place per direction, so a passthrough and a translated request of the same answer
are costed alike: chat's cached prompt tokens (and DeepSeek's own name for them),
Anthropic's split of input into fresh, cache-read and cache-written tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.responses.objects import make_usage

_NUMBER = (int, float)


def _count(value: Any) -> int:
    return int(value) if isinstance(value, _NUMBER) and value is not True else 0


def _details(usage: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    details = usage.get(key)
    return details if isinstance(details, Mapping) else {}


def from_chat(usage: Mapping[str, Any]) -> dict[str, Any]:
    """A chat-completions `usage` object in the Responses shape."""
    prompt = usage.get("prompt_tokens_details")
    completion = usage.get("completion_tokens_details")
    cached = _count(prompt.get("cached_tokens")) if isinstance(prompt, Mapping) else 0
    return make_usage(
        _count(usage.get("prompt_tokens")),
        # DeepSeek reports its cache hits at the top level instead.
        cached or _count(usage.get("prompt_cache_hit_tokens")),
        _count(usage.get("completion_tokens")),
        _count(completion.get("reasoning_tokens")) if isinstance(completion, Mapping) else 0,
    )


def from_responses(usage: Any) -> Any:
    """A Responses upstream's `usage` with every count Codex and the SDK read, zero where
    not reported (its own extra fields kept)."""
    if not isinstance(usage, Mapping):
        return usage
    input_details = usage.get("input_tokens_details")
    output_details = usage.get("output_tokens_details")
    complete = make_usage(
        _positive(usage.get("input_tokens")),
        _positive(input_details.get("cached_tokens") if isinstance(input_details, Mapping) else 0),
        _positive(usage.get("output_tokens")),
        _positive(
            output_details.get("reasoning_tokens") if isinstance(output_details, Mapping) else 0
        ),
    )
    if isinstance(usage.get("total_tokens"), int):
        complete["total_tokens"] = usage["total_tokens"]
    for name, details in (
        ("input_tokens_details", input_details),
        ("output_tokens_details", output_details),
    ):
        if isinstance(details, Mapping):
            complete[name] = {**complete[name], **details}
    return {**usage, **complete}


def _positive(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def from_anthropic(usage: Mapping[str, Any]) -> dict[str, Any]:
    """An Anthropic `usage` object in the Responses shape, whose input tokens include
    the cache reads and writes. Anthropic does not count thinking apart from the answer."""
    read = _count(usage.get("cache_read_input_tokens"))
    written = _count(usage.get("cache_creation_input_tokens"))
    total = _count(usage.get("input_tokens")) + read + written
    return make_usage(total, read, _count(usage.get("output_tokens")), 0, written)


def to_chat(usage: Mapping[str, Any] | None) -> dict[str, Any]:
    """Responses usage as a chat-completions `usage` object."""
    usage = usage or {}
    prompt = _count(usage.get("input_tokens"))
    completion = _count(usage.get("output_tokens"))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {
            "cached_tokens": _count(_details(usage, "input_tokens_details").get("cached_tokens"))
        },
        "completion_tokens_details": {
            "reasoning_tokens": _count(
                _details(usage, "output_tokens_details").get("reasoning_tokens")
            )
        },
    }


def to_anthropic(usage: Mapping[str, Any] | None) -> dict[str, int]:
    """Responses usage (input includes cache reads and writes) in Anthropic's split."""
    usage = usage or {}
    details = _details(usage, "input_tokens_details")
    cached = _count(details.get("cached_tokens"))
    written = _count(details.get("cache_write_tokens"))
    return {
        "input_tokens": max(_count(usage.get("input_tokens")) - cached - written, 0),
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": cached,
        "output_tokens": _count(usage.get("output_tokens")),
    }
