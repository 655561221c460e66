"""Eligibility and the token estimate behind it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tiktoken

from router.routing.auto import tokens
from router.routing.auto.eligibility import CandidateSpec, assess

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "codex"


def spec(slug: str, *, images: bool = True, context: int | None = None) -> CandidateSpec:
    return CandidateSpec(slug, 1.0, images, context, "card")


def test_reasons_name_what_is_missing() -> None:
    rows = assess(
        [
            spec("text", images=False),
            spec("small", context=32000),
            spec("both", images=False, context=1000),
            spec("ok"),
        ],
        image=True,
        request_tokens=45000,
    )
    assert [(r.slug, r.eligible, r.why_not) for r in rows] == [
        ("text", False, "no image support"),
        ("small", False, "context 32000 < request ~45000 tokens"),
        ("both", False, "no image support; context 1000 < request ~45000 tokens"),
        ("ok", True, None),
    ]


def test_an_unknown_context_window_is_eligible() -> None:
    (row,) = assess([spec("unknown")], image=False, request_tokens=10_000_000)
    assert row.eligible


def test_a_text_task_may_use_a_text_only_model() -> None:
    (row,) = assess([spec("text", images=False)], image=False, request_tokens=10)
    assert row.eligible


@pytest.fixture
def no_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "_encoding", None)


@pytest.fixture
def tokenizer(monkeypatch: pytest.MonkeyPatch) -> tiktoken.Encoding:
    encoding = tiktoken.get_encoding(tokens.ENCODING_NAME)
    monkeypatch.setattr(tokens, "_encoding", encoding)
    return encoding


def message(text: str) -> dict[str, object]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def test_before_the_tokenizer_loads_bytes_over_four_are_used(no_tokenizer: None) -> None:
    body = {"input": [message("é" * 400)]}  # 800 UTF-8 bytes
    assert tokens.estimate_tokens(body) == 200 + tokens.ITEM_OVERHEAD_TOKENS


def test_an_image_counts_a_fixed_amount_not_its_base64_length(no_tokenizer: None) -> None:
    huge = "data:image/png;base64," + "A" * 400_000
    part = {"type": "input_image", "image_url": huge}
    body = {"input": [{"type": "message", "role": "user", "content": [part]}]}
    assert tokens.estimate_tokens(body) == tokens.IMAGE_TOKENS + tokens.ITEM_OVERHEAD_TOKENS


def test_tool_calls_outputs_and_tools_are_counted(tokenizer: tiktoken.Encoding) -> None:
    record = json.loads((FIXTURES / "exec_turn1_tool_output_request.jsonl").read_text())
    estimate = tokens.estimate_tokens(record["body"])
    without_tools = tokens.estimate_tokens({**record["body"], "tools": []})
    assert without_tools < estimate
    # The tools are a large part of a Codex request; the whole body is in the same range.
    whole = len(tokenizer.encode_ordinary(json.dumps(record["body"])))
    assert whole * 0.5 < estimate < whole * 1.2


def test_with_the_tokenizer_counts_are_exact_on_small_input(tokenizer: tiktoken.Encoding) -> None:
    text = "def add(a, b):\n    return a + b\n"
    assert tokens.count_text([text]) == len(tokenizer.encode_ordinary(text))


def test_huge_input_is_sampled_and_extrapolated(
    tokenizer: tiktoken.Encoding, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens, "EXACT_CHARS", 2000)
    text = "The quick brown fox jumps over the lazy dog. " * 2000
    exact = len(tokenizer.encode_ordinary(text))
    assert abs(tokens.count_text([text]) - exact) < exact * 0.02


def test_warm_up_loads_in_the_background_and_only_once() -> None:
    tokens.warm_up()
    loader = tokens._loader
    tokens.warm_up()
    assert tokens._loader is loader
    assert loader is not None
    loader.join(timeout=30)
    assert tokens.encoding_ready()


def test_truncate_keeps_the_start_and_the_end(tokenizer: tiktoken.Encoding) -> None:
    text = "START " + "filler words here " * 2000 + " END"
    cut = tokens.truncate(text, 100)
    assert cut.startswith("START")
    assert cut.endswith("END")
    assert "tokens omitted" in cut
    assert len(tokenizer.encode_ordinary(cut)) < 130


def test_truncate_leaves_short_text_alone(tokenizer: tiktoken.Encoding) -> None:
    assert tokens.truncate("fix the typo", 100) == "fix the typo"


def test_truncate_without_the_tokenizer_cuts_by_bytes(no_tokenizer: None) -> None:
    cut = tokens.truncate("a" * 10_000 + "Z", 100)
    assert cut.startswith("a") and cut.endswith("Z")
    assert len(cut) < 500
