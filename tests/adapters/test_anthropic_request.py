"""Responses requests as Anthropic Messages bodies: shape rules, tools, caching, thinking."""

from __future__ import annotations

import base64
import itertools
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.anthropic.request import (
    LARGE_OUTPUT_DEFAULT,
    MAX_CACHE_BREAKPOINTS,
    SMALL_OUTPUT_DEFAULT,
    THINKING_BUDGETS,
    default_max_tokens,
    responses_to_messages,
)
from adapters.anthropic.stream import MessagesStreamTranslator
from adapters.anthropic.transcript import (
    COMPACTED_HISTORY,
    CONTINUE_PROMPT,
    EMPTY_OUTPUT,
    IMAGE_UNSUPPORTED,
    INTERRUPTED_OUTPUT,
    RAW_ARGUMENTS_KEY,
    tool_id,
)
from adapters.base import Target
from adapters.thinking import PREFIX, decode_blocks, encode_blocks, origin_of
from adapters.tools import ToolMap

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "codex"


def _fixture_bodies() -> list[tuple[str, dict[str, Any]]]:
    bodies = []
    for path in sorted(FIXTURES.glob("*_request*.jsonl")):
        for number, line in enumerate(path.read_text().splitlines()):
            record = json.loads(line)
            if isinstance(record.get("body"), dict):
                bodies.append((f"{path.stem}[{number}]", record["body"]))
    return bodies


FIXTURE_BODIES = _fixture_bodies()

CLAUDE = Target(
    slug="claude",
    kind="anthropic",
    model="claude-sonnet-4-5",
    base_url="https://api.anthropic.com/v1",
    supports_thinking=True,
)
PLAIN = Target(slug="glm", kind="anthropic", model="glm-4.6", base_url="https://api.z.ai/anthropic")

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
TOOLS = [
    {"type": "function", "name": "exec_command", "parameters": {"type": "object"}},
    {"type": "custom", "name": "apply_patch", "format": {"type": "grammar", "definition": "x"}},
    {
        "type": "namespace",
        "name": "multi_agent_v1",
        "tools": [{"type": "function", "name": "spawn_agent", "parameters": {}}],
    },
    {"type": "web_search"},
]


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def assistant(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def call(call_id: str, arguments: str = "{}", name: str = "exec_command") -> dict[str, Any]:
    return {
        "type": "function_call",
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
    }


def output(call_id: str, text: Any = "ok") -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": call_id, "output": text}


def translate(items: Any, target: Target = PLAIN, **extra: Any) -> dict[str, Any]:
    return responses_to_messages({"model": "m", "input": items, **extra}, target, stream=True)


def assert_well_formed(body: dict[str, Any]) -> None:
    """The conversation rules the Messages API enforces with a 400."""
    messages = body["messages"]
    assert messages and messages[0]["role"] == "user"
    for before, after in itertools.pairwise(messages):
        assert before["role"] != after["role"], "roles must alternate"
    for position, message in enumerate(messages):
        assert message["content"], "no empty message"
        for block in message["content"]:
            if block["type"] == "text":
                assert block["text"].strip(), "no empty text block"
        uses = [b["id"] for b in message["content"] if b["type"] == "tool_use"]
        results = [b for b in message["content"] if b["type"] == "tool_result"]
        if message["role"] == "assistant":
            assert not results
            if uses:
                following = messages[position + 1]
                lead = following["content"][: len(uses)]
                assert [b.get("tool_use_id") for b in lead] == uses
        else:
            assert not uses
            if results:
                previous = messages[position - 1]
                ids = [b["id"] for b in previous["content"] if b["type"] == "tool_use"]
                assert [b["tool_use_id"] for b in results] == ids
                assert message["content"][: len(results)] == results, "tool_result blocks first"
    breakpoints = [
        block
        for block in [*body.get("system", []), *body.get("tools", [])]
        + [b for m in messages for b in m["content"]]
        if "cache_control" in block
    ]
    assert len(breakpoints) <= MAX_CACHE_BREAKPOINTS


# -- captured Codex requests -------------------------------------------------------------


@pytest.mark.parametrize(("name", "body"), FIXTURE_BODIES, ids=[n for n, _ in FIXTURE_BODIES])
@pytest.mark.parametrize("target", [CLAUDE, PLAIN], ids=["thinking", "plain"])
def test_every_captured_request_follows_the_conversation_rules(
    name: str, body: dict[str, Any], target: Target
) -> None:
    translated = responses_to_messages(body, target, stream=True)
    assert_well_formed(translated)
    assert translated["stream"] is True
    assert "stream" not in responses_to_messages(body, target, stream=False)


def test_captured_tool_round_trip_becomes_tool_use_and_result() -> None:
    body = dict(
        FIXTURE_BODIES[[n for n, _ in FIXTURE_BODIES].index("exec_turn1_tool_output_request[0]")][1]
    )
    translated = responses_to_messages(body, PLAIN, stream=True)
    call_item = next(i for i in body["input"] if i["type"] == "function_call")
    output_item = next(i for i in body["input"] if i["type"] == "function_call_output")
    tool_use = translated["messages"][-2]["content"][0]
    assert tool_use == {
        "type": "tool_use",
        "id": call_item["call_id"],
        "name": "exec_command",
        "input": json.loads(call_item["arguments"]),
    }
    result = translated["messages"][-1]["content"][0]
    assert result["tool_use_id"] == call_item["call_id"]
    assert result["content"] == output_item["output"]


def test_developer_messages_and_instructions_become_the_system_prompt() -> None:
    body = translate(
        [
            {
                "type": "message",
                "role": "developer",
                "content": [{"type": "input_text", "text": "d1"}],
            },
            {"role": "system", "content": "s1"},
            user("hi"),
        ],
        instructions="base",
    )
    assert [b["text"] for b in body["system"]] == ["base", "d1", "s1"]
    assert body["messages"] == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}],
        }
    ]


def test_string_input_is_one_user_message() -> None:
    body = translate("hello")
    assert body["messages"][0]["content"][0]["text"] == "hello"


def test_empty_conversation_still_opens_with_a_user_message() -> None:
    body = translate([{"role": "developer", "content": "only instructions"}, user("   ")])
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": CONTINUE_PROMPT, "cache_control": {"type": "ephemeral"}}
            ],
        }
    ]


def test_consecutive_same_role_items_are_merged() -> None:
    body = translate([user("a"), user("b"), assistant("c"), assistant("d"), user("e")])
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert [b["text"] for b in body["messages"][1]["content"]] == ["c", "d"]


# -- images -----------------------------------------------------------------------------


def test_data_url_image_becomes_a_base64_image_block() -> None:
    body = translate(
        [
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "look"},
                    {
                        "type": "input_image",
                        "image_url": f"data:image/png;base64,{PNG}",
                        "detail": "high",
                    },
                    {"type": "input_image", "image_url": "https://example.com/a.jpg"},
                ],
            }
        ]
    )
    blocks = body["messages"][0]["content"]
    assert blocks[1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": PNG},
    }
    assert blocks[2]["source"] == {"type": "url", "url": "https://example.com/a.jpg"}


def test_captured_image_request_carries_the_image() -> None:
    name_to_body = dict(FIXTURE_BODIES)
    body = responses_to_messages(name_to_body["image_input_request[0]"], PLAIN, stream=True)
    images = [b for m in body["messages"] for b in m["content"] if b["type"] == "image"]
    assert len(images) == 1
    assert images[0]["source"]["type"] == "base64"
    assert images[0]["source"]["media_type"] == "image/png"


def test_images_for_a_text_only_model_become_a_note() -> None:
    text_only = Target(
        slug="t", kind="anthropic", model="m", base_url="http://x", supports_images=False
    )
    part = {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"}
    body = translate([{"role": "user", "content": [part]}], text_only)
    assert body["messages"][0]["content"][0]["text"] == IMAGE_UNSUPPORTED


def test_tool_output_images_go_inside_the_tool_result() -> None:
    parts = [
        {"type": "input_text", "text": "screenshot:"},
        {"type": "input_image", "image_url": f"data:image/webp;base64,{PNG}"},
    ]
    body = translate([user("go"), call("c1", name="view_image"), output("c1", parts)])
    result = body["messages"][-1]["content"][0]
    assert result["type"] == "tool_result"
    assert result["content"][0]["text"] == "screenshot:"
    assert result["content"][1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/webp", "data": PNG},
    }


# -- tool calls and results -------------------------------------------------------------


def test_namespaced_and_custom_calls_become_tool_use_blocks() -> None:
    patch = "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n"
    body = translate(
        [
            user("go"),
            {**call("c1", '{"message":"x"}', "spawn_agent"), "namespace": "multi_agent_v1"},
            {"type": "custom_tool_call", "call_id": "c2", "name": "apply_patch", "input": patch},
            output("c1"),
            {"type": "custom_tool_call_output", "call_id": "c2", "output": "Success."},
        ],
        tools=TOOLS,
    )
    uses = body["messages"][1]["content"]
    assert uses[0]["name"] == "multi_agent_v1__spawn_agent"
    assert uses[0]["input"] == {"message": "x"}
    assert uses[1] == {
        "type": "tool_use",
        "id": "c2",
        "name": "apply_patch",
        "input": {"input": patch},
    }
    results = body["messages"][2]["content"]
    assert [(r["tool_use_id"], r["content"]) for r in results] == [("c1", "ok"), ("c2", "Success.")]


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ("", {}),
        ('{"cmd": "ls"}', {"cmd": "ls"}),
        ('{"cmd": "ls"', {RAW_ARGUMENTS_KEY: '{"cmd": "ls"'}),
        ("[1, 2]", {RAW_ARGUMENTS_KEY: "[1, 2]"}),
    ],
)
def test_tool_use_input_is_always_an_object(arguments: str, expected: dict[str, Any]) -> None:
    body = translate([user("go"), call("c1", arguments), output("c1")])
    assert body["messages"][1]["content"][0]["input"] == expected


def test_a_call_without_output_gets_an_interrupted_result() -> None:
    body = translate([user("go"), call("c1"), user("stop, do something else")])
    assert_well_formed(body)
    follow_up = body["messages"][2]["content"]
    assert follow_up[0] == {
        "type": "tool_result",
        "tool_use_id": "c1",
        "content": INTERRUPTED_OUTPUT,
    }
    assert follow_up[1]["text"] == "stop, do something else"


def test_a_trailing_call_without_output_is_answered_too() -> None:
    body = translate([user("go"), call("c1")])
    assert_well_formed(body)
    assert body["messages"][-1]["content"][0]["content"] == INTERRUPTED_OUTPUT


def test_an_output_without_its_call_becomes_text() -> None:
    body = translate([user("go"), output("lost", "data")])
    assert_well_formed(body)
    texts = [b["text"] for b in body["messages"][0]["content"]]
    assert texts[-1] == "Output of tool call lost:\ndata"


def test_results_are_moved_before_a_user_message_that_interrupted_them() -> None:
    body = translate([user("go"), call("c1"), user("also this"), output("c1", "done")])
    assert_well_formed(body)
    follow_up = body["messages"][2]["content"]
    assert follow_up[0]["content"] == "done"
    assert follow_up[1]["text"] == "also this"


def test_empty_tool_output_is_never_an_empty_block() -> None:
    body = translate([user("go"), call("c1"), output("c1", "")])
    assert body["messages"][2]["content"][0]["content"] == EMPTY_OUTPUT


def test_call_ids_from_other_upstreams_are_made_valid_and_still_match() -> None:
    body = translate([user("go"), call("functions.exec:0"), output("functions.exec:0")])
    assert_well_formed(body)
    used = body["messages"][1]["content"][0]["id"]
    assert used == tool_id("functions.exec:0")
    assert used.replace("_", "").replace("-", "").isalnum()


def test_unknown_items_are_kept_as_text_and_compaction_is_noted() -> None:
    body = translate(
        [
            user("go"),
            {"type": "compaction", "id": "cmp_1", "encrypted_content": "opaque"},
            {"type": "local_shell_call", "id": "x", "action": {"command": ["ls"]}},
        ]
    )
    texts = [b["text"] for b in body["messages"][0]["content"]]
    assert COMPACTED_HISTORY in texts
    assert any(t.startswith("[local_shell_call]") and '"ls"' in t for t in texts)


# -- tools and options --------------------------------------------------------------------


def test_tools_are_flattened_with_input_schemas() -> None:
    body = translate([user("go")], tools=TOOLS)
    names = [t["name"] for t in body["tools"]]
    assert names == ["exec_command", "apply_patch", "multi_agent_v1__spawn_agent"]
    assert all(t["input_schema"]["type"] == "object" for t in body["tools"])
    assert body["tools"][1]["input_schema"]["required"] == ["input"]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", {"type": "auto"}),
        ("required", {"type": "any"}),
        ("none", {"type": "none"}),
        ({"type": "function", "name": "exec_command"}, {"type": "tool", "name": "exec_command"}),
        ({"type": "function", "name": "not_offered"}, {"type": "auto"}),
    ],
)
def test_tool_choice(choice: Any, expected: dict[str, Any]) -> None:
    assert translate([user("go")], tools=TOOLS, tool_choice=choice)["tool_choice"] == expected


def test_parallel_tool_calls_false_disables_parallel_use() -> None:
    body = translate([user("go")], tools=TOOLS, parallel_tool_calls=False)
    assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}


def test_no_tools_means_no_tools_and_no_tool_choice() -> None:
    body = translate([user("go")], tools=[{"type": "web_search"}], tool_choice="auto")
    assert "tools" not in body
    assert "tool_choice" not in body


def test_max_tokens_sources_and_defaults() -> None:
    assert translate([user("go")], max_output_tokens=777)["max_tokens"] == 777
    limited = Target(
        slug="s", kind="anthropic", model="m", base_url="http://x", max_output_tokens=5000
    )
    assert translate([user("go")], limited)["max_tokens"] == 5000
    assert default_max_tokens("claude-opus-4-1-20250805") == LARGE_OUTPUT_DEFAULT
    assert default_max_tokens("claude-sonnet-4-5") == LARGE_OUTPUT_DEFAULT
    assert default_max_tokens("deepseek-chat") == SMALL_OUTPUT_DEFAULT
    assert translate([user("go")])["max_tokens"] == SMALL_OUTPUT_DEFAULT > 4096


def test_stop_becomes_stop_sequences() -> None:
    assert translate([user("go")], stop=["END", "  "])["stop_sequences"] == ["END"]
    assert "stop_sequences" not in translate([user("go")])


def test_structured_output_becomes_a_system_instruction() -> None:
    schema = {"type": "object", "properties": {"score": {"type": "number"}}}
    body = translate([user("go")], text={"format": {"type": "json_schema", "schema": schema}})
    assert json.dumps(schema, separators=(",", ":")) in body["system"][-1]["text"]


# -- prompt caching -----------------------------------------------------------------------


def test_cache_breakpoints_on_system_tools_and_latest_turns() -> None:
    name_to_body = dict(FIXTURE_BODIES)
    body = responses_to_messages(name_to_body["app_server_requests[3]"], PLAIN, stream=True)
    marked = {"type": "ephemeral"}
    assert body["system"][-1]["cache_control"] == marked
    assert all("cache_control" not in b for b in body["system"][:-1])
    assert body["tools"][-1]["cache_control"] == marked
    assert all("cache_control" not in t for t in body["tools"][:-1])
    users = [m for m in body["messages"] if m["role"] == "user"]
    assert users[-1]["content"][-1]["cache_control"] == marked
    assert users[-2]["content"][-1]["cache_control"] == marked
    count = sum(
        "cache_control" in block
        for block in [*body["system"], *body["tools"]]
        + [b for m in body["messages"] for b in m["content"]]
    )
    assert count == MAX_CACHE_BREAKPOINTS


# -- thinking -----------------------------------------------------------------------------


@pytest.mark.parametrize(("effort", "budget"), sorted(THINKING_BUDGETS.items()))
def test_thinking_budget_follows_effort(effort: str, budget: int) -> None:
    body = translate([user("go")], CLAUDE, reasoning={"effort": effort}, temperature=0.5)
    assert body["thinking"]["type"] == "enabled"
    assert body["thinking"]["budget_tokens"] <= budget
    assert 1024 <= body["thinking"]["budget_tokens"] < body["max_tokens"]
    assert "temperature" not in body and "top_p" not in body
    if budget <= 16384:
        assert body["thinking"]["budget_tokens"] == budget


def test_no_thinking_for_targets_without_it_or_without_effort() -> None:
    plain = translate([user("go")], PLAIN, reasoning={"effort": "high"}, temperature=1.5)
    assert "thinking" not in plain
    assert plain["temperature"] == 1.0
    assert "thinking" not in translate([user("go")], CLAUDE, reasoning={"effort": "none"})
    assert "thinking" not in translate([user("go")], CLAUDE, reasoning={"summary": "auto"})


def test_thinking_budget_leaves_room_for_the_answer() -> None:
    body = translate([user("go")], CLAUDE, reasoning={"effort": "high"}, max_output_tokens=4000)
    assert body["max_tokens"] == 4000
    assert 1024 <= body["thinking"]["budget_tokens"] <= 3000
    tiny = translate([user("go")], CLAUDE, reasoning={"effort": "high"}, max_output_tokens=1500)
    assert "thinking" not in tiny


def test_forced_tool_use_turns_thinking_off() -> None:
    body = translate(
        [user("go")], CLAUDE, tools=TOOLS, tool_choice="required", reasoning={"effort": "low"}
    )
    assert "thinking" not in body
    assert body["tool_choice"] == {"type": "any"}


# -- thinking replay ----------------------------------------------------------------------


def _stream_items(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items Codex keeps from a stream: those of `response.output_item.done`."""
    return [e["item"] for e in events if e["type"] == "response.output_item.done"]


def _claude_turn_with_tool_call() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A streamed Claude answer (thinking, redacted thinking, text, tool call) translated,
    and the original thinking blocks exactly as the stream carried them."""
    thinking = {
        "type": "thinking",
        "thinking": "Let me list the files.\nThen — read them ✓",
        "signature": "EqQBCkgIAR" * 30,
    }
    redacted = {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4a" * 10}
    translator = MessagesStreamTranslator(
        "claude", ToolMap.from_request({"tools": TOOLS}), origin=origin_of(CLAUDE.base_url)
    )
    events = translator.start()
    feed: list[dict[str, Any]] = [
        {"type": "message_start", "message": {"usage": {"input_tokens": 10, "output_tokens": 1}}},
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": ""},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": thinking["thinking"][:10]},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": thinking["thinking"][10:]},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": thinking["signature"]},
        },
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": redacted},
        {"type": "content_block_stop", "index": 1},
        {"type": "content_block_start", "index": 2, "content_block": {"type": "text", "text": ""}},
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "text_delta", "text": "Listing."},
        },
        {"type": "content_block_stop", "index": 2},
        {
            "type": "content_block_start",
            "index": 3,
            "content_block": {
                "type": "tool_use",
                "id": "toolu_01",
                "name": "exec_command",
                "input": {},
            },
        },
        {
            "type": "content_block_delta",
            "index": 3,
            "delta": {"type": "input_json_delta", "partial_json": '{"cmd": "ls"}'},
        },
        {"type": "content_block_stop", "index": 3},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use"},
            "usage": {"output_tokens": 50},
        },
        {"type": "message_stop"},
    ]
    for event in feed:
        events += translator.feed(event["type"], event)
    return _stream_items(events), [thinking, redacted]


def _as_codex_replays(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Codex replays reasoning items with `content: null` and its own fields only."""
    replayed = []
    for item in items:
        if item["type"] == "reasoning":
            replayed.append(
                {
                    "type": "reasoning",
                    "id": item["id"],
                    "summary": item["summary"],
                    "content": None,
                    "encrypted_content": item.get("encrypted_content"),
                }
            )
        else:
            replayed.append(item)
    return replayed


def test_thinking_is_replayed_byte_identical_across_a_tool_round_trip() -> None:
    items, originals = _claude_turn_with_tool_call()
    assert [i["type"] for i in items] == ["reasoning", "reasoning", "message", "function_call"]
    assert all(i["encrypted_content"].startswith(PREFIX) for i in items[:2])
    history = [user("list files"), *_as_codex_replays(items), output(items[3]["call_id"], "a.txt")]

    body = translate(history, CLAUDE, tools=TOOLS, reasoning={"effort": "medium"})

    assert_well_formed(body)
    assert body["thinking"]["type"] == "enabled"
    turn = body["messages"][1]
    assert turn["role"] == "assistant"
    assert turn["content"][:2] == originals
    wire = json.dumps(body, ensure_ascii=False)
    for original in originals:
        assert json.dumps(original, ensure_ascii=False) in wire
    assert [b["type"] for b in turn["content"]] == [
        "thinking",
        "redacted_thinking",
        "text",
        "tool_use",
    ]
    assert body["messages"][2]["content"][0]["tool_use_id"] == "toolu_01"


def test_replayed_thinking_never_goes_to_another_endpoint() -> None:
    items, _ = _claude_turn_with_tool_call()
    history = [user("list files"), *_as_codex_replays(items), output(items[3]["call_id"], "a.txt")]
    body = translate(history, PLAIN, tools=TOOLS, reasoning={"effort": "medium"})
    assert "thinking" not in body
    kinds = {b["type"] for m in body["messages"] for b in m["content"]}
    assert not kinds & {"thinking", "redacted_thinking"}


def test_thinking_the_endpoint_sent_unasked_is_replayed_to_it_with_thinking_off() -> None:
    # The request asks for no thinking (no effort), yet the endpoint signed blocks in its
    # tool-loop turn: they go back byte-identical, before the tool_use, thinking still off.
    items, originals = _claude_turn_with_tool_call()
    history = [user("list files"), *_as_codex_replays(items), output(items[3]["call_id"], "a.txt")]
    unconfigured = replace(CLAUDE, supports_thinking=False)
    for target, extra in ((CLAUDE, {}), (unconfigured, {"reasoning": {"effort": "high"}})):
        body = translate(history, target, tools=TOOLS, **extra)
        assert_well_formed(body)
        assert "thinking" not in body
        turn = body["messages"][1]
        assert turn["content"][:2] == originals
        assert [b["type"] for b in turn["content"]][2:] == ["text", "tool_use"]


def _foreign_signed(origin: str) -> str:
    encoded = encode_blocks([{"type": "thinking", "thinking": "t", "signature": "sig"}], origin)
    assert encoded is not None
    return encoded


def _unsigned_ours() -> str:
    payload = {
        "v": 1,
        "provider": "anthropic",
        "origin": "",
        "blocks": [{"type": "thinking", "thinking": "t", "signature": ""}],
    }
    return PREFIX + base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.parametrize(
    "encrypted",
    [
        None,
        "gAAAAABoOpenAIencryptedreasoning==",
        "anthropic.v1:not-base64!!",
        _unsigned_ours(),
        _foreign_signed("api.deepseek.com"),
    ],
    ids=["none", "openai", "garbage", "unsigned", "other-endpoint"],
)
def test_foreign_reasoning_is_never_sent_as_thinking(encrypted: Any) -> None:
    reasoning = {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": "I thought"}],
        "content": None,
        "encrypted_content": encrypted,
    }
    body = translate(
        [user("go"), reasoning, assistant("answer"), user("next")],
        CLAUDE,
        reasoning={"effort": "low"},
    )
    kinds = [b["type"] for m in body["messages"] for b in m["content"]]
    assert "thinking" not in kinds and "redacted_thinking" not in kinds
    assert body["messages"][1]["content"] == [{"type": "text", "text": "answer"}]


def test_unfinished_tool_loop_without_thinking_turns_thinking_off() -> None:
    # The tool call came from another model: Claude would reject thinking for this loop.
    history = [user("go"), call("c1"), output("c1")]
    assert "thinking" not in translate(history, CLAUDE, reasoning={"effort": "high"})
    # A new user turn may think again.
    history += [assistant("done"), user("next")]
    assert translate(history, CLAUDE, reasoning={"effort": "high"})["thinking"]["type"] == "enabled"


# -- property: any Codex-like history is a valid Messages conversation --------------------

_ITEM_KINDS = st.sampled_from(
    ["user", "assistant", "developer", "call", "output", "reasoning", "image"]
)


@st.composite
def _histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    kinds = draw(st.lists(_ITEM_KINDS, max_size=14))
    items: list[dict[str, Any]] = []
    calls: list[str] = []
    for n, kind in enumerate(kinds):
        if kind == "user":
            items.append(user(draw(st.sampled_from(["hi", " ", "", "go on"]))))
        elif kind == "assistant":
            items.append(assistant(draw(st.sampled_from(["ok", "", "sure"]))))
        elif kind == "developer":
            items.append({"role": "developer", "content": "rules"})
        elif kind == "call":
            calls.append(f"c{n}")
            items.append(call(f"c{n}"))
        elif kind == "output":
            known = draw(st.booleans())
            items.append(output(draw(st.sampled_from(calls)) if calls and known else f"x{n}"))
        elif kind == "reasoning":
            items.append(
                {
                    "type": "reasoning",
                    "id": f"rs{n}",
                    "summary": [],
                    "encrypted_content": _foreign_signed(""),
                }
            )
        else:
            items.append(
                {
                    "role": "user",
                    "content": [
                        {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"}
                    ],
                }
            )
    return items


@settings(max_examples=200, deadline=None)
@given(_histories(), st.sampled_from([CLAUDE, PLAIN]))
def test_any_history_translates_to_a_valid_conversation(
    items: list[dict[str, Any]], target: Target
) -> None:
    body = translate(items, target, tools=TOOLS, reasoning={"effort": "medium"})
    assert_well_formed(body)
    for message in body["messages"]:
        kinds = [b["type"] for b in message["content"]]
        if "thinking" in kinds:
            # Replayed (thinking asked for or not) only in an assistant turn, before an
            # answer or a tool call.
            assert message["role"] == "assistant"
            assert kinds[-1] != "thinking"


def test_an_answer_after_a_tool_result_is_a_new_assistant_message() -> None:
    body = translate([user("go"), call("c1"), output("c1"), assistant("done"), user("next")])
    kinds = [(m["role"], [b["type"] for b in m["content"]]) for m in body["messages"]]
    assert kinds == [
        ("user", ["text"]),
        ("assistant", ["tool_use"]),
        ("user", ["tool_result"]),
        ("assistant", ["text"]),
        ("user", ["text"]),
    ]


def test_replay_format_round_trips_blocks_exactly() -> None:
    block = {
        "signature": "s/+=",
        "type": "thinking",
        "thinking": 'naïve ✓ "quoted"\n',
        "extra": [1],
    }
    encoded = encode_blocks([block], "api.anthropic.com")
    assert encoded is not None and encoded.startswith(PREFIX)
    [decoded] = decode_blocks(encoded, "api.anthropic.com")
    assert decoded == block
    assert list(decoded) == list(block), "key order is kept"
    assert json.dumps(decoded, ensure_ascii=False) == json.dumps(block, ensure_ascii=False)
    assert decode_blocks(encoded, "api.deepseek.com") == []
    assert encode_blocks([{"type": "thinking", "thinking": "x", "signature": ""}]) is None
