"""Hypothesis strategies for the fuzz tests: Responses requests, and upstream streams
as bytes cut at arbitrary places.

Requests start from the shapes Codex sends and then go wrong in every way a client can:
fields missing, extra or of the wrong type, odd roles and item types, deep nesting,
unicode (including lone surrogates, which `json.loads` produces from `"\\ud800"`), and
now and then a huge string.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

HUGE = 100_000
"""Characters in a "huge" string: large, yet quick enough for a few examples."""

_TEXT = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()),
    max_size=40,
)
"""Any code point, surrogates and control characters included."""

_SMALL_TEXT = st.one_of(
    _TEXT,
    st.sampled_from(["", " ", "<think>", "</think>", "\x00", "👩‍💻", "é", "\ud83d", "[DONE]"]),
)
_HUGE_TEXT = st.sampled_from(["a", "é", "€", "😀"]).map(lambda c: c * HUGE)
text = st.integers(0, 39).flatmap(lambda n: _HUGE_TEXT if n == 0 else _SMALL_TEXT)
"""Mostly short strings; one in forty is huge."""
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


def deep(depth: int) -> Any:
    """A list nested `depth` times, the kind of body a hostile client sends."""
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


odd = st.one_of(json_values, st.integers(50, 200).map(deep))


@st.composite
def perturbed(draw: st.DrawFn, base: dict[str, Any], odds: int = 10) -> dict[str, Any]:
    """`base` with some fields dropped, some replaced by any JSON value (each one time
    in `odds`), and some added."""
    out = dict(base)
    for key in list(out):
        roll = draw(st.integers(0, odds - 1))
        if roll == 0:
            del out[key]
        elif roll == 1:
            out[key] = draw(odd)
    for key in draw(st.lists(_TEXT | st.sampled_from(["type", "role", "id"]), max_size=2)):
        out[key] = draw(json_values)
    return out


def _part(kind: str) -> dict[str, Any]:
    return {"type": kind}


content_part = st.one_of(
    st.builds(lambda t: {"type": "input_text", "text": t}, text),
    st.builds(lambda t: {"type": "output_text", "text": t}, text),
    st.builds(
        lambda url, detail: {"type": "input_image", "image_url": url, "detail": detail},
        st.sampled_from(["data:image/png;base64,iVBORw0KGgo=", "https://x/y.png", ""]) | text,
        st.sampled_from(["auto", "low", "high", "weird"]),
    ),
    st.builds(lambda name: {"type": "input_file", "filename": name}, text),
    st.builds(lambda kind: _part(kind), st.sampled_from(["input_audio", "refusal", "x"]) | _TEXT),
).flatmap(perturbed)

content = st.one_of(text, st.lists(content_part, max_size=4), odd)

call_ids = st.sampled_from(["call_1", "call_2", "c3"]) | _TEXT

message = st.builds(
    lambda role, body: {"type": "message", "role": role, "content": body},
    st.sampled_from(["user", "assistant", "developer", "system", "tool", "bot"]) | _TEXT,
    content,
)
function_call = st.builds(
    lambda call_id, name, args, namespace: {
        "type": "function_call",
        "call_id": call_id,
        "name": name,
        "arguments": args,
        **({"namespace": namespace} if namespace is not None else {}),
    },
    call_ids,
    st.sampled_from(["exec_command", "spawn_agent", ""]) | _TEXT,
    st.one_of(st.builds(json.dumps, json_values), json_values),
    st.none() | st.sampled_from(["multi_agent_v1"]) | _TEXT,
)
tool_output = st.builds(
    lambda kind, call_id, output: {"type": kind, "call_id": call_id, "output": output},
    st.sampled_from(["function_call_output", "custom_tool_call_output", "local_shell_call_output"]),
    call_ids,
    st.one_of(text, st.lists(content_part, max_size=3), json_values),
)
custom_call = st.builds(
    lambda call_id, patch: {
        "type": "custom_tool_call",
        "call_id": call_id,
        "name": "apply_patch",
        "input": patch,
    },
    call_ids,
    text,
)
reasoning = st.builds(
    lambda summary, encrypted: {
        "type": "reasoning",
        "id": "rs_1",
        "summary": summary,
        "content": None,
        "encrypted_content": encrypted,
    },
    st.lists(st.builds(lambda t: {"type": "summary_text", "text": t}, text), max_size=2) | odd,
    st.none() | st.sampled_from(["anthropic.v1:abc", "openai-blob"]) | text,
)
other_item = st.one_of(
    st.builds(lambda e: {"type": "compaction", "encrypted_content": e}, text),
    st.just({"type": "compaction_trigger"}),
    st.builds(lambda q: {"type": "web_search_call", "action": {"query": q}}, text | odd),
    st.builds(lambda kind: {"type": kind}, _TEXT),
    st.builds(lambda role, body: {"role": role, "content": body}, st.just("user"), content),
    st.just({}),
)
item = st.one_of(message, function_call, tool_output, custom_call, reasoning, other_item).flatmap(
    perturbed
)

tool = st.one_of(
    st.builds(
        lambda name, params: {
            "type": "function",
            "name": name,
            "description": "d",
            "parameters": params,
        },
        st.sampled_from(["exec_command", "view_image"]) | _TEXT,
        st.just({"type": "object", "properties": {}}) | json_values,
    ),
    st.just(
        {
            "type": "custom",
            "name": "apply_patch",
            "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/"},
        }
    ),
    st.builds(
        lambda tools: {"type": "namespace", "name": "multi_agent_v1", "tools": tools},
        st.lists(st.builds(lambda n: {"type": "function", "name": n}, _TEXT), max_size=2) | odd,
    ),
    st.just({"type": "web_search", "external_web_access": False}),
    st.builds(lambda kind: {"type": kind}, _TEXT),
).flatmap(perturbed)


@st.composite
def responses_requests(draw: st.DrawFn) -> dict[str, Any]:
    """A Responses request body, usually near what Codex sends, often broken."""
    request: dict[str, Any] = {
        # The fields the server validates are mostly right here; `perturbed` below
        # breaks some of them now and then, and everything else freely.
        "model": draw(st.sampled_from(["m", "codex-auto"]) | text),
        "stream": draw(st.booleans()),
        "input": draw(st.one_of(st.lists(item, max_size=8), text)),
        "tools": draw(st.lists(tool, max_size=4)),
        "tool_choice": draw(
            st.sampled_from(["auto", "none", "required"])
            | st.builds(lambda n: {"type": "function", "name": n}, _TEXT)
            | odd
        ),
        "parallel_tool_calls": draw(st.booleans() | odd),
        "reasoning": draw(
            st.builds(
                lambda effort, summary: {"effort": effort, "summary": summary},
                st.sampled_from(["minimal", "low", "medium", "high", "xhigh", "none"]) | odd,
                st.sampled_from(["auto", "none"]) | odd,
            )
            | odd
        ),
        "instructions": draw(st.none() | text),
        "max_output_tokens": draw(st.none() | st.integers(-5, 10**9) | odd),
        "temperature": draw(st.none() | st.floats(-1, 3) | odd),
        "text": draw(
            st.builds(
                lambda schema: {"format": {"type": "json_schema", "name": "o", "schema": schema}},
                json_values,
            )
            | odd
        ),
        "stop": draw(st.none() | st.lists(text, max_size=6) | text | odd),
        "store": False,
        "prompt_cache_key": draw(text),
    }
    return draw(perturbed(request, odds=40))
