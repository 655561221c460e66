"""Codex's tools as plain function tools, and the way back.

Codex offers three kinds of tools that chat and Messages upstreams do not have:
- `custom` tools with a grammar (`apply_patch`): offered upstream as a function taking one
  string, `input`; a call comes back as a `custom_tool_call` carrying that string;
- `namespace` tools (`multi_agent_v1` with `spawn_agent`, ...): flattened to
  `<namespace>__<name>`; a call comes back as a `function_call` with its `namespace`;
- `computer_use_preview` / `computer`: offered as a `computer` function (see
  `adapters.computer`); a call comes back as a `computer_call`;
- `web_search`: a hosted tool that only OpenAI's own backend runs. A chat or Messages
  upstream cannot execute it, so it is left out of the upstream request (the model then
  works from the repository and its shell, as Codex does with `web_search="disabled"`).

`ToolMap` is built from the request's tools and maps an upstream tool name back to what
Codex offered, so the mapping is exact rather than parsed out of names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from adapters import computer

NAMESPACE_SEPARATOR = "__"

CUSTOM_TOOL_ARGUMENT = "input"


@dataclass(frozen=True, slots=True)
class FlatTool:
    """A tool as an upstream sees it: a named function with a JSON schema."""

    wire_name: str
    name: str
    description: str
    parameters: dict[str, Any]
    custom: bool = False
    namespace: str | None = None
    computer: bool = False
    """The client's computer-use tool; its calls go back as `computer_call` items."""


def wire_name(name: str, namespace: str | None) -> str:
    return f"{namespace}{NAMESPACE_SEPARATOR}{name}" if namespace else name


def _custom_parameters(tool: Mapping[str, Any]) -> dict[str, Any]:
    fmt = tool.get("format")
    hint = "The raw text for this tool, not JSON-encoded."
    if isinstance(fmt, Mapping) and fmt.get("type") == "grammar" and fmt.get("definition"):
        hint += f" It must follow this {fmt.get('syntax', '')} grammar:\n{fmt['definition']}"
    return {
        "type": "object",
        "properties": {CUSTOM_TOOL_ARGUMENT: {"type": "string", "description": hint}},
        "required": [CUSTOM_TOOL_ARGUMENT],
        "additionalProperties": False,
    }


def _function_parameters(tool: Mapping[str, Any]) -> dict[str, Any]:
    params = tool.get("parameters")
    if isinstance(params, dict) and params:
        return params
    return {"type": "object", "properties": {}}


def flatten_tools(tools: Iterable[Mapping[str, Any]] | None) -> list[FlatTool]:
    """Codex's `tools` list as function tools; hosted tools are left out, and so is any
    tool without a usable name (a non-empty string)."""
    flat: list[FlatTool] = []
    for tool in tools or ():
        if not isinstance(tool, Mapping):
            continue
        kind = tool.get("type")
        name = _name(tool)
        if kind == "function" and name:
            flat.append(
                FlatTool(
                    wire_name=name,
                    name=name,
                    description=str(tool.get("description") or ""),
                    parameters=_function_parameters(tool),
                )
            )
        elif kind == "custom" and name:
            flat.append(
                FlatTool(
                    wire_name=name,
                    name=name,
                    description=str(tool.get("description") or ""),
                    parameters=_custom_parameters(tool),
                    custom=True,
                )
            )
        elif kind in ("computer_use_preview", "computer"):
            flat.append(
                FlatTool(
                    wire_name=computer.TOOL_NAME,
                    name=computer.TOOL_NAME,
                    description=computer.describe(tool),
                    parameters=computer.PARAMETERS,
                    computer=True,
                )
            )
        elif kind == "namespace" and name and isinstance(tool.get("tools"), list):
            for inner in tool["tools"]:
                inner_name = _name(inner) if isinstance(inner, Mapping) else None
                if not inner_name:
                    continue
                custom = inner.get("type") == "custom"
                flat.append(
                    FlatTool(
                        wire_name=wire_name(inner_name, name),
                        name=inner_name,
                        description=str(inner.get("description") or ""),
                        parameters=_custom_parameters(inner)
                        if custom
                        else _function_parameters(inner),
                        custom=custom,
                        namespace=name,
                    )
                )
    return flat


def _name(tool: Mapping[str, Any]) -> str | None:
    name = tool.get("name")
    return name if isinstance(name, str) and name else None


class ToolMap:
    """Upstream tool names back to Codex's tools."""

    __slots__ = ("_by_wire",)

    def __init__(self, tools: Iterable[FlatTool]) -> None:
        self._by_wire = {tool.wire_name: tool for tool in tools}

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> ToolMap:
        return cls(flatten_tools(request.get("tools")))

    def lookup(self, upstream_name: str) -> FlatTool:
        """The tool an upstream call names. A name the request did not offer is passed
        through as a plain function call, so Codex reports the unknown tool itself."""
        tool = self._by_wire.get(upstream_name)
        if tool is not None:
            return tool
        return FlatTool(wire_name=upstream_name, name=upstream_name, description="", parameters={})


def custom_input_from_arguments(arguments: str) -> str:
    """The raw text of a custom tool call from the JSON arguments an upstream produced.

    Models sometimes ignore the schema and send the patch itself, or wrap it under
    another key; the text is recovered in each case rather than handing Codex JSON.
    """
    try:
        parsed = json.loads(arguments)
    except ValueError:
        return arguments
    if isinstance(parsed, dict):
        value = parsed.get(CUSTOM_TOOL_ARGUMENT)
        if isinstance(value, str):
            return value
        strings = [v for v in parsed.values() if isinstance(v, str)]
        if len(strings) == 1:
            return strings[0]
    if isinstance(parsed, str):
        return parsed
    return arguments


def custom_arguments_from_input(text: str) -> str:
    """The JSON arguments to replay upstream for a custom tool call Codex sent back."""
    return json.dumps({CUSTOM_TOOL_ARGUMENT: text}, ensure_ascii=False)
