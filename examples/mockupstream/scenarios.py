"""Ready-made behaviour for a mock started from another process (`--scenario NAME`).

`demo`: the classifier persona answers as `mock-classifier`, and every other model acts
as a small agent in whatever dialect it is called: it runs one shell command naming
itself, then reports back, so a demo run shows which upstream served each task.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

from examples.mockupstream import anthropic, chat, responses
from examples.mockupstream.classifier import classifier_handler
from examples.mockupstream.replies import Reply, Text, ToolCall
from examples.mockupstream.server import MockUpstream

CLASSIFIER_MODEL = "mock-classifier"


def offered_tools(body: dict[str, Any]) -> set[str]:
    """Names of the tools a request offers, in any of the three dialects."""
    names: set[str] = set()
    for tool in body.get("tools") or []:
        if not isinstance(tool, dict):
            continue
        function = tool.get("function")
        name = function.get("name") if isinstance(function, dict) else tool.get("name")
        if isinstance(name, str):
            names.add(name)
    return names


def after_tool_result(body: dict[str, Any]) -> bool:
    return (
        chat.last_is_tool_result(body)
        or anthropic.last_is_tool_result(body)
        or responses.last_is_tool_result(body)
    )


def demo_agent(body: dict[str, Any]) -> Reply:
    model = str(body.get("model", "model"))
    if after_tool_result(body):
        return Text(f"Done. ({model} handled this task.)")
    if "exec_command" not in offered_tools(body):
        return Text(f"Hello from {model}.")
    command = f"echo {shlex.quote(model)} handled this task"
    return ToolCall("exec_command", {"cmd": command})


def install_demo(mock: MockUpstream) -> None:
    mock.on(CLASSIFIER_MODEL, classifier_handler)
    mock.on("*", demo_agent)


SCENARIOS: dict[str, Callable[[MockUpstream], None]] = {"demo": install_demo}
