"""What the passthrough answers when no account can serve a request."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.base import UpstreamError


def usage_limit_error(earliest: float | None, now: float) -> UpstreamError:
    """What Codex gets when every account is out of quota: HTTP 429 `usage_limit_reached`,
    which it shows as "You've hit your usage limit" and does not retry."""
    if earliest is None:
        when = "no reset time is known"
    else:
        stamp = datetime.fromtimestamp(earliest, UTC).strftime("%Y-%m-%d %H:%M UTC")
        minutes = max(1, round((earliest - now) / 60))
        when = f"the first one resets at {stamp} (in {minutes} min)"
    return UpstreamError(
        429,
        "usage_limit_reached",
        f"every ChatGPT account has reached its usage limit; {when}",
        error_type="usage_limit_reached",
        fallback_ok=True,
    )


def no_credential(detail: str) -> UpstreamError:
    return UpstreamError(
        401,
        "invalid_api_key",
        f"no usable ChatGPT credential for the Codex backend: {detail}",
        error_type="authentication_error",
        fallback_ok=True,
    )
