"""Codex's computer-use items, read once for every translating adapter.

A `computer_call` carries one `action` (click, type, scroll, screenshot, ...) or, for the
GA `computer` tool, a batch in `actions`; its `computer_call_output` carries the
screenshot taken afterwards, `{"type": "computer_screenshot", "image_url": "data:..."}`
(some clients send an `input_image` part, or a list of parts, instead).

Chat and Messages upstreams have no computer tool: a `computer_use_preview` or
`computer` tool is offered as a function named `computer` taking the action, a call of it
comes back to the client as a `computer_call`, the call is replayed as a call of that
function, and the screenshot as an image (or, for a text-only model, as a short note),
never as base64 inside JSON text.
"""

from __future__ import annotations

import json
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


ACTIONS = (
    "click",
    "double_click",
    "drag",
    "keypress",
    "move",
    "screenshot",
    "scroll",
    "type",
    "wait",
)

_POINT = {"type": "integer"}
PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {
            "type": "object",
            "description": "One action on the screen; a screenshot is returned after it.",
            "properties": {
                "type": {"type": "string", "enum": list(ACTIONS)},
                "x": _POINT,
                "y": _POINT,
                "button": {"type": "string", "enum": ["left", "right", "wheel", "back", "forward"]},
                "keys": {"type": "array", "items": {"type": "string"}},
                "text": {"type": "string"},
                "scroll_x": _POINT,
                "scroll_y": _POINT,
                "path": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"x": _POINT, "y": _POINT},
                        "required": ["x", "y"],
                    },
                },
            },
            "required": ["type"],
        }
    },
    "required": ["action"],
}


def describe(tool: Mapping[str, Any]) -> str:
    """The function's description, with the display the client declared."""
    text = "Use the computer: click, type, scroll, press keys, or take a screenshot."
    width, height = tool.get("display_width"), tool.get("display_height")
    if isinstance(width, int) and isinstance(height, int):
        text += f" The display is {width}x{height} pixels."
    if isinstance(tool.get("environment"), str):
        text += f" Environment: {tool['environment']}."
    return text


def call_fields(arguments: str) -> dict[str, Any]:
    """The `action` (or `actions`) of a `computer_call` from the function arguments a
    model wrote. Anything unreadable becomes a screenshot, the one harmless action."""
    try:
        parsed = json.loads(arguments)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        if isinstance(parsed.get("action"), dict):
            return {"action": _completed(parsed["action"])}
        if isinstance(parsed.get("actions"), list):
            return {
                "actions": [_completed(a) if isinstance(a, dict) else a for a in parsed["actions"]]
            }
        if isinstance(parsed.get("type"), str):
            return {"action": _completed(parsed)}  # the action itself, unwrapped
    return {"action": {"type": "screenshot"}}


def _completed(action: dict[str, Any]) -> dict[str, Any]:
    """The action with the defaults the Responses API requires and models leave out."""
    kind = action.get("type")
    if kind == "click" and "button" not in action:
        return {**action, "button": "left"}
    if kind == "scroll":
        return {"scroll_x": 0, "scroll_y": 0, **action}
    return action


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
