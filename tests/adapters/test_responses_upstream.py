"""The native Responses provider's pure half: the request an upstream family gets, the
reasoning envelope, and how events are shaped for Codex."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic
from hypothesis import given
from hypothesis import strategies as st
from openai.types.responses import ResponseStreamEvent, response_create_params

from adapters.base import Target
from adapters.responses.upstream import (
    AZURE,
    COMPACTED_NOTE,
    DEEPSEEK,
    GENERIC,
    OPENAI,
    OPENROUTER,
    PUBLIC_FIELDS,
    EventShaper,
    family_of,
    namespaced_names,
    seal,
    unseal,
    upstream_body,
)
from adapters.usage import from_responses as complete_usage

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "codex"
EVENT = pydantic.TypeAdapter(ResponseStreamEvent)


def target(base_url: str) -> Target:
    return Target(slug="s", kind="responses", model="upstream-name", base_url=base_url)


def fixture_bodies() -> list[dict[str, Any]]:
    bodies = []
    for path in sorted(FIXTURES.glob("*_request*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if record.get("path", "").endswith("/responses") and isinstance(
                record.get("body"), dict
            ):
                bodies.append(record["body"])
    return bodies


def test_the_public_fields_are_the_sdk_request_params() -> None:
    declared = response_create_params.ResponseCreateParamsStreaming
    assert declared.__required_keys__ | declared.__optional_keys__ == PUBLIC_FIELDS


def test_families_by_host() -> None:
    assert family_of("https://api.openai.com/v1") == OPENAI
    assert family_of("https://my-res.openai.azure.com/openai/v1") == AZURE
    assert family_of("https://openrouter.ai/api/v1") == OPENROUTER
    assert family_of("https://api.deepseek.com/v1") == DEEPSEEK
    assert family_of("http://127.0.0.1:8000/v1") == GENERIC


def test_every_captured_codex_body_keeps_its_public_fields_and_loses_client_metadata() -> None:
    bodies = fixture_bodies()
    assert bodies
    for body in bodies:
        for base_url in ("https://api.openai.com/v1", "http://127.0.0.1:8000/v1"):
            sent = upstream_body(body, target(base_url), stream=True)
            assert sent["model"] == "upstream-name"
            assert "client_metadata" not in sent
            assert set(sent) <= PUBLIC_FIELDS
            for key in ("include", "reasoning", "prompt_cache_key", "text", "store"):
                if key in body:
                    assert sent[key] == body[key]


def test_stateless_families_never_refer_to_upstream_state() -> None:
    body = {"model": "x", "input": "hi", "store": True, "previous_response_id": "resp_1"}
    for base_url in ("https://openrouter.ai/api/v1", "http://127.0.0.1:8000/v1"):
        sent = upstream_body(body, target(base_url), stream=False)
        assert sent["store"] is False and "previous_response_id" not in sent
    kept = upstream_body(body, target("https://api.openai.com/v1"), stream=False)
    assert kept["store"] is True and kept["previous_response_id"] == "resp_1"


def test_hosted_web_search_only_goes_to_families_that_run_it() -> None:
    function = {"type": "function", "name": "f", "parameters": {"type": "object"}}
    body = {"model": "x", "input": "hi", "tools": [function, {"type": "web_search"}]}
    for base_url, expected in (
        ("https://api.openai.com/v1", ["function", "web_search"]),
        ("https://openrouter.ai/api/v1", ["function", "web_search"]),
        ("https://api.deepseek.com/v1", ["function"]),
        ("http://127.0.0.1:8000/v1", ["function"]),
    ):
        sent = upstream_body(body, target(base_url), stream=True)
        assert [tool["type"] for tool in sent["tools"]] == expected
    only_search = {
        "model": "x",
        "input": "hi",
        "tools": [{"type": "web_search"}],
        "tool_choice": "auto",
    }
    sent = upstream_body(only_search, target("http://127.0.0.1:8000/v1"), stream=True)
    assert "tools" not in sent and "tool_choice" not in sent


def test_reasoning_is_unsealed_for_its_origin_and_dropped_elsewhere() -> None:
    mine = {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [],
        "encrypted_content": seal("blob", "127.0.0.1:8000"),
    }
    theirs = {
        "type": "reasoning",
        "id": "rs_2",
        "summary": [],
        "encrypted_content": seal("b", "other"),
    }
    chatgpt = {"type": "reasoning", "id": "rs_3", "summary": [], "encrypted_content": "gAAAA"}
    empty = {"type": "reasoning", "id": "rs_4", "summary": [], "encrypted_content": None}
    compaction = {"type": "compaction", "id": "cmp_1", "encrypted_content": "gAAAA"}
    body = {"model": "x", "input": [mine, theirs, chatgpt, empty, compaction, "odd"]}
    sent = upstream_body(body, target("http://127.0.0.1:8000/v1"), stream=True)
    assert sent["input"][0] == {**mine, "encrypted_content": "blob"}
    assert sent["input"][1]["content"][0]["text"] == COMPACTED_NOTE
    assert sent["input"][2:] == ["odd"]
    assert body["input"][0]["encrypted_content"].startswith("responses.v1:")


@given(st.text(min_size=1), st.text(alphabet="abcdefghij.:0123456789", min_size=1))
def test_a_sealed_blob_comes_back_byte_identical_to_its_origin_only(blob: str, origin: str) -> None:
    sealed = seal(blob, origin)
    assert unseal(sealed, origin) == blob
    assert unseal(sealed, origin + "x") is None
    assert unseal(blob, origin) is None or blob.startswith("responses.v1:")


def test_usage_gets_every_count_codex_reads() -> None:
    assert complete_usage({"input_tokens": 10, "output_tokens": 3}) == {
        "input_tokens": 10,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": 3,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 13,
    }
    full = complete_usage(
        {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 4}, "output_tokens": 3,
         "output_tokens_details": {"reasoning_tokens": 2}, "total_tokens": 13}
    )  # fmt: skip
    assert full["input_tokens_details"]["cached_tokens"] == 4
    assert full["output_tokens_details"]["reasoning_tokens"] == 2
    assert complete_usage(None) is None


def test_an_error_event_becomes_one_response_failed_with_a_code_codex_acts_on() -> None:
    shaper = EventShaper("slug", "origin", "up", ["sk-secret-key-123456"])
    created = shaper(
        {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}}
    )
    assert created["response"]["model"] == "slug" and created["sequence_number"] == 0
    EVENT.validate_python(created)
    for error, code in (
        ({"type": "error", "code": "rate_limit_exceeded", "message": "slow"}, "rate_limit_exceeded"),
        ({"type": "error", "error": {"type": "server_error", "message": "x"}}, "server_error"),
        ({"type": "error", "message": "maximum context length is 8192 tokens"}, "context_length_exceeded"),
        ({"type": "error", "code": "insufficient_quota", "message": "sk-secret-key-123456"}, "insufficient_quota"),
    ):  # fmt: skip
        failed = shaper(dict(error))
        assert failed["type"] == "response.failed"
        assert failed["response"]["error"]["code"] == code
        assert "sk-secret" not in failed["response"]["error"]["message"]


def test_an_upstream_failure_keeps_its_code_unless_it_hides_a_context_overflow() -> None:
    shaper = EventShaper("slug", "origin", "up", [])
    kept = shaper({"type": "response.failed", "sequence_number": 7,
                   "response": {"id": "r", "status": "failed", "error": {"code": "invalid_prompt", "message": "bad"}}})  # fmt: skip
    assert kept["response"]["error"]["code"] == "invalid_prompt" and kept["sequence_number"] == 7
    overflow = shaper({"type": "response.failed", "response": {"id": "r", "status": "failed",
                       "error": {"code": "invalid_prompt", "message": "context length exceeded"}}})  # fmt: skip
    assert overflow["response"]["error"]["code"] == "context_length_exceeded"
    assert overflow["sequence_number"] == 8


NAMESPACED = {
    "type": "namespace",
    "name": "multi_agent_v1",
    "tools": [{"type": "function", "name": "spawn_agent", "parameters": {"type": "object"}}],
}


def test_namespace_tools_are_flattened_only_for_families_without_them() -> None:
    earlier = {"type": "function_call", "call_id": "c1", "name": "spawn_agent",
               "namespace": "multi_agent_v1", "arguments": "{}"}  # fmt: skip
    body = {"model": "x", "input": [earlier], "tools": [NAMESPACED]}
    flat = upstream_body(body, target("http://127.0.0.1:8000/v1"), stream=True)
    assert flat["tools"] == [{**NAMESPACED["tools"][0], "name": "multi_agent_v1__spawn_agent"}]
    assert flat["input"] == [
        {
            "type": "function_call",
            "call_id": "c1",
            "name": "multi_agent_v1__spawn_agent",
            "arguments": "{}",
        }
    ]
    for base_url in ("https://api.openai.com/v1", "https://openrouter.ai/api/v1"):
        kept = upstream_body(body, target(base_url), stream=True)
        assert kept["tools"] == [NAMESPACED] and kept["input"] == [earlier]
    assert namespaced_names(body, target("https://api.openai.com/v1")) == {}


def test_a_call_to_a_flattened_tool_comes_back_with_its_namespace() -> None:
    names = namespaced_names({"tools": [NAMESPACED]}, target("http://127.0.0.1:8000/v1"))
    assert names == {"multi_agent_v1__spawn_agent": ("multi_agent_v1", "spawn_agent")}
    shaper = EventShaper("slug", "origin", "up", [], names)
    call = {"type": "function_call", "id": "fc_1", "call_id": "c1",
            "name": "multi_agent_v1__spawn_agent", "arguments": "{}"}  # fmt: skip
    done = shaper({"type": "response.output_item.done", "output_index": 0, "item": dict(call)})
    assert (done["item"]["namespace"], done["item"]["name"]) == ("multi_agent_v1", "spawn_agent")
    EVENT.validate_python(done)
    completed = shaper({"type": "response.completed", "response": {"id": "r", "output": [call]}})
    assert completed["response"]["output"][0]["namespace"] == "multi_agent_v1"
    other = shaper({"type": "response.output_item.done", "output_index": 1,
                    "item": {**call, "name": "exec_command"}})  # fmt: skip
    assert "namespace" not in other["item"]
