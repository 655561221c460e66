"""Upstream HTTP errors as the errors Codex understands.

Codex steers on the error code (codex-protocol.md sections 3-4): `context_length_exceeded`
and `insufficient_quota` end the turn with a clear message, `rate_limit_exceeded` and
`server_error` are retried, and a 429 is only retried when it carries `Retry-After`. Every
upstream message is scrubbed of the key that was sent with the request before anyone sees
it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from adapters.base import UpstreamError

_KEYLIKE = re.compile(
    r"(sk-[A-Za-z0-9_\-]{8,}|sk-ant-[A-Za-z0-9_\-]{8,}|Bearer\s+[A-Za-z0-9._\-]{8,}"
    r"|eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]+)"
)

_CONTEXT_MARKERS = (
    "context_length_exceeded",
    "context length",
    "context window",
    "maximum context",
    "prompt is too long",
    "too many tokens",
    "input is too long",
    "reduce the length",
)
_QUOTA_MARKERS = ("insufficient_quota", "quota", "billing", "credit balance", "usage_limit_reached")

_ANTHROPIC_NO_CREDIT = "credit balance is too low"

MAX_MESSAGE_CHARS = 2000


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Remove the given secrets and anything that looks like a key or token."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return _KEYLIKE.sub("[redacted]", text)


def upstream_message(body: bytes | str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """The human-readable message of an upstream error body, whatever its shape."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        return text.strip()[:limit]
    message = _find_message(parsed)
    return (message if message is not None else text.strip())[:limit]


def _find_message(parsed: Any) -> str | None:
    if isinstance(parsed, Mapping):
        error = parsed.get("error")
        if isinstance(error, Mapping):
            message = error.get("message")
            if isinstance(message, str):
                return message
        if isinstance(error, str):
            return error
        message = parsed.get("message") or parsed.get("detail")
        if isinstance(message, str):
            return message
    return None


def _error_fields(body: bytes | str) -> str:
    """Type and code fields of an error body, lowercased, for classification."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        parsed = json.loads(text)
    except ValueError:
        return ""
    error = parsed.get("error") if isinstance(parsed, Mapping) else None
    fields: list[str] = []
    if isinstance(error, Mapping):
        for key in ("type", "code", "status"):
            value = error.get(key)
            if isinstance(value, str):
                fields.append(value.lower())
    return " ".join(fields)


def is_context_overflow(message: str) -> bool:
    lowered = message.lower()
    return any(marker in lowered for marker in _CONTEXT_MARKERS)


def http_error(
    status: int,
    body: bytes | str,
    headers: Mapping[str, str],
    *,
    upstream: str,
    secrets: Iterable[str | None] = (),
) -> UpstreamError:
    """Classify an upstream error response."""
    message = scrub(upstream_message(body), secrets)
    fields = _error_fields(body)
    lowered = f"{fields} {message.lower()}"
    retry_after = headers.get("retry-after") or headers.get("Retry-After")
    text = (
        f"{upstream} returned HTTP {status}: {message}"
        if message
        else f"{upstream} returned HTTP {status}"
    )
    if status == 429 or "rate_limit" in fields:
        if any(marker in lowered for marker in _QUOTA_MARKERS) and "rate" not in fields:
            return UpstreamError(429, "insufficient_quota", text, fallback_ok=True)
        return UpstreamError(
            429, "rate_limit_exceeded", text, retry_after=retry_after, fallback_ok=True
        )
    if status in (402, 403) and any(marker in lowered for marker in _QUOTA_MARKERS):
        return UpstreamError(status, "insufficient_quota", text, fallback_ok=True)
    if status == 400 and _ANTHROPIC_NO_CREDIT in lowered:
        # Anthropic reports an empty prepaid balance as a 400 invalid_request_error.
        return UpstreamError(status, "insufficient_quota", text, fallback_ok=True)
    if status in (400, 413, 422) and is_context_overflow(lowered):
        return UpstreamError(400, "context_length_exceeded", text)
    if status >= 500 or status == 408:
        return UpstreamError(
            status, "server_error", text, retry_after=retry_after, fallback_ok=True
        )
    if "overloaded_error" in fields:
        # Anthropic's overload (normally HTTP 529) is transient whatever status carries it.
        return UpstreamError(529, "server_error", text, retry_after=retry_after, fallback_ok=True)
    if status in (401, 403):
        return UpstreamError(
            status,
            "invalid_api_key" if status == 401 else "permission_denied",
            text,
            error_type="authentication_error" if status == 401 else "permission_error",
            fallback_ok=True,
        )
    if status == 404:
        return UpstreamError(
            404, "model_not_found", text, error_type="invalid_request_error", fallback_ok=True
        )
    return UpstreamError(status, "invalid_request_error", text, error_type="invalid_request_error")


def stream_error_code(error: Any) -> str:
    """The `response.failed` code for an error object an upstream sent inside a
    successful answer (an `{"error": {...}}` stream chunk or body).

    Only the codes that change what Codex does are told apart: context overflow and
    quota end the turn, a rate limit or anything else is retried as `server_error`-like.
    """
    if isinstance(error, Mapping):
        parts = [error.get(key) for key in ("type", "code", "status", "message")]
        text = " ".join(str(part) for part in parts if part is not None).lower()
    else:
        text = str(error).lower()
    if is_context_overflow(text):
        return "context_length_exceeded"
    if any(marker in text for marker in _QUOTA_MARKERS):
        return "insufficient_quota"
    if "rate_limit" in text or "rate limit" in text or "429" in text:
        return "rate_limit_exceeded"
    return "server_error"


def connect_error(upstream: str, detail: str) -> UpstreamError:
    return UpstreamError(
        502,
        "server_error",
        f"could not reach {upstream}: {detail}",
        fallback_ok=True,
        error_type="upstream_unreachable",
    )


def timeout_error(upstream: str, phase: str) -> UpstreamError:
    return UpstreamError(
        504,
        "server_error",
        f"{upstream} timed out ({phase})",
        fallback_ok=True,
        error_type="upstream_timeout",
    )
