"""Codex's request as a native Responses upstream gets it, and its events as Codex gets them.

Pure functions and one small per-stream object, tested without a server; the adapter
(`adapters.responses.adapter`) only sends and relays.

The request keeps Codex's body with three kinds of change:
- `model` becomes the upstream's model name;
- only fields of the public Responses API are sent (the set the openai SDK's
  `ResponseCreateParams` declares, `PUBLIC_FIELDS`): `client_metadata`, Codex's turn
  metadata for the ChatGPT backend, is not part of it and would otherwise hand a third
  party Codex's installation and session ids. Upstreams that are stateless by design
  (OpenRouter, DeepSeek, vLLM and other compatible servers: every family but OpenAI's
  and Azure's) get `store: false` and no server-side state references;
- reasoning items are replayed only to the endpoint that produced them. Their
  `encrypted_content` is sealed on the way out (`seal`: `responses.v1:<origin>|<as sent>`)
  and unsealed, byte-identical, for a request to the same origin. Reasoning from
  anywhere else (the ChatGPT backend's bare blobs, Anthropic's `anthropic.v1:` blocks, an
  item with no encrypted content) is dropped: a Responses API verifies encrypted
  reasoning and rejects the whole request over a foreign item, and with `store: false` an
  item it cannot decrypt is "not found". A `compaction` item (encrypted for the ChatGPT
  backend only) becomes a short note.

OpenAI's hosted `web_search` tool is dropped for the families that do not run it
(DeepSeek and generic servers such as vLLM), which otherwise reject the request. Those
families get Codex's `namespace` tools flattened too (`multi_agent_v1__spawn_agent`, as
`adapters.tools` names them for chat upstreams; a strict Responses validator knows only
`function` tools), with earlier calls renamed to match, and the `EventShaper` puts the
`namespace` back on the calls that come back, so Codex runs the tool it offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from adapters.base import Event, Target
from adapters.errors import is_context_overflow, scrub, stream_error_code
from adapters.responses.objects import TERMINAL_EVENTS, new_id, response_object
from adapters.thinking import origin_of
from adapters.tools import wire_name
from adapters.usage import from_responses as usage_from_responses

PUBLIC_FIELDS = frozenset(
    {
        "access_programs",
        "background",
        "background_options",
        "context_management",
        "conversation",
        "image",
        "include",
        "input",
        "instructions",
        "max_output_tokens",
        "max_tool_calls",
        "metadata",
        "model",
        "moderation",
        "parallel_tool_calls",
        "previous_response_id",
        "prompt",
        "prompt_cache_key",
        "prompt_cache_options",
        "prompt_cache_retention",
        "reasoning",
        "safety_identifier",
        "service_tier",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "text",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "truncation",
        "user",
    }
)
"""Request fields of the public Responses API (tests keep this in step with the SDK)."""

STATEFUL_FIELDS = ("previous_response_id", "conversation", "background", "background_options")
"""Fields that refer to state kept by the upstream, which stateless upstreams do not keep."""

OPENAI = "openai"
AZURE = "azure"
OPENROUTER = "openrouter"
DEEPSEEK = "deepseek"
GENERIC = "generic"

_STATEFUL_FAMILIES = frozenset({OPENAI, AZURE})
_HOSTED_TOOL_FAMILIES = frozenset({OPENAI, AZURE, OPENROUTER})
_HOSTED_TOOLS = frozenset({"web_search", "web_search_preview"})
_NAMESPACE_FAMILIES = frozenset({OPENAI, AZURE, OPENROUTER})
"""Families that take `namespace` tools as Codex sends them."""

SEAL_PREFIX = "responses.v1:"
COMPACTED_NOTE = (
    "(Earlier conversation history was compacted into a summary that this model cannot read.)"
)

_KNOWN_FAILURE_CODES = frozenset(
    {"context_length_exceeded", "insufficient_quota", "rate_limit_exceeded", "server_error"}
)


def family_of(base_url: str) -> str:
    """Which upstream family a base URL belongs to, by its host."""
    host = (urlsplit(base_url).hostname or "").lower()
    if host == "api.openai.com":
        return OPENAI
    if host.endswith((".openai.azure.com", ".cognitiveservices.azure.com", ".azure.com")):
        return AZURE
    if host == "openrouter.ai" or host.endswith(".openrouter.ai"):
        return OPENROUTER
    if host == "api.deepseek.com" or host.endswith(".deepseek.com"):
        return DEEPSEEK
    return GENERIC


# -- reasoning envelopes -------------------------------------------------------------


def seal(encrypted_content: str, origin: str) -> str:
    """The `encrypted_content` Codex keeps for reasoning that `origin` produced."""
    return f"{SEAL_PREFIX}{origin}|{encrypted_content}"


def unseal(value: object, origin: str) -> str | None:
    """The upstream's own `encrypted_content`, when `value` was sealed for `origin`."""
    if not isinstance(value, str) or not value.startswith(SEAL_PREFIX):
        return None
    recorded, sep, original = value[len(SEAL_PREFIX) :].partition("|")
    if not sep or recorded != origin or not original:
        return None
    return original


def _sealed_item(item: dict[str, Any], origin: str) -> dict[str, Any]:
    content = item.get("encrypted_content")
    if not isinstance(content, str) or not content:
        return item
    return {**item, "encrypted_content": seal(content, origin)}


# -- the request ----------------------------------------------------------------------


def upstream_body(request: Mapping[str, Any], target: Target, *, stream: bool) -> dict[str, Any]:
    """The request the upstream gets for Codex's `request` (see the module docstring)."""
    family = family_of(target.base_url)
    body = {key: value for key, value in request.items() if key in PUBLIC_FIELDS}
    body["model"] = target.model
    body["stream"] = stream
    if family not in _STATEFUL_FAMILIES:
        body["store"] = False
        for key in STATEFUL_FIELDS:
            body.pop(key, None)
    flatten = family not in _NAMESPACE_FAMILIES
    items = body.get("input")
    if isinstance(items, list):
        body["input"] = list(_replayable_items(items, origin_of(target.base_url), flatten))
    tools = body.get("tools")
    if isinstance(tools, list) and flatten:
        body["tools"] = tools = list(_flat_tools(tools))
        choice = body.get("tool_choice")
        if isinstance(choice, Mapping) and isinstance(choice.get("namespace"), str):
            body["tool_choice"] = _flat_call(choice)
    if isinstance(tools, list) and family not in _HOSTED_TOOL_FAMILIES:
        kept = [tool for tool in tools if not _is_hosted(tool)]
        if kept:
            body["tools"] = kept
        else:
            body.pop("tools")
            body.pop("tool_choice", None)
            body.pop("parallel_tool_calls", None)
    return body


def _is_hosted(tool: Any) -> bool:
    return isinstance(tool, Mapping) and tool.get("type") in _HOSTED_TOOLS


def _flat_tools(tools: Iterable[Any]) -> Iterable[Any]:
    for tool in tools:
        if not isinstance(tool, Mapping) or tool.get("type") != "namespace":
            yield tool
            continue
        namespace = tool.get("name")
        inner = tool.get("tools")
        for member in inner if isinstance(inner, list) else ():
            if isinstance(member, Mapping) and isinstance(member.get("name"), str):
                named = wire_name(member["name"], namespace if isinstance(namespace, str) else None)
                yield {**member, "name": named}


def _flat_call(call: Mapping[str, Any]) -> dict[str, Any]:
    flat = {key: value for key, value in call.items() if key != "namespace"}
    flat["name"] = wire_name(str(call.get("name") or ""), str(call["namespace"]))
    return flat


def namespaced_names(request: Mapping[str, Any], target: Target) -> dict[str, tuple[str, str]]:
    """Flattened tool name -> (namespace, name), for the families whose tools are flattened."""
    tools = request.get("tools")
    if family_of(target.base_url) in _NAMESPACE_FAMILIES or not isinstance(tools, list):
        return {}
    names: dict[str, tuple[str, str]] = {}
    for tool in tools:
        if not isinstance(tool, Mapping) or tool.get("type") != "namespace":
            continue
        namespace = tool.get("name")
        inner = tool.get("tools")
        for member in inner if isinstance(inner, list) else ():
            name = member.get("name") if isinstance(member, Mapping) else None
            if isinstance(namespace, str) and isinstance(name, str):
                names[wire_name(name, namespace)] = (namespace, name)
    return names


def _replayable_items(items: Iterable[Any], origin: str, flatten: bool) -> Iterable[Any]:
    for item in items:
        if not isinstance(item, Mapping):
            yield item
            continue
        kind = item.get("type")
        if kind == "reasoning":
            original = unseal(item.get("encrypted_content"), origin)
            if original is not None:
                yield {**item, "encrypted_content": original}
        elif flatten and kind == "function_call" and isinstance(item.get("namespace"), str):
            yield _flat_call(item)
        elif kind == "compaction":
            yield {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": COMPACTED_NOTE}],
            }
        else:
            yield item


# -- the answer -------------------------------------------------------------------------


class EventShaper:
    """Shapes one stream's events for Codex: the model it asked for, a response id,
    sealed reasoning, complete usage, sequence numbers, and errors as `response.failed`
    with a code Codex acts on, and the `namespace` of calls to flattened tools (see
    `namespaced_names`). Events nobody needs to change pass untouched."""

    __slots__ = ("_model", "_namespaced", "_origin", "_secrets", "_seq", "_upstream")

    def __init__(
        self,
        model: str,
        origin: str,
        upstream: str,
        secrets: Iterable[str | None],
        namespaced: Mapping[str, tuple[str, str]] | None = None,
    ):
        self._model = model
        self._origin = origin
        self._upstream = upstream
        self._secrets = [secret for secret in secrets if secret]
        self._namespaced = namespaced or {}
        self._seq = 0

    def __call__(self, event: Event) -> Event:
        kind = event["type"]
        if kind == "error":
            event = self.failed(_error_object(event))
        elif kind in ("response.output_item.added", "response.output_item.done"):
            item = event.get("item")
            if isinstance(item, dict):
                event["item"] = self._item(item)
        elif kind in TERMINAL_EVENTS or "response" in event:
            # A terminal event always carries a response object: Codex needs its id.
            response = event.get("response")
            event["response"] = self.response(
                response if isinstance(response, dict) else {},
                terminal=kind in TERMINAL_EVENTS,
                failed=kind == "response.failed",
            )
        seq = event.get("sequence_number")
        if isinstance(seq, int):
            self._seq = seq + 1
        else:
            event["sequence_number"] = self._seq
            self._seq += 1
        return event

    def response(
        self, response: dict[str, Any], *, terminal: bool = True, failed: bool = False
    ) -> dict[str, Any]:
        """A `response` object as Codex gets it, with every field the API marks as
        required (a lenient server may leave some out)."""
        status = response.get("status")
        defaults = response_object(
            response.get("id") or new_id("resp"),
            self._model,
            status if isinstance(status, str) else "completed",
        )
        shaped = {**defaults, **response, "model": self._model, "id": defaults["id"]}
        # Reasoning is sealed wherever it shows, a lenient server's early snapshot too.
        output = shaped.get("output")
        if isinstance(output, list) and output:
            shaped["output"] = [
                self._item(item) if isinstance(item, dict) else item for item in output
            ]
        if not terminal:
            return shaped
        if "usage" in shaped:
            shaped["usage"] = usage_from_responses(shaped["usage"])
        error = shaped.get("error")
        if isinstance(error, Mapping):
            shaped["error"] = self._error(error)
        elif failed or shaped.get("status") == "failed":
            # Codex reads the code and message of every failure.
            shaped["error"] = self._error({"message": f"{self._upstream} failed without a reason"})
        return shaped

    def _item(self, item: dict[str, Any]) -> dict[str, Any]:
        kind = item.get("type")
        if kind == "reasoning":
            return _sealed_item(item, self._origin)
        if kind == "function_call" and self._namespaced:
            name = item.get("name")
            original = self._namespaced.get(name) if isinstance(name, str) else None
            if original is not None:
                return {**item, "namespace": original[0], "name": original[1]}
        return item

    def failed(self, error: Mapping[str, Any]) -> Event:
        """The `response.failed` that ends a stream the upstream broke off with `error`."""
        return {
            "type": "response.failed",
            "response": response_object(
                new_id("resp"), self._model, "failed", error=self._error(error, mapped=True)
            ),
        }

    def _error(self, error: Mapping[str, Any], *, mapped: bool = False) -> dict[str, Any]:
        message = scrub(str(error.get("message") or "no message"), self._secrets)
        code = error.get("code")
        if mapped or not isinstance(code, str) or not code:
            code = stream_error_code(error)
        elif code not in _KNOWN_FAILURE_CODES and is_context_overflow(message):
            code = "context_length_exceeded"
        return {"code": code, "message": f"{self._upstream}: {message}" if mapped else message}


def _error_object(event: Mapping[str, Any]) -> Mapping[str, Any]:
    nested = event.get("error")
    return nested if isinstance(nested, Mapping) else event
