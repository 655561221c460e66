"""Which of Codex's request headers a ChatGPT passthrough forwards.

Its own module, apart from the passthrough adapter: every request's route plan keeps
these headers (any model of a request may turn out to be a passthrough after a
fallback), and the adapter itself is only imported when a passthrough is used.
"""

from __future__ import annotations

from collections.abc import Mapping

FORWARDED_HEADERS = frozenset(
    {
        "session-id",
        "session_id",
        "thread-id",
        "x-codex-turn-metadata",
        "x-codex-window-id",
        "x-codex-turn-state",
        "x-codex-beta-features",
        "originator",
        "user-agent",
        "x-client-request-id",
        "x-openai-subagent",
        "x-codex-parent-thread-id",
    }
)
"""Codex's own headers that the backend uses for sessions, turns and attribution."""


def forwardable_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The client's headers a passthrough may forward, names lowercased."""
    return {
        name.lower(): value for name, value in headers.items() if name.lower() in FORWARDED_HEADERS
    }
