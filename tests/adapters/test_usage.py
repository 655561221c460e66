"""Token usage in each dialect, to and from the Responses shape (`adapters.usage`)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from adapters.usage import from_anthropic, from_chat, to_anthropic, to_chat

counts = st.integers(min_value=0, max_value=10**9)


def test_deepseek_cache_hits_count_as_cached_prompt_tokens() -> None:
    usage = from_chat({"prompt_tokens": 100, "completion_tokens": 5, "prompt_cache_hit_tokens": 60})
    assert usage["input_tokens"] == 100
    assert usage["input_tokens_details"]["cached_tokens"] == 60


def test_openai_cached_tokens_win_over_deepseek_field() -> None:
    usage = from_chat(
        {
            "prompt_tokens": 100,
            "completion_tokens": 5,
            "prompt_tokens_details": {"cached_tokens": 40},
            "prompt_cache_hit_tokens": 60,
        }
    )
    assert usage["input_tokens_details"]["cached_tokens"] == 40


def test_malformed_counts_are_zero() -> None:
    usage = from_chat(
        {"prompt_tokens": "many", "completion_tokens": None, "prompt_tokens_details": 3}
    )
    assert usage["input_tokens"] == 0
    assert usage["output_tokens"] == 0
    assert usage["input_tokens_details"]["cached_tokens"] == 0


@given(fresh=counts, read=counts, written=counts, output=counts)
def test_anthropic_usage_survives_the_round_trip(
    fresh: int, read: int, written: int, output: int
) -> None:
    anthropic = {
        "input_tokens": fresh,
        "cache_read_input_tokens": read,
        "cache_creation_input_tokens": written,
        "output_tokens": output,
    }
    responses = from_anthropic(anthropic)
    assert responses["input_tokens"] == fresh + read + written
    assert to_anthropic(responses) == anthropic


@given(prompt=counts, completion=counts, reasoning=counts, data=st.data())
def test_chat_usage_survives_the_round_trip(
    prompt: int, completion: int, reasoning: int, data: st.DataObject
) -> None:
    cached = data.draw(st.integers(min_value=0, max_value=prompt))
    chat = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }
    assert to_chat(from_chat(chat)) == chat
