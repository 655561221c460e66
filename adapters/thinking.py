"""The replay format for Anthropic thinking blocks carried through Codex.

Claude's extended thinking must be sent back verbatim on the next request (at least for
the assistant turn of an unfinished tool loop): the `signature` of a `thinking` block, or
the `data` of a `redacted_thinking` block, is checked by the API, and a single changed
byte makes the request fail. Codex keeps whatever a `reasoning` item's
`encrypted_content` holds and replays it untouched, so that field carries the blocks.

Format, version 1:

    "anthropic.v1:" + base64url(json({
        "v": 1,
        "provider": "anthropic",
        "origin": "<host of the upstream base URL>",
        "blocks": [<the original block dicts, exactly as the upstream sent them>],
    }))

- The prefix makes the string self-describing, so a reasoning item from another
  provider family (an OpenAI `gAAAA...` blob, a chat model's reasoning, `null`) is told
  apart without guessing, and never replayed to Anthropic.
- `origin` records which endpoint produced the signatures: Anthropic-compatible
  endpoints (DeepSeek, GLM, MiniMax, Kimi) sign differently from api.anthropic.com,
  and a foreign signature fails the whole request, so blocks are only replayed to the
  endpoint that made them. An empty origin matches any endpoint.
- JSON keeps the blocks byte-identical on the way back: strings round-trip exactly and
  key order is preserved. base64url keeps the value free of characters that some
  clients escape or trim.

Only blocks that can be verified are ever encoded or decoded: a `thinking` block needs a
non-empty `signature` string, a `redacted_thinking` block a non-empty `data` string. An
unsigned thinking block (for example from a stream cut short) is worthless to the API.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

PREFIX = "anthropic.v1:"
VERSION = 1
PROVIDER = "anthropic"


def origin_of(base_url: str) -> str:
    """The endpoint identity recorded with the blocks: the base URL's host (and port)."""
    return (urlsplit(base_url).netloc or base_url).lower()


def is_replayable(block: Mapping[str, Any]) -> bool:
    """Whether the API can verify this block when it is sent back."""
    kind = block.get("type")
    if kind == "thinking":
        return isinstance(block.get("thinking"), str) and _non_empty_str(block.get("signature"))
    if kind == "redacted_thinking":
        return _non_empty_str(block.get("data"))
    return False


def encode_blocks(blocks: Iterable[Mapping[str, Any]], origin: str = "") -> str | None:
    """The `encrypted_content` value for these blocks, or None when none can be replayed."""
    kept = [dict(block) for block in blocks if is_replayable(block)]
    if not kept:
        return None
    payload = {"v": VERSION, "provider": PROVIDER, "origin": origin, "blocks": kept}
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return PREFIX + base64.urlsafe_b64encode(raw).decode("ascii")


def decode_blocks(encrypted_content: object, origin: str | None = None) -> list[dict[str, Any]]:
    """The original blocks carried by `encrypted_content`, or [] if it is not ours.

    With `origin` given, blocks recorded for a different endpoint are not returned.
    Malformed values are treated as foreign rather than raising: a reasoning item is
    optional context, never a reason to fail a request.
    """
    if not isinstance(encrypted_content, str) or not encrypted_content.startswith(PREFIX):
        return []
    encoded = encrypted_content[len(PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError):
        return []
    if not isinstance(payload, dict) or payload.get("v") != VERSION:
        return []
    if payload.get("provider") != PROVIDER:
        return []
    recorded = payload.get("origin") or ""
    if origin is not None and recorded and origin and recorded != origin:
        return []
    blocks = payload.get("blocks")
    if not isinstance(blocks, list):
        return []
    return [block for block in blocks if isinstance(block, dict) and is_replayable(block)]


def _non_empty_str(value: object) -> bool:
    return isinstance(value, str) and bool(value)
