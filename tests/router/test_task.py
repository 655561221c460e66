"""Task identity, checked against requests captured from the real Codex CLI."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy

from router.routing.task import has_image, latest_user_text, task_key

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "codex"


def captured(name: str) -> list[dict[str, Any]]:
    with open(FIXTURES / f"{name}.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def key_of(record: dict[str, Any]):
    return task_key(record["headers"], record["body"])


def fingerprint_of(body: dict[str, Any]):
    """The key a client without any of Codex's identifiers gets."""
    return task_key({}, {"input": body["input"]})


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def assistant(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text}],
    }


def tool_round_trip(call_id: str) -> list[dict[str, Any]]:
    return [
        {"type": "function_call", "call_id": call_id, "name": "exec_command", "arguments": "{}"},
        {"type": "function_call_output", "call_id": call_id, "output": "ok"},
    ]


# -- Codex's own identifiers ---------------------------------------------------------


def test_a_tool_round_trip_stays_in_the_same_task() -> None:
    first = key_of(captured("exec_turn1_first_request")[0])
    after_tool = key_of(captured("exec_turn1_tool_output_request")[0])
    assert first == after_tool
    assert first.source == "codex"
    assert first.kind == "turn"
    assert first.session == "01a1ff65-6e8a-7c10-bc34-83f8f9d090e0"
    assert first.turn == "01a1ff65-6e98-7f23-a6ba-fb8b62077959"


def test_the_second_user_turn_is_a_new_task_shared_by_its_round_trips() -> None:
    turn1 = key_of(captured("exec_turn1_first_request")[0])
    turn2_first, turn2_tool = (key_of(r) for r in captured("exec_second_user_turn_requests"))
    assert turn2_first == turn2_tool
    assert turn2_first.value != turn1.value
    assert turn2_first.session == turn1.session


def test_app_server_turns_with_turn_state_headers() -> None:
    keys = [key_of(r) for r in captured("app_server_requests")]
    assert keys[0] == keys[1]  # turn 1 and its tool round trip (echoes x-codex-turn-state)
    assert keys[2] == keys[3]  # turn 2
    assert keys[0].value != keys[2].value


def test_a_sub_agent_gets_its_own_task() -> None:
    parent, child = (key_of(r) for r in captured("subagent_requests"))
    assert parent.session == child.session  # Codex sends the parent's session id
    assert child.thread != child.session
    assert child.value != parent.value
    assert child.thread is not None and child.thread in child.value


def test_a_sub_agent_header_alone_separates_the_thread() -> None:
    parent = captured("subagent_requests")[0]
    headers = dict(parent["headers"]) | {"x-openai-subagent": "review"}
    assert key_of(parent).value != task_key(headers, parent["body"]).value


def test_compaction_keeps_the_turn_and_is_marked_compaction() -> None:
    compaction, after = (key_of(r) for r in captured("compaction_auto_local_requests"))
    assert compaction.kind == "compaction"
    assert after.kind == "turn"
    assert compaction.value == after.value
    assert compaction.turn == after.turn


def test_retries_with_identical_bodies_share_the_task() -> None:
    record = captured("exec_turn1_first_request")[0]
    assert key_of(record) == task_key(record["headers"], copy.deepcopy(record["body"]))


def test_headers_are_read_case_insensitively() -> None:
    record = captured("exec_turn1_first_request")[0]
    proxy = CIMultiDictProxy(CIMultiDict({k.title(): v for k, v in record["headers"].items()}))
    assert task_key(proxy, record["body"]) == key_of(record)


def test_body_identifiers_stand_in_for_missing_headers() -> None:
    record = captured("exec_turn1_tool_output_request")[0]
    body = dict(record["body"])
    body["client_metadata"] = dict(body["client_metadata"]) | {
        # The captured copy is trimmed to 500 chars (not JSON): the plain fields must do.
        "x-codex-turn-metadata": "{broken"
    }
    key = task_key({}, body)
    assert key.source == "codex"
    assert key.value == key_of(record).value


def test_turn_metadata_inside_client_metadata_is_used() -> None:
    meta = {"session_id": "s1", "thread_id": "s1", "turn_id": "t1", "request_kind": "compaction"}
    body = {"input": [user("hi")], "client_metadata": {"x-codex-turn-metadata": json.dumps(meta)}}
    key = task_key({}, body)
    assert (key.session, key.turn, key.kind, key.source) == ("s1", "t1", "compaction", "codex")


def test_legacy_session_id_header() -> None:
    meta = json.dumps({"turn_id": "t9"})
    key = task_key({"session_id": "legacy", "x-codex-turn-metadata": meta}, {"input": []})
    assert key.session == "legacy"
    assert key.turn == "t9"


def test_a_session_without_turn_ids_is_split_into_turns_by_fingerprint() -> None:
    first = task_key({"session-id": "s"}, {"input": [user("one")]})
    second = task_key({"session-id": "s"}, {"input": [user("one"), assistant("ok"), user("two")]})
    assert first.source == second.source == "fingerprint"
    assert first.session == "s"
    assert first.value != second.value


# -- fingerprints --------------------------------------------------------------------


def test_fingerprint_is_stable_across_a_captured_tool_round_trip() -> None:
    first = fingerprint_of(captured("exec_turn1_first_request")[0]["body"])
    after_tool = fingerprint_of(captured("exec_turn1_tool_output_request")[0]["body"])
    assert first.source == "fingerprint"
    assert first.value == after_tool.value


def test_fingerprint_changes_with_the_next_user_turn() -> None:
    turn1 = fingerprint_of(captured("exec_turn1_first_request")[0]["body"])
    turn2 = fingerprint_of(captured("exec_second_user_turn_requests")[0]["body"])
    assert turn1.value != turn2.value


def test_fingerprint_ignores_assistant_commentary_next_to_a_tool_call() -> None:
    start = [user("set up the project"), assistant("done"), user("fix the bug")]
    later = [*start, assistant("Let me look."), *tool_round_trip("c1"), *tool_round_trip("c2")]
    assert fingerprint_of({"input": start}) == fingerprint_of({"input": later})


def test_two_conversations_with_the_same_prompt_are_two_tasks() -> None:
    a = [user("write a parser"), assistant("done"), user("now add tests")]
    b = [user("write a web server"), assistant("done"), user("now add tests")]
    assert fingerprint_of({"input": a}).value != fingerprint_of({"input": b}).value


def test_repeating_a_prompt_later_in_a_conversation_is_a_new_task() -> None:
    turn2 = [user("start"), assistant("ok"), user("continue")]
    turn4 = [*turn2, assistant("ok"), user("continue")]
    assert fingerprint_of({"input": turn2}).value != fingerprint_of({"input": turn4}).value


def test_a_plain_string_input_is_one_user_message() -> None:
    assert fingerprint_of({"input": "hello"}) == fingerprint_of({"input": [user("hello")]})


def test_compaction_without_metadata_is_recognised_by_its_prompt() -> None:
    compaction = captured("compaction_auto_local_requests")[0]["body"]
    key = fingerprint_of(compaction)
    assert key.kind == "compaction"
    turn = fingerprint_of(captured("compaction_auto_local_requests")[1]["body"])
    assert key.value == turn.value  # still the same task without any header


# -- message helpers -----------------------------------------------------------------


def test_latest_user_text_skips_codex_context_messages() -> None:
    body = captured("exec_turn1_tool_output_request")[0]["body"]
    assert latest_user_text(body) == "create out.txt"


def test_latest_user_text_drops_image_tags_but_keeps_the_prompt() -> None:
    body = captured("image_input_request")[0]["body"]
    assert latest_user_text(body) == "create out.txt; also describe the attached image"


def test_latest_user_text_is_empty_without_a_user_message() -> None:
    assert latest_user_text({"input": [assistant("hi")]}) == ""
    assert latest_user_text({}) == ""


def test_has_image_in_a_user_message() -> None:
    assert has_image(captured("image_input_request")[0]["body"])
    assert not has_image(captured("exec_turn1_tool_output_request")[0]["body"])


def test_has_image_in_a_tool_output_and_in_earlier_turns() -> None:
    image = {"type": "input_image", "image_url": "data:image/png;base64,AAAA"}
    tool_output = {"type": "function_call_output", "call_id": "c", "output": [image]}
    assert has_image({"input": [user("look"), tool_output]})
    earlier = {"type": "message", "role": "user", "content": [image]}
    assert has_image({"input": [earlier, assistant("a cat"), user("thanks")]})
