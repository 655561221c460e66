"""The classifier request (what it may and may not see) and its lenient answer parser."""

from __future__ import annotations

import json
import re

import pytest

from router.routing.auto.classifier import (
    CardedCandidate,
    ClassifierError,
    assign_labels,
    build_request,
    classify,
    describe_task,
    parse_scores,
)
from router.routing.auto.router import AutoRouter
from tests.router.auto.helpers import (
    CARDS,
    ScriptedClassifier,
    fresh_key,
    make_settings,
    server_error,
    user_body,
)

LABELS = ("A", "B", "C")


def carded() -> list[CardedCandidate]:
    return [CardedCandidate(slug, card) for slug, card in CARDS.items()]


# -- what the classifier sees --------------------------------------------------------


async def test_the_request_carries_no_price_cost_rank_or_slug() -> None:
    # Odd costs, so that a leak of any of them would be recognisable in the body.
    costs = {"mini": 3.17, "mid": 41.5, "max": 977.25}
    settings = make_settings(costs)
    call = ScriptedClassifier({"mini": 0.9})
    auto = AutoRouter(settings, call)
    await auto.decide(fresh_key(), user_body("add a --verbose flag"))
    ((slug, body),) = call.calls
    assert slug == "judge"
    sent = json.dumps(body)
    prices = [p for m in settings.models if m.price for p in (m.price.input, m.price.output)]
    for number in [*costs.values(), *prices]:
        assert not re.search(rf"(?<![\w.]){re.escape(str(number))}(?![\w.])", sent), number
    for word in ("cost", "price", "cheap", "expensive", "rank", "tier", "$"):
        assert word not in sent.lower(), word
    # Whole words only: "max" is also in "max_output_tokens", a request field name.
    seen_by_model = json.dumps([body["input"], body["text"]])
    for candidate in CARDS:
        assert not re.search(rf"\b{candidate}\b", seen_by_model), candidate
    for card in CARDS.values():
        assert card in sent


def test_labels_follow_the_cards_alphabetically_not_the_configuration() -> None:
    labelled = assign_labels(
        [CardedCandidate("x", "Zeta card"), CardedCandidate("y", "alpha card")]
    )
    assert {label: c.slug for label, c in labelled.items()} == {"A": "y", "B": "x"}


def test_many_candidates_get_distinct_labels() -> None:
    labelled = assign_labels([CardedCandidate(f"m{i}", f"card {i:02}") for i in range(30)])
    assert len(set(labelled)) == 30
    assert "AA" in labelled


def test_the_request_asks_for_a_strict_json_schema_and_does_not_stream() -> None:
    body = build_request("judge", "task", assign_labels(carded()))
    fmt = body["text"]["format"]
    assert fmt["type"] == "json_schema"
    assert fmt["name"] == "candidate_scores"
    assert fmt["strict"] is True
    assert fmt["schema"]["properties"]["scores"]["required"] == list(LABELS)
    assert body["stream"] is False
    assert body["max_output_tokens"] > 0


def test_the_task_note_counts_messages_tool_calls_and_images() -> None:
    image = {"type": "input_image", "image_url": "data:image/png;base64,AAAA"}
    body = {
        "input": [
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "look"}, image],
            },
            {"type": "function_call", "call_id": "c", "name": "view_image", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c", "output": [image]},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "ok"}],
            },
        ]
    }
    text = describe_task(body, 100)
    assert text.startswith("look")
    assert "2 messages and 1 tool calls; the task includes 2 images" in text


def test_the_task_text_is_trimmed_to_the_prompt_budget() -> None:
    text = describe_task(user_body("word " * 20000), 50)
    assert len(text) < 2000
    assert "omitted" in text


# -- results and failures ------------------------------------------------------------


async def test_scores_come_back_per_slug_with_tokens() -> None:
    call = ScriptedClassifier({"mini": 0.4, "max": 0.95})
    result = await classify(call, "judge", user_body(), carded(), prompt_tokens=500, timeout=5)
    assert dict(result.scores) == {"mini": 0.4, "max": 0.95}
    assert result.tokens == 150
    assert result.elapsed_ms >= 0


async def test_a_timeout_is_a_classifier_error() -> None:
    call = ScriptedClassifier(hang=True)
    with pytest.raises(ClassifierError, match=r"timed out after 0\.01s"):
        await classify(call, "judge", user_body(), carded(), prompt_tokens=500, timeout=0.01)


async def test_an_upstream_error_is_a_classifier_error_without_its_message() -> None:
    call = ScriptedClassifier(error=server_error())
    with pytest.raises(ClassifierError) as caught:
        await classify(call, "judge", user_body(), carded(), prompt_tokens=500, timeout=5)
    assert str(caught.value) == "upstream error 500 server_error"


async def test_any_other_failure_is_a_classifier_error_naming_only_its_type() -> None:
    call = ScriptedClassifier(error=RuntimeError("OPENAI_API_KEY=sk-secret is wrong"))
    with pytest.raises(ClassifierError) as caught:
        await classify(call, "judge", user_body(), carded(), prompt_tokens=500, timeout=5)
    assert str(caught.value) == "classifier call failed (RuntimeError)"


async def test_an_unparseable_answer_keeps_the_tokens_it_cost() -> None:
    call = ScriptedClassifier(text="I cannot help with that.")
    with pytest.raises(ClassifierError) as caught:
        await classify(call, "judge", user_body(), carded(), prompt_tokens=500, timeout=5)
    assert caught.value.tokens == 150


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ('{"scores": {"A": 0.9, "B": 0.2, "C": 0.5}}', {"A": 0.9, "B": 0.2, "C": 0.5}),
        ('{"A": 0.9, "B": 0.2}', {"A": 0.9, "B": 0.2}),
        ('[{"label": "A", "score": 0.9}, {"label": "C", "score": 0.1}]', {"A": 0.9, "C": 0.1}),
        ('{"scores": [{"label": "b", "score": "0.6"}]}', {"B": 0.6}),
        ('```json\n{"A": 0.3}\n```', {"A": 0.3}),
        ('Sure! Here are my scores:\n{"scores": {"A": 0.8}}\nHope that helps.', {"A": 0.8}),
        ('{"A": 1.7, "B": -3, "C": "0.5"}', {"A": 1.0, "B": 0.0, "C": 0.5}),
        ('{"A": 0.5, "Z": 0.9, "notes": "x"}', {"A": 0.5}),
        ('{"A": true, "B": "high", "C": 0.4}', {"C": 0.4}),
    ],
)
def test_parser_accepts_the_shapes_models_actually_produce(
    answer: str, expected: dict[str, float]
) -> None:
    assert parse_scores(answer, LABELS) == expected


@pytest.mark.parametrize(
    "answer",
    ["", "no idea", '{"A": 0.9, "B":', '{"scores": {}}', '{"Z": 0.9}', "[1, 2, 3]", "{"],
)
def test_parser_rejects_answers_without_a_usable_score(answer: str) -> None:
    with pytest.raises(ClassifierError):
        parse_scores(answer, LABELS)
