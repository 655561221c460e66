"""Codex's computer-use items, read once for every translating adapter.

A `computer_call` carries one `action` (click, type, scroll, screenshot, ...) or, for the
GA `computer` tool, a batch in `actions`; its `computer_call_output` carries the
screenshot taken afterwards, `{"type": "computer_screenshot", "image_url": "data:..."}`
(some clients send an `input_image` part, or a list of parts, instead).

Chat and Messages upstreams have no computer tool: the call is replayed as a call of a
function named `computer` whose arguments are the action, and the screenshot as an image
(or, for a text-only model, as a short note), never as base64 inside JSON text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TOOL_NAME = "computer"
CALL_TYPE = "computer_call"
OUTPUT_TYPE = "computer_call_output"
SCREENSHOT_TYPES = frozenset({"computer_screenshot", "input_image", "image_url", "image"})

SCREENSHOT_FOLLOWS = "Screenshot taken; it follows as an image."
SCREENSHOT_ATTACHED = "Screenshot taken; it is attached."
SCREENSHOT_OMITTED = "Screenshot taken (not shown: this model does not accept images)."
NO_SCREENSHOT = "(no screenshot)"


def call_arguments(item: Mapping[str, Any]) -> dict[str, Any]:
    """The function arguments standing for a `computer_call`."""
    if isinstance(item.get("actions"), list):
        return {"actions": item["actions"]}
    action = item.get("action")
    return {"action": action if isinstance(action, Mapping) else {}}


def screenshot_url(output: Any) -> str | None:
    """The image URL of a `computer_call_output`'s screenshot, if it has one."""
    if isinstance(output, list):
        for part in output:
            url = screenshot_url(part)
            if url:
                return url
        return None
    if not isinstance(output, Mapping) or output.get("type") not in SCREENSHOT_TYPES:
        return None
    url = output.get("image_url")
    if isinstance(url, Mapping):  # already chat-shaped
        url = url.get("url")
    return url if isinstance(url, str) and url else None
