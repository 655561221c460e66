"""Fuzz: any request body through every adapter's request translation.

The server validates a body with `ResponsesRequest` first and answers a
`pydantic.ValidationError` with a 400 (`invalid_request`); that is the one documented way
to refuse a request. Whatever passes validation must translate without an exception,
into a body that encodes for the wire and keeps the invariants the upstream API
insists on.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from pydantic import ValidationError

from adapters.anthropic.request import responses_to_messages
from adapters.base import Target
from adapters.chat.request import responses_to_chat
from adapters.codex.adapter import backend_body
from adapters.http import encode_body
from adapters.responses.request import ResponsesRequest
from tests.reliability.strategies import responses_requests

EXAMPLES = 250
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

CHAT_ROLES = frozenset({"system", "user", "assistant", "tool"})


def chat_targets() -> list[Target]:
    return [
        Target(slug="c", kind="chat", model="c", base_url="http://127.0.0.1:9/v1"),
        Target(
            slug="c",
            kind="chat",
            model="c",
            base_url="http://127.0.0.1:9/v1",
            supports_images=False,
            max_output_tokens=100,
        ),
    ]


def anthropic_targets() -> list[Target]:
    return [
        Target(
            slug="a", kind="anthropic", model="claude-sonnet-4-5", base_url="http://127.0.0.1:9"
        ),
        Target(
            slug="a",
            kind="anthropic",
            model="claude-opus-4-1",
            base_url="https://api.anthropic.com/v1",
            supports_thinking=True,
            supports_images=False,
        ),
    ]


def check_chat(body: dict[str, Any]) -> None:
    messages = body["messages"]
    for index, message in enumerate(messages):
        assert message["role"] in CHAT_ROLES
        assert message["content"] is None or isinstance(message["content"], str | list)
        calls = message.get("tool_calls") or []
        # Every call is answered by a tool message right after its assistant message.
        answers = [m.get("tool_call_id") for m in messages[index + 1 : index + 1 + len(calls)]]
        assert answers == [call["id"] for call in calls]


def check_anthropic(body: dict[str, Any]) -> None:
    messages = body["messages"]
    roles = [message["role"] for message in messages]
    assert set(roles) <= {"user", "assistant"}
    assert all(a != b for a, b in itertools.pairwise(roles)), "roles must alternate"
    for index, message in enumerate(messages):
        blocks = message["content"]
        if isinstance(blocks, str):
            assert blocks.strip()
            continue
        assert blocks, "no empty message"
        for block in blocks:
            if block.get("type") == "text":
                assert block["text"].strip(), "no empty text block"
        uses = [b["id"] for b in blocks if b.get("type") == "tool_use"]
        if uses:
            following = messages[index + 1]["content"]
            results = [b.get("tool_use_id") for b in following if b.get("type") == "tool_result"]
            assert results[: len(uses)] == uses, "tool results open the next message"


def through_validation(request: dict[str, Any]) -> bool:
    """What the server does first: False means it answers 400 and stops there."""
    try:
        ResponsesRequest.model_validate(request)
    except ValidationError:
        return False
    return True


def wire(body: dict[str, Any]) -> None:
    """The body must go on the wire as UTF-8 JSON that reads back."""
    assert isinstance(json.loads(encode_body(body)), dict)


Translate = Callable[[dict[str, Any]], None]


def translate_chat(request: dict[str, Any]) -> None:
    for target in chat_targets():
        for stream in (True, False):
            body = responses_to_chat(request, target, stream=stream)
            check_chat(body)
            wire(body)


def translate_anthropic(request: dict[str, Any]) -> None:
    for target in anthropic_targets():
        body = responses_to_messages(request, target, stream=True)
        check_anthropic(body)
        wire(body)


def translate_passthrough(request: dict[str, Any]) -> None:
    target = Target(slug="x", kind="codex", model="gpt-5-codex", base_url="http://127.0.0.1:9")
    body = backend_body(request, target)
    assert body["model"] == "gpt-5-codex"
    wire(body)


@pytest.mark.parametrize(
    "translate",
    [translate_chat, translate_anthropic, translate_passthrough],
    ids=["chat", "anthropic", "codex-passthrough"],
)
def test_any_request_is_refused_by_validation_or_translated(translate: Translate) -> None:
    ran: list[bool] = []

    @FUZZ
    @given(request=responses_requests())
    # Bodies that once raised: a lone surrogate on the wire, a list as an item type, a
    # list as a tool name.
    @example(request={"model": "m", "input": "\ud800"})
    @example(request={"model": "m", "input": [{"type": [], "role": "user"}]})
    @example(request={"model": "m", "input": [], "tools": [{"type": "function", "name": [0]}]})
    @example(
        request={
            "model": "m",
            "input": [],
            "tools": [{"type": "namespace", "name": "n", "tools": 7}],
        }
    )
    @example(
        request={
            "model": "m",
            "input": [],
            "tools": [{"type": "custom", "name": "c", "format": []}],
        }
    )
    def check(request: dict[str, Any]) -> None:
        valid = through_validation(request)
        ran.append(valid)
        if valid:
            translate(request)

    check()
    print(f"{translate.__name__}: {len(ran)} examples, {sum(ran)} passed validation")
    assert len(ran) >= EXAMPLES
    # About 40-50% of drawn requests are valid; a fifth is a floor no fair draw misses.
    assert sum(ran) >= EXAMPLES // 5, "too few examples reached the translator"
