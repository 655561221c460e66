"""What the ChatGPT Codex backend says about an account's usage windows.

Every answer carries rate-limit headers for two windows: the primary one (hours) and the
secondary one (the week). Each window reports how much of it is used, when it resets, and
how long it is:

    x-codex-primary-used-percent: 42.0
    x-codex-primary-window-minutes: 300
    x-codex-primary-reset-after-seconds: 3600     (older backends)
    x-codex-primary-reset-at: 1767225600          (newer backends, epoch seconds)
    x-codex-secondary-...                         (the same, for the weekly window)

A refused request (HTTP 429 with `usage_limit_reached`, or a message about quota or rate
limits) says when the account can be used again, in the body (`resets_at`,
`resets_in_seconds`), in `Retry-After`, or through the windows above; when it says
nothing we assume an hour.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_COOLDOWN_SECONDS = 3600.0
"""How long an account that hit a limit without saying until when is left alone."""

QUOTA_MARKERS = (
    "usage_limit_reached",
    "quota",
    "rate limit",
    "rate_limit",
    "too many requests",
    "limit reached",
)


@dataclass(frozen=True, slots=True)
class Window:
    used_percent: float
    resets_at: float | None = None
    """Epoch seconds."""
    window_minutes: int | None = None

    @property
    def full(self) -> bool:
        return self.used_percent >= 100.0


@dataclass(frozen=True, slots=True)
class RateLimits:
    primary: Window | None = None
    secondary: Window | None = None
    """The weekly window."""

    @property
    def windows(self) -> tuple[Window, ...]:
        return tuple(w for w in (self.primary, self.secondary) if w is not None)

    @property
    def unused(self) -> bool:
        """No window has been started yet."""
        return all(w.used_percent <= 0.0 for w in self.windows)

    def exhausted_until(self, now: float) -> float | None:
        """When a full window frees the account again, or None when none is full."""
        full = [w for w in self.windows if w.full]
        if not full:
            return None
        return max(
            w.resets_at if w.resets_at is not None else now + DEFAULT_COOLDOWN_SECONDS for w in full
        )

    def to_json(self) -> dict[str, Any]:
        return {
            name: {
                "used_percent": w.used_percent,
                "resets_at": w.resets_at,
                "window_minutes": w.window_minutes,
            }
            for name, w in (("primary", self.primary), ("secondary", self.secondary))
            if w is not None
        }

    @classmethod
    def from_json(cls, data: Any) -> RateLimits | None:
        if not isinstance(data, Mapping):
            return None
        windows: dict[str, Window] = {}
        for name in ("primary", "secondary"):
            raw = data.get(name)
            if isinstance(raw, Mapping) and isinstance(raw.get("used_percent"), int | float):
                resets = raw.get("resets_at")
                minutes = raw.get("window_minutes")
                windows[name] = Window(
                    float(raw["used_percent"]),
                    float(resets) if isinstance(resets, int | float) else None,
                    minutes if isinstance(minutes, int) else None,
                )
        return cls(**windows) if windows else None


def _number(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _window(headers: Mapping[str, str], prefix: str, now: float) -> Window | None:
    used = _number(headers, f"x-codex-{prefix}-used-percent")
    if used is None:
        return None
    resets_at = _number(headers, f"x-codex-{prefix}-reset-at")
    if resets_at is None:
        after = _number(headers, f"x-codex-{prefix}-reset-after-seconds")
        resets_at = now + after if after is not None else None
    minutes = _number(headers, f"x-codex-{prefix}-window-minutes")
    return Window(used, resets_at, int(minutes) if minutes is not None else None)


def parse_rate_limits(headers: Mapping[str, str], now: float) -> RateLimits | None:
    """The usage windows an answer reports, or None when it reports none.

    `headers` must look names up case-insensitively (httpx and aiohttp headers do).
    """
    primary = _window(headers, "primary", now)
    secondary = _window(headers, "secondary", now)
    if primary is None and secondary is None:
        return None
    return RateLimits(primary, secondary)


def _error_object(body: bytes) -> Mapping[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    if not isinstance(parsed, Mapping):
        return {}
    error = parsed.get("error")
    return error if isinstance(error, Mapping) else parsed


def is_quota_answer(status: int, body: bytes) -> bool:
    """Whether a refused request means "this account is out of quota or rate limited"."""
    if status == 429:
        return True
    text = body.decode("utf-8", "replace").lower()
    return any(marker in text for marker in QUOTA_MARKERS)


def quota_resets_in(body: bytes, headers: Mapping[str, str], now: float) -> float:
    """In how many seconds an account refused with a quota answer can be tried again.

    Relative, so the caller applies it to its own clock; `now` only turns the absolute
    times an answer may carry into seconds.
    """
    error = _error_object(body)
    resets_at = error.get("resets_at")
    if isinstance(resets_at, int | float) and resets_at > now:
        return float(resets_at) - now
    resets_in = error.get("resets_in_seconds")
    if isinstance(resets_in, int | float) and resets_in > 0:
        return float(resets_in)
    retry_after = _number(headers, "retry-after")
    if retry_after is not None and retry_after > 0:
        return retry_after
    limits = parse_rate_limits(headers, now)
    until = limits.exhausted_until(now) if limits is not None else None
    return until - now if until is not None and until > now else DEFAULT_COOLDOWN_SECONDS
