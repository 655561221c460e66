"""Responses request -> chat-completions request, driven by captured Codex requests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters.base import Target
from adapters.chat.request import (
    COMPACTION_PROMPT,
    EMPTY_OUTPUT,
    IMAGE_OMITTED,
    INTERRUPTED_OUTPUT,
    responses_to_chat,
)
from adapters.tools import custom_arguments_from_input

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "codex"

TARGET = Target(slug="local", kind="chat", model="qwen3:8b", base_url="http://127.0.0.1:1/v1")


def fixture_bodies() -> list[tuple[str, dict[str, Any]]]:
    bodies = []
    for path in sorted(FIXTURES.glob("*.jsonl")):
        for number, line in enumerate(path.read_text().splitlines()):
            record = json.loads(line)
            if isinstance(record.get("body"), dict) and "input" in record["body"]:
                bodies.append((f"{path.stem}[{number}]", record["body"]))
    return bodies


FIXTURE_BODIES = fixture_bodies()


def fixture(stem: str, number: int = 0) -> dict[str, Any]:
    return dict(FIXTURE_BODIES)[f"{stem}[{number}]"]


def chat(request: dict[str, Any], target: Target = TARGET, stream: bool = True) -> dict[str, Any]:
    return responses_to_chat(request, target, stream=stream)


def messages(*items: dict[str, Any], **request: Any) -> list[dict[str, Any]]:
    return chat({"model": "codex-auto", "input": list(items), **request})["messages"]


def call(call_id: str, name: str = "exec_command", arguments: str = "{}") -> dict[str, Any]:
    return {"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments}


def output(call_id: str, text: Any = "ok") -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": call_id, "output": text}


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def assistant(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text}],
    }


def strings(value: Any) -> list[str]:
    """Every string inside a JSON value, in order."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def assert_calls_paired(msgs: list[dict[str, Any]]) -> None:
    """Every assistant tool call is answered by the tool messages right after it, and
    every tool message answers a call."""
    i = 0
    while i < len(msgs):
        msg = msgs[i]
        assert msg["role"] != "tool", f"tool message without a call at {i}"
        if msg["role"] == "assistant" and msg.get("tool_calls"):
            ids = [c["id"] for c in msg["tool_calls"]]
            answered = [m["tool_call_id"] for m in msgs[i + 1 : i + 1 + len(ids)]]
            assert answered == ids
            assert all(m["role"] == "tool" for m in msgs[i + 1 : i + 1 + len(ids)])
            i += 1 + len(ids)
        else:
            i += 1


# -- every captured request ------------------------------------------------------------


@pytest.mark.parametrize(("name", "body"), FIXTURE_BODIES, ids=[n for n, _ in FIXTURE_BODIES])
def test_every_captured_request_translates_with_calls_paired(name: str, body: dict) -> None:
    out = chat(body)
    assert out["model"] == TARGET.model
    assert out["stream"] is True
    assert out["stream_options"] == {"include_usage": True}
    assert out["messages"][0]["role"] == "system"
    assert_calls_paired(out["messages"])
    for key in ("store", "include", "prompt_cache_key", "client_metadata", "input", "text"):
        assert key not in out
    # Nothing of Codex's bookkeeping leaks into messages.
    assert "internal_chat_message_metadata_passthrough" not in json.dumps(out)


@pytest.mark.parametrize(("name", "body"), FIXTURE_BODIES, ids=[n for n, _ in FIXTURE_BODIES])
def test_no_input_item_is_lost(name: str, body: dict) -> None:
    """Every item's text or call id reaches the chat request; only the documented
    exceptions (encrypted compaction items, reasoning) carry nothing that could."""
    text = "\x00".join(strings(chat(body)["messages"]))
    counted = 0
    for item in body["input"]:
        kind = item["type"]
        if kind == "message":
            for part in item["content"]:
                if part.get("text"):
                    assert part["text"] in text
                if part.get("image_url"):
                    assert part["image_url"] in text
        elif kind in ("function_call", "custom_tool_call"):
            assert f"\x00{item['call_id']}\x00" in text
        elif kind in ("function_call_output", "custom_tool_call_output"):
            assert f"\x00{item['call_id']}\x00{item['output']}" in text
        elif kind == "compaction_trigger":
            assert COMPACTION_PROMPT in text
        else:
            assert kind == "compaction"  # only encrypted content: nothing to send
        counted += 1
    assert counted == len(body["input"])


def test_developer_messages_merge_into_one_leading_system_message() -> None:
    out = chat(fixture("exec_turn1_first_request"))["messages"]
    # Codex's environment context and the prompt are two user messages: merged as well.
    assert [m["role"] for m in out] == ["system", "user"]
    assert out[0]["content"].startswith("You are Codex")
    assert "<permissions instructions>" in out[0]["content"]
    assert "<environment_context>" in out[1]["content"]
    assert out[1]["content"].index("<environment_context>") == 0


def test_tool_round_trip_from_a_captured_request() -> None:
    out = chat(fixture("exec_turn1_tool_output_request"))["messages"]
    call_msg, tool_msg = out[-2:]
    assert call_msg == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_5df69c434b85",
                "type": "function",
                "function": {
                    "name": "exec_command",
                    "arguments": '{"cmd": "echo hello > out.txt", "yield_time_ms": 2000}',
                },
            }
        ],
    }
    assert tool_msg["role"] == "tool"
    assert tool_msg["tool_call_id"] == "call_5df69c434b85"
    assert tool_msg["content"].startswith("Chunk ID:")


def test_apply_patch_custom_call_round_trip() -> None:
    body = fixture("apply_patch_custom_tool_output_request")
    out = chat(body)
    patch = next(i for i in body["input"] if i["type"] == "custom_tool_call")["input"]
    call_msg, tool_msg = out["messages"][-2:]
    tool_call = call_msg["tool_calls"][0]
    assert tool_call["function"]["name"] == "apply_patch"
    assert tool_call["function"]["arguments"] == custom_arguments_from_input(patch)
    assert json.loads(tool_call["function"]["arguments"]) == {"input": patch}
    assert tool_msg["tool_call_id"] == tool_call["id"]
    assert "Success. Updated the following files" in tool_msg["content"]
    # The custom tool is offered as a function taking `input`.
    tool = next(t for t in out["tools"] if t["function"]["name"] == "apply_patch")
    assert tool["function"]["parameters"]["required"] == ["input"]


def test_image_becomes_an_image_url_part_in_order() -> None:
    out = chat(fixture("image_input_request"))["messages"]
    content = out[-1]["content"]
    # The environment context's text comes first: it was a user message of its own.
    assert "<environment_context>" in content[0]["text"]
    assert [p["type"] for p in content[-4:]] == ["text", "image_url", "text", "text"]
    assert content[-3]["image_url"]["url"].startswith("data:image/png;base64,")
    assert content[-3]["image_url"]["detail"] == "high"


def test_images_are_replaced_by_a_note_for_a_text_only_model() -> None:
    text_only = Target(slug="t", kind="chat", model="m", base_url="x", supports_images=False)
    out = chat(fixture("image_input_request"), text_only)["messages"]
    assert isinstance(out[-1]["content"], str)
    assert IMAGE_OMITTED in out[-1]["content"]
    assert "base64" not in json.dumps(out)


def test_tools_are_flattened_and_hosted_tools_dropped() -> None:
    out = chat(fixture("exec_turn1_first_request"))
    names = [t["function"]["name"] for t in out["tools"]]
    assert "exec_command" in names
    assert "multi_agent_v1__spawn_agent" in names
    assert "web_search" not in names
    assert all(t["type"] == "function" for t in out["tools"])
    assert out["tool_choice"] == "auto"
    assert out["parallel_tool_calls"] is True


def test_empty_tools_omit_tools_tool_choice_and_parallel_calls() -> None:
    out = chat(fixture("compaction_auto_local_requests"))
    for key in ("tools", "tool_choice", "parallel_tool_calls"):
        assert key not in out


def test_compaction_items_are_dropped_and_the_trigger_asks_for_a_summary() -> None:
    first = chat(fixture("compaction_remote_v2_requests", 0))["messages"]
    assert first[-1] == {"role": "user", "content": COMPACTION_PROMPT}
    second = chat(fixture("compaction_remote_v2_requests", 1))["messages"]
    assert "MOCK_ENCRYPTED_COMPACTION" not in json.dumps(second)


# -- items ---------------------------------------------------------------------------


def test_string_input_is_one_user_message_and_instructions_lead() -> None:
    out = chat({"model": "m", "input": "hi", "instructions": "Be brief."})["messages"]
    assert out == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]


SYSTEM_LATER = (
    {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "A"}]},
    user("u"),
    {"type": "message", "role": "system", "content": "B"},
)


def test_instructions_and_every_developer_message_lead_as_one_system_message() -> None:
    out = messages(*SYSTEM_LATER, instructions="I")
    assert out == [{"role": "system", "content": "I\n\nA\n\nB"}, {"role": "user", "content": "u"}]


def test_without_merging_later_system_messages_stay_where_they_are() -> None:
    exact = Target(slug="x", kind="chat", model="m", base_url="x", merge_messages=False)
    body = {"model": "m", "input": list(SYSTEM_LATER), "instructions": "I"}
    assert chat(body, exact)["messages"] == [
        {"role": "system", "content": "I\n\nA"},
        {"role": "user", "content": "u"},
        {"role": "system", "content": "B"},
    ]


def test_plain_string_contents_and_easy_input_messages() -> None:
    out = messages({"role": "user", "content": "plain"}, {"role": "assistant", "content": "yes"})
    assert out == [{"role": "user", "content": "plain"}, {"role": "assistant", "content": "yes"}]


def test_consecutive_calls_merge_into_the_preceding_assistant_text() -> None:
    out = messages(
        user("go"),
        assistant("Running two commands."),
        call("c1"),
        call("c2"),
        output("c1", "one"),
        output("c2", "two"),
    )
    assert out[1]["content"] == "Running two commands."
    assert [c["id"] for c in out[1]["tool_calls"]] == ["c1", "c2"]
    assert out[2:] == [
        {"role": "tool", "tool_call_id": "c1", "content": "one"},
        {"role": "tool", "tool_call_id": "c2", "content": "two"},
    ]


def test_a_call_after_answered_calls_starts_a_new_assistant_message() -> None:
    out = messages(call("c1"), output("c1"), call("c2"), output("c2"))
    assert [m["role"] for m in out] == ["assistant", "tool", "assistant", "tool"]
    assert_calls_paired(out)


def test_interrupted_call_gets_a_synthesized_output() -> None:
    out = messages(user("go"), call("c1"), user("stop, do something else"))
    assert out[2] == {"role": "tool", "tool_call_id": "c1", "content": INTERRUPTED_OUTPUT}
    assert out[3] == {"role": "user", "content": "stop, do something else"}
    assert_calls_paired(out)


def test_output_separated_from_its_call_is_moved_next_to_it() -> None:
    out = messages(call("c1"), user("meanwhile"), output("c1", "late"))
    assert out == [
        out[0],
        {"role": "tool", "tool_call_id": "c1", "content": "late"},
        {"role": "user", "content": "meanwhile"},
    ]


def test_output_without_a_call_becomes_user_text() -> None:
    out = messages(user("go"), output("ghost", "result text"))
    assert [m["role"] for m in out] == ["user"]  # merged with the user text before it
    assert out[0]["content"].startswith("go\n\n")
    assert "ghost" in out[0]["content"] and "result text" in out[0]["content"]


def test_output_before_its_call_is_not_duplicated() -> None:
    out = messages(output("c1", "early"), call("c1"))
    assert_calls_paired(out)
    assert json.dumps(out).count("early") == 1


def test_tool_output_as_content_parts_with_an_image() -> None:
    parts = [
        {"type": "input_text", "text": "line 1"},
        {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "low"},
        {"type": "input_text", "text": "line 2"},
    ]
    out = messages(call("c1", "view_image"), call("c2"), output("c1", parts), output("c2"))
    assert out[1] == {"role": "tool", "tool_call_id": "c1", "content": "line 1\nline 2"}
    assert out[2]["role"] == "tool"  # the image waits until every call is answered
    follow_up = out[3]
    assert follow_up["role"] == "user"
    assert "c1" in follow_up["content"][0]["text"]
    assert follow_up["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"},
    }


def test_empty_tool_output_is_not_sent_empty() -> None:
    out = messages(call("c1"), output("c1", ""))
    assert out[1]["content"] == EMPTY_OUTPUT


def test_namespaced_call_uses_the_wire_name() -> None:
    item = {**call("c1", "spawn_agent", '{"task":"x"}'), "namespace": "multi_agent_v1"}
    out = messages(item, output("c1"))
    assert out[0]["tool_calls"][0]["function"]["name"] == "multi_agent_v1__spawn_agent"


def test_call_without_arguments_sends_an_empty_object() -> None:
    out = messages(call("c1", arguments=""), output("c1"))
    assert out[0]["tool_calls"][0]["function"]["arguments"] == "{}"


def test_reasoning_items_are_never_sent() -> None:
    reasoning = {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": "thinking about it"}],
        "encrypted_content": "gAAAAsecret",
    }
    out = messages(user("q"), reasoning, assistant("a"))
    assert out == [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]


def test_unknown_item_types_become_visible_text() -> None:
    out = messages({"type": "mystery_call", "id": "x1", "payload": {"k": "v"}})
    assert out[0]["role"] == "user"
    assert "mystery_call" in out[0]["content"] and '"k": "v"' in out[0]["content"]


def test_local_shell_calls_are_paired_like_function_calls() -> None:
    shell = {
        "type": "local_shell_call",
        "call_id": "s1",
        "action": {"type": "exec", "command": ["ls"]},
    }
    out = messages(shell, {"type": "local_shell_call_output", "call_id": "s1", "output": "a.txt"})
    assert out[0]["tool_calls"][0]["function"]["name"] == "local_shell"
    assert out[1] == {"role": "tool", "tool_call_id": "s1", "content": "a.txt"}


# -- parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("effort", "expected"),
    [("minimal", "minimal"), ("low", "low"), ("high", "high"), ("xhigh", "high"), ("none", None)],
)
def test_reasoning_effort(effort: str, expected: str | None) -> None:
    out = chat({"model": "m", "input": "x", "reasoning": {"effort": effort, "summary": "auto"}})
    assert out.get("reasoning_effort") == expected


def test_tool_choice_for_one_function() -> None:
    request = {
        "model": "m",
        "input": "x",
        "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}],
        "tool_choice": {"type": "function", "name": "f"},
        "parallel_tool_calls": False,
    }
    out = chat(request)
    assert out["tool_choice"] == {"type": "function", "function": {"name": "f"}}
    assert out["parallel_tool_calls"] is False
    assert out["tools"] == [
        {
            "type": "function",
            "function": {"name": "f", "description": "", "parameters": {"type": "object"}},
        }
    ]


def test_json_schema_output_format() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    text = {
        "format": {"type": "json_schema", "name": "codex_output_schema", "schema": schema},
        "verbosity": "low",
    }
    text["format"]["strict"] = True
    out = chat({"model": "m", "input": "x", "text": text})
    assert out["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "codex_output_schema", "schema": schema, "strict": True},
    }
    assert "verbosity" not in out
    json_object = chat({"model": "m", "input": "x", "text": {"format": {"type": "json_object"}}})
    assert json_object["response_format"] == {"type": "json_object"}


def test_max_tokens_from_request_then_target_and_sampling_passed() -> None:
    capped = Target(slug="t", kind="chat", model="m", base_url="x", max_output_tokens=4096)
    assert chat({"model": "m", "input": "x"}, capped)["max_tokens"] == 4096
    request = {"model": "m", "input": "x", "max_output_tokens": 100, "temperature": 0.2, "top_p": 1}
    out = chat(request, capped, stream=False)
    assert (out["max_tokens"], out["temperature"], out["top_p"]) == (100, 0.2, 1)
    assert out["stream"] is False and "stream_options" not in out
    assert "max_tokens" not in chat({"model": "m", "input": "x"})


def test_unsupported_user_parts_are_named_not_hidden() -> None:
    content = [
        {"type": "input_text", "text": "listen"},
        {"type": "input_audio", "input_audio": {"data": "AAA", "format": "wav"}},
    ]
    out = messages({"type": "message", "role": "user", "content": content})
    assert out == [{"role": "user", "content": "listen\n\n(input_audio content not sent)"}]


def test_output_cap_uses_the_name_each_endpoint_accepts() -> None:
    request = {"model": "m", "input": "hi", "max_output_tokens": 500}
    openai = Target(slug="o", kind="chat", model="gpt-5", base_url="https://api.openai.com/v1")
    local = Target(slug="l", kind="chat", model="qwen", base_url="http://127.0.0.1:11434/v1")
    assert responses_to_chat(request, openai, stream=False)["max_completion_tokens"] == 500
    assert "max_tokens" not in responses_to_chat(request, openai, stream=False)
    assert responses_to_chat(request, local, stream=False)["max_tokens"] == 500
